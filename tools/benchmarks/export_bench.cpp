// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// The export benchmark (issue 5, "done when" 3; run it with `tools/bench export`).
//
// Seeds a fleet (200,000 devices by default) into a fresh database, starts the real paktd binary
// as a child process (so /proc/<pid> is paktd's alone) and streams GET /api/v1/reports/inventory
// as CSV and as JSON over TLS, reading as fast as this client can. Meanwhile one simulated agent
// sends check-ins back to back on its own connection. Printed per format: body bytes, seconds,
// MB/s and rows/s; paktd's RSS before the export, its peak (VmHWM reset before each export) and
// the growth; the check-ins answered during the export with their latency p50/p99, next to the
// same check-ins timed before, with no export running (they also warm the check-in path up, so
// its one-off costs do not count as the export's). As a baseline from the same run and disk, the
// inventory query itself is read with paktd's own InventoryReader straight from SQLite (no
// formatting, no HTTP, no TLS), before and after paktd, and the faster run gives the ratio.
//
// Client and server share the machine: the client's TLS decryption and row checks take CPU the
// server would otherwise have, so MB/s is a lower bound. Exits non-zero on errors only (a wrong
// or incomplete export, a failed check-in); a growth of 32 MB or more is reported, not failed.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <thread>
#include <vector>

#include "common/logging.hpp"
#include "server/storage/database.hpp"
#include "server/storage/report_repository.hpp"
#include "tests/support/inventory_export.hpp"
#include "tests/support/large_fleet.hpp"
#include "tests/support/paktd_process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tools/benchmarks/bench_support.hpp"

namespace pakt::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;
using test::ExportFormat;
using test::ExportMeasurement;

const std::filesystem::path kPaktd = PAKTD_PATH;
constexpr double kGrowthLimitMb = 32.0;

struct Options {
    std::size_t devices = 200'000;
    unsigned schools = 8;
    std::size_t checkin_devices = 250;
    int quiet_checkins = 20;  ///< before the exports, for comparison (and as the warm-up)
};

struct RawRead {
    std::size_t rows = 0;
    double seconds = 0;
    double rows_per_second() const { return seconds > 0 ? static_cast<double>(rows) / seconds : 0; }
};

double per_row_us(double seconds, std::size_t rows) {
    return rows ? seconds * 1e6 / static_cast<double>(rows) : 0;
}

/// The export's query through paktd's own reader, straight from the database file.
RawRead raw_read(const std::filesystem::path& database_file) {
    auto db =
        server::open_database(database_file, server::OpenMode::read_only, std::chrono::seconds(10));
    RawRead r;
    const auto start = SteadyClock::now();
    server::InventoryReader reader(*db, server::ReportFilter{});
    server::InventoryRow row;
    while (reader.next(row)) ++r.rows;
    r.seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
    return r;
}

struct CheckinStream {
    std::vector<double> latencies_ms;  ///< of the check-ins answered while the export ran, sorted
    std::size_t answered_during_export = 0;
    std::size_t failures = 0;
    std::string first_failure;
};

/// `count` check-ins back to back with no export running: the latency to compare with, and the
/// check-in path's one-off costs (first statements, first parses) paid before any baseline RSS.
std::vector<double> quiet_checkin_latencies(test::PaktdProcess& paktd,
                                            const test::LargeFleet& fleet, int count) {
    auto agent = paktd.client();
    std::vector<double> latencies;
    for (int i = 0; i < count; ++i) {
        const std::string body = to_json(test::fleet_checkin_report(fleet)).dump();
        const auto start = SteadyClock::now();
        const auto r = agent->request("POST", "/api/v1/agent/checkin", body,
                                      {{"Authorization", "Bearer " + fleet.node_key}});
        if (r.status != 200)
            throw std::runtime_error(fmt::format("a check-in answered {}: {}", r.status, r.body));
        // The first one also connects; it is not a check-in's latency.
        if (i > 0)
            latencies.push_back(
                std::chrono::duration<double, std::milli>(SteadyClock::now() - start).count());
    }
    std::sort(latencies.begin(), latencies.end());
    return latencies;
}

struct FormatResult {
    ExportFormat format = ExportFormat::csv;
    ExportMeasurement export_run;
    CheckinStream checkins;
    /// paktd's CPU time while the export ran (the check-ins answered meanwhile included): on a
    /// small machine the client's TLS and row checks share the cores, so this says more about
    /// paktd's own cost than the rows per second do.
    double paktd_cpu_seconds = 0;
};

