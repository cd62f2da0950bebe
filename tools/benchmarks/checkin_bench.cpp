// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// The check-in benchmark (issue 4, "Benchmark"; run it with `tools/bench checkin`).
//
// Simulated site agents send 250-device reports over TLS to a real paktd (the App in-process,
// synchronous=FULL, the group-commit writer) and the device rows per second through
// POST /api/v1/agent/checkin are printed next to a raw SQLite prepared upsert of the same rows in
// one transaction, measured in the same run on the same disk, with the ratio of the two. The raw
// baseline runs before and after the endpoint and the faster run counts, and CPU time per row is
// printed too: on a shared machine wall time alone is noisy.
//
// Request bodies are built and gzip-compressed before the clock starts: on a small machine the
// simulated agents share the CPU with the server, and their work is not what is measured.
// Exits non-zero on errors only (a refused request, a wrong answer, missing rows); a ratio below
// the target is reported, not failed.
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <fmt/format.h>
#include <stdlib.h>
#include <time.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <latch>
#include <memory>
#include <mutex>
#include <optional>
#include <nlohmann/json.hpp>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/checkin_report.hpp"
#include "common/crypto.hpp"
#include "common/gzip.hpp"
#include "common/https_client.hpp"
#include "common/logging.hpp"
#include "common/time.hpp"
#include "server/app.hpp"
#include "server/config.hpp"
#include "server/storage/agent_repository.hpp"
#include "server/storage/database.hpp"
#include "server/storage/device_repository.hpp"
#include "server/storage/funding_repository.hpp"
#include "server/storage/migrator.hpp"
#include "server/storage/school_repository.hpp"
#include "server/storage/tranche_repository.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_database.hpp"
#include "server/storage/sql/db.hpp"
#include "tools/benchmarks/bench_support.hpp"

namespace pakt::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;

// Issue 13's goal for this ratio (issue 4 asked for 0.4).
constexpr double kTargetRatio = 0.7;
constexpr const char* kCheckinTarget = "/api/v1/agent/checkin";

struct Options {
    unsigned agents = 20;
    unsigned reports = 40;  ///< steady-state reports per agent, after the first check-in round
    unsigned devices = 250;
    unsigned handler_threads = 32;
    unsigned io_threads = 0;  ///< 0: paktd's default (half the hardware threads)
    std::size_t writer_max_batch = 256;
    /// PostgreSQL instead of SQLite: the socket directory of a server tools/postgres-test started
    /// (tools/bench checkin --postgresql starts one).
    std::string postgres_socket;
    unsigned instances = 1;  ///< paktd instances on the one PostgreSQL database
};

/// One school with its enrolled devices and its agent.
struct Site {
    std::string school_number;
    std::vector<std::string> serials;
    std::string node_key;
    std::int64_t agent_id = 0;  ///< set by seed()
};

std::vector<Site> plan_fleet(const Options& options) {
    std::vector<Site> sites(options.agents);
    for (unsigned a = 0; a < options.agents; ++a) {
        Site& site = sites[a];
        site.school_number = fmt::format("{:06}", 100000 + a);
        site.node_key = random_token();
        for (unsigned d = 0; d < options.devices; ++d)
            site.serials.push_back(fmt::format("DMP{:04}{:05}", a, d));
    }
    return sites;
}

