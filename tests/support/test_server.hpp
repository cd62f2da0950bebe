// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// TestServer: the real paktd App, in-process, on 127.0.0.1 port 0 over TLS with a fresh
// temporary data directory (generated certificate, and the SQLite database) or, when the tests
// run against PostgreSQL (test_database.hpp), a fresh PostgreSQL database. Stops cleanly on
// destruction.
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/https_client.hpp"
#include "server/app.hpp"
#include "server/config.hpp"
#include "server/domain/principal.hpp"
#include "server/storage/sql/db.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_database.hpp"

namespace pakt::test {

class TestServer {
public:
    /// `tweak` may change the configuration before start (limits, thresholds).
    explicit TestServer(std::function<void(server::ServerConfig&)> tweak = {});
    ~TestServer();

    std::uint16_t port() const { return app_->port(); }
    const std::string& fingerprint() const { return app_->certificate_fingerprint(); }
    const std::filesystem::path& data_dir() const { return dir_.path(); }
    server::App& app() { return *app_; }

    /// A client trusting exactly this server's certificate (pinned).
    std::unique_ptr<HttpsClient> client() const;

    /// A connection of its own to the server's database, for seeding and for checking what a
    /// request stored (the server's writer serialises with its write transactions through the
    /// database's locking).
    server::sql::Db db();
    /// Whether the server runs on PostgreSQL.
    bool postgres() const { return database_.postgres(); }
    const TestDatabase& database() const { return database_; }

    /// Seeds a school directly in the database.
    void add_school(const std::string& number, const std::string& name);
    /// Seeds a user directly in the database (its password hashed at the lowest Argon2id cost,
    /// fixture_password_hash); returns its id.
    std::int64_t add_user(const std::string& username, server::Role role,
                          const std::vector<std::string>& schools, const std::string& password);
    /// Logs in through the API and returns the session token; fails the test otherwise.
    std::string login(const std::string& username, const std::string& password);
    /// A request handed to the router in-process, as the network layer would after TLS and
    /// parsing: for configurations the TLS test client cannot reach (e.g. `tls_enabled = false`
    /// behind a proxy). `host` is the Host header; a null `body` sends none.
    server::http::Response dispatch(const std::string& method, const std::string& target,
                                    const std::string& token, const nlohmann::json& body,
                                    const std::string& host = "127.0.0.1");

private:
    TempDir dir_;
    TestDatabase database_;
    server::ServerConfig config_;
    std::unique_ptr<server::App> app_;
    std::unique_ptr<server::sql::Connection> db_;
};

/// A valid 12-character serial number, distinct per (prefix, n): `prefix` (4 characters)
/// followed by n in 8 digits.
std::string serial(const char* prefix, int n);

/// Request helpers for tests: JSON in, parsed response out.
HttpResponse call(HttpsClient& client, std::string_view method, std::string_view target,
                  const std::string& token = {}, const std::optional<nlohmann::json>& body = std::nullopt);
nlohmann::json json_of(const HttpResponse& response);

/// The standard fixture: a server with two schools, a city_admin, and for each school a
/// school_it and a headteacher, all logged in.
struct SeededServer {
    static constexpr const char* kSchoolA = "165432";
    static constexpr const char* kSchoolB = "100018";
    static constexpr const char* kPassword = "correct horse battery";

    TestServer server;
    std::unique_ptr<HttpsClient> http;
    std::string admin;   ///< token of city_admin "admin"
    std::string it_a;    ///< school_it of school A
    std::string head_a;  ///< headteacher of school A
    std::string it_b;    ///< school_it of school B
    std::string head_b;  ///< headteacher of school B

    explicit SeededServer(std::function<void(server::ServerConfig&)> tweak = {});
};

}  // namespace pakt::test
