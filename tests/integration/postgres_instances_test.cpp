// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// Issue 14 on PostgreSQL: two paktd processes on one database while agents alternate between them
// and one after the other is killed with SIGKILL mid-write; one report sent to both at once; and
// paktctl's commands and its copy of an SQLite installation. These tests need the PostgreSQL test
// server (they run as "pg." tests) and skip on SQLite, where one paktd owns its file.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/checkin_report.hpp"
#include "common/https_client.hpp"
#include "common/time.hpp"
#include "server/storage/audit_repository.hpp"
#include "server/storage/database.hpp"
#include "server/storage/migrator.hpp"
#include "server/storage/school_repository.hpp"
#include "server/storage/user_repository.hpp"
#include "tests/integration/paktctl_run.hpp"
#include "tests/support/fixture_password.hpp"
#include "tests/support/paktd_process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_database.hpp"
#include "tests/support/test_server.hpp"

namespace pakt::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

constexpr const char* kPassword = "correct horse battery";
constexpr const char* kSchool = "165432";
const std::string& kDemoSchools = kEssenSchools;

#define REQUIRE_POSTGRES() \
    if (!testing_postgres()) GTEST_SKIP() << "several instances share a PostgreSQL database only"

// A school and a city_admin, written straight into the database before paktd starts.
void seed(const TestDatabase& database) {
    auto connection = database.connect();
    server::migrate(connection);
    server::School school;
    school.school_number = kSchool;
    school.name = "Gymnasium Essen-Werden";
    school.school_type = "Gymnasium";
    server::insert_school(connection, school);
    server::UserRecord admin;
    admin.username = "admin";
    admin.display_name = "admin";
    admin.role = server::Role::city_admin;
    admin.password_hash = test::fixture_password_hash(kPassword);
    server::insert_user(connection, admin);
}

// One paktd instance of several: its own data directory, the shared database, and (from the
// second on) the first one's certificate, as behind a load balancer agents pin one.
struct Instance {
    fs::path dir;
    std::string config;
    std::unique_ptr<PaktdProcess> process;

    void start() { process = std::make_unique<PaktdProcess>(PAKTD_PATH, dir, config); }
};

std::string instance_config(const TestDatabase& database, const fs::path& tls_from) {
    std::string config = database.config_toml();
    config += "[agents]\ncheckin_burst = 100000\ncheckin_per_minute = 100000\n";
    config += "[log]\nlevel = \"warn\"\n";
    if (!tls_from.empty()) {
        config += "[tls]\ncert_file = \"" + (tls_from / "tls" / "cert.pem").string() +
                  "\"\nkey_file = \"" + (tls_from / "tls" / "key.pem").string() + "\"\n";
    }
    return config;
}

// A seeded database with two instances on it, the second serving the first one's certificate.
struct TwoInstances {
    TempDir dir;
    TestDatabase database{dir.path() / "unused.db"};
    Instance a;
    Instance b;

    TwoInstances() {
        seed(database);
        a = {dir.path() / "a", instance_config(database, {}), nullptr};
        b = {dir.path() / "b", instance_config(database, a.dir), nullptr};
        fs::create_directories(a.dir);
        fs::create_directories(b.dir);
        a.start();
        b.start();
    }
};

HttpResponse post_json(HttpsClient& client, const std::string& target, const std::string& token,
                       const json& body) {
    return client.request(
        "POST", target, body.dump(),
        {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}});
}

std::string login(HttpsClient& client) {
    const auto r = client.request("POST", "/api/v1/session",
                                  json{{"username", "admin"}, {"password", kPassword}}.dump(),
                                  {{"Content-Type", "application/json"}});
    if (r.status != 201) throw std::runtime_error("login failed: " + r.body);
    return json::parse(r.body).at("token").get<std::string>();
}

// Enrolls a site agent of kSchool through `client`; returns its node key.
std::string enroll_agent(HttpsClient& client, const std::string& admin, const std::string& host) {
    const auto secret =
        client.request("POST", std::string("/api/v1/schools/") + kSchool + "/agent-secrets", "",
                       {{"Authorization", "Bearer " + admin}});
    if (secret.status != 201) throw std::runtime_error("agent secret: " + secret.body);
    const auto enrolled = client.request("POST", "/api/v1/agent/enroll",
                                         json{{"enroll_secret", json::parse(secret.body)["secret"]},
                                              {"hostname", host},
                                              {"agent_version", "0.1.0"}}
                                             .dump(),
                                         {{"Content-Type", "application/json"}});
    if (enrolled.status != 201) throw std::runtime_error("enroll: " + enrolled.body);
    return json::parse(enrolled.body).at("node_key").get<std::string>();
}

