// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// Schema migrations: NNNN_description.sql files, embedded into the binary, applied in order at
// start-up, each inside its own transaction. SQLite's (schema/) are tracked by PRAGMA
// user_version; PostgreSQL's (schema/postgresql/, numbered like SQLite's: its first, 0009, is the
// whole schema of version 9) by the table pakt_schema. Both dialects reach the same version with
// the same tables, which is what copying an installation from one to the other relies on.
#include <span>
#include <stdexcept>
#include <string_view>

#include "server/storage/sql/db.hpp"

namespace pakt::server {

struct Migration {
    int version;
    std::string_view name;
    std::string_view sql;
};

/// SQLite's migrations compiled into this binary, in ascending version order.
std::span<const Migration> embedded_migrations();
/// PostgreSQL's, likewise.
std::span<const Migration> embedded_postgres_migrations();
/// The embedded migrations of `db`'s dialect.
std::span<const Migration> embedded_migrations_for(sql::Db db);

/// The schema version this binary expects (the highest embedded migration).
int latest_schema_version();

/// Thrown when the database was written by a newer Pakt than this binary.
class SchemaTooNewError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Applies every migration newer than the database's version, each in its own transaction (a
/// failing migration leaves the database at the previous version). Returns the number applied.
/// Throws SchemaTooNewError if the database is newer than this binary, and the backend's
/// exception if a migration fails. On PostgreSQL, instances starting together migrate one after
/// the other (an advisory lock). Not thread-safe: call before serving.
int migrate(sql::Db db);
int migrate(sql::Db db, std::span<const Migration> migrations);

/// The database's current schema version (0: empty).
int schema_version(sql::Db db);

}  // namespace pakt::server
