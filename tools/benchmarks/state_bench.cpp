// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// The state-scale benchmark (issue 13; run it with `tools/bench state`).
//
// Seeds a federal state's fleet through Pakt's own code (state_seed.hpp: NRW's schools, random
// 12-character serials, deliveries, statuses, loans, history, an agent per school), starts the
// real paktd binary on it as a child process (so /proc/<pid> is paktd's alone) and measures what
// a state's day asks of one machine, each figure next to its goal and, where one exists, a
// baseline from the same run:
//   - device list queries of every filter and role through HTTPS, p50/p95, next to the same
//     query run by paktd's own storage code straight on the database file (no HTTP, no JSON);
//   - check-ins at the state's rate (5,860 agents every 15 minutes, each on a new TLS
//     connection as an agent makes it): paktd's CPU share of one core, latency, bytes written;
//   - a backlog drain: agents back after an outage send their spooled reports as fast as paktd
//     takes them: rows/s and the minutes 1,000 agents' 24 hours (96 reports each) would take;
//   - paktd's RSS idle, under the queries, holding 2,000 idle keep-alive TLS connections and
//     after they close;
//   - the database's size and what a simulated day of check-ins adds to it (and to the audit log).
// The results go to stdout and, as a Markdown table, to --out. Exits non-zero on errors only (a
// refused request, a wrong answer); a missed goal is reported, not failed.
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <fmt/format.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/checkin_report.hpp"
#include "common/crypto.hpp"
#include "common/gzip.hpp"
#include "common/logging.hpp"
#include "common/time.hpp"
#include "server/storage/database.hpp"
#include "server/storage/device_repository.hpp"
#include "server/storage/report_repository.hpp"
#include "tests/support/paktd_process.hpp"
#include "tests/support/process_memory.hpp"
#include "tests/support/temp_dir.hpp"
#include "tools/benchmarks/bench_support.hpp"
#include "tools/benchmarks/state_seed.hpp"

namespace pakt::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;
const std::filesystem::path kPaktd = PAKTD_PATH;
const std::filesystem::path kSchoolsCsv =
    std::filesystem::path(PAKT_SOURCE_DIR) / "tools/demo-data/nrw-schools.csv";

// The state the goals are stated for (issue 13): NRW's schools, one agent each, a report every
// 15 minutes.
constexpr unsigned kStateAgents = 5860;
constexpr double kStateCheckinsPerSecond = kStateAgents / 900.0;
constexpr unsigned kBacklogGoalAgents = 1000;
constexpr unsigned kBacklogGoalReports = 96;  // 24 hours of reports

struct Options {
    unsigned schools = 586;
    std::size_t devices = 200'000;
    bool adjacent_serials = false;
    unsigned queries = 60;  ///< requests per query case
    double state_seconds = 60;
    unsigned backlog_agents = 100;
    unsigned backlog_reports = 24;
    unsigned backlog_connections = 16;
    unsigned idle_connections = 2000;
    std::string out = "bench-state.md";
    std::filesystem::path data_dir;             ///< empty: a temporary directory
    std::size_t large_school_devices = 25'000;  ///< the last school grows to this many devices
};

/// One row of the result table.
struct Row {
    std::string measure;
    std::string goal;
    std::string measured;
    std::string baseline;
    bool met = true;
};

std::string ms(double v) { return fmt::format("{:.1f} ms", v); }
/// KiB as the kernel counts them, shown in MB (10^6 bytes) as the goals are stated.
std::string mb(double kib) { return fmt::format("{:.0f} MB", kib * 1024.0 / 1e6); }

std::vector<double> sorted(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v;
}

// ---------------------------------------------------------------------------------------------
// Device list queries

struct QueryCase {
    std::string name;
    const std::string* token;
    std::string query;            ///< the API's query string without cursor and limit
    server::DeviceFilter filter;  ///< the same query for paktd's storage code
    int limit = 50;
    /// Searches: a fresh `q` per request (then `query` and `filter` are completed per request).
    std::function<std::string(std::mt19937&)> search;
};

struct QueryResult {
    std::vector<double> http_ms;
    std::vector<double> raw_ms;
    std::size_t items = 0;
};

std::string url_escape(const std::string& s) {
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.')
            out += static_cast<char>(c);
        else
            out += fmt::format("%{:02X}", c);
    }
    return out;
}

/// `queries` requests of `c` over HTTPS, walking the pages (from the first again when the list
/// ends), then the same pages through server::list_devices on `raw`.
QueryResult run_query_case(const QueryCase& c, HttpsClient& client, SQLite::Database& raw,
                           unsigned queries) {
    QueryResult result;
    std::mt19937 rng(7);
    std::string cursor;
    std::vector<std::string> searches;
    for (unsigned i = 0; i < queries; ++i) {
        std::string target = "/api/v1/devices?limit=" + std::to_string(c.limit);
        if (!c.query.empty()) target += "&" + c.query;
        std::string search;
        if (c.search) {
            search = c.search(rng);
            target += "&q=" + url_escape(search);
            cursor.clear();
        }
        if (!cursor.empty()) target += "&cursor=" + url_escape(cursor);
        const auto start = SteadyClock::now();
        const auto r = client.request("GET", target, {}, {{"Authorization", "Bearer " + *c.token}});
        result.http_ms.push_back(
            std::chrono::duration<double, std::milli>(SteadyClock::now() - start).count());
        if (r.status != 200)
            throw std::runtime_error(
                fmt::format("GET {} answered {}: {}", target, r.status, r.body));
        const auto page = nlohmann::json::parse(r.body);
        const auto& items = page.at("items");
        result.items += items.size();
        searches.push_back(search);
        const auto& next = page.at("next_cursor");
        cursor = next.is_null() ? std::string() : next.get<std::string>();
    }
    // The raw baseline: the same filters and pages, paktd's own query code, no HTTP.
    std::string after;
    for (unsigned i = 0; i < queries; ++i) {
        server::DeviceFilter f = c.filter;
        f.limit = c.limit + 1;  // as the handler asks, to know whether there is a next page
        if (c.search) {
            f.serial_prefix = searches[i];
            f.asset_tag_prefix = searches[i];
            after.clear();
        }
        f.after = after;
        const auto start = SteadyClock::now();
        const auto devices = server::list_devices(raw, f);
        result.raw_ms.push_back(
            std::chrono::duration<double, std::milli>(SteadyClock::now() - start).count());
        after = static_cast<int>(devices.size()) > c.limit
                    ? devices[static_cast<std::size_t>(c.limit) - 1].serial_number
                    : std::string();
    }
    return result;
}

