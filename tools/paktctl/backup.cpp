// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "tools/paktctl/backup.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Transaction.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "server/storage/audit_repository.hpp"
#include "server/storage/backup.hpp"
#include "server/storage/database.hpp"
#include "server/storage/database_lock.hpp"
#include "server/storage/maintenance.hpp"
#include "server/storage/migrator.hpp"
#include "tools/paktctl/command_support.hpp"

namespace pakt::ctl {
namespace {

namespace fs = std::filesystem;

using server::directory_of;
using server::move_into_place;
using server::problems_text;
using server::sync_path;
using server::TemporaryFile;

std::string count_text(const std::optional<std::int64_t>& n, std::string_view one,
                       std::string_view many) {
    return n ? plural(static_cast<std::size_t>(*n), one, many) : fmt::format("no {}", many);
}

std::string describe(const server::DatabaseSummary& s) {
    return fmt::format("schema version {}, {}, {}, {}, {}, {}", s.schema_version,
                       count_text(s.schools, "school", "schools"),
                       count_text(s.users, "user", "users"),
                       count_text(s.devices, "device", "devices"),
                       count_text(s.checkin_reports, "check-in report", "check-in reports"),
                       count_text(s.audit_entries, "audit entry", "audit entries"));
}

std::string size_text(std::uintmax_t bytes) {
    if (bytes < 1024 * 1024) return fmt::format("{} bytes", bytes);
    return fmt::format("{:.1f} MiB ({} bytes)", static_cast<double>(bytes) / (1024.0 * 1024.0),
                       bytes);
}

// Why `file` cannot be read as a SQLite database, or nullopt if it can. Reads it without writing.
std::optional<std::string> unreadable_as_sqlite(const fs::path& file,
                                                const server::ServerConfig& config) {
    try {
        const auto db =
            server::open_database(file, server::OpenMode::read_only, config.busy_timeout);
        db->execAndGet("SELECT count(*) FROM sqlite_master");
        return std::nullopt;
    } catch (const SQLite::Exception& e) {
        return std::string(e.what());
    }
}

}  // namespace

int backup_database(const server::ServerConfig& config, const BackupOptions& options,
                    std::ostream& out) {
    const fs::path source = config.effective_database_file();
    const fs::path target = options.file;
    std::error_code ec;
    if (!fs::is_regular_file(source, ec)) {
        throw CommandFailed(fmt::format(
            "no database at '{}'; nothing to back up (paktctl finds it like paktd: --database, "
            "--data-dir or --config)",
            source.string()));
    }
    if (target.empty() || fs::is_directory(target, ec)) {
        throw CommandFailed(
            fmt::format("backup: '{}' is a directory; name the backup file, e.g. {}",
                        target.string(), (target / "pakt-backup.db").string()));
    }
    if (!fs::is_directory(directory_of(target), ec)) {
        throw CommandFailed(fmt::format("backup: the directory '{}' for '{}' does not exist",
                                        directory_of(target).string(), target.string()));
    }
    if (fs::exists(target, ec)) {
        if (fs::equivalent(source, target, ec)) {
            throw CommandFailed(fmt::format(
                "backup: '{}' is the database itself; name another file", target.string()));
        }
        if (!options.force) {
            throw CommandFailed(fmt::format(
                "backup: '{}' exists already; choose another file or pass --force to replace it",
                target.string()));
        }
    }

    const server::DatabaseSummary summary =
        server::write_backup(source, target, config.busy_timeout, options.force);
    out << fmt::format("backup of {} written to {}: {}, {}; integrity_check ok\n", source.string(),
                       target.string(), size_text(fs::file_size(target, ec)), describe(summary));
    return 0;
}

int restore_database(const server::ServerConfig& config, const RestoreOptions& options,
                     std::ostream& out) {
    const fs::path target = config.effective_database_file();
    const fs::path source = options.file;
    std::error_code ec;
    if (target.has_parent_path()) {
        try {
            server::make_private_directory(target.parent_path(), false);
        } catch (const std::system_error& e) {
            throw CommandFailed(fmt::format("cannot create the directory '{}' for the database: {}",
                                            target.parent_path().string(), e.code().message()));
        }
    }
    // First, so paktd cannot start (it takes the same lock) while the database is replaced.
    const auto lock = server::DatabaseLock::try_acquire(target);
    if (!lock) {
        throw CommandFailed(fmt::format(
            "restore: paktd is running on the database '{}' (it holds '{}'); stop paktd first "
            "(e.g. systemctl stop paktd), then restore; nothing was changed",
            target.string(), server::DatabaseLock::lock_file_for(target).string()));
    }

    if (!fs::is_regular_file(source, ec)) {
        throw CommandFailed(fmt::format("restore: no backup file at '{}'", source.string()));
    }
    if (fs::exists(target, ec) && fs::equivalent(source, target, ec)) {
        throw CommandFailed(fmt::format("restore: '{}' is the database itself; name a backup file",
                                        source.string()));
    }

    const int latest = server::latest_schema_version();
    int source_version = 0;
    {
        std::unique_ptr<SQLite::Database> backup;
        std::vector<std::string> problems;
        bool pakt_schema = false;
        try {
            backup =
                server::open_database(source, server::OpenMode::read_only, config.busy_timeout);
            problems = server::integrity_problems(*backup);
            pakt_schema = problems.empty() && server::has_pakt_schema(*backup);
            source_version = server::schema_version(*backup);
        } catch (const SQLite::Exception& e) {
            if (e.getErrorCode() != SQLITE_CORRUPT) {
                throw CommandFailed(
                    fmt::format("restore: '{}' is not a readable SQLite database: {}",
                                source.string(), e.what()));
            }
            // Damage SQLite meets before the check can report it (a broken schema page).
            problems.emplace_back(e.what());
        }
        if (!problems.empty()) {
            throw CommandFailed(
                fmt::format("restore: '{}' fails PRAGMA integrity_check ({}); nothing was changed",
                            source.string(), problems_text(problems)));
        }
        if (!pakt_schema || source_version < 1) {
            throw CommandFailed(fmt::format(
                "restore: '{}' is not a Pakt database (no Pakt tables or schema version 0); "
                "nothing was changed",
                source.string()));
        }
        if (source_version > latest) {
            throw CommandFailed(fmt::format(
                "restore: '{}' has schema version {}, written by a newer Pakt than this paktctl "
                "(schema version {}); restore it with the paktctl of that version",
                source.string(), source_version, latest));
        }
    }

    if (!options.force && fs::exists(target, ec) && fs::file_size(target, ec) > 0) {
        if (const auto damage = unreadable_as_sqlite(target, config)) {
            throw CommandFailed(fmt::format(
                "restore: the database '{}' exists but looks damaged ({}); pass --force to "
                "replace it with the backup; nothing was changed",
                target.string(), *damage));
        }
        throw CommandFailed(fmt::format(
            "restore: the database '{}' exists; restoring replaces everything in it with the "
            "backup: pass --force to do that (or take a backup of it first); nothing was changed",
            target.string()));
    }

    // The restored database is built completely in a temporary file beside the database and
    // only then renamed over it, so a failure at any step before the rename leaves the old
    // database untouched, and a damaged old database (the usual reason to restore) is never
    // opened at all.
    TemporaryFile temporary(target);
    int applied = 0;
    server::DatabaseSummary summary;
    try {
        {
            // A plain connection: the backup API refuses a WAL destination whose page size
            // differs from the source's, so WAL is switched on after the copy.
            const auto backup =
                server::open_database(source, server::OpenMode::read_only, config.busy_timeout);
            SQLite::Database copy(temporary.path().string(), SQLite::OPEN_READWRITE);
            server::copy_database(*backup, copy, config.busy_timeout);
        }
        // read_write switches the copy to WAL (the backup's pages carry its journal mode).
        const auto db = server::open_database(temporary.path(), server::OpenMode::read_write,
                                              config.busy_timeout);
        applied = server::migrate(*db);

        SQLite::Transaction tx(*db, SQLite::TransactionBehavior::IMMEDIATE);
        server::AuditEntry entry;
        entry.actor = kActor;
        entry.action = "database.restore";
        entry.object_type = "database";
        entry.object_id = target.filename().string();
        entry.detail = {{"backup_file", fs::absolute(source, ec).string()},
                        {"backup_schema_version", source_version},
                        {"schema_version", server::schema_version(*db)},
                        {"migrations_applied", applied}};
        server::append_audit(*db, entry);
        tx.commit();

        const std::vector<std::string> problems = server::integrity_problems(*db);
        if (!problems.empty()) {
            throw CommandFailed(fmt::format(
                "restore: the restored copy of '{}' fails PRAGMA integrity_check ({}); nothing "
                "was changed",
                source.string(), problems_text(problems)));
        }
        summary = server::summarize_database(*db);
    } catch (const SQLite::Exception& e) {
        // Name the files involved, not just the configured database, which is not touched.
        throw CommandFailed(fmt::format(
            "restore: restoring '{}' into the temporary file '{}' failed: {}; nothing was changed",
            source.string(), temporary.path().string(), e.what()));
    }
    // Closed above: the last connection checkpointed its -wal into the file and removed it.
    sync_path(temporary.path(), O_RDONLY);

    // Still under the lock (paktd cannot start). Order matters: the old database's side files go
    // first, then the new file is renamed into place. A -wal or -journal left beside the new file
    // would be replayed (or rolled back) over its pages on the next open, corrupting it; removed
    // first, a crash in between leaves the old database without its side files but never the new
    // one with stale ones. -shm is only the index of the -wal and goes with it.
    for (const char* suffix : server::kSqliteSideFiles) {
        const fs::path side = target.string() + suffix;
        fs::remove(side, ec);
        if (ec) {
            throw CommandFailed(fmt::format(
                "restore: cannot remove '{}' of the old database: {}; the database was not "
                "replaced",
                side.string(), ec.message()));
        }
    }
    move_into_place(temporary.path(), target, true, "restored database");
    temporary.keep();
    sync_path(directory_of(target), O_RDONLY | O_DIRECTORY);

    out << fmt::format("restored {} from {}: {}", target.string(), source.string(),
                       describe(summary));
    if (applied > 0) {
        out << fmt::format(" (migrated from schema version {}: {} applied)", source_version,
                           plural(static_cast<std::size_t>(applied), "migration", "migrations"));
    }
    out << '\n';
    return 0;
}

}  // namespace pakt::ctl
