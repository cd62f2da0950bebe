// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "tests/support/test_database.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <stdexcept>

#include "server/storage/database.hpp"
#include "server/storage/sql/postgres.hpp"

namespace pakt::test {
namespace {

std::string env(const char* name) {
    const char* value = std::getenv(name);
    return value ? value : "";
}

// The test server's socket directory.
std::string postgres_socket_dir() {
    std::string dir = env("PAKT_TEST_POSTGRES");
    if (dir.empty()) {
        const std::string file = env("PAKT_TEST_POSTGRES_FILE");
        std::ifstream in(file);
        std::getline(in, dir);
        if (dir.empty()) {
            throw std::runtime_error("no PostgreSQL test server: " + file +
                                     " is missing or empty (tools/postgres-test start)");
        }
    }
    return dir;
}

std::string url_of(const std::string& database) {
    return "postgresql://pakt@/" + database + "?host=" + postgres_socket_dir();
}

}  // namespace

bool testing_postgres() {
    return !env("PAKT_TEST_POSTGRES").empty() || !env("PAKT_TEST_POSTGRES_FILE").empty();
}

TestDatabase::TestDatabase(std::filesystem::path sqlite_file) : file_(std::move(sqlite_file)) {
    if (!testing_postgres()) return;
    static std::atomic<unsigned> counter{0};
    const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
    name_ = "pakt_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" +
            std::to_string(now % 1000000);
    server::sql::PgConnection admin(url_of("postgres"));
    admin.exec("CREATE DATABASE " + name_);
    url_ = url_of(name_);
}

TestDatabase::~TestDatabase() {
    if (url_.empty()) return;
    try {
        server::sql::PgConnection admin(url_of("postgres"));
        admin.exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
    } catch (...) {  // NOLINT(bugprone-empty-catch): the server is gone; so is the database
    }
}

std::string TestDatabase::config_toml() const {
    if (url_.empty()) return {};
    return "[database]\nurl = \"" + url_ + "\"\n";
}

void TestDatabase::apply(server::ServerConfig& config) const {
    if (!url_.empty()) config.database_url = url_;
}

server::sql::Connection TestDatabase::connect() const {
    if (!url_.empty())
        return server::sql::Connection(std::make_unique<server::sql::PgConnection>(url_));
    return server::sql::Connection(
        server::open_database(file_, server::OpenMode::read_write, std::chrono::seconds(10)));
}

void TestDatabase::allow_connections(bool allow) const {
    if (url_.empty()) throw std::logic_error("allow_connections: not on PostgreSQL");
    server::sql::PgConnection admin(url_of("postgres"));
    admin.exec("ALTER DATABASE " + name_ + " ALLOW_CONNECTIONS " + (allow ? "true" : "false"));
    if (!allow) {
        admin.exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" +
                   name_ + "'");
    }
}

}  // namespace pakt::test
