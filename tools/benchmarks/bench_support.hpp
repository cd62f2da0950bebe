// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// Small measuring helpers the benchmark suites share: percentiles, the machine's load, and what
// the kernel accounts to another process (CPU time, bytes written to storage).
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace SQLite {
class Statement;
}

namespace pakt {
struct DeviceObservation;
}

namespace pakt::bench {

/// paktd's upsert of a device's latest report (server/storage/agent_repository.cpp, one row per
/// statement), the raw SQLite baseline of the check-in benchmarks. Keep in sync.
extern const char* const kRawReportUpsert;

/// Binds one row of kRawReportUpsert, on an SQLite statement or a server::sql::Statement (the
/// PostgreSQL baseline).
template <typename Statement>
void bind_raw_report_row(Statement& upsert, const std::string& school_number,
                         std::int64_t agent_id, const DeviceObservation& o,
                         const std::string& report_id, const std::string& now);

/// The p-th percentile (0..100) of `sorted` (ascending), nearest rank; 0 for an empty list.
double percentile(const std::vector<double>& sorted, double p);

/// The 1-minute load average from /proc/loadavg, so a run on a busy machine says so.
std::string load_average();

/// User plus system CPU seconds the kernel has accounted to `pid` (/proc/<pid>/stat).
double process_cpu_seconds(pid_t pid);

/// Bytes `pid` caused to be sent to storage (/proc/<pid>/io write_bytes); -1 if unreadable.
std::int64_t process_write_bytes(pid_t pid);

}  // namespace pakt::bench