// A report of one device no one enrolled: each applied report counts one more sighting of it.
std::string report_body(const std::string& report_id, const std::string& stranger) {
    CheckinReport r;
    r.report_id = report_id;
    r.generated_at = now_rfc3339();
    r.agent_version = "0.1.0";
    DeviceObservation d;
    d.serial_number = stranger;
    d.seen_at = now_rfc3339();
    d.os_version = "17.5.1";
    r.devices.push_back(d);
    return to_json(r).dump();
}

// Two instances; three agents, each sending its reports to the instances in turn and, when one
// does not answer, the same report to the other (as an agent retries until acknowledged); city
// admins creating schools (audited writes) the same way. Meanwhile the test kills one instance
// after the other with SIGKILL and restarts it. Afterwards every acknowledged report is stored
// once, nothing was applied twice, and the audit chain verifies.
TEST(PostgresInstances, TwoInstancesSurviveSigkillsWithoutLosingOrDoublingAcknowledgedWrites) {
    REQUIRE_POSTGRES();
    constexpr int kKills = 20;
    constexpr int kAgents = 3;
    TempDir dir;
    TestDatabase database(dir.path() / "unused.db");
    seed(database);
    std::vector<Instance> instances(2);
    instances[0].dir = dir.path() / "a";
    instances[1].dir = dir.path() / "b";
    fs::create_directories(instances[0].dir);
    fs::create_directories(instances[1].dir);
    instances[0].config = instance_config(database, {});
    instances[0].start();
    instances[1].config = instance_config(database, instances[0].dir);
    instances[1].start();
    ASSERT_EQ(instances[0].process->fingerprint(), instances[1].process->fingerprint());
    const std::string fingerprint = instances[0].process->fingerprint();

    // Each start listens on a new port: the workers read the current one under the lock.
    std::mutex mutex;
    std::condition_variable acknowledged;  // notified on every acknowledged write
    std::vector<std::uint16_t> ports = {instances[0].process->port(), instances[1].process->port()};
    auto port_of = [&](std::size_t i) {
        std::lock_guard lock(mutex);
        return ports[i % 2];
    };
    auto client_for = [&](std::size_t i) {
        return std::make_unique<HttpsClient>("127.0.0.1", port_of(i),
                                             tls::ClientTrust{{}, fingerprint}, 10s);
    };

    std::string admin;
    std::vector<std::string> keys;
    {
        auto first = client_for(0);
        admin = login(*first);
        for (int a = 0; a < kAgents; ++a)
            keys.push_back(enroll_agent(*client_for(a), admin, "box-" + std::to_string(a)));
    }

    std::atomic<bool> stop{false};
    std::set<std::string> acknowledged_reports;
    std::set<std::string> attempted_reports;
    std::set<std::string> acknowledged_schools;
    std::set<std::string> attempted_schools;
    std::atomic<int> failures_seen{0};
    std::vector<std::thread> workers;
    for (int a = 0; a < kAgents; ++a) {
        workers.emplace_back([&, a] {
            std::size_t turn = static_cast<std::size_t>(a);
            while (!stop.load()) {
                const std::string id = make_uuid();
                const std::string body = report_body(id, "DMPX" + std::to_string(a) + "0000001");
                {
                    std::lock_guard lock(mutex);
                    attempted_reports.insert(id);
                }
                // Until acknowledged, to the instances in turn (the agent keeps it in its spool).
                for (;;) {
                    try {
                        auto client = client_for(turn++);
                        const auto r = client->request(
                            "POST", "/api/v1/agent/checkin", body,
                            {{"Authorization", "Bearer " + keys[static_cast<std::size_t>(a)]},
                             {"Content-Type", "application/json"}});
                        if (r.status == 200) {
                            std::lock_guard lock(mutex);
                            acknowledged_reports.insert(id);
                            acknowledged.notify_all();
                            break;
                        }
                        ++failures_seen;
                    } catch (const std::exception&) {
                        ++failures_seen;
                    }
                    if (stop.load()) break;
                }
            }
        });
    }
    workers.emplace_back([&] {
        std::size_t turn = 0;
        int n = 0;
        std::string token = admin;
        while (!stop.load()) {
            char number[16];
            std::snprintf(number, sizeof number, "9%05d", n++);
            {
                std::lock_guard lock(mutex);
                attempted_schools.insert(number);
            }
            try {
                auto client = client_for(turn++);
                const auto r = post_json(*client, "/api/v1/schools", token,
                                         json{{"school_number", number},
                                              {"name", std::string("Schule ") + number},
                                              {"school_type", "Grundschule"}});
                if (r.status == 201) {
                    std::lock_guard lock(mutex);
                    acknowledged_schools.insert(number);
                    acknowledged.notify_all();
                }
            } catch (const std::exception&) {
                ++failures_seen;
            }
        }
    });

    // Kill the instances in turn, each time once writes have arrived since the last restart.
    for (int kill = 0; kill < kKills; ++kill) {
        const std::size_t victim = static_cast<std::size_t>(kill) % 2;
        {
            std::unique_lock lock(mutex);
            const std::size_t before = acknowledged_reports.size() + acknowledged_schools.size();
            acknowledged.wait(lock, [&] {
                return acknowledged_reports.size() + acknowledged_schools.size() >= before + 5;
            });
        }
        instances[victim].process->process().signal(SIGKILL);
        ASSERT_TRUE(instances[victim].process->process().wait_for_exit(30s).has_value());
        instances[victim].start();
        std::lock_guard lock(mutex);
        ports[victim] = instances[victim].process->port();
    }
    stop = true;
    for (auto& w : workers) w.join();

    auto check = database.connect();
    // Every acknowledged report is stored, each report at most once, and nothing that was not sent.
    std::set<std::string> stored;
    {
        server::sql::Statement q(check, "SELECT report_id FROM checkin_reports");
        while (q.executeStep()) stored.insert(q.getColumn(0).getString());
    }
    for (const auto& id : acknowledged_reports)
        EXPECT_TRUE(stored.count(id)) << "acknowledged but lost: " << id;
    for (const auto& id : stored) EXPECT_TRUE(attempted_reports.count(id)) << "never sent: " << id;
    EXPECT_GE(acknowledged_reports.size(), static_cast<std::size_t>(kKills));
    // Applied once: each agent's stranger was counted once per stored report of that agent.
    const std::int64_t sightings = server::sql::query_int64(
        check, "SELECT coalesce(sum(times_seen), 0) FROM unknown_sightings");
    EXPECT_EQ(sightings, static_cast<std::int64_t>(stored.size()));
    // Every acknowledged school is there, with one audit entry each.
    for (const auto& number : acknowledged_schools) {
        EXPECT_EQ(server::sql::query_int64(
                      check,
                      "SELECT count(*) FROM audit_log WHERE action = 'school.create' "
                      "AND object_id = '" +
                          number + "'"),
                  1)
            << number;
    }
    EXPECT_EQ(server::sql::query_int64(
                  check, "SELECT count(*) FROM schools WHERE school_number LIKE '9%'"),
              server::sql::query_int64(
                  check, "SELECT count(*) FROM audit_log WHERE action = 'school.create'"));
    const auto chain = server::verify_audit_chain(check);
    EXPECT_FALSE(chain.first_broken.has_value()) << chain.first_broken->reason;
    EXPECT_GE(chain.entries, static_cast<std::int64_t>(acknowledged_schools.size()));
    std::cout << "[ info ] " << kKills << " kills, " << acknowledged_reports.size()
              << " reports and " << acknowledged_schools.size() << " schools acknowledged, "
              << failures_seen.load() << " attempts failed\n";
}

