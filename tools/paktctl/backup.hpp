// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// paktctl backup and restore.
#include <iosfwd>
#include <string>

#include "server/config.hpp"

namespace pakt::ctl {

struct BackupOptions {
    std::string file;    ///< where the backup goes
    bool force = false;  ///< replace `file` if it exists
};

/// Writes a consistent copy of the configured database to `options.file` while paktd may be
/// serving: one read snapshot copied with SQLite's online backup API into a temporary file next
/// to `file`, synced, checked with PRAGMA integrity_check, then renamed into place (without
/// --force the rename refuses to replace a file, even one created meanwhile). The database is
/// opened read-only and never migrated; no lock is taken and paktd's writer is not blocked. On
/// failure nothing is left at or next to `file`. Prints the file, its size, schema version and
/// row counts to `out`. Returns 0; throws CommandFailed (naming `file` for failures on the copy)
/// or SQLite::Exception (for failures reading the database) on failure.
int backup_database(const server::ServerConfig& config, const BackupOptions& options,
                    std::ostream& out);

struct RestoreOptions {
    std::string file;    ///< the backup to restore from
    bool force = false;  ///< replace a database that holds data
};

/// Replaces the configured database with the backup `options.file`. Takes paktd's database lock
/// first and fails if it is held (paktd runs on that database); holds it throughout, so paktd
/// cannot start meanwhile. Checks the backup (a SQLite file, integrity_check ok, Pakt's tables,
/// a schema version this paktctl knows) and refuses to replace a database that is not empty
/// (or cannot be read as SQLite: damaged) unless `force`. Builds the result in a temporary file
/// beside the database: backup API copy, WAL mode, migrations if the backup is older, an audit
/// entry "database.restore", integrity_check. Then removes the old database's -journal, -wal
/// and -shm (so none is replayed over the new file) and renames the temporary file over the
/// database, syncing the directory. Returns 0; throws CommandFailed (naming the backup or the
/// temporary file where they are at fault) on failure, which before the rename leaves the
/// configured database untouched.
int restore_database(const server::ServerConfig& config, const RestoreOptions& options,
                     std::ostream& out);

}  // namespace pakt::ctl
