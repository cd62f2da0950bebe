// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// The real paktd binary as a child process: graceful shutdown under load, configuration errors,
// schema versions, one paktd per database, certificate generation.
#include <SQLiteCpp/Database.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include "common/https_client.hpp"
#include "common/tls.hpp"
#include "server/storage/audit_repository.hpp"
#include "server/storage/database.hpp"
#include "server/storage/migrator.hpp"
#include "server/storage/user_repository.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/fixture_password.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_database.hpp"
#include "tests/support/test_server.hpp"

namespace pakt::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

const std::filesystem::path kPaktd = PAKTD_PATH;

struct Ready {
    std::uint16_t port = 0;
    std::string fingerprint;
};

Ready read_ready_file(const std::filesystem::path& file) {
    std::ifstream in(file);
    Ready r;
    in >> r.port >> r.fingerprint;
    return r;
}

void write_file(const std::filesystem::path& file, const std::string& text) {
    std::ofstream out(file);
    out << text;
}

// paktd on the data directory `data_dir`, on a free port, writing `ready_file` once it listens.
std::vector<std::string> serve_data_dir(const std::filesystem::path& data_dir,
                                        const std::filesystem::path& ready_file) {
    return {"--data-dir",  data_dir.string(), "--listen",
            "127.0.0.1:0", "--ready-file",    ready_file.string()};
}

// Prepares the database of a data directory with a city_admin "admin"; returns the arguments
// that start paktd on it (a --config naming the PostgreSQL database in the "pg." run).
std::vector<std::string> seed_admin(const std::filesystem::path& data_dir,
                                    const TestDatabase& database) {
    auto db = database.connect();
    server::migrate(db);
    server::UserRecord admin;
    admin.username = "admin";
    admin.role = server::Role::city_admin;
    admin.password_hash = test::fixture_password_hash("correct horse battery");
    server::insert_user(db, admin);
    std::vector<std::string> args{"--data-dir", data_dir.string()};
    if (database.postgres()) {
        write_file(data_dir / "paktd.toml", database.config_toml());
        args.insert(args.end(), {"--config", (data_dir / "paktd.toml").string()});
    }
    return args;
}

TEST(Paktd, SigtermDuringBurstKeepsEveryAnsweredWriteAndExitsZero) {
    TempDir dir;
    TestDatabase database(dir.path() / "pakt.db");
    std::vector<std::string> args = seed_admin(dir.path(), database);
    const auto ready_file = dir.path() / "ready";
    args.insert(args.end(), {"--listen", "127.0.0.1:0", "--ready-file", ready_file.string()});
    ChildProcess paktd(kPaktd, args, dir.path() / "paktd.log");
    ASSERT_TRUE(paktd.wait_for_file(ready_file, 30s)) << paktd.output();
    const Ready ready = read_ready_file(ready_file);

    std::string token;
    {
        HttpsClient client("127.0.0.1", ready.port, tls::ClientTrust{{}, ready.fingerprint});
        auto r = call(client, "POST", "/api/v1/session", {},
                      json{{"username", "admin"}, {"password", "correct horse battery"}});
        ASSERT_EQ(r.status, 201) << r.body;
        token = json_of(r)["token"].get<std::string>();
    }

    std::mutex mutex;
    std::condition_variable progress;
    std::set<std::string> acknowledged;
    std::atomic<int> unexpected{0};
    std::vector<std::thread> senders;
    for (int t = 0; t < 4; ++t) {
        senders.emplace_back([&, t] {
            HttpsClient client("127.0.0.1", ready.port, tls::ClientTrust{{}, ready.fingerprint},
                               20s);
            for (int i = 0; i < 100000; ++i) {
                const std::string number = std::to_string(300000 + t * 100000 + i);
                try {
                    auto r = call(client, "POST", "/api/v1/schools", token,
                                  json{{"school_number", number}, {"name", "Schule " + number}});
                    if (r.status == 201) {
                        std::lock_guard lock(mutex);
                        acknowledged.insert(number);
                        progress.notify_all();
                    } else if (r.status != 503) {
                        ++unexpected;
                        return;
                    }
                } catch (const std::exception&) {
                    return;  // the server went away: expected during shutdown
                }
            }
        });
    }
    {
        std::unique_lock lock(mutex);
        progress.wait(lock, [&] { return acknowledged.size() >= 40; });
    }
    paktd.signal(SIGTERM);
    const auto status = paktd.wait_for_exit(5s);
    for (auto& t : senders) t.join();
    ASSERT_TRUE(status.has_value()) << "paktd did not exit within 5 s after SIGTERM";
    EXPECT_EQ(*status, 0) << paktd.output();
    EXPECT_EQ(unexpected.load(), 0);

    auto db = database.connect();
    std::set<std::string> stored;
    server::sql::Statement q(db, "SELECT school_number FROM schools");
    while (q.executeStep()) stored.insert(q.getColumn(0).getString());
    for (const auto& number : acknowledged)
        EXPECT_TRUE(stored.count(number)) << "acknowledged school " << number << " is missing";
    EXPECT_EQ(server::sql::query_int64(
                  db, "SELECT count(*) FROM audit_log WHERE action = 'school.create'"),
              static_cast<std::int64_t>(stored.size()));
    EXPECT_FALSE(server::verify_audit_chain(db).first_broken.has_value());
    if (!database.postgres()) {
        EXPECT_EQ(server::sql::query_text(db, "PRAGMA integrity_check"), "ok");
    }
}

