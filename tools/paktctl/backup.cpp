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
#include "server/storage/database.hpp"
#include "server/storage/database_lock.hpp"
#include "server/storage/maintenance.hpp"
#include "server/storage/migrator.hpp"
#include "tools/paktctl/command_support.hpp"

namespace pakt::ctl {
namespace {

namespace fs = std::filesystem;

// The files SQLite may create beside a database.
constexpr std::array<const char*, 3> kSideFiles{"-journal", "-wal", "-shm"};

// A temporary file next to the final one (same directory, so the rename is atomic), removed with
// SQLite's side files unless kept.
class TemporaryFile {
  public:
    explicit TemporaryFile(const fs::path& final_file) {
        const fs::path dir = final_file.has_parent_path() ? final_file.parent_path() : ".";
        std::string pattern =
            (dir / ("." + final_file.filename().string() + ".tmp-XXXXXX")).string();
        const int fd = ::mkstemp(pattern.data());
        if (fd < 0) {
            throw CommandFailed(fmt::format("cannot create a temporary file in '{}': {}",
                                            dir.string(), std::strerror(errno)));
        }
        ::close(fd);
        path_ = pattern;
    }
    ~TemporaryFile() {
        if (path_.empty()) return;
        std::error_code ec;
        fs::remove(path_, ec);
        for (const char* suffix : kSideFiles) fs::remove(path_.string() + suffix, ec);
    }
    TemporaryFile(const TemporaryFile&) = delete;
    TemporaryFile& operator=(const TemporaryFile&) = delete;

    const fs::path& path() const { return path_; }
    void keep() { path_.clear(); }

  private:
    fs::path path_;
};

void sync_path(const fs::path& path, int flags) {
    const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
    if (fd < 0 || ::fsync(fd) != 0) {
        const int error = errno;
        if (fd >= 0) ::close(fd);
        throw CommandFailed(
            fmt::format("cannot sync '{}' to disk: {}", path.string(), std::strerror(error)));
    }
    ::close(fd);
}

fs::path directory_of(const fs::path& file) {
    return file.has_parent_path() ? file.parent_path() : fs::path(".");
}

// Moves `from` to `to`; without `replace`, fails with EEXIST if `to` exists at that moment (no
// window between a check and the rename).
void move_into_place(const fs::path& from, const fs::path& to, bool replace,
                     std::string_view what = "backup") {
    int rc = 0;
    if (replace) {
        rc = ::rename(from.c_str(), to.c_str());
    } else {
        rc = ::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE);
        if (rc != 0 && (errno == EINVAL || errno == ENOSYS)) {
            // A file system without RENAME_NOREPLACE: a hard link refuses to replace, too.
            rc = ::link(from.c_str(), to.c_str());
            if (rc == 0) ::unlink(from.c_str());
        }
    }
    if (rc != 0) {
        const int error = errno;
        if (error == EEXIST) {
            throw CommandFailed(fmt::format(
                "'{}' was created by someone else while the backup was written; nothing was "
                "replaced (choose another file or pass --force)",
                to.string()));
        }
        throw CommandFailed(fmt::format("cannot move the {} into place as '{}': {}", what,
                                        to.string(), std::strerror(error)));
    }
}

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

std::string problems_text(const std::vector<std::string>& problems) {
    std::string text;
    for (const auto& p : problems) text += (text.empty() ? "" : "; ") + p;
    return text;
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

    TemporaryFile temporary(target);
    {
        // Read-only and not migrated: a backup copies the database as it is and changes nothing.
        // Errors here are the database's and are reported as such by the caller.
        const auto live =
            server::open_database(source, server::OpenMode::read_only, config.busy_timeout);
        try {
            SQLite::Database copy(temporary.path().string(), SQLite::OPEN_READWRITE);
            server::copy_database(*live, copy, config.busy_timeout);
            // The copy carries the live database's WAL flag; a backup is one self-contained file
            // (paktd and paktctl restore switch a restored database back to WAL).
            copy.exec("PRAGMA journal_mode=DELETE");
        } catch (const SQLite::Exception& e) {
            throw CommandFailed(fmt::format(
                "backup: copying '{}' into the temporary file '{}' for '{}' failed: {}; nothing "
                "was written to '{}'",
                source.string(), temporary.path().string(), target.string(), e.what(),
                target.string()));
        }
    }
    sync_path(temporary.path(), O_RDONLY);

    // The check reads what is on disk, through a connection of its own.
    server::DatabaseSummary summary;
    {
        std::vector<std::string> problems;
        try {
            SQLite::Database check(temporary.path().string(), SQLite::OPEN_READONLY);
            problems = server::integrity_problems(check);
            if (problems.empty()) summary = server::summarize_database(check);
        } catch (const SQLite::Exception& e) {
            // Damage SQLite meets before the check can report it (a broken schema page).
            problems.emplace_back(e.what());
        }
        if (!problems.empty()) {
            throw CommandFailed(fmt::format(
                "backup: the copy of '{}' fails PRAGMA integrity_check ({}); nothing was written "
                "to '{}'",
                source.string(), problems_text(problems), target.string()));
        }
    }
    move_into_place(temporary.path(), target, options.force);
    temporary.keep();
    sync_path(directory_of(target), O_RDONLY | O_DIRECTORY);

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
    for (const char* suffix : kSideFiles) {
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
