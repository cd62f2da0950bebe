// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "server/storage/migrator.hpp"

#include <SQLiteCpp/Database.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <string>

#include "common/build_info.hpp"
#include "server/storage/sql/postgres.hpp"

namespace pakt::server {
namespace {

// Held by the migrating transaction on PostgreSQL: a second instance starting at the same time
// waits, then finds the schema current.
constexpr const char* kPostgresMigrationLock = "SELECT pg_advisory_xact_lock(7240100)";

std::string database_name(sql::Db db) {
    if (db.sqlite()) return db.sqlite()->getFilename();
    const char* name = PQdb(db.pg()->handle());
    return name ? name : "?";
}

}  // namespace

std::span<const Migration> embedded_migrations_for(sql::Db db) {
    return db.postgres() ? embedded_postgres_migrations() : embedded_migrations();
}

int latest_schema_version() {
    const auto migrations = embedded_migrations();
    return migrations.empty() ? 0 : migrations.back().version;
}

int schema_version(sql::Db db) {
    if (db.sqlite()) return db.sqlite()->execAndGet("PRAGMA user_version").getInt();
    sql::Statement q(db, "SELECT to_regclass('pakt_schema') IS NOT NULL");
    q.executeStep();
    if (q.getColumn(0).getInt() == 0) return 0;
    sql::Statement version(db, "SELECT version FROM pakt_schema");
    return version.executeStep() ? version.getColumn(0).getInt() : 0;
}

int migrate(sql::Db db) { return migrate(db, embedded_migrations_for(db)); }

int migrate(sql::Db db, std::span<const Migration> migrations) {
    const int latest = migrations.empty() ? 0 : migrations.back().version;
    const auto too_new = [&](int current) {
        return SchemaTooNewError(fmt::format(
            "database '{}' has schema version {}, but this program ({}) understands only up to "
            "version {}: the database is newer than this program, written by a newer Pakt, and "
            "a downgrade is refused. Nothing was changed; install that newer version again, or "
            "restore a backup taken before the upgrade (paktctl restore)",
            database_name(db), current, version_line("Pakt"), latest));
    };
    int current = schema_version(db);
    if (current > latest) throw too_new(current);
    int applied = 0;
    for (const Migration& m : migrations) {
        if (m.version <= current) continue;
        // Each migration and its version bump commit together, so a failure leaves the
        // database at the previous version, never in between.
        if (db.sqlite()) {
            db.exec("BEGIN IMMEDIATE");
        } else {
            db.exec("BEGIN");
            db.exec(kPostgresMigrationLock);
            // Another instance may have migrated while this one waited for the lock.
            current = schema_version(db);
            if (current > latest) {
                db.exec("ROLLBACK");
                throw too_new(current);
            }
            if (m.version <= current) {
                db.exec("COMMIT");
                continue;
            }
        }
        try {
            db.exec(std::string(m.sql));
            if (db.sqlite()) {
                db.exec(fmt::format("PRAGMA user_version = {}", m.version));
            } else {
                db.exec("CREATE TABLE IF NOT EXISTS pakt_schema (version integer NOT NULL)");
                db.exec(fmt::format(
                    "DELETE FROM pakt_schema; INSERT INTO pakt_schema (version) VALUES ({})",
                    m.version));
            }
            db.exec("COMMIT");
        } catch (...) {
            try {
                db.exec("ROLLBACK");
            } catch (...) {  // NOLINT(bugprone-empty-catch): the first error is the one to report
            }
            throw;
        }
        spdlog::info("applied migration {}", m.name);
        current = m.version;
        ++applied;
    }
    return applied;
}

}  // namespace pakt::server
