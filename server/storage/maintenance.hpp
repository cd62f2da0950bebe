// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// Whole-database operations for backup and restore: copying a live database page by page from
// one read snapshot, checking a copy's integrity, and summarising what a database holds.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace SQLite {
class Database;
}

namespace pakt::server {

/// Copies every page of `from` into `to` with SQLite's online backup API, in one step: the
/// copy reads one snapshot of `from` (in WAL mode writers to `from` are not blocked, and what they
/// commit meanwhile is not in the copy) and replaces `to` in one write transaction (a failure
/// leaves `to` as it was). If a lock keeps the copy from starting, it retries until
/// `busy_timeout` has passed. Throws SQLite::Exception (with the extended code) on failure, and
/// std::runtime_error if the database stayed busy.
void copy_database(SQLite::Database& from, SQLite::Database& to,
                   std::chrono::milliseconds busy_timeout);

/// What `PRAGMA integrity_check` reports, at most `max_problems` lines; empty if the database is
/// intact. Throws SQLite::Exception if the file is not a database at all (SQLITE_NOTADB).
std::vector<std::string> integrity_problems(SQLite::Database& db, int max_problems = 10);

/// True if the database has the tables of Pakt's first migration (schools, users, audit_log):
/// together with PRAGMA user_version, the trace Pakt's migrator leaves.
bool has_pakt_schema(SQLite::Database& db);

/// What a database holds, for operators' messages. A table that the database's schema version
/// does not have yet counts as nullopt. Read in one snapshot.
struct DatabaseSummary {
    int schema_version = 0;
    std::optional<std::int64_t> schools;
    std::optional<std::int64_t> users;
    std::optional<std::int64_t> devices;
    std::optional<std::int64_t> checkin_reports;
    std::optional<std::int64_t> audit_entries;
};

DatabaseSummary summarize_database(SQLite::Database& db);

}  // namespace pakt::server
