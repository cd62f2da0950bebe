// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "tests/support/process_memory.hpp"

#include <cerrno>
#include <fstream>
#include <stdexcept>
#include <string>
#include <system_error>

namespace pakt::test {

ProcessMemory read_process_memory(pid_t pid) {
    const std::string file = "/proc/" + std::to_string(pid) + "/status";
    std::ifstream in(file);
    if (!in) throw std::system_error(errno, std::generic_category(), "cannot read " + file);
    ProcessMemory memory;
    bool rss = false;
    bool peak = false;
    std::string line;
    // Lines read "VmRSS:\t   12345 kB".
    while (std::getline(in, line)) {
        if (line.rfind("VmRSS:", 0) == 0) {
            memory.rss_kib = std::stoll(line.substr(6));
            rss = true;
        } else if (line.rfind("VmHWM:", 0) == 0) {
            memory.peak_rss_kib = std::stoll(line.substr(6));
            peak = true;
        }
    }
    if (!rss || !peak) throw std::runtime_error(file + " has no VmRSS or VmHWM");
    return memory;
}

bool reset_peak_rss(pid_t pid) {
    std::ofstream out("/proc/" + std::to_string(pid) + "/clear_refs");
    if (!out) return false;
    out << "5";
    out.flush();
    return static_cast<bool>(out);
}

}  // namespace pakt::test