/// Seeds schools, one grant, a tranche per school with its enrolled devices, and an enrolled
/// agent per school, in one transaction, through the repositories paktd uses.
void seed(server::sql::Db db, std::vector<Site>& sites) {
    server::sql::Transaction tx(db);
    server::Grant grant;
    grant.programme_code = "DP-BASIS";
    grant.reference = "BENCH-2021-0001";
    grant.title = "check-in benchmark";
    grant.amount_cents = 1'000'000'000;
    grant.approved_on = "2021-01-15";
    grant.spend_by = "2024-12-31";
    grant.earmark_end = "2029-12-31";
    const std::int64_t grant_id = server::insert_grant(db, grant);
    for (std::size_t a = 0; a < sites.size(); ++a) {
        Site& site = sites[a];
        server::School school;
        school.school_number = site.school_number;
        school.name = fmt::format("Benchmark-Gesamtschule {}", a + 1);
        school.school_type = "Gesamtschule";
        server::insert_school(db, school);

        server::Tranche tranche;
        tranche.school_number = site.school_number;
        tranche.grant_id = grant_id;
        tranche.supplier = "Bechtle";
        tranche.delivered_on = "2022-08-01";
        tranche.model = "iPad (9th generation)";
        tranche.unit_price_cents = 40000;
        tranche.expected_count = static_cast<std::int64_t>(site.serials.size());
        const std::int64_t tranche_id = server::insert_tranche(db, tranche);
        for (const auto& serial : site.serials) {
            server::Device device;
            device.serial_number = serial;
            device.tranche_id = tranche_id;
            device.school_number = site.school_number;
            device.model = tranche.model;
            device.status = "in_use";
            device.enrolled_by = "bench";
            server::insert_device(db, device);
        }

        const std::int64_t secret_id = server::insert_agent_secret(
            db, site.school_number, sha256_hex(random_token()), "bench", "2099-01-01T00:00:00Z");
        server::Agent agent;
        agent.school_number = site.school_number;
        agent.hostname = fmt::format("pakt-box-{}", a + 1);
        agent.agent_version = "0.1.0";
        site.agent_id = server::insert_agent(db, agent, sha256_hex(site.node_key), secret_id);
    }
    tx.commit();
}

/// rounds[r][a] is the report agent a sends in round r. Round 0 is the first check-in (every
/// device is a first sighting and gets an event); rounds 1.. are the steady state, 15 minutes of
/// agent time apart, all in the past so no sighting is from the future.
using Rounds = std::vector<std::vector<CheckinReport>>;

Rounds plan_reports(const std::vector<Site>& sites, const Options& options) {
    std::mt19937 rng(20240901);
    std::uniform_int_distribution<std::int64_t> battery(5, 100);
    std::uniform_int_distribution<std::int64_t> storage(800, 52000);
    const auto base = Clock::now() - std::chrono::hours(48);
    Rounds rounds(options.reports + 1);
    for (unsigned r = 0; r <= options.reports; ++r) {
        const std::string seen_at = format_rfc3339(base + std::chrono::minutes(15) * r);
        for (std::size_t a = 0; a < sites.size(); ++a) {
            CheckinReport report;
            report.report_id = make_uuid();
            report.generated_at = seen_at;
            report.agent_version = "0.1.0";
            report.devices.reserve(sites[a].serials.size());
            for (std::size_t d = 0; d < sites[a].serials.size(); ++d) {
                DeviceObservation o;
                o.serial_number = sites[a].serials[d];
                o.seen_at = seen_at;
                o.os_version = d % 10 == 0 ? "17.4.1" : "17.5.1";
                o.battery_pct = battery(rng);
                o.storage_free_mb = storage(rng);
                o.managed = d % 25 != 0;
                o.ip_address = fmt::format("10.{}.{}.{}", a % 250, 16 + d / 250, d % 250 + 2);
                report.devices.push_back(std::move(o));
            }
            rounds[r].push_back(std::move(report));
        }
    }
    return rounds;
}