// The same report sent to both instances at once is applied exactly once; both answer it.
TEST(PostgresInstances, OneReportSentToBothInstancesAtOnceIsAppliedOnce) {
    REQUIRE_POSTGRES();
    TwoInstances pair;
    Instance& a = pair.a;
    Instance& b = pair.b;
    TestDatabase& database = pair.database;
    auto client_a = a.process->client();
    const std::string admin = login(*client_a);
    const std::string key = enroll_agent(*client_a, admin, "box");
    for (int round = 0; round < 20; ++round) {
        const std::string id = make_uuid();
        const std::string body = report_body(id, "DMPX00000001");
        HttpResponse answers[2];
        std::thread other([&] {
            auto client = b.process->client();
            answers[1] = client->request(
                "POST", "/api/v1/agent/checkin", body,
                {{"Authorization", "Bearer " + key}, {"Content-Type", "application/json"}});
        });
        answers[0] = client_a->request(
            "POST", "/api/v1/agent/checkin", body,
            {{"Authorization", "Bearer " + key}, {"Content-Type", "application/json"}});
        other.join();
        EXPECT_EQ(answers[0].status, 200) << answers[0].body;
        EXPECT_EQ(answers[1].status, 200) << answers[1].body;
    }
    auto check = database.connect();
    EXPECT_EQ(server::sql::query_int64(check, "SELECT count(*) FROM checkin_reports"), 20);
    EXPECT_EQ(server::sql::query_int64(check, "SELECT times_seen FROM unknown_sightings"), 20);
}

