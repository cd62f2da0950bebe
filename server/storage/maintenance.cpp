// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "server/storage/maintenance.hpp"

#include <SQLiteCpp/Backup.h>
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <sqlite3.h>

#include <array>
#include <stdexcept>
#include <string_view>

#include "server/storage/migrator.hpp"

namespace pakt::server {
namespace {

constexpr const char* kTableExists =
    "SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?)";
constexpr const char* kIntegrityCheck = "PRAGMA integrity_check";
// The tables summarised, each with its count statement (constant text; no table name is ever
// spliced in from outside).
constexpr std::array<std::pair<const char*, const char*>, 5> kCounted{{
    {"schools", "SELECT count(*) FROM schools"},
    {"users", "SELECT count(*) FROM users"},
    {"devices", "SELECT count(*) FROM devices"},
    {"checkin_reports", "SELECT count(*) FROM checkin_reports"},
    {"audit_log", "SELECT count(*) FROM audit_log"},
}};
// How long to wait between attempts when the source or the destination is locked.
constexpr int kBusyRetryMs = 50;

bool table_exists(SQLite::Database& db, const char* table) {
    SQLite::Statement q(db, kTableExists);
    q.bind(1, table);
    q.executeStep();
    return q.getColumn(0).getInt() != 0;
}

}  // namespace

void copy_database(SQLite::Database& from, SQLite::Database& to,
                   std::chrono::milliseconds busy_timeout) {
    SQLite::Backup backup(to, from);
    auto waited = std::chrono::milliseconds(0);
    for (;;) {
        // All pages in one step: a step-by-step copy would restart whenever another connection
        // writes to `from`, and under steady check-ins might never finish.
        const int rc = backup.executeStep(-1);
        if (rc == SQLITE_DONE) return;
        if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED && rc != SQLITE_OK) {
            throw SQLite::Exception(sqlite3_errstr(rc), rc);
        }
        if (waited >= busy_timeout) {
            throw std::runtime_error("the database stayed locked for " +
                                     std::to_string(busy_timeout.count()) +
                                     " ms; nothing was copied");
        }
        sqlite3_sleep(kBusyRetryMs);
        waited += std::chrono::milliseconds(kBusyRetryMs);
    }
}

std::vector<std::string> integrity_problems(SQLite::Database& db, int max_problems) {
    SQLite::Statement q(db, kIntegrityCheck);
    std::vector<std::string> problems;
    while (q.executeStep()) {
        std::string line = q.getColumn(0).getString();
        if (line == "ok") break;
        problems.push_back(std::move(line));
        if (static_cast<int>(problems.size()) >= max_problems) break;
    }
    return problems;
}

bool has_pakt_schema(SQLite::Database& db) {
    return table_exists(db, "schools") && table_exists(db, "users") &&
           table_exists(db, "audit_log");
}

DatabaseSummary summarize_database(SQLite::Database& db) {
    SQLite::Transaction snapshot(db, SQLite::TransactionBehavior::DEFERRED);
    DatabaseSummary summary;
    summary.schema_version = schema_version(db);
    std::array<std::optional<std::int64_t>*, kCounted.size()> fields{
        &summary.schools, &summary.users, &summary.devices, &summary.checkin_reports,
        &summary.audit_entries};
    for (std::size_t i = 0; i < kCounted.size(); ++i) {
        if (!table_exists(db, kCounted[i].first)) continue;
        *fields[i] = db.execAndGet(kCounted[i].second).getInt64();
    }
    return summary;
}

}  // namespace pakt::server
