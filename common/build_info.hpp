// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// What a binary was built from: the one version (CMakeLists.txt, project()) and the git commit
// (tools/build_info.cmake writes their definitions at every build).
#include <string>
#include <string_view>

namespace pakt {

/// "0.1.0": PROJECT_VERSION.
std::string_view build_version();
/// The commit's 12-digit id, with "-dirty" if the tree had local changes; "unknown" outside git.
std::string_view build_commit();

/// What `--version` prints: "<program> 0.1.0 (commit 1a2b3c4d5e6f)".
inline std::string version_line(std::string_view program) {
    std::string line(program);
    line += ' ';
    line += build_version();
    line += " (commit ";
    line += build_commit();
    line += ')';
    return line;
}

}  // namespace pakt