/// CPU time of the calling thread (CLOCK_THREAD_CPUTIME_ID) or of the whole process.
double cpu_time(clockid_t clock) {
    timespec ts{};
    ::clock_gettime(clock, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

struct Measurement {
    std::uint64_t rows = 0;
    double seconds = 0;
    /// CPU time spent meanwhile: the raw baseline's thread, or the whole process for the endpoint
    /// (server and simulated agents). Less sensitive than wall time to other load on the machine.
    double cpu_seconds = 0;
    double rows_per_second() const { return seconds > 0 ? static_cast<double>(rows) / seconds : 0; }
    double cpu_us_per_row() const {
        return rows ? cpu_seconds * 1e6 / static_cast<double>(rows) : 0;
    }
};

void upsert_round(SQLite::Statement& upsert, const std::vector<Site>& sites,
                  const std::vector<CheckinReport>& round, const std::string& now) {
    for (std::size_t a = 0; a < round.size(); ++a) {
        for (const auto& o : round[a].devices) {
            bind_raw_report_row(upsert, sites[a].school_number, sites[a].agent_id, o,
                                round[a].report_id, now);
            upsert.exec();
        }
    }
}

/// Baseline: the same seed in a fresh database opened as paktd opens it (WAL, synchronous=FULL),
/// round 0 applied untimed so the timed rows meet existing rows as in the endpoint's steady state,
/// then every steady-state row through one prepared upsert in one transaction, commit included.
Measurement raw_upsert(const std::filesystem::path& file, std::vector<Site> sites,
                       const Rounds& rounds) {
    auto db = server::open_database(file, server::OpenMode::read_write, std::chrono::seconds(10));
    server::migrate(*db);
    seed(*db, sites);
    SQLite::Statement upsert(*db, kRawReportUpsert);
    const std::string now = now_rfc3339();
    {
        SQLite::Transaction tx(*db);
        upsert_round(upsert, sites, rounds[0], now);
        tx.commit();
    }
    Measurement m;
    const double cpu_start = cpu_time(CLOCK_THREAD_CPUTIME_ID);
    const auto start = SteadyClock::now();
    db->exec("BEGIN IMMEDIATE");
    for (std::size_t r = 1; r < rounds.size(); ++r) {
        upsert_round(upsert, sites, rounds[r], now);
        for (const auto& report : rounds[r]) m.rows += report.devices.size();
    }
    db->exec("COMMIT");
    m.seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
    m.cpu_seconds = cpu_time(CLOCK_THREAD_CPUTIME_ID) - cpu_start;
    const auto stored = db->execAndGet("SELECT count(*) FROM device_reports").getInt64();
    if (stored != static_cast<std::int64_t>(rounds[0].size() * sites.front().serials.size())) {
        throw std::runtime_error(
            fmt::format("raw baseline: {} device_reports rows, expected one per device", stored));
    }
    return m;
}

/// The PostgreSQL baseline: as raw_upsert, on a fresh database of the test server.
Measurement raw_upsert_postgres(std::vector<Site> sites, const Rounds& rounds) {
    test::TestDatabase database("unused");
    auto connection = database.connect();
    const server::sql::Db db = connection;
    server::migrate(db);
    seed(db, sites);
    server::sql::Statement upsert(db, kRawReportUpsert);
    const std::string now = now_rfc3339();
    {
        server::sql::Transaction tx(db);
        for (std::size_t a = 0; a < rounds[0].size(); ++a) {
            for (const auto& o : rounds[0][a].devices) {
                bind_raw_report_row(upsert, sites[a].school_number, sites[a].agent_id, o,
                                    rounds[0][a].report_id, now);
                upsert.exec();
            }
        }
        tx.commit();
    }
    Measurement m;
    const double cpu_start = cpu_time(CLOCK_THREAD_CPUTIME_ID);
    const auto start = SteadyClock::now();
    {
        server::sql::Transaction tx(db);
        for (std::size_t r = 1; r < rounds.size(); ++r) {
            for (std::size_t a = 0; a < rounds[r].size(); ++a) {
                for (const auto& o : rounds[r][a].devices) {
                    bind_raw_report_row(upsert, sites[a].school_number, sites[a].agent_id, o,
                                        rounds[r][a].report_id, now);
                    upsert.exec();
                }
                m.rows += rounds[r][a].devices.size();
            }
        }
        tx.commit();
    }
    m.seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
    m.cpu_seconds = cpu_time(CLOCK_THREAD_CPUTIME_ID) - cpu_start;
    return m;
}

struct WriterCounters {
    std::uint64_t groups = 0;
    std::uint64_t commands = 0;
};

std::uint64_t metric_value(const std::string& text, const std::string& name) {
    const std::string prefix = name + " ";
    std::size_t pos = 0;
    while (pos < text.size()) {
        const std::size_t end = std::min(text.find('\n', pos), text.size());
        if (text.compare(pos, prefix.size(), prefix) == 0) {
            return static_cast<std::uint64_t>(
                std::stoull(text.substr(pos + prefix.size(), end - pos - prefix.size())));
        }
        pos = end + 1;
    }
    throw std::runtime_error("GET /metrics has no " + name);
}

WriterCounters writer_counters(HttpsClient& client) {
    const auto r = client.request("GET", "/metrics");
    if (r.status != 200)
        throw std::runtime_error(fmt::format("GET /metrics answered {}", r.status));
    return {metric_value(r.body, "pakt_db_write_groups_total"),
            metric_value(r.body, "pakt_db_write_commands_total")};
}

/// One simulated agent: its connection, its credentials and its pre-built, compressed bodies.
struct SimulatedAgent {
    std::unique_ptr<HttpsClient> client;
    HeaderList headers;
    std::vector<std::string> bodies;  ///< by round
};

struct PhaseResult {
    Measurement measurement;
    std::vector<double> latencies_ms;
    WriterCounters writer;  ///< during the phase
    std::uint64_t failures = 0;
    std::string first_failure;
};

/// Every agent sends its reports of rounds [begin, end) back to back on its own thread; the
/// clock runs from the common start until the last answer.
WriterCounters writer_counters(std::vector<std::unique_ptr<HttpsClient>>& observers) {
    WriterCounters sum;
    for (auto& observer : observers) {
        const WriterCounters one = writer_counters(*observer);
        sum.groups += one.groups;
        sum.commands += one.commands;
    }
    return sum;
}

PhaseResult run_phase(std::vector<SimulatedAgent>& agents,
                      std::vector<std::unique_ptr<HttpsClient>>& observer, std::size_t begin,
                      std::size_t end, unsigned devices) {
    PhaseResult result;
    std::mutex mutex;
    const WriterCounters before = writer_counters(observer);
    std::latch go(static_cast<std::ptrdiff_t>(agents.size() + 1));
    std::vector<std::thread> threads;
    for (auto& agent : agents) {
        threads.emplace_back([&, agent_ptr = &agent] {
            std::vector<double> latencies;
            std::uint64_t failures = 0;
            std::string first_failure;
            go.arrive_and_wait();
            for (std::size_t r = begin; r < end; ++r) {
                const auto start = SteadyClock::now();
                try {
                    const auto answer = agent_ptr->client->request(
                        "POST", kCheckinTarget, agent_ptr->bodies[r], agent_ptr->headers);
                    latencies.push_back(
                        std::chrono::duration<double, std::milli>(SteadyClock::now() - start)
                            .count());
                    if (answer.status != 200) {
                        throw std::runtime_error(
                            fmt::format("answered {}: {}", answer.status, answer.body));
                    }
                    const auto json = nlohmann::json::parse(answer.body);
                    if (json.at("accepted").get<std::int64_t>() !=
                            static_cast<std::int64_t>(devices) ||
                        json.at("duplicate").get<bool>()) {
                        throw std::runtime_error("unexpected answer: " + answer.body);
                    }
                } catch (const std::exception& e) {
                    if (failures++ == 0) first_failure = e.what();
                }
            }
            std::lock_guard lock(mutex);
            result.latencies_ms.insert(result.latencies_ms.end(), latencies.begin(),
                                       latencies.end());
            result.failures += failures;
            if (result.first_failure.empty()) result.first_failure = first_failure;
        });
    }
    go.arrive_and_wait();
    const double cpu_start = cpu_time(CLOCK_PROCESS_CPUTIME_ID);
    const auto start = SteadyClock::now();
    for (auto& t : threads) t.join();
    result.measurement.seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
    result.measurement.cpu_seconds = cpu_time(CLOCK_PROCESS_CPUTIME_ID) - cpu_start;
    result.measurement.rows = static_cast<std::uint64_t>(agents.size()) * (end - begin) * devices;
    const WriterCounters after = writer_counters(observer);
    result.writer = {after.groups - before.groups, after.commands - before.commands};
    std::sort(result.latencies_ms.begin(), result.latencies_ms.end());
    return result;
}

struct EndpointResult {
    PhaseResult first_round;
    PhaseResult steady;
    unsigned io_threads = 0;
    std::size_t json_bytes = 0;  ///< of one report, uncompressed
    std::size_t gzip_bytes = 0;
};

std::int64_t count_rows(server::sql::Db db, const std::string& sql) {
    return server::sql::query_int64(db, sql);
}

/// The endpoint: a real App in-process on 127.0.0.1 port 0 over TLS, seeded before it starts.
EndpointResult through_endpoint(const std::filesystem::path& data_dir, std::vector<Site> sites,
                                const Rounds& rounds, const Options& options) {
    server::ServerConfig config;
    config.listen_address = "127.0.0.1";
    config.listen_port = 0;
    config.data_dir = data_dir;
    config.io_threads = options.io_threads;
    config.handler_threads = options.handler_threads;
    config.writer_max_batch = options.writer_max_batch;
    // The rate limiter protects paktd from a runaway agent; here every agent drains a spool.
    config.checkin_burst = 1'000'000;
    config.checkin_per_minute = 1'000'000;
    config.log_level = "warn";
    std::filesystem::create_directories(data_dir);
    // The database every instance shares; each instance's data directory holds its certificate.
    config.database_file = data_dir / "pakt.db";
    std::unique_ptr<test::TestDatabase> database;
    if (!options.postgres_socket.empty()) {
        database = std::make_unique<test::TestDatabase>(data_dir / "unused");
        database->apply(config);
    }
    {
        auto db = database ? database->connect()
                           : server::sql::Connection(server::open_database(
                                 config.effective_database_file(), server::OpenMode::read_write,
                                 std::chrono::seconds(10)));
        server::migrate(db);
        seed(db, sites);
    }

    EndpointResult result;
    result.io_threads = options.io_threads ? options.io_threads
                                           : std::max(1u, std::thread::hardware_concurrency() / 2);
    const std::string sample = to_json(rounds[0][0]).dump();
    result.json_bytes = sample.size();
    result.gzip_bytes = gzip_compress(sample).size();

    // Several instances share the PostgreSQL database, each with its data directory (its
    // certificate); agent a talks to instance a mod n, as behind a round-robin balancer.
    std::vector<std::unique_ptr<server::App>> apps;
    for (unsigned i = 0; i < options.instances; ++i) {
        server::ServerConfig instance = config;
        instance.data_dir = data_dir / fmt::format("instance-{}", i);
        apps.push_back(std::make_unique<server::App>(instance));
        apps.back()->start();
    }
    std::vector<SimulatedAgent> agents(sites.size());
    for (std::size_t a = 0; a < sites.size(); ++a) {
        const server::App& app = *apps[a % apps.size()];
        agents[a].client = std::make_unique<HttpsClient>(
            "127.0.0.1", app.port(), tls::ClientTrust{{}, app.certificate_fingerprint()});
        agents[a].headers = {{"Authorization", "Bearer " + sites[a].node_key},
                             {"Content-Type", "application/json"},
                             {"Content-Encoding", "gzip"}};
        for (const auto& round : rounds)
            agents[a].bodies.push_back(gzip_compress(to_json(round[a]).dump()));
        // Connect (TLS handshake) before the clock runs: agents keep their connection.
        const auto health = agents[a].client->request("GET", "/healthz");
        if (health.status != 200)
            throw std::runtime_error(fmt::format("GET /healthz answered {}", health.status));
    }
    std::vector<std::unique_ptr<HttpsClient>> observers;
    for (const auto& app : apps) {
        observers.push_back(std::make_unique<HttpsClient>(
            "127.0.0.1", app->port(), tls::ClientTrust{{}, app->certificate_fingerprint()}));
    }

    result.first_round = run_phase(agents, observers, 0, 1, options.devices);
    result.steady = run_phase(agents, observers, 1, rounds.size(), options.devices);
    for (auto& agent : agents) agent.client->close();
    for (auto& observer : observers) observer->close();
    for (auto& app : apps) app->stop();

    // What the answers claimed is in the database: one record per report, one report row and one
    // first-sighting event per device, nothing applied twice.
    auto db = database ? database->connect()
                       : server::sql::Connection(server::open_database(
                             config.effective_database_file(), server::OpenMode::read_only,
                             std::chrono::seconds(10)));
    const auto reports = static_cast<std::int64_t>(sites.size() * rounds.size());
    const auto devices = static_cast<std::int64_t>(sites.size() * options.devices);
    const std::int64_t stored_reports = count_rows(db, "SELECT count(*) FROM checkin_reports");
    const std::int64_t stored_rows = count_rows(db, "SELECT count(*) FROM device_reports");
    const std::int64_t first_seen =
        count_rows(db, "SELECT count(*) FROM device_events WHERE kind = 'first_seen'");
    if (stored_reports != reports || stored_rows != devices || first_seen != devices) {
        throw std::runtime_error(
            fmt::format("the database disagrees with the answers: {} check-in records (expected "
                        "{}), {} device reports and {} "
                        "first sightings (expected {})",
                        stored_reports, reports, stored_rows, first_seen, devices));
    }
    return result;
}

/// The raw baseline runs before and after the endpoint; the ratio uses the faster of the two, so
/// a burst of other load on the machine during one of them cannot flatter the endpoint.
struct RawResult {
    Measurement before;
    Measurement after;
    const Measurement& best() const {
        return after.rows_per_second() > before.rows_per_second() ? after : before;
    }
};

void print_report(const Options& options, const std::string& load, const RawResult& raws,
                  const EndpointResult& endpoint, const std::optional<Measurement>& raw_postgres) {
    const Measurement& raw = raws.best();
    const auto row = [](const std::string& what, const Measurement& m) {
        std::cout << fmt::format("  {:<44} {:>9} {:>9.3f} {:>11.0f} {:>9.3f} {:>12.2f}\n", what,
                                 m.rows, m.seconds, m.rows_per_second(), m.cpu_seconds,
                                 m.cpu_us_per_row());
    };
    const double ratio = raw.rows_per_second() > 0
                             ? endpoint.steady.measurement.rows_per_second() / raw.rows_per_second()
                             : 0;
    const double first_ratio =
        raw.rows_per_second() > 0
            ? endpoint.first_round.measurement.rows_per_second() / raw.rows_per_second()
            : 0;
    std::cout << fmt::format(
        "Pakt check-in benchmark: {} agents x {} reports x {} devices (+ a first check-in round)\n"
        "  machine: nproc {}, load average {} at start; paktd in-process (App), TLS, "
        "synchronous=FULL, io_threads {}, handler_threads {}, "
        "writer_max_batch {}\n"
        "  report body: {} bytes JSON, {} bytes gzip (built before timing)\n\n",
        options.agents, options.reports, options.devices, std::thread::hardware_concurrency(), load,
        endpoint.io_threads, options.handler_threads, options.writer_max_batch, endpoint.json_bytes,
        endpoint.gzip_bytes);
    std::cout << fmt::format("  {:<44} {:>9} {:>9} {:>11} {:>9} {:>12}\n", "", "rows", "seconds",
                             "rows/s", "cpu s", "cpu us/row");
    row("raw SQLite prepared upsert, one transaction", raws.before);
    row("  the same, after the endpoint", raws.after);
    if (raw_postgres) row("raw PostgreSQL prepared upsert, one transaction", *raw_postgres);
    row(options.postgres_socket.empty()
            ? std::string("endpoint, steady state")
            : fmt::format("endpoint on PostgreSQL, {} instance{}, steady", options.instances,
                          options.instances == 1 ? "" : "s"),
        endpoint.steady.measurement);
    row("endpoint, first check-in round", endpoint.first_round.measurement);
    std::cout << fmt::format(
        "\n  ratio endpoint (steady) / raw (the faster raw run): {:.3f}  (target >= {}: {})\n",
        ratio, kTargetRatio, ratio >= kTargetRatio ? "met" : "NOT met");
    std::cout << fmt::format("  ratio endpoint (first round) / raw: {:.3f}\n", first_ratio);
    if (raw_postgres && raw_postgres->rows_per_second() > 0) {
        std::cout << fmt::format(
            "  ratio endpoint (steady) / raw PostgreSQL upsert: {:.3f}\n",
            endpoint.steady.measurement.rows_per_second() / raw_postgres->rows_per_second());
    }
    // CPU per row is steadier than wall time when other work shares the machine.
    if (raw.cpu_us_per_row() > 0) {
        std::cout << fmt::format(
            "  CPU per row, endpoint (steady, whole process incl. simulated agents) / raw: "
            "{:.2f}x\n",
            endpoint.steady.measurement.cpu_us_per_row() / raw.cpu_us_per_row());
    }
    std::cout << '\n';
    const auto phase = [](const std::string& what, const PhaseResult& p) {
        const double per_group = p.writer.groups ? static_cast<double>(p.writer.commands) /
                                                       static_cast<double>(p.writer.groups)
                                                 : 0;
        std::cout << fmt::format(
            "  {:<14} requests {:>5}  latency p50 {:>7.1f} ms  p99 {:>7.1f} ms  writer: {} group "
            "commits, {} commands ({:.2f} per commit)\n",
            what, p.latencies_ms.size(), percentile(p.latencies_ms, 50),
            percentile(p.latencies_ms, 99), p.writer.groups, p.writer.commands, per_group);
    };
    phase("steady state", endpoint.steady);
    phase("first round", endpoint.first_round);
}

int run(const Options& options) {
    if (options.agents == 0 || options.reports == 0 || options.devices == 0) {
        throw std::invalid_argument("--agents, --reports and --devices must be positive");
    }
    if (options.devices > kMaxDevicesPerReport || options.agents > 9999) {
        throw std::invalid_argument(
            fmt::format("at most {} devices and 9999 agents", kMaxDevicesPerReport));
    }
    if (options.instances > 1 && options.postgres_socket.empty())
        throw std::invalid_argument("--instances above 1 needs --postgres-socket");
    const std::string load = load_average();
    test::TempDir dir;  // under $TMPDIR: put it on the disk to be measured
    auto sites = plan_fleet(options);
    const Rounds rounds = plan_reports(sites, options);
    RawResult raw;
    raw.before = raw_upsert(dir.path() / "raw-before.db", sites, rounds);
    std::optional<Measurement> raw_postgres;
    if (!options.postgres_socket.empty()) {
        ::setenv("PAKT_TEST_POSTGRES", options.postgres_socket.c_str(), 1);
        raw_postgres = raw_upsert_postgres(sites, rounds);
    }
    const EndpointResult endpoint = through_endpoint(dir.path() / "paktd", sites, rounds, options);
    raw.after = raw_upsert(dir.path() / "raw-after.db", sites, rounds);
    print_report(options, load, raw, endpoint, raw_postgres);
    std::uint64_t failures = 0;
    for (const auto* p : {&endpoint.first_round, &endpoint.steady}) {
        if (p->failures) {
            std::cerr << fmt::format("checkin bench: {} check-ins failed; first: {}\n", p->failures,
                                     p->first_failure);
        }
        failures += p->failures;
    }
    return failures == 0 ? 0 : 1;
}

}  // namespace
}  // namespace pakt::bench