TEST(Paktd, UnknownConfigKeyStopsStartWithFileAndKey) {
    TempDir dir;
    const auto config = dir.path() / "paktd.toml";
    write_file(config, "[server]\nlisten = \"127.0.0.1:0\"\nlistn = \"oops\"\n");
    ChildProcess paktd(kPaktd, {"--config", config.string(), "--data-dir", dir.path().string()},
                       dir.path() / "out.log");
    const auto status = paktd.wait_for_exit(30s);
    ASSERT_TRUE(status.has_value());
    EXPECT_NE(*status, 0);
    EXPECT_NE(paktd.output().find(config.string()), std::string::npos) << paktd.output();
    EXPECT_NE(paktd.output().find("server.listn"), std::string::npos) << paktd.output();
}

TEST(Paktd, WrongTypeInConfigStopsStartWithFileAndKey) {
    TempDir dir;
    const auto config = dir.path() / "paktd.toml";
    write_file(config, "[limits]\nbody_limit_bytes = \"large\"\n");
    ChildProcess paktd(kPaktd, {"--config", config.string(), "--data-dir", dir.path().string()},
                       dir.path() / "out.log");
    const auto status = paktd.wait_for_exit(30s);
    ASSERT_TRUE(status.has_value());
    EXPECT_NE(*status, 0);
    EXPECT_NE(paktd.output().find(config.string()), std::string::npos) << paktd.output();
    EXPECT_NE(paktd.output().find("limits.body_limit_bytes"), std::string::npos) << paktd.output();
}

TEST(Paktd, BadListenFlagIsRefused) {
    TempDir dir;
    ChildProcess paktd(kPaktd, {"--data-dir", dir.path().string(), "--listen", "127.0.0.1:99999"},
                       dir.path() / "out.log");
    const auto status = paktd.wait_for_exit(30s);
    ASSERT_TRUE(status.has_value());
    EXPECT_NE(*status, 0);
    EXPECT_NE(paktd.output().find("--listen"), std::string::npos) << paktd.output();
}

TEST(Paktd, DatabaseFromNewerVersionIsRefused) {
    TempDir dir;
    TestDatabase database(dir.path() / "pakt.db");
    std::vector<std::string> args = seed_admin(dir.path(), database);
    database.connect().db().exec(database.postgres()
                                     ? "UPDATE pakt_schema SET version = " +
                                           std::to_string(server::latest_schema_version() + 1)
                                     : "PRAGMA user_version = " +
                                           std::to_string(server::latest_schema_version() + 1));
    args.insert(args.end(), {"--listen", "127.0.0.1:0"});
    ChildProcess paktd(kPaktd, args, dir.path() / "out.log");
    const auto status = paktd.wait_for_exit(30s);
    ASSERT_TRUE(status.has_value());
    EXPECT_NE(*status, 0);
    EXPECT_NE(paktd.output().find("newer"), std::string::npos) << paktd.output();
}

TEST(Paktd, OlderDatabaseIsBackedUpBeforeMigratingAndKeepsItsRows) {
    if (testing_postgres())
        GTEST_SKIP() << "paktd copies SQLite files; PostgreSQL is backed up with pg_dump";
    TempDir dir;
    const auto db_file = dir.path() / "pakt.db";
    const auto all = server::embedded_migrations();
    const int previous = all[all.size() - 2].version;
    {
        SQLite::Database db(db_file.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        server::migrate(db, all.first(all.size() - 1));
        db.exec(
            "INSERT INTO schools (school_number, name, created_at, updated_at) VALUES "
            "('100010', 'Goetheschule', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')");
    }
    const auto ready_file = dir.path() / "ready";
    ChildProcess paktd(kPaktd, serve_data_dir(dir.path(), ready_file), dir.path() / "out.log");
    ASSERT_TRUE(paktd.wait_for_file(ready_file, 30s)) << paktd.output();

    std::vector<std::filesystem::path> backups;
    for (const auto& entry : std::filesystem::directory_iterator(dir.path() / "backups")) {
        backups.push_back(entry.path());
    }
    ASSERT_EQ(backups.size(), 1u);
    const std::string name = backups[0].filename().string();
    EXPECT_TRUE(name.starts_with(fmt::format("pakt-schema{}-", previous))) << name;
    EXPECT_NE(paktd.output().find("backed it up to " + backups[0].string()), std::string::npos)
        << paktd.output();
    EXPECT_EQ(
        std::filesystem::status(dir.path() / "backups").permissions() & std::filesystem::perms::all,
        std::filesystem::perms::owner_all);
    {
        SQLite::Database backup(backups[0].string(), SQLite::OPEN_READONLY);
        EXPECT_EQ(backup.execAndGet("PRAGMA user_version").getInt(), previous);
        EXPECT_EQ(backup.execAndGet("SELECT name FROM schools").getString(), "Goetheschule");
    }
    {
        SQLite::Database live(db_file.string(), SQLite::OPEN_READONLY);
        EXPECT_EQ(live.execAndGet("PRAGMA user_version").getInt(), server::latest_schema_version());
        EXPECT_EQ(live.execAndGet("SELECT name FROM schools").getString(), "Goetheschule");
    }

    // A current database is not copied again at the next start.
    paktd.signal(SIGTERM);
    ASSERT_TRUE(paktd.wait_for_exit(30s).has_value());
    std::filesystem::remove(ready_file);
    ChildProcess again(kPaktd, serve_data_dir(dir.path(), ready_file), dir.path() / "again.log");
    ASSERT_TRUE(again.wait_for_file(ready_file, 30s)) << again.output();
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path() / "backups"),
                            std::filesystem::directory_iterator()),
              1);
    EXPECT_EQ(again.output().find("backed it up"), std::string::npos) << again.output();
}