// A session created on one instance works on the other: sessions live in the database.
TEST(PostgresInstances, ASessionFromOneInstanceIsValidOnTheOther) {
    REQUIRE_POSTGRES();
    TwoInstances pair;
    Instance& a = pair.a;
    Instance& b = pair.b;
    const std::string token = login(*a.process->client());
    const auto me = b.process->client()->request("GET", "/api/v1/me", "",
                                                 {{"Authorization", "Bearer " + token}});
    EXPECT_EQ(me.status, 200) << me.body;
    const auto out = b.process->client()->request("DELETE", "/api/v1/session", "",
                                                  {{"Authorization", "Bearer " + token}});
    EXPECT_EQ(out.status, 204) << out.body;
    const auto after = a.process->client()->request("GET", "/api/v1/me", "",
                                                    {{"Authorization", "Bearer " + token}});
    EXPECT_EQ(after.status, 401) << after.body;
}

// --- paktctl on PostgreSQL ----------------------------------------------------------------------

CtlResult paktctl(const std::vector<std::string>& args, const std::string& input = {}) {
    return run_ctl(args, input);
}

TEST(PostgresPaktctl, MigrateImportUserReportAndAuditVerifyWorkOnPostgres) {
    REQUIRE_POSTGRES();
    TempDir dir;
    TestDatabase database(dir.path() / "unused.db");
    const std::string url = database.url();
    auto r = paktctl({"--database-url", url, "migrate"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("is at schema version " + std::to_string(server::latest_schema_version())),
              std::string::npos)
        << r.out;
    const auto file = dir.path() / "schools.csv";
    std::ofstream(file)
        << "school_number,name,school_type,address,lat,lon\n"
           "164720,Viktoria-Gymnasium,Gymnasium,\"Kurfürstenplatz 1, 45138\",51.450798,7.025048\n"
           "101771,Antoniusschule,Grundschule,\"Im Haferfeld 39, 45279\",51.455859,7.106587\n";
    r = paktctl({"--database-url", url, "import", "schools", file.string()});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("2 schools imported"), std::string::npos) << r.out;
    // The same file again changes nothing.
    r = paktctl({"--database-url", url, "import", "schools", file.string()});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("2 unchanged"), std::string::npos) << r.out;
    r = paktctl({"--database-url", url, "user", "add", "--username", "admin", "--role",
                 "city_admin", "--password-stdin"},
                std::string(kPassword) + "\n");
    ASSERT_EQ(r.code, 0) << r.err;
    r = paktctl({"--database-url", url, "user", "list", "--json"});
    ASSERT_EQ(r.code, 0) << r.err;
    const json users = json::parse(r.out);
    ASSERT_EQ(users.size(), 1u);
    EXPECT_EQ(users[0]["username"], "admin");
    r = paktctl({"--database-url", url, "import", "schools", kDemoSchools});
    ASSERT_EQ(r.code, 0) << r.err;
    r = paktctl({"--database-url", url, "demo", "seed"});
    ASSERT_EQ(r.code, 0) << r.err;
    r = paktctl({"--database-url", url, "report", "funding", "--grant", "1", "--json"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(json::parse(r.out)["grants"][0]["reference"], "DEMO-BR-D-2021-0815") << r.out;
    r = paktctl({"--database-url", url, "audit", "verify"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("audit log intact: "), std::string::npos) << r.out;
    // paktctl disables a user on PostgreSQL as on SQLite.
    r = paktctl({"--database-url", url, "user", "disable", "admin"});
    EXPECT_EQ(r.code, 1) << "the last city_admin stays enabled";
    // Backup and restore are SQLite's; PostgreSQL's is pg_dump.
    r = paktctl({"--database-url", url, "backup", (dir.path() / "x.db").string()});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("pg_dump"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(dir.path() / "x.db"));
    // A broken chain is found on PostgreSQL too.
    auto connection = database.connect();
    connection.db().exec("UPDATE audit_log SET actor = 'someone else' WHERE id = 2");
    r = paktctl({"--database-url", url, "audit", "verify"});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("audit log broken at entry 2"), std::string::npos) << r.err;
    // Not a PostgreSQL URL.
    r = paktctl({"--database-url", "mysql://x", "migrate"});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("not a PostgreSQL URL"), std::string::npos) << r.err;
}

