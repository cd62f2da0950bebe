// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "server/storage/backup.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>

#include "server/storage/database.hpp"
#include "server/storage/migrator.hpp"

namespace pakt::server {

namespace fs = std::filesystem;

namespace {

std::string utc_stamp() {
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    ::gmtime_r(&now, &tm);
    std::array<char, 32> text{};
    std::strftime(text.data(), text.size(), "%Y%m%dT%H%M%SZ", &tm);
    return text.data();
}

}  // namespace

TemporaryFile::TemporaryFile(const fs::path& final_file) {
    const fs::path dir = directory_of(final_file);
    std::string pattern = (dir / ("." + final_file.filename().string() + ".tmp-XXXXXX")).string();
    const int fd = ::mkstemp(pattern.data());
    if (fd < 0) {
        throw BackupError(fmt::format("cannot create a temporary file in '{}': {}", dir.string(),
                                      std::strerror(errno)));
    }
    ::close(fd);
    path_ = pattern;
}

TemporaryFile::~TemporaryFile() {
    if (path_.empty()) return;
    std::error_code ec;
    fs::remove(path_, ec);
    for (const char* suffix : kSqliteSideFiles) fs::remove(path_.string() + suffix, ec);
}

void sync_path(const fs::path& path, int flags) {
    const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
    if (fd < 0 || ::fsync(fd) != 0) {
        const int error = errno;
        if (fd >= 0) ::close(fd);
        throw BackupError(
            fmt::format("cannot sync '{}' to disk: {}", path.string(), std::strerror(error)));
    }
    ::close(fd);
}

fs::path directory_of(const fs::path& file) {
    return file.has_parent_path() ? file.parent_path() : fs::path(".");
}

void move_into_place(const fs::path& from, const fs::path& to, bool replace,
                     std::string_view what) {
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
            throw BackupError(fmt::format(
                "'{}' was created by someone else while the backup was written; nothing was "
                "replaced (choose another file or pass --force)",
                to.string()));
        }
        throw BackupError(fmt::format("cannot move the {} into place as '{}': {}", what,
                                      to.string(), std::strerror(error)));
    }
}

std::string problems_text(const std::vector<std::string>& problems) {
    std::string text;
    for (const auto& p : problems) text += (text.empty() ? "" : "; ") + p;
    return text;
}

DatabaseSummary write_backup(const fs::path& source, const fs::path& target,
                             std::chrono::milliseconds busy_timeout, bool replace) {
    TemporaryFile temporary(target);
    {
        // Read-only and not migrated: a backup copies the database as it is and changes nothing.
        // Errors here are the database's and are reported as such by the caller.
        const auto live = open_database(source, OpenMode::read_only, busy_timeout);
        try {
            SQLite::Database copy(temporary.path().string(), SQLite::OPEN_READWRITE);
            copy_database(*live, copy, busy_timeout);
            // The copy carries the live database's WAL flag; a backup is one self-contained file
            // (paktd and paktctl restore switch a restored database back to WAL).
            copy.exec("PRAGMA journal_mode=DELETE");
        } catch (const SQLite::Exception& e) {
            throw BackupError(fmt::format(
                "backup: copying '{}' into the temporary file '{}' for '{}' failed: {}; nothing "
                "was written to '{}'",
                source.string(), temporary.path().string(), target.string(), e.what(),
                target.string()));
        }
    }
    sync_path(temporary.path(), O_RDONLY);

    // The check reads what is on disk, through a connection of its own.
    DatabaseSummary summary;
    {
        std::vector<std::string> problems;
        try {
            SQLite::Database check(temporary.path().string(), SQLite::OPEN_READONLY);
            problems = integrity_problems(check);
            if (problems.empty()) summary = summarize_database(check);
        } catch (const SQLite::Exception& e) {
            // Damage SQLite meets before the check can report it (a broken schema page).
            problems.emplace_back(e.what());
        }
        if (!problems.empty()) {
            throw BackupError(fmt::format(
                "backup: the copy of '{}' fails PRAGMA integrity_check ({}); nothing was written "
                "to '{}'",
                source.string(), problems_text(problems), target.string()));
        }
    }
    move_into_place(temporary.path(), target, replace);
    temporary.keep();
    sync_path(directory_of(target), O_RDONLY | O_DIRECTORY);
    return summary;
}

std::optional<fs::path> backup_before_migration(const fs::path& database,
                                                std::chrono::milliseconds busy_timeout) {
    std::error_code ec;
    if (!fs::is_regular_file(database, ec)) return std::nullopt;
    int version = 0;
    {
        const auto db = open_database(database, OpenMode::read_only, busy_timeout);
        version = schema_version(*db);
    }
    if (version <= 0 || version >= latest_schema_version()) return std::nullopt;

    const fs::path dir = directory_of(database) / "backups";
    try {
        make_private_directory(dir, false);
    } catch (const std::system_error& e) {
        throw BackupError(fmt::format("cannot create the backup directory '{}': {}", dir.string(),
                                      e.code().message()));
    }
    const fs::path target =
        dir / fmt::format("{}-schema{}-{}.db", database.stem().string(), version, utc_stamp());
    write_backup(database, target, busy_timeout, false);
    return target;
}

}  // namespace pakt::server