int main(int argc, char** argv) {
    CLI::App cli{
        "Check-in benchmark: device rows/s through POST /agent/checkin vs. a raw SQLite upsert"};
    pakt::bench::Options options;
    cli.add_option("--agents", options.agents, "simulated agents, each at its own school")
        ->capture_default_str();
    cli.add_option("--reports", options.reports, "steady-state reports per agent")
        ->capture_default_str();
    cli.add_option("--devices", options.devices, "devices per report (= enrolled per school)")
        ->capture_default_str();
    cli.add_option("--handler-threads", options.handler_threads, "paktd handler threads")
        ->capture_default_str();
    cli.add_option("--io-threads", options.io_threads,
                   "paktd network threads (0: paktd's default, half of nproc)")
        ->capture_default_str();
    cli.add_option("--writer-max-batch", options.writer_max_batch,
                   "write commands per group commit")
        ->capture_default_str();
    cli.add_option("--postgres-socket", options.postgres_socket,
                   "run paktd on PostgreSQL: the socket directory of tools/postgres-test start "
                   "(a new database per run; adds a raw PostgreSQL upsert baseline)");
    cli.add_option("--instances", options.instances,
                   "paktd instances sharing the PostgreSQL database (agents spread over them)")
        ->capture_default_str()
        ->check(CLI::Range(1u, 8u));
    CLI11_PARSE(cli, argc, argv);
    try {
        pakt::setup_logging("warn");
        return pakt::bench::run(options);
    } catch (const std::exception& e) {
        std::cerr << "checkin bench: " << e.what() << '\n';
        return 2;
    }
}