/// One export in `format` with one agent sending check-ins back to back until it is done.
FormatResult export_with_checkins(test::PaktdProcess& paktd, const test::LargeFleet& fleet,
                                  const std::string& token, ExportFormat format) {
    FormatResult result;
    result.format = format;
    auto agent = paktd.client();
    auto exporter = paktd.client();
    // Both connections are up (TLS handshakes done) before anything is measured.
    if (agent->request("GET", "/healthz").status != 200 ||
        exporter->request("GET", "/healthz").status != 200) {
        throw std::runtime_error("GET /healthz failed");
    }
    std::atomic<bool> done{false};
    std::atomic<SteadyClock::rep> export_start{0};
    std::atomic<SteadyClock::rep> export_end{0};
    std::mutex mutex;
    std::thread sender([&] {
        while (!done.load()) {
            const std::string body = to_json(test::fleet_checkin_report(fleet)).dump();
            const auto start = SteadyClock::now();
            try {
                const auto r = agent->request("POST", "/api/v1/agent/checkin", body,
                                              {{"Authorization", "Bearer " + fleet.node_key}});
                const auto end = SteadyClock::now();
                if (r.status != 200)
                    throw std::runtime_error(fmt::format("answered {}: {}", r.status, r.body));
                const auto answer = nlohmann::json::parse(r.body);
                if (answer.at("accepted").get<std::size_t>() != fleet.agent_serials.size()) {
                    throw std::runtime_error("unexpected answer: " + r.body);
                }
                const auto from = export_start.load();
                const auto to = export_end.load();
                const bool during = from != 0 && start.time_since_epoch().count() >= from &&
                                    (to == 0 || end.time_since_epoch().count() <= to);
                if (during) {
                    std::lock_guard lock(mutex);
                    result.checkins.latencies_ms.push_back(
                        std::chrono::duration<double, std::milli>(end - start).count());
                }
            } catch (const std::exception& e) {
                std::lock_guard lock(mutex);
                if (result.checkins.failures++ == 0) result.checkins.first_failure = e.what();
            }
        }
    });
    export_start = SteadyClock::now().time_since_epoch().count();
    try {
        const double cpu_before = process_cpu_seconds(paktd.pid());
        result.export_run = test::measure_inventory_export(*exporter, paktd.pid(), token, format,
                                                           fleet.serials_in_report_order);
        result.paktd_cpu_seconds = process_cpu_seconds(paktd.pid()) - cpu_before;
    } catch (...) {
        done = true;
        sender.join();
        throw;
    }
    export_end = SteadyClock::now().time_since_epoch().count();
    done = true;
    sender.join();
    std::sort(result.checkins.latencies_ms.begin(), result.checkins.latencies_ms.end());
    result.checkins.answered_during_export = result.checkins.latencies_ms.size();
    return result;
}

double mib(std::int64_t kib) { return static_cast<double>(kib) / 1024.0; }
double mb(std::int64_t kib) { return static_cast<double>(kib) * 1024.0 / 1e6; }

