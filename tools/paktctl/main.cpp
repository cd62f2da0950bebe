// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// paktctl: administration of a Pakt database. Composition only; see commands.hpp.
#include <iostream>

#include "common/logging.hpp"
#include "tools/paktctl/commands.hpp"

int main(int argc, char** argv) {
    // Warnings only: paktctl reports what it did itself, on stdout.
    pakt::setup_logging("warn");
    return pakt::ctl::run_paktctl(argc, argv, std::cout, std::cerr);
}