// ---------------------------------------------------------------------------------------------
// Check-ins

struct Body {
    std::size_t school = 0;  ///< index into SeededState::schools
    std::string gzip;        ///< the compressed report
    std::size_t devices = 0;
};

/// The report `school`'s agent sends with `seen_at`: the devices in service it sees (not the stale
/// ones, 2 % absent, now and then one with a new OS) and now and then an iPad never enrolled.
CheckinReport make_report(const SeededSchool& school, const std::string& seen_at,
                          std::uint64_t round) {
    CheckinReport report;
    report.report_id = make_uuid();
    report.generated_at = seen_at;
    report.agent_version = "0.9.0";
    report.devices.reserve(school.present_serials.size() + 1);
    for (std::size_t i = 0; i < school.present_serials.size(); ++i) {
        if (i % 25 == 0) continue;  // the stale ones (state_seed.cpp): gone from the network
        if ((i + round) % 50 == 1) continue;
        DeviceObservation o;
        o.serial_number = school.present_serials[i];
        o.seen_at = seen_at;
        o.os_version = (i + round) % 1000 == 0 ? "17.6" : "17.5.1";  // now and then an update
        o.battery_pct = static_cast<std::int64_t>((i * 7 + round) % 100);
        o.storage_free_mb = static_cast<std::int64_t>(20'000 - (round % 500));
        o.managed = true;
        o.ip_address = fmt::format("10.{}.{}.{}", i / 250 % 250, 16 + round % 4, i % 250 + 2);
        report.devices.push_back(std::move(o));
    }
    if (round % 10 == 0) {
        DeviceObservation stranger;
        stranger.serial_number = fmt::format("X{}{:05}", school.school_number, round % 100'000);
        stranger.seen_at = seen_at;
        report.devices.push_back(std::move(stranger));
    }
    return report;
}

/// Builds and compresses `plan` (school index and seen_at per report) on two threads.
std::vector<Body> build_bodies(const SeededState& state,
                               const std::vector<std::pair<std::size_t, std::string>>& plan) {
    std::vector<Body> bodies(plan.size());
    std::atomic<std::size_t> next{0};
    auto work = [&] {
        for (std::size_t i = next++; i < plan.size(); i = next++) {
            const auto& school = state.schools[plan[i].first];
            const CheckinReport report = make_report(school, plan[i].second, i);
            bodies[i] = {plan[i].first, gzip_compress(to_json(report).dump()),
                         report.devices.size()};
        }
    };
    std::thread helper(work);
    work();
    helper.join();
    return bodies;
}

HeaderList checkin_headers(const SeededSchool& school) {
    return {{"Authorization", "Bearer " + school.node_key},
            {"Content-Type", "application/json"},
            {"Content-Encoding", "gzip"}};
}

struct CheckinPhase {
    std::vector<double> latencies_ms;
    std::uint64_t checkins = 0;
    std::uint64_t rows = 0;  ///< devices accepted
    double seconds = 0;
    double cpu_seconds = 0;  ///< paktd's
    std::int64_t write_bytes = -1;
};

void check_answer(const HttpResponse& r, CheckinPhase& phase, std::mutex& m) {
    if (r.status != 200)
        throw std::runtime_error(fmt::format("a check-in answered {}: {}", r.status, r.body));
    const auto accepted = nlohmann::json::parse(r.body).at("accepted").get<std::uint64_t>();
    std::lock_guard lock(m);
    ++phase.checkins;
    phase.rows += accepted;
}

/// Sends one check-in on `client` and records the answer and its latency in `phase`.
void send_checkin(HttpsClient& client, const SeededState& state, const Body& body,
                  CheckinPhase& phase, std::mutex& m) {
    const auto sent = SteadyClock::now();
    const auto r = client.request("POST", "/api/v1/agent/checkin", body.gzip,
                                  checkin_headers(state.schools[body.school]));
    const double latency =
        std::chrono::duration<double, std::milli>(SteadyClock::now() - sent).count();
    check_answer(r, phase, m);
    std::lock_guard lock(m);
    phase.latencies_ms.push_back(latency);
}

/// Runs `work(w)` for w in [0, workers) on as many threads; rethrows what the first one threw.
void run_on_threads(unsigned workers, const std::function<void(unsigned)>& work) {
    std::vector<std::exception_ptr> errors(workers);
    std::vector<std::thread> threads;
    for (unsigned w = 0; w < workers; ++w) {
        threads.emplace_back([&, w] {
            try {
                work(w);
            } catch (...) {
                errors[w] = std::current_exception();
            }
        });
    }
    for (auto& t : threads) t.join();
    for (auto& e : errors) {
        if (e) std::rethrow_exception(e);
    }
}

/// Sends `bodies` at `rate` per second, each on a new TLS connection, from `workers` threads.
CheckinPhase run_state_rate(test::PaktdProcess& paktd, const SeededState& state,
                            const std::vector<Body>& bodies, double rate, unsigned workers) {
    CheckinPhase phase;
    std::mutex m;
    const auto cpu_start = process_cpu_seconds(paktd.pid());
    const auto io_start = process_write_bytes(paktd.pid());
    const auto start = SteadyClock::now() + std::chrono::milliseconds(100);
    run_on_threads(workers, [&](unsigned w) {
        for (std::size_t i = w; i < bodies.size(); i += workers) {
            std::this_thread::sleep_until(
                start + std::chrono::duration_cast<SteadyClock::duration>(
                            std::chrono::duration<double>(static_cast<double>(i) / rate)));
            auto client = paktd.client();  // an agent connects anew every 15 minutes
            send_checkin(*client, state, bodies[i], phase, m);
        }
    });
    phase.seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
    phase.cpu_seconds = process_cpu_seconds(paktd.pid()) - cpu_start;
    if (io_start >= 0) phase.write_bytes = process_write_bytes(paktd.pid()) - io_start;
    return phase;
}

/// Each agent's spool (its bodies, in order) on its own keep-alive connection, `connections`
/// agents at a time, as fast as paktd answers.
CheckinPhase run_backlog(test::PaktdProcess& paktd, const SeededState& state,
                         const std::vector<std::vector<Body>>& spools, unsigned connections) {
    CheckinPhase phase;
    std::mutex m;
    std::atomic<std::size_t> next_agent{0};
    const auto cpu_start = process_cpu_seconds(paktd.pid());
    const auto start = SteadyClock::now();
    run_on_threads(connections, [&](unsigned) {
        for (std::size_t a = next_agent++; a < spools.size(); a = next_agent++) {
            auto client = paktd.client();
            for (const auto& body : spools[a]) send_checkin(*client, state, body, phase, m);
        }
    });
    phase.seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
    phase.cpu_seconds = process_cpu_seconds(paktd.pid()) - cpu_start;
    return phase;
}

// ---------------------------------------------------------------------------------------------
// The database

struct DatabaseSize {
    double used_bytes = 0;  ///< pages in use (the file less its free pages)
    /// Pages of what check-ins add to (their records, device events, unknown sightings, the audit
    /// log) with their indexes: what a day adds, apart from pages the rewritten tables free and
    /// fill again.
    double appended_bytes = 0;
    std::int64_t audit_entries = 0;
    std::int64_t checkin_records = 0;
    std::int64_t device_events = 0;
};

DatabaseSize database_size(const std::filesystem::path& file) {
    auto db = server::open_database(file, server::OpenMode::read_only, std::chrono::seconds(10));
    DatabaseSize s;
    const auto pages = db->execAndGet("PRAGMA page_count").getInt64();
    const auto free_pages = db->execAndGet("PRAGMA freelist_count").getInt64();
    const auto page_size = db->execAndGet("PRAGMA page_size").getInt64();
    s.used_bytes = static_cast<double>((pages - free_pages) * page_size);
    SQLite::Statement objects(
        *db,
        "SELECT name FROM sqlite_schema WHERE tbl_name IN ('checkin_reports', "
        "'device_events', 'unknown_sightings', 'audit_log') AND type IN ('table', 'index')");
    while (objects.executeStep()) {
        SQLite::Statement pages_of(
            *db, "SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name = ? AND aggregate = TRUE");
        pages_of.bind(1, objects.getColumn(0).getString());
        pages_of.executeStep();
        s.appended_bytes += static_cast<double>(pages_of.getColumn(0).getInt64());
    }
    s.audit_entries = db->execAndGet("SELECT count(*) FROM audit_log").getInt64();
    s.checkin_records = db->execAndGet("SELECT count(*) FROM checkin_reports").getInt64();
    s.device_events = db->execAndGet("SELECT count(*) FROM device_events").getInt64();
    return s;
}

/// The school grown large: the last one, so that the role-scoped list queries, which are the
/// first school's, measure an ordinary school.
const SeededSchool& large_school_of(const SeededState& state) { return state.schools.back(); }

/// Gives the large school `devices` enrolled devices, once (a reused database has them): the
/// school whose check-ins are timed against an ordinary one's. Through the repositories, into
/// its last delivery; the serials are its own ("L" and its school number), so the school's other
/// devices and its agent's reports stay as seeded.
std::size_t grow_large_school(const std::filesystem::path& file, const SeededState& state,
                              std::size_t devices) {
    auto db = server::open_database(file, server::OpenMode::read_write, std::chrono::seconds(10));
    const SeededSchool& school = large_school_of(state);
    SQLite::Statement count(*db, "SELECT count(*) FROM devices WHERE school_number = ?");
    count.bind(1, school.school_number);
    count.executeStep();
    const auto have = static_cast<std::size_t>(count.getColumn(0).getInt64());
    if (have >= devices) return have;
    SQLite::Transaction tx(*db);
    for (std::size_t i = have; i < devices; ++i) {
        server::Device d;
        d.serial_number = fmt::format("L{}{:05}", school.school_number, i);
        d.tranche_id = school.tranche_ids.back();
        d.school_number = school.school_number;
        d.model = "iPad (10. Generation)";
        d.enrolled_by = "it-" + school.school_number;
        server::insert_device(*db, d);
    }
    tx.commit();
    return devices;
}

/// `count` check-ins of `devices` devices each from `school`'s agent, back to back on one
/// connection: their latency p50 and paktd's CPU time per check-in.
struct SizedCheckins {
    double p50_ms = 0;
    double cpu_ms = 0;
};

SizedCheckins sized_checkins(test::PaktdProcess& paktd, const SeededSchool& school,
                             std::size_t devices, unsigned count) {
    auto client = paktd.client();
    std::vector<double> latencies;
    double cpu = 0;
    for (unsigned k = 0; k < count; ++k) {
        CheckinReport report;
        report.report_id = make_uuid();
        report.generated_at = now_rfc3339();
        report.agent_version = "0.9.0";
        for (std::size_t i = 0; i < std::min(devices, school.present_serials.size()); ++i) {
            DeviceObservation o;
            o.serial_number = school.present_serials[i];
            o.seen_at = report.generated_at;
            o.os_version = "17.5.1";
            o.battery_pct = static_cast<std::int64_t>((i + k) % 100);
            report.devices.push_back(std::move(o));
        }
        const std::string body = gzip_compress(to_json(report).dump());
        const double cpu_before = process_cpu_seconds(paktd.pid());
        const auto sent = SteadyClock::now();
        const auto r =
            client->request("POST", "/api/v1/agent/checkin", body, checkin_headers(school));
        if (k > 0) {  // the first also connects
            latencies.push_back(
                std::chrono::duration<double, std::milli>(SteadyClock::now() - sent).count());
            cpu += process_cpu_seconds(paktd.pid()) - cpu_before;
        }
        if (r.status != 200)
            throw std::runtime_error(fmt::format("a check-in answered {}: {}", r.status, r.body));
    }
    return {percentile(sorted(latencies), 50), count > 1 ? cpu * 1e3 / (count - 1) : 0};
}

struct ExportRun {
    double seconds = 0;
    double cpu_seconds = 0;  ///< paktd's
    std::uint64_t bytes = 0;
};

/// GET /api/v1/reports/inventory in `format` as city_admin, read as fast as this client can.
ExportRun export_inventory(test::PaktdProcess& paktd, const std::string& token,
                           const std::string& format) {
    auto client = paktd.client(std::chrono::minutes(10));
    ExportRun run;
    const double cpu_before = process_cpu_seconds(paktd.pid());
    const auto start = SteadyClock::now();
    const auto r = client->request_streamed("GET", "/api/v1/reports/inventory?format=" + format,
                                            {{"Authorization", "Bearer " + token}},
                                            [&](std::string_view piece) {
                                                run.bytes += piece.size();
                                                return true;
                                            });
    run.seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
    run.cpu_seconds = process_cpu_seconds(paktd.pid()) - cpu_before;
    if (r.status != 200 || run.bytes == 0) {
        throw std::runtime_error(
            fmt::format("GET /api/v1/reports/inventory?format={} answered {}", format, r.status));
    }
    return run;
}

/// The export's query through paktd's own reader, straight from the file: rows and seconds.
std::pair<std::size_t, double> raw_inventory_read(const std::filesystem::path& file) {
    auto db = server::open_database(file, server::OpenMode::read_only, std::chrono::seconds(10));
    const auto start = SteadyClock::now();
    server::InventoryReader reader(*db, server::ReportFilter{});
    server::InventoryRow row;
    std::size_t rows = 0;
    while (reader.next(row)) ++rows;
    return {rows, std::chrono::duration<double>(SteadyClock::now() - start).count()};
}

/// The raw SQLite baseline of the check-in path: the rows of one report from each of `schools`
/// schools, upserted with one prepared statement in one transaction (synchronous=FULL, commit
/// included), on the same database after paktd stopped. Device rows per second.
double raw_upsert_rows_per_second(const std::filesystem::path& file, const SeededState& state,
                                  std::size_t schools) {
    auto db = server::open_database(file, server::OpenMode::read_write, std::chrono::seconds(10));
    std::vector<CheckinReport> reports;
    const std::string seen_at = now_rfc3339();
    for (std::size_t s = 0; s < std::min(schools, state.schools.size()); ++s) {
        reports.push_back(make_report(state.schools[s], seen_at, 1'000'000 + s));
    }
    SQLite::Statement upsert(*db, kRawReportUpsert);
    std::size_t rows = 0;
    const auto start = SteadyClock::now();
    db->exec("BEGIN IMMEDIATE");
    for (std::size_t s = 0; s < reports.size(); ++s) {
        for (const auto& o : reports[s].devices) {
            if (o.serial_number.front() == 'X') continue;  // the never-enrolled one: not a row
            bind_raw_report_row(upsert, state.schools[s].school_number, state.schools[s].agent_id,
                                o, reports[s].report_id, seen_at);
            upsert.exec();
            ++rows;
        }
    }
    db->exec("COMMIT");
    return static_cast<double>(rows) /
           std::chrono::duration<double>(SteadyClock::now() - start).count();
}

void raise_file_limit() {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
    }
}

std::string markdown(const std::vector<Row>& rows) {
    std::string out =
        "| measure | goal | measured | baseline (same run) | goal met |\n|---|---|---|---|---|\n";
    for (const auto& r : rows) {
        out += fmt::format("| {} | {} | {} | {} | {} |\n", r.measure, r.goal, r.measured,
                           r.baseline.empty() ? "—" : r.baseline,
                           r.goal.empty() ? ""
                           : r.met        ? "yes"
                                          : "**no**");
    }
    return out;
}

int run(const Options& o) {
    std::cout << std::unitbuf;  // progress shows as it happens, also when redirected
    raise_file_limit();
    const std::string load_start = load_average();
    std::cout << fmt::format(
        "tools/bench state: {} schools, {} devices, {} serials; load average {}\n", o.schools,
        o.devices, o.adjacent_serials ? "adjacent" : "random", load_start);
    // A temporary directory, or --data-dir: seeded on the first run, reused by the next ones.
    std::optional<test::TempDir> temp;
    std::filesystem::path dir = o.data_dir;
    if (dir.empty()) {
        temp.emplace();
        dir = temp->path();
    }
    std::filesystem::create_directories(dir);
    const auto database = dir / "pakt.db";
    StatePlan plan;
    plan.schools_csv = kSchoolsCsv;
    plan.schools = o.schools;
    plan.devices = o.devices;
    plan.adjacent_serials = o.adjacent_serials;
    const auto seed_file = dir / "bench-state-seed.json";
    std::optional<SeededState> reused = load_seeded_state(seed_file, plan);
    if (!reused && std::filesystem::exists(database)) {
        throw std::runtime_error(database.string() + " exists without " + seed_file.string() +
                                 ": use an empty directory");
    }
    if (reused)
        std::cout << "reusing the database seeded earlier in " << dir.string() << "\n";
    else
        std::cout << "seeding through Pakt's storage code ...\n";
    const bool reused_database = reused.has_value();
    const SeededState state = reused ? std::move(*reused) : seed_state(database, plan);
    if (!reused && !o.data_dir.empty()) save_seeded_state(seed_file, plan, state);
    const DatabaseSize seeded = database_size(database);
    std::cout << fmt::format(
        "seeded in {:.0f} s: {} devices, {} open loans, {} audit entries, {:.0f} MB\n",
        state.seconds, state.devices, state.loans_open, seeded.audit_entries,
        seeded.used_bytes / 1e6);

    const std::size_t large_school = grow_large_school(database, state, o.large_school_devices);

    std::vector<Row> rows;
    const unsigned max_connections = o.idle_connections + 512;
    const std::string config = fmt::format(
        // The idle connections are opened one after another: none may time out meanwhile.
        "[limits]\nmax_connections = {0}\nmax_connections_per_address = {0}\nread_timeout_ms = "
        "300000\n"
        "[agents]\ncheckin_burst = 100000\ncheckin_per_minute = 100000\n[log]\nlevel = \"warn\"\n",
        max_connections);
    test::PaktdProcess paktd(kPaktd, dir, config, std::chrono::minutes(5));
    auto client = paktd.client();
    // Warm up: the first requests prepare statements and fill caches.
    for (const auto* token : {&state.admin_token, &state.school_it_token}) {
        const auto r = client->request("GET", "/api/v1/devices?limit=50", {},
                                       {{"Authorization", "Bearer " + *token}});
        if (r.status != 200)
            throw std::runtime_error(
                fmt::format("GET /api/v1/devices answered {}: {}", r.status, r.body));
    }
    const auto idle = test::read_process_memory(paktd.pid());

    // --- device list queries -----------------------------------------------------------------
    std::cout << "device list queries ...\n";
    auto raw =
        server::open_database(database, server::OpenMode::read_only, std::chrono::seconds(10));
    const SeededSchool& first = state.schools.front();
    const std::string school = first.school_number;
    std::vector<std::string> sample_serials;
    for (std::size_t i = 0; i < state.schools.size();
         i += std::max<std::size_t>(1, state.schools.size() / 64)) {
        if (!state.schools[i].present_serials.empty())
            sample_serials.push_back(state.schools[i].present_serials.front());
    }
    const auto serial_search = [&](std::mt19937& rng) {
        return sample_serials.empty() ? std::string("0")
                                      : sample_serials[rng() % sample_serials.size()].substr(0, 3);
    };
    const auto tag_search = [&](std::mt19937& rng) {
        return state.sample_asset_tags.empty()
                   ? std::string("INV-")
                   : state.sample_asset_tags[rng() % state.sample_asset_tags.size()].substr(0, 10);
    };
    std::vector<QueryCase> cases;
    const auto add = [&](std::string name, const std::string& token, std::string query,
                         server::DeviceFilter f, int limit = 50,
                         std::function<std::string(std::mt19937&)> search = {}) {
        cases.push_back(
            {std::move(name), &token, std::move(query), std::move(f), limit, std::move(search)});
    };
    const std::vector<std::string> scope{school};
    server::DeviceFilter all;
    server::DeviceFilter scoped;
    scoped.schools = scope;
    const auto with = [](server::DeviceFilter f, auto&& change) {
        change(f);
        return f;
    };
    const std::string stale_before = format_rfc3339(Clock::now() - std::chrono::hours(24 * 14));
    add("city_admin: all devices", state.admin_token, "", all);
    add("city_admin: all devices, limit=100", state.admin_token, "", all, 100);
    add("city_admin: school", state.admin_token, "school_number=" + school,
        with(all, [&](auto& f) { f.school_number = school; }));
    add("city_admin: tranche", state.admin_token,
        "tranche_id=" + std::to_string(first.tranche_ids.back()),
        with(all, [&](auto& f) { f.tranche_id = first.tranche_ids.back(); }));
    add("city_admin: grant", state.admin_token, "grant_id=" + std::to_string(state.grant_id),
        with(all, [&](auto& f) { f.grant_id = state.grant_id; }));
    add("city_admin: status=in_repair", state.admin_token, "status=in_repair",
        with(all, [](auto& f) { f.status = "in_repair"; }));
    add("city_admin: q= serial (3 characters)", state.admin_token, "", all, 50, serial_search);
    add("city_admin: q= asset tag", state.admin_token, "", all, 50, tag_search);
    add("city_admin: stale=true", state.admin_token, "stale=true",
        with(all, [&](auto& f) { f.stale_before = stale_before; }));
    add("city_admin: on_loan=true", state.admin_token, "on_loan=true",
        with(all, [](auto& f) { f.on_loan = true; }));
    add("city_admin: unseen_days=7", state.admin_token, "unseen_days=7", with(all, [](auto& f) {
            f.unseen_since = format_rfc3339(Clock::now() - std::chrono::hours(24 * 7));
        }));
    add("school_it: own devices", state.school_it_token, "", scoped);
    add("school_it: status=in_storage", state.school_it_token, "status=in_storage",
        with(scoped, [](auto& f) { f.status = "in_storage"; }));
    add("school_it: q= serial", state.school_it_token, "", scoped, 50, serial_search);
    add("school_it: stale=true", state.school_it_token, "stale=true",
        with(scoped, [&](auto& f) { f.stale_before = stale_before; }));
    add("headteacher: own devices", state.headteacher_token, "", scoped);
    add("headteacher: on_loan=true", state.headteacher_token, "on_loan=true",
        with(scoped, [](auto& f) { f.on_loan = true; }));

    test::reset_peak_rss(paktd.pid());
    for (const auto& c : cases) {
        const QueryResult r = run_query_case(c, *client, *raw, o.queries);
        const auto http = sorted(r.http_ms);
        const auto base = sorted(r.raw_ms);
        Row row;
        row.measure = "`GET /devices` " + c.name + " (p50 / p95)";
        row.goal = "p95 ≤ 20 ms";
        row.measured = ms(percentile(http, 50)) + " / " + ms(percentile(http, 95));
        row.baseline =
            "storage code alone: " + ms(percentile(base, 50)) + " / " + ms(percentile(base, 95));
        row.met = percentile(http, 95) <= 20.0;
        std::cout << "  " << c.name << ": " << row.measured << " (" << row.baseline << ")\n";
        rows.push_back(std::move(row));
    }
    const auto under_queries = test::read_process_memory(paktd.pid());
    raw.reset();

    // --- backlog drain -----------------------------------------------------------------------
    const unsigned backlog_agents =
        std::min<unsigned>(o.backlog_agents, static_cast<unsigned>(state.schools.size()));
    std::cout << fmt::format("building {} agents' backlog of {} reports each ...\n", backlog_agents,
                             o.backlog_reports);
    std::vector<std::vector<Body>> spools;
    const auto backlog_now = Clock::now();
    {
        const auto now = backlog_now;
        std::vector<std::pair<std::size_t, std::string>> plan_reports;
        for (unsigned a = 0; a < backlog_agents; ++a) {
            for (unsigned k = 0; k < o.backlog_reports; ++k) {
                // In the field a spool's reports are 15 minutes apart; here a second, so that
                // they are newer than anything an earlier run stored in a reused database (each
                // is then news that paktd writes). A check-in's cost does not depend on the gap.
                plan_reports.emplace_back(
                    a, format_rfc3339(now - std::chrono::seconds(o.backlog_reports - k)));
            }
        }
        auto bodies = build_bodies(state, plan_reports);
        spools.resize(backlog_agents);
        for (auto& b : bodies) spools[b.school].push_back(std::move(b));
    }
    std::cout << "backlog drain ...\n";
    const CheckinPhase backlog = run_backlog(paktd, state, spools, o.backlog_connections);
    spools.clear();
    const double backlog_rows_per_s = static_cast<double>(backlog.rows) / backlog.seconds;
    const double rows_per_checkin =
        static_cast<double>(backlog.rows) / static_cast<double>(backlog.checkins);
    const double goal_minutes =
        kBacklogGoalAgents * kBacklogGoalReports * rows_per_checkin / backlog_rows_per_s / 60.0;
    {
        const auto lat = sorted(backlog.latencies_ms);
        rows.push_back(
            {fmt::format("backlog drain: {} agents × {} reports ({} connections)", backlog_agents,
                         o.backlog_reports, o.backlog_connections),
             "",
             fmt::format("{:.0f} device rows/s, {:.0f} check-ins/s, p50 {} p95 {}",
                         backlog_rows_per_s,
                         static_cast<double>(backlog.checkins) / backlog.seconds,
                         ms(percentile(lat, 50)), ms(percentile(lat, 95))),
             fmt::format("{:.1f} µs paktd CPU per device row",
                         backlog.cpu_seconds * 1e6 /
                             static_cast<double>(std::max<std::uint64_t>(1, backlog.rows))),
             true});
        rows.push_back({"24 h backlog of 1,000 agents (96 reports each) at that speed", "≤ 5 min",
                        fmt::format("{:.1f} min", goal_minutes), "", goal_minutes <= 5.0});
        std::cout << "  " << rows.back().measured << "\n";
    }

    // --- check-ins at the state's rate ---------------------------------------------------------
    const auto state_checkins = static_cast<std::size_t>(o.state_seconds * kStateCheckinsPerSecond);
    std::cout << fmt::format("building {} check-ins for the state rate ...\n", state_checkins);
    std::vector<Body> state_bodies;
    {
        const auto now = Clock::now();
        std::vector<std::pair<std::size_t, std::string>> plan_reports;
        for (std::size_t i = 0; i < state_checkins; ++i) {
            // Newer than the backlog's, and increasing per school, so every report is news.
            const auto base =
                std::max(now - std::chrono::minutes(4), backlog_now + std::chrono::seconds(1));
            plan_reports.emplace_back(
                i % state.schools.size(),
                format_rfc3339(base +
                               std::chrono::duration_cast<Clock::duration>(
                                   (now - base) * static_cast<double>(i) /
                                   static_cast<double>(std::max<std::size_t>(1, state_checkins)))));
        }
        state_bodies = build_bodies(state, plan_reports);
    }
    const DatabaseSize before_day = database_size(database);
    std::cout << fmt::format("check-ins at the state rate ({:.2f}/s for {:.0f} s) ...\n",
                             kStateCheckinsPerSecond, o.state_seconds);
    const CheckinPhase at_rate =
        run_state_rate(paktd, state, state_bodies, kStateCheckinsPerSecond, 8);
    const DatabaseSize after_day = database_size(database);
    {
        const auto lat = sorted(at_rate.latencies_ms);
        const double share = at_rate.cpu_seconds / at_rate.seconds * 100.0;
        const double device_rows_per_s = static_cast<double>(at_rate.rows) / at_rate.seconds;
        rows.push_back(
            {fmt::format("check-ins at state rate ({:.2f}/s ≈ {:.0f} device rows/s, new TLS "
                         "connection each)",
                         static_cast<double>(at_rate.checkins) / at_rate.seconds,
                         device_rows_per_s),
             "< 10 % of one core",
             fmt::format("{:.1f} % of one core; p50 {} p95 {}", share, ms(percentile(lat, 50)),
                         ms(percentile(lat, 95))),
             fmt::format("{:.0f} µs paktd CPU per device row",
                         at_rate.cpu_seconds * 1e6 /
                             static_cast<double>(std::max<std::uint64_t>(1, at_rate.rows))),
             share < 10.0});
        std::cout << "  " << rows.back().measured << "\n";
        const double per_checkin_mb = at_rate.write_bytes >= 0
                                          ? static_cast<double>(at_rate.write_bytes) / 1e6 /
                                                static_cast<double>(at_rate.checkins)
                                          : -1;
        rows.push_back(
            {fmt::format("write volume per check-in ({:.0f} devices)",
                         static_cast<double>(at_rate.rows) /
                             static_cast<double>(std::max<std::uint64_t>(1, at_rate.checkins))),
             "—",
             per_checkin_mb >= 0 ? fmt::format("{:.2f} MB (paktd's write_bytes)", per_checkin_mb)
                                 : "n/a",
             "", true});
        const double checkins = static_cast<double>(at_rate.checkins);
        const double day = kStateAgents * 96.0;
        const double bytes_per_checkin =
            (after_day.appended_bytes - before_day.appended_bytes) / checkins;
        const double audit_per_checkin =
            static_cast<double>(after_day.audit_entries - before_day.audit_entries) / checkins;
        rows.push_back(
            {"audit log at state scale: entries per check-in", "bounded growth (README: 0)",
             fmt::format("{:.2f} (≈ {:.0f} a day)", audit_per_checkin, audit_per_checkin * day), "",
             audit_per_checkin == 0.0});
        rows.push_back(
            {"database growth per simulated day (5,860 agents × 96 reports)", "bounded growth",
             fmt::format("{:.0f} MB a day ({:.0f} bytes per check-in; check-in records are pruned "
                         "after 35 days)",
                         bytes_per_checkin * day / 1e6, bytes_per_checkin),
             fmt::format(
                 "device events per check-in: {:.2f} (0.1 % of the devices report a changed OS "
                 "version in each report)",
                 static_cast<double>(after_day.device_events - before_day.device_events) /
                     checkins),
             true});
    }
    state_bodies.clear();

    // --- check-in cost against the school's size -----------------------------------------------
    {
        std::cout << "check-ins of 250 devices at a large and an ordinary school ...\n";
        // The first school: the large one is the last (with two schools, the second one).
        const SeededSchool& ordinary = state.schools.front();
        const SizedCheckins large = sized_checkins(paktd, large_school_of(state), 250, 41);
        const SizedCheckins small = sized_checkins(paktd, ordinary, 250, 41);
        const double ratio = small.p50_ms > 0 ? large.p50_ms / small.p50_ms : 0;
        rows.push_back(
            {"check-in cost vs school size (250 devices reported, p50 and paktd CPU per check-in)",
             "proportional to the report",
             fmt::format(
                 "{} and {:.1f} ms CPU at a school of {} devices: {:.2f}× the ordinary school's",
                 ms(large.p50_ms), large.cpu_ms, large_school, ratio),
             fmt::format("{} and {:.1f} ms CPU at a school of {} devices", ms(small.p50_ms),
                         small.cpu_ms, ordinary.devices),
             ratio <= 1.5});
        std::cout << "  " << rows.back().measured << "\n";
    }

    // --- the inventory export ----------------------------------------------------------------
    {
        std::cout << "inventory export (CSV, JSON) and the raw read of its query ...\n";
        const auto [raw_rows, raw_seconds] = raw_inventory_read(database);
        const double raw_rate = static_cast<double>(raw_rows) / raw_seconds;
        for (const char* format : {"csv", "json"}) {
            const ExportRun run = export_inventory(paktd, state.admin_token, format);
            const double rate = static_cast<double>(raw_rows) / run.seconds;
            rows.push_back(
                {fmt::format("inventory export ({}) vs paktd's raw read of the same query", format),
                 "≥ 0.8×",
                 fmt::format(
                     "{:.0f} rows/s = {:.2f}× ({:.0f} MB in {:.1f} s; paktd CPU {:.2f} µs per row "
                     "= {:.2f}× the raw read's)",
                     rate, rate / raw_rate, static_cast<double>(run.bytes) / 1e6, run.seconds,
                     run.cpu_seconds * 1e6 / static_cast<double>(raw_rows),
                     raw_seconds / run.cpu_seconds),
                 fmt::format("raw read: {} rows in {:.1f} s, {:.0f} rows/s", raw_rows, raw_seconds,
                             raw_rate),
                 rate / raw_rate >= 0.8});
            std::cout << "  " << rows.back().measured << "\n";
        }
    }

    // --- memory ------------------------------------------------------------------------------
    std::cout << fmt::format("holding {} idle TLS connections ...\n", o.idle_connections);
    const auto before_idle = test::read_process_memory(paktd.pid());
    std::vector<std::unique_ptr<HttpsClient>> idle_clients;
    for (unsigned i = 0; i < o.idle_connections; ++i) {
        auto c = paktd.client();
        const auto r = c->request("GET", "/healthz");
        if (r.status != 200)
            throw std::runtime_error(fmt::format("GET /healthz answered {}", r.status));
        idle_clients.push_back(std::move(c));
    }
    const auto holding = test::read_process_memory(paktd.pid());
    for (auto& c : idle_clients) c->close();
    idle_clients.clear();
    // Whether paktd gives the memory back: it notices the closes as they arrive, so poll a while.
    const auto given_back = [&](const test::ProcessMemory& m) {
        return m.rss_kib <= before_idle.rss_kib + (holding.rss_kib - before_idle.rss_kib) / 4;
    };
    for (int i = 0; i < 100 && !given_back(test::read_process_memory(paktd.pid())); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    const auto after_close = test::read_process_memory(paktd.pid());
    rows.push_back(
        {"RSS idle after start (warmed up)", "", mb(static_cast<double>(idle.rss_kib)), "", true});
    rows.push_back({"RSS peak under the list queries", "",
                    mb(static_cast<double>(under_queries.peak_rss_kib)), "", true});
    const double held_growth = static_cast<double>(holding.rss_kib - before_idle.rss_kib);
    rows.push_back(
        {fmt::format("RSS holding {} idle keep-alive TLS connections", o.idle_connections),
         "≤ 256 MB total",
         fmt::format("{} total (+{}, {:.0f} KB per connection)",
                     mb(static_cast<double>(holding.rss_kib)), mb(held_growth),
                     held_growth * 1.024 / o.idle_connections),
         "", static_cast<double>(holding.rss_kib) * 1024.0 <= 256e6});
    rows.push_back({"RSS after they closed", "given back",
                    fmt::format("{} (before: {})", mb(static_cast<double>(after_close.rss_kib)),
                                mb(static_cast<double>(before_idle.rss_kib))),
                    "", given_back(after_close)});
    client.reset();
    paktd.stop();

    {
        const double raw_rate = raw_upsert_rows_per_second(database, state, 100);
        rows.push_back(
            {"check-in path (the backlog drain) vs a raw SQLite upsert of the same kind of rows",
             "≥ 0.7×", fmt::format("{:.2f}×", backlog_rows_per_s / raw_rate),
             fmt::format("raw prepared upsert, one transaction: {:.0f} rows/s", raw_rate),
             backlog_rows_per_s / raw_rate >= 0.7});
    }

    const DatabaseSize end = database_size(database);
    rows.push_back({"database size", "",
                    fmt::format("{:.0f} MB after seeding, {:.0f} MB at the end",
                                seeded.used_bytes / 1e6, end.used_bytes / 1e6),
                    fmt::format("audit log: {} entries", end.audit_entries), true});

    const std::string table = markdown(rows);
    const std::string header = fmt::format(
        "# tools/bench state\n\n{} schools of `tools/demo-data/nrw-schools.csv`, {} devices ({} "
        "serials), seeded in {:.0f} s{}. Load average {} at the start, {} at the end; {} hardware "
        "threads.\n\n",
        o.schools, state.devices, o.adjacent_serials ? "adjacent" : "random", state.seconds,
        reused_database ? " by an earlier run (this one reused the database)" : "", load_start,
        load_average(), std::thread::hardware_concurrency());
    std::cout << "\n" << header << table;
    std::ofstream(o.out) << header << table;
    std::cout << "\nwritten to " << o.out << "\n";
    return 0;
}

}  // namespace
}  // namespace pakt::bench

