#pragma once
// Schema migrations: schema/NNNN_description.sql files, embedded into the binary, applied in
// order at start-up, each inside its own transaction, tracked by PRAGMA user_version.
#include <span>
#include <stdexcept>
#include <string_view>

namespace SQLite {
class Database;
}

namespace pakt::server {

struct Migration {
    int version;
    std::string_view name;
    std::string_view sql;
};

/// The migrations compiled into this binary, in ascending version order.
std::span<const Migration> embedded_migrations();

/// The schema version this binary expects (the highest embedded migration).
int latest_schema_version();

/// Thrown when the database was written by a newer Pakt than this binary.
class SchemaTooNewError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Applies every migration newer than the database's user_version, each in its own
/// transaction (a failing migration leaves the database at the previous version). Returns the
/// number applied. Throws SchemaTooNewError if the database is newer than this binary, and
/// SQLite::Exception if a migration fails. Not thread-safe: call before serving.
int migrate(SQLite::Database& db, std::span<const Migration> migrations = embedded_migrations());

/// The database's current user_version.
int schema_version(SQLite::Database& db);

}  // namespace pakt::server