// The demo installation on SQLite, copied to PostgreSQL: every row arrives, the audit chain
// verifies there with the source's last hash, and paktd serves the copy. A second copy into the
// now non-empty database is refused and changes nothing.
TEST(PostgresPaktctl, CopyToRoundTripsTheDemoDatabaseAndRefusesANonEmptyTarget) {
    REQUIRE_POSTGRES();
    TempDir dir;
    const fs::path data = dir.path() / "sqlite";
    ASSERT_EQ(paktctl({"--data-dir", data.string(), "import", "schools", kDemoSchools}).code, 0);
    ASSERT_EQ(paktctl({"--data-dir", data.string(), "demo", "seed"}).code, 0);
    ASSERT_EQ(paktctl({"--data-dir", data.string(), "user", "add", "--username", "admin", "--role",
                       "city_admin", "--password-stdin"},
                      std::string(kPassword) + "\n")
                  .code,
              0);
    const CtlResult source_chain = paktctl({"--data-dir", data.string(), "audit", "verify"});
    ASSERT_EQ(source_chain.code, 0) << source_chain.err;

    TestDatabase database(dir.path() / "unused.db");
    CtlResult r = paktctl({"--data-dir", data.string(), "copy-to", database.url()});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("row counts match"), std::string::npos) << r.out;
    const CtlResult target_chain = paktctl({"--database-url", database.url(), "audit", "verify"});
    ASSERT_EQ(target_chain.code, 0) << target_chain.err;
    EXPECT_EQ(target_chain.out, source_chain.out) << "the same entries and last hash";

    // Table by table, the same rows.
    auto source = server::open_database(data / "pakt.db", server::OpenMode::read_only, 5s);
    auto target = database.connect();
    for (const char* table : {"schools", "users", "grants", "tranches", "manifest_entries",
                              "devices", "loans", "device_events", "audit_log", "programmes"}) {
        EXPECT_EQ(server::sql::query_int64(target, std::string("SELECT count(*) FROM ") + table),
                  server::sql::query_int64(*source, std::string("SELECT count(*) FROM ") + table))
            << table;
    }
    EXPECT_GT(server::sql::query_int64(target, "SELECT count(*) FROM devices"), 100);
    EXPECT_EQ(
        server::sql::query_text(
            target,
            "SELECT string_agg(serial_number || status, ',' ORDER BY serial_number) FROM devices"),
        server::sql::query_text(
            *source,
            "SELECT group_concat(serial_number || status, ',') FROM "
            "(SELECT serial_number, status FROM devices ORDER BY serial_number)"));

    // paktd serves the copy, and new rows get new ids after the copied ones.
    const fs::path instance = dir.path() / "instance";
    fs::create_directories(instance);
    PaktdProcess paktd(PAKTD_PATH, instance, instance_config(database, {}));
    auto client = paktd.client();
    const std::string token = login(*client);
    const auto devices = client->request("GET", "/api/v1/devices?limit=5", "",
                                         {{"Authorization", "Bearer " + token}});
    ASSERT_EQ(devices.status, 200) << devices.body;
    EXPECT_EQ(json::parse(devices.body)["items"].size(), 5u);
    const auto grant = post_json(*client, "/api/v1/grants", token,
                                 json{{"programme", "DP-BASIS"},
                                      {"reference", "NEU-1"},
                                      {"amount_cents", 100},
                                      {"approved_on", "2024-01-01"},
                                      {"spend_by", "2026-12-31"}});
    ASSERT_EQ(grant.status, 201) << grant.body;
    EXPECT_GT(json::parse(grant.body)["id"].get<std::int64_t>(),
              server::sql::query_int64(*source, "SELECT max(id) FROM grants"));

    const std::int64_t schools_before =
        server::sql::query_int64(target, "SELECT count(*) FROM schools");
    r = paktctl({"--data-dir", data.string(), "copy-to", database.url()});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("is not empty"), std::string::npos) << r.err;
    EXPECT_EQ(server::sql::query_int64(target, "SELECT count(*) FROM schools"), schools_before);
    // The source must be SQLite.
    r = paktctl({"--database-url", database.url(), "copy-to", database.url()});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("must be an SQLite database"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace pakt::test
