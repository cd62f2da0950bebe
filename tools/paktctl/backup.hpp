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
/// row counts to `out`. Returns 0; throws CommandFailed or SQLite::Exception on failure.
int backup_database(const server::ServerConfig& config, const BackupOptions& options,
                    std::ostream& out);

struct RestoreOptions {
    std::string file;    ///< the backup to restore from
    bool force = false;  ///< replace a database that holds data
};

/// Replaces the configured database with the backup `options.file`. Takes paktd's database lock
/// first and fails if it is held (paktd runs on that database); holds it throughout, so paktd
/// cannot start meanwhile. Checks the backup (a SQLite file, integrity_check ok, Pakt's tables,
/// a schema version this paktctl knows), refuses to replace a database that is not empty unless
/// `force`, copies the backup in with the backup API (one transaction in the destination, which
/// also deals with a stale -wal file), migrates the result if the backup is older, and appends
/// an audit entry "database.restore". Returns 0; throws CommandFailed or SQLite::Exception on
/// failure, leaving the configured database as it was.
int restore_database(const server::ServerConfig& config, const RestoreOptions& options,
                     std::ostream& out);

}  // namespace pakt::ctl
