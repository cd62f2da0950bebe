// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// The memory of another process as the kernel accounts it (/proc/<pid>/status), and a reset of
// its peak, for tests and benchmarks that bound what an operation costs a running paktd.
#include <sys/types.h>

#include <cstdint>

namespace pakt::test {

struct ProcessMemory {
    std::int64_t rss_kib = 0;       ///< VmRSS: resident now (anonymous, file and shared memory)
    std::int64_t peak_rss_kib = 0;  ///< VmHWM: the most resident since start or the last reset
};

/// Reads VmRSS and VmHWM of `pid`. Throws std::system_error if the file cannot be read (the
/// process is gone) and std::runtime_error if a field is missing.
ProcessMemory read_process_memory(pid_t pid);

/// Resets `pid`'s VmHWM to its current VmRSS by writing "5" to /proc/<pid>/clear_refs (Linux
/// 4.0+; allowed for a process of the same user). Returns false if the kernel refused it, in
/// which case VmHWM still holds the peak since the process started.
bool reset_peak_rss(pid_t pid);

}  // namespace pakt::test
