#include "server/storage/migrator.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Transaction.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <string>

namespace pakt::server {

int latest_schema_version() {
    const auto migrations = embedded_migrations();
    return migrations.empty() ? 0 : migrations.back().version;
}

int schema_version(SQLite::Database& db) {
    return db.execAndGet("PRAGMA user_version").getInt();
}

int migrate(SQLite::Database& db, std::span<const Migration> migrations) {
    const int latest = migrations.empty() ? 0 : migrations.back().version;
    const int current = schema_version(db);
    if (current > latest) {
        throw SchemaTooNewError(fmt::format(
            "database '{}' has schema version {}, but this Pakt understands only up to version "
            "{}: it was written by a newer Pakt; use that version or restore a backup",
            db.getFilename(), current, latest));
    }
    int applied = 0;
    for (const Migration& m : migrations) {
        if (m.version <= current) continue;
        // Each migration and its version bump commit together, so a failure leaves the
        // database at the previous version, never in between.
        SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
        db.exec(std::string(m.sql));
        db.exec(fmt::format("PRAGMA user_version = {}", m.version));
        tx.commit();
        spdlog::info("applied migration {}", m.name);
        ++applied;
    }
    return applied;
}

}  // namespace pakt::server
