// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "tools/benchmarks/bench_support.hpp"

#include <SQLiteCpp/Statement.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include "common/checkin_report.hpp"
#include "server/storage/sql/db.hpp"

namespace pakt::bench {

const char* const kRawReportUpsert =
    "INSERT INTO device_reports (school_number, serial_number, agent_id, seen_at, os_version, "
    "battery_pct, storage_free_mb, managed, ip_address, report_id, updated_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT(school_number, serial_number) DO UPDATE SET agent_id = excluded.agent_id, "
    "seen_at = excluded.seen_at, os_version = excluded.os_version, "
    "battery_pct = excluded.battery_pct, storage_free_mb = excluded.storage_free_mb, "
    "managed = excluded.managed, ip_address = excluded.ip_address, "
    "report_id = excluded.report_id, updated_at = excluded.updated_at "
    "WHERE excluded.seen_at >= device_reports.seen_at";

template <typename Statement>
void bind_raw_report_row(Statement& upsert, const std::string& school_number,
                         std::int64_t agent_id, const DeviceObservation& o,
                         const std::string& report_id, const std::string& now) {
    const auto optional = [&upsert](int index, const auto& value) {
        if (value)
            upsert.bind(index, *value);
        else
            upsert.bind(index);
    };
    upsert.reset();
    upsert.bind(1, school_number);
    upsert.bind(2, o.serial_number);
    upsert.bind(3, agent_id);
    upsert.bind(4, o.seen_at);
    optional(5, o.os_version);
    optional(6, o.battery_pct);
    optional(7, o.storage_free_mb);
    if (o.managed)
        upsert.bind(8, *o.managed ? 1 : 0);
    else
        upsert.bind(8);
    optional(9, o.ip_address);
    upsert.bind(10, report_id);
    upsert.bind(11, now);
}

template void bind_raw_report_row(SQLite::Statement&, const std::string&, std::int64_t,
                                  const DeviceObservation&, const std::string&, const std::string&);
template void bind_raw_report_row(server::sql::Statement&, const std::string&, std::int64_t,
                                  const DeviceObservation&, const std::string&,
                                  const std::string&);

double percentile(const std::vector<double>& sorted, double p) {
    if (sorted.empty()) return 0;
    const auto rank =
        static_cast<std::size_t>(p / 100.0 * static_cast<double>(sorted.size() - 1) + 0.5);
    return sorted[std::min(rank, sorted.size() - 1)];
}

std::string load_average() {
    std::ifstream in("/proc/loadavg");
    std::string one;
    in >> one;
    return one.empty() ? "unknown" : one;
}

double process_cpu_seconds(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(in, line))
        throw std::runtime_error("cannot read /proc/" + std::to_string(pid) + "/stat");
    // The command name (field 2) is in parentheses and may hold spaces: count fields after it.
    const auto close = line.rfind(')');
    if (close == std::string::npos) throw std::runtime_error("unexpected /proc/<pid>/stat format");
    std::istringstream fields(line.substr(close + 2));
    std::string field;
    // After the name: state is field 3; utime and stime are fields 14 and 15.
    for (int i = 3; i < 14; ++i) fields >> field;
    unsigned long long utime = 0, stime = 0;
    fields >> utime >> stime;
    return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

std::int64_t process_write_bytes(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/io");
    std::string key;
    std::int64_t value = 0;
    while (in >> key >> value) {
        if (key == "write_bytes:") return value;
    }
    return -1;
}

}  // namespace pakt::bench
