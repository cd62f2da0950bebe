// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "server/storage/database.hpp"

#include <SQLiteCpp/Statement.h>
#include <spdlog/spdlog.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <mutex>
#include <string>
#include <system_error>

namespace pakt::server {
namespace {

// SQLite's allocation statistics take a global mutex on every malloc and free, and Pakt never
// reads them. The setting is process-wide and only accepted before SQLite initialises (so it is
// tried before the first connection; if something initialised SQLite earlier it stays on).
void configure_sqlite_once() {
    static std::once_flag once;
    std::call_once(once, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
}

[[noreturn]] void fail(const std::string& what, const std::filesystem::path& path) {
    throw std::system_error(errno, std::generic_category(), what + " '" + path.string() + "'");
}

// SQLite's own names for databases that are no file.
bool is_file_name(const std::filesystem::path& file) {
    const std::string name = file.string();
    return !name.empty() && name != ":memory:" && !name.starts_with("file:");
}

// Removes group and other permissions from `path` if it exists; false if it does not.
bool make_owner_only(const std::filesystem::path& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) return false;
        fail("cannot read the mode of", path);
    }
    const mode_t wanted = st.st_mode & 0700;
    if ((st.st_mode & 07777) == wanted) return false;
    if (::chmod(path.c_str(), wanted) != 0) {
        // Another user's file (e.g. a database set up by root for a group): paktd ran with it
        // before and still can; say so instead of refusing to start.
        if (errno == EPERM) {
            spdlog::warn("'{}' is readable by others and owned by another user; make it "
                         "owner-only (chmod go-rwx)",
                         path.string());
            return false;
        }
        fail("cannot make owner-only", path);
    }
    return true;
}

// The database file, created owner-only before SQLite would create it with 0644 & ~umask.
void prepare_private_database_file(const std::filesystem::path& file) {
    const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return;  // SQLite's own open then reports why, as it always has
    ::close(fd);
    make_owner_only(file);
    // Left by an older paktd or another tool: SQLite reuses them with their mode.
    make_owner_only(file.string() + "-wal");
    make_owner_only(file.string() + "-shm");
}

}  // namespace

bool make_private_directory(const std::filesystem::path& dir, bool tighten_existing) {
    std::error_code ec;
    const bool existed = std::filesystem::is_directory(dir, ec);
    if (!existed) {
        if (dir.has_parent_path()) {
            std::filesystem::create_directories(dir.parent_path(), ec);
            if (ec) {
                throw std::system_error(
                    ec, "cannot create the directory '" + dir.parent_path().string() + "'");
            }
        }
        if (::mkdir(dir.c_str(), 0700) == 0) {
            // mkdir's mode is filtered by the umask, which may have removed owner bits too.
            if (::chmod(dir.c_str(), 0700) != 0) fail("cannot set the mode of", dir);
            return false;
        }
        if (errno != EEXIST) fail("cannot create the directory", dir);
        if (!std::filesystem::is_directory(dir, ec)) {
            errno = ENOTDIR;
            fail("cannot create the directory", dir);
        }
        // Created by someone else in between: an existing directory.
    }
    return tighten_existing && make_owner_only(dir);
}

std::unique_ptr<SQLite::Database> open_database(const std::filesystem::path& file, OpenMode mode,
                                                std::chrono::milliseconds busy_timeout) {
    configure_sqlite_once();
    if (mode == OpenMode::read_write && is_file_name(file)) prepare_private_database_file(file);
    const int flags = mode == OpenMode::read_write
                          ? SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_NOMUTEX
                          : SQLite::OPEN_READONLY | SQLite::OPEN_NOMUTEX;
    auto db = std::make_unique<SQLite::Database>(file.string(), flags,
                                                 static_cast<int>(busy_timeout.count()));
    if (mode == OpenMode::read_write) {
        // journal_mode is persistent in the file; setting it on every open is cheap and makes
        // a database created by another tool safe too.
        db->exec("PRAGMA journal_mode=WAL");
    }
    db->exec("PRAGMA synchronous=FULL");
    db->exec("PRAGMA foreign_keys=ON");
    return db;
}

}  // namespace pakt::server