int run(const Options& options) {
    if (options.devices == 0 || options.schools == 0 || options.checkin_devices == 0 ||
        options.quiet_checkins < 1 || options.checkin_devices > kMaxDevicesPerReport) {
        throw std::invalid_argument(
            fmt::format("--devices, --schools and --quiet-checkins must be positive, "
                        "--checkin-devices 1..{}",
                        kMaxDevicesPerReport));
    }
    const std::string load = load_average();
    test::TempDir dir;
    test::LargeFleetPlan plan;
    plan.devices = options.devices;
    plan.schools = options.schools;
    plan.checkin_devices = options.checkin_devices;
    const auto seed_start = SteadyClock::now();
    const test::LargeFleet fleet = test::seed_large_fleet(dir.path() / "pakt.db", plan);
    const double seed_seconds =
        std::chrono::duration<double>(SteadyClock::now() - seed_start).count();
    const std::uintmax_t db_bytes = std::filesystem::file_size(dir.path() / "pakt.db");

    const RawRead raw_before = raw_read(dir.path() / "pakt.db");
    std::vector<FormatResult> results;
    std::vector<double> quiet;
    double checkin_cpu_seconds = 0;
    {
        test::PaktdProcess paktd(kPaktd, dir.path(),
                                 "[log]\nlevel = \"warn\"\n"
                                 "[agents]\ncheckin_burst = 100000\ncheckin_per_minute = 100000\n");
        std::string token;
        {
            auto http = paktd.client();
            const auto r = http->request("POST", "/api/v1/session",
                                         nlohmann::json{{"username", fleet.admin_username},
                                                        {"password", fleet.admin_password}}
                                             .dump());
            if (r.status != 201)
                throw std::runtime_error(fmt::format("login answered {}: {}", r.status, r.body));
            token = nlohmann::json::parse(r.body).at("token").get<std::string>();
        }
        const double quiet_cpu_before = process_cpu_seconds(paktd.pid());
        quiet = quiet_checkin_latencies(paktd, fleet, options.quiet_checkins + 1);
        // What one check-in costs paktd, to take the check-ins sent during an export out of
        // the export's CPU time.
        checkin_cpu_seconds = (process_cpu_seconds(paktd.pid()) - quiet_cpu_before) /
                              static_cast<double>(options.quiet_checkins + 1);
        for (const ExportFormat format : {ExportFormat::csv, ExportFormat::json}) {
            results.push_back(export_with_checkins(paktd, fleet, token, format));
        }
        if (paktd.stop() != std::optional<int>(0))
            throw std::runtime_error("paktd did not stop cleanly:\n" + paktd.output());
    }
    const RawRead raw_after = raw_read(dir.path() / "pakt.db");
    const RawRead& raw =
        raw_after.rows_per_second() > raw_before.rows_per_second() ? raw_after : raw_before;

    std::cout << fmt::format(
        "Pakt export benchmark: GET /api/v1/reports/inventory of {} devices ({} schools), paktd as "
        "a child process\n"
        "  machine: nproc {}, load average {} at start; TLS on loopback; database {:.1f} MB, "
        "seeded in {:.1f} s\n"
        "  meanwhile one agent sends {}-device check-ins back to back on its own connection\n"
        "  MB = 10^6 bytes; RSS from /proc/<pid>/status, peak = VmHWM reset before each export\n\n",
        options.devices, options.schools, std::thread::hardware_concurrency(), load,
        static_cast<double>(db_bytes) / 1e6, seed_seconds, options.checkin_devices);
    std::cout << fmt::format(
        "  raw SQLite read of the same query (InventoryReader): {} rows in {:.3f} s = {:.0f} "
        "rows/s "
        "(before paktd {:.0f}, after {:.0f}; the faster counts)\n\n",
        raw.rows, raw.seconds, raw.rows_per_second(), raw_before.rows_per_second(),
        raw_after.rows_per_second());
    std::cout << fmt::format(
        "  check-ins with no export running: {}, latency p50 {:.1f} ms, p99 {:.1f} ms "
        "(also the warm-up: paid before any RSS baseline)\n\n",
        quiet.size(), percentile(quiet, 50), percentile(quiet, 99));
    int failures = 0;
    for (const FormatResult& r : results) {
        const ExportMeasurement& m = r.export_run;
        const double rows_per_second = m.seconds > 0 ? static_cast<double>(m.rows) / m.seconds : 0;
        const double growth_mb = mb(m.growth_kib());
        const double export_cpu = std::max(
            0.0, r.paktd_cpu_seconds - checkin_cpu_seconds * static_cast<double>(r.checkins.answered_during_export));
        std::cout << fmt::format(
            "  {:<4}  {} bytes in {:.3f} s = {:.1f} MB/s, {:.0f} rows/s = {:.2f} x the raw read\n"
            "        paktd RSS before {:.1f} MiB, peak {:.1f} MiB ({}), growth {:.1f} MiB = {:.1f} "
            "MB "
            "(limit < {} MB: {})\n"
            "        check-ins answered during the export: {}, latency p50 {:.1f} ms, p99 {:.1f} "
            "ms, max {:.1f} ms\n"
            "        paktd CPU {:.2f} s, of which the export {:.2f} s (less {} check-ins at {:.1f} ms, "
            "measured with no export) = {:.2f} us per row; the raw read {:.2f} us per row: {:.2f} x\n",
            test::to_string(r.format), m.body_bytes, m.seconds,
            static_cast<double>(m.body_bytes) / 1e6 / m.seconds, rows_per_second,
            raw.rows_per_second() > 0 ? rows_per_second / raw.rows_per_second() : 0,
            mib(m.before.rss_kib), mib(m.peak_rss_kib),
            m.peak_reset ? "VmHWM" : "highest VmRSS sampled", mib(m.growth_kib()), growth_mb,
            kGrowthLimitMb, growth_mb < kGrowthLimitMb ? "met" : "NOT met",
            r.checkins.answered_during_export, percentile(r.checkins.latencies_ms, 50),
            percentile(r.checkins.latencies_ms, 99),
            r.checkins.latencies_ms.empty() ? 0.0 : r.checkins.latencies_ms.back(),
            r.paktd_cpu_seconds, export_cpu, r.checkins.answered_during_export, checkin_cpu_seconds * 1e3,
            per_row_us(export_cpu, m.rows), per_row_us(raw.seconds, raw.rows),
            export_cpu > 0 ? per_row_us(raw.seconds, raw.rows) / per_row_us(export_cpu, m.rows) : 0);
        if (!m.problem.empty()) {
            std::cerr << "export bench: the export is wrong: " << m.problem << '\n';
            ++failures;
        }
        if (r.checkins.failures) {
            std::cerr << fmt::format("export bench: {} check-ins failed; first: {}\n",
                                     r.checkins.failures, r.checkins.first_failure);
            ++failures;
        }
    }
    return failures == 0 ? 0 : 1;
}

}  // namespace
}  // namespace pakt::bench

int main(int argc, char** argv) {
    CLI::App cli{
        "Export benchmark: the streamed inventory from a real paktd, its memory, and check-ins "
        "meanwhile"};
    pakt::bench::Options options;
    cli.add_option("--devices", options.devices, "enrolled devices in the fleet")
        ->capture_default_str();
    cli.add_option("--schools", options.schools, "schools the devices are spread over")
        ->capture_default_str();
    cli.add_option("--checkin-devices", options.checkin_devices,
                   "devices in each check-in sent meanwhile")
        ->capture_default_str();
    cli.add_option("--quiet-checkins", options.quiet_checkins,
                   "check-ins timed before the exports, with none running")
        ->capture_default_str();
    CLI11_PARSE(cli, argc, argv);
    try {
        pakt::setup_logging("warn");
        return pakt::bench::run(options);
    } catch (const std::exception& e) {
        std::cerr << "export bench: " << e.what() << '\n';
        return 2;
    }
}