int main(int argc, char** argv) {
    pakt::bench::Options o;
    CLI::App app{
        "tools/bench state: a federal state's fleet on one paktd, against goals and baselines"};
    app.add_option("--schools", o.schools, "schools of nrw-schools.csv, taken evenly (5860: all)");
    app.add_option("--devices", o.devices, "devices over those schools (the full state: 2000003)");
    app.add_flag("--adjacent-serials", o.adjacent_serials,
                 "a school's serial numbers next to each other");
    app.add_option("--queries", o.queries, "requests per list query case");
    app.add_option("--state-seconds", o.state_seconds,
                   "how long check-ins arrive at the state's rate");
    app.add_option("--backlog-agents", o.backlog_agents,
                   "agents draining a backlog (the goal's: 1000)");
    app.add_option("--backlog-reports", o.backlog_reports,
                   "reports in each agent's backlog (the goal's: 96)");
    app.add_option("--backlog-connections", o.backlog_connections,
                   "agents sending at the same time");
    app.add_option("--idle-connections", o.idle_connections,
                   "idle keep-alive TLS connections held");
    app.add_option("--out", o.out, "the Markdown file for the results");
    app.add_option(
        "--large-school-devices", o.large_school_devices,
        "devices of the large school whose check-ins are timed against an ordinary one's");
    app.add_option("--data-dir", o.data_dir,
                   "keep the seeded database here and reuse it in later runs with the same sizes "
                   "(their check-ins accumulate)");
    CLI11_PARSE(app, argc, argv);
    pakt::setup_logging("warn");
    try {
        return pakt::bench::run(o);
    } catch (const std::exception& e) {
        std::cerr << "tools/bench state: " << e.what() << "\n";
        return 1;
    }
}
