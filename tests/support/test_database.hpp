// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// The database a test (or benchmark) runs paktd on, on the backend under test: SQLite by
// default; PostgreSQL on the throwaway server tools/postgres-test started when its socket
// directory is given, in PAKT_TEST_POSTGRES or in the file PAKT_TEST_POSTGRES_FILE names (what
// CTest sets for the "pg." tests). On PostgreSQL each TestDatabase is a database of its own,
// created empty and dropped at the end, so tests stay independent and can run in parallel.
#include <filesystem>
#include <string>

#include "server/config.hpp"
#include "server/storage/sql/db.hpp"

namespace pakt::test {

/// Whether the tests run against PostgreSQL.
bool testing_postgres();

class TestDatabase {
  public:
    /// On SQLite the database is `sqlite_file` (created by whoever opens it first); on
    /// PostgreSQL a new empty database. Throws std::runtime_error if PostgreSQL is selected and
    /// unreachable.
    explicit TestDatabase(std::filesystem::path sqlite_file);
    /// Drops the PostgreSQL database (closing what is still connected to it).
    ~TestDatabase();
    TestDatabase(const TestDatabase&) = delete;
    TestDatabase& operator=(const TestDatabase&) = delete;

    bool postgres() const { return !url_.empty(); }
    /// The PostgreSQL URL ("" on SQLite).
    const std::string& url() const { return url_; }
    const std::filesystem::path& file() const { return file_; }
    /// What a paktd.toml needs to use this database: a [database] table, or "" on SQLite
    /// (paktd then finds the file in its data directory).
    std::string config_toml() const;
    /// Points `config` at this database on PostgreSQL (on SQLite paktd's own default, the file
    /// in its data directory, is left to `config`).
    void apply(server::ServerConfig& config) const;
    /// A connection of its own, read-write (on SQLite creating the file if missing).
    server::sql::Connection connect() const;
    /// PostgreSQL only: refuses (false) or admits (true) new connections to this database; on
    /// refusing, also ends the ones it has, so for whoever was connected the database is gone
    /// as if its server had gone down (and is back once admitted again).
    void allow_connections(bool allow) const;

  private:
    std::filesystem::path file_;
    std::string name_;
    std::string url_;
};

}  // namespace pakt::test
