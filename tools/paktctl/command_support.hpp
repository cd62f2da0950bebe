// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// What paktctl's commands share: the failure they report, the audit actor, and opening the
// database the way every writing command does.
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "server/config.hpp"
#include "server/storage/sql/db.hpp"

namespace pakt::ctl {

/// The actor of every audit entry paktctl writes.
inline constexpr const char* kActor = "paktctl";

/// A failure the operator can act on; printed as "paktctl: <message>" with exit code 1. The
/// message names the file or argument at fault.
class CommandFailed : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct OpenDatabase {
    std::unique_ptr<server::sql::Connection> db;
    int applied = 0;  ///< migrations applied on opening
};

/// The configured database for messages: the SQLite file, or the PostgreSQL URL without its
/// password.
std::string database_name(const server::ServerConfig& config);

/// Opens the configured database read-write -- the SQLite file (creating it and its directory if
/// missing) or, with database.url, the PostgreSQL database -- and applies pending migrations,
/// with an audit entry "schema.migrate" if any were applied. Throws CommandFailed,
/// SchemaTooNewError, SQLite::Exception or sql::PgError.
OpenDatabase open_and_migrate(const server::ServerConfig& config);

/// Opens the configured database read-only for a command that only reads (`command` names it in
/// messages): never creates, migrates or otherwise changes the file, so it is safe on a live
/// database under an older paktd and on a backup file given with --database. Throws
/// CommandFailed if the file is missing (naming it), has no Pakt schema, has a schema version
/// newer than this paktctl, or an older one (the queries need the current tables: "run paktctl
/// migrate"). Throws SQLite::Exception if the file cannot be read as SQLite. On PostgreSQL the
/// session is read-only (default_transaction_read_only) and the same version checks apply.
std::unique_ptr<server::sql::Connection> open_read_only(const server::ServerConfig& config,
                                                        std::string_view command);

/// "1 school", "2 schools".
std::string plural(std::size_t n, std::string_view one, std::string_view many);

}  // namespace pakt::ctl