TEST(Paktd, SecondPaktdOnTheSameDataDirRefusesToStartNamingTheLock) {
    if (testing_postgres())
        GTEST_SKIP() << "the lock file of an SQLite database; instances share a PostgreSQL one";
    TempDir dir;
    const auto ready_file = dir.path() / "ready";
    ChildProcess first(kPaktd, serve_data_dir(dir.path(), ready_file), dir.path() / "first.log");
    ASSERT_TRUE(first.wait_for_file(ready_file, 30s)) << first.output();
    ChildProcess second(kPaktd, {"--data-dir", dir.path().string(), "--listen", "127.0.0.1:0"},
                        dir.path() / "second.log");
    const auto status = second.wait_for_exit(30s);
    ASSERT_TRUE(status.has_value());
    EXPECT_EQ(*status, 1);
    EXPECT_NE(second.output().find("another paktd"), std::string::npos) << second.output();
    EXPECT_NE(second.output().find((dir.path() / "pakt.db.lock").string()), std::string::npos)
        << second.output();
    // The first one serves on; once it is killed (no clean exit), the lock is free again.
    const Ready ready = read_ready_file(ready_file);
    HttpsClient client("127.0.0.1", ready.port, tls::ClientTrust{{}, ready.fingerprint});
    EXPECT_EQ(client.request("GET", "/readyz").status, 200);
    first.signal(SIGKILL);
    ASSERT_TRUE(first.wait_for_exit(10s).has_value());
    std::filesystem::remove(ready_file);
    ChildProcess third(kPaktd, serve_data_dir(dir.path(), ready_file), dir.path() / "third.log");
    EXPECT_TRUE(third.wait_for_file(ready_file, 30s)) << third.output();
}

TEST(Paktd, FirstStartCreatesCertificateAndLogsItsFingerprint) {
    TempDir dir;
    const auto ready_file = dir.path() / "ready";
    ChildProcess paktd(kPaktd, serve_data_dir(dir.path(), ready_file), dir.path() / "paktd.log");
    ASSERT_TRUE(paktd.wait_for_file(ready_file, 30s)) << paktd.output();
    const Ready ready = read_ready_file(ready_file);
    const auto cert = dir.path() / "tls" / "cert.pem";
    EXPECT_EQ(tls::certificate_key_description(cert), "EC P-256");
    EXPECT_EQ(tls::certificate_fingerprint_sha256(cert), ready.fingerprint);
    EXPECT_NE(paktd.output().find(ready.fingerprint), std::string::npos);
    EXPECT_EQ(std::filesystem::status(dir.path() / "tls" / "key.pem").permissions() &
                  std::filesystem::perms::others_read,
              std::filesystem::perms::none);
    HttpsClient client("127.0.0.1", ready.port, tls::ClientTrust{{}, ready.fingerprint});
    EXPECT_EQ(client.request("GET", "/readyz").status, 200);
    paktd.signal(SIGINT);
    EXPECT_EQ(paktd.wait_for_exit(10s), std::optional<int>(0));
    // paktd writes its log in batches when stderr is no terminal: what was logged last, the
    // request's line and the goodbye, is out when the process has ended.
    const std::string output = paktd.output();
    const auto request_line = output.find("route=/readyz status=200");
    const auto stopped = output.find("paktd stopped");
    EXPECT_NE(request_line, std::string::npos) << output;
    EXPECT_NE(stopped, std::string::npos) << output;
    EXPECT_LT(request_line, stopped) << output;
}

}  // namespace
}  // namespace pakt::test
