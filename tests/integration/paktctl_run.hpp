// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// Running paktctl in-process from a test: its exit code and what it printed, as a user sees them.
#include <sstream>
#include <string>
#include <vector>

#include "tools/paktctl/commands.hpp"

namespace pakt::test {

/// The Essen school list shipped with the demo (real school numbers).
inline const std::string kEssenSchools = std::string(PAKT_SOURCE_DIR) + "/tools/demo-data/essen-schools.csv";

struct CtlResult {
    int code = -1;
    std::string out;
    std::string err;
};

/// paktctl with exactly these arguments (after the program name); `stdin_text` feeds
/// --password-stdin.
inline CtlResult run_ctl(const std::vector<std::string>& args, const std::string& stdin_text = "") {
    std::vector<const char*> argv{"paktctl"};
    for (const auto& a : args) argv.push_back(a.c_str());
    std::istringstream in(stdin_text);
    std::ostringstream out;
    std::ostringstream err;
    CtlResult result;
    result.code = ctl::run_paktctl(static_cast<int>(argv.size()), argv.data(), in, out, err);
    result.out = out.str();
    result.err = err.str();
    return result;
}

}  // namespace pakt::test
