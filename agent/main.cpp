// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// pakt-agent: the Pakt site agent. Composition only; see agent/cli.hpp.
#include <iostream>

#include "agent/cli.hpp"

int main(int argc, char** argv) {
    return pakt::agent::run_agent_cli(argc, argv, std::cout, std::cerr);
}
