// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// Backup files of a SQLite database, written so that a crash leaves either no file or a whole,
// checked one: paktctl backup and restore, and paktd before it migrates a database.
#include <array>
#include <chrono>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "server/storage/maintenance.hpp"

namespace pakt::server {

/// The files SQLite may create beside a database.
inline constexpr std::array<const char*, 3> kSqliteSideFiles{"-journal", "-wal", "-shm"};

/// A backup or restore step failed; the message names the file and what went wrong.
class BackupError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

/// A temporary file next to `final_file` (same directory, so the rename into place is atomic),
/// removed with SQLite's side files (-journal, -wal, -shm) unless kept.
class TemporaryFile {
  public:
    explicit TemporaryFile(const std::filesystem::path& final_file);
    ~TemporaryFile();
    TemporaryFile(const TemporaryFile&) = delete;
    TemporaryFile& operator=(const TemporaryFile&) = delete;

    const std::filesystem::path& path() const { return path_; }
    void keep() { path_.clear(); }

  private:
    std::filesystem::path path_;
};

/// fsync of a file (O_RDONLY) or a directory (O_RDONLY | O_DIRECTORY).
void sync_path(const std::filesystem::path& path, int flags);

/// The directory `file` is in ("." for a bare name).
std::filesystem::path directory_of(const std::filesystem::path& file);

/// Moves `from` to `to`; without `replace`, fails if `to` exists at that moment (no window
/// between a check and the rename). `what` names the file in the error.
void move_into_place(const std::filesystem::path& from, const std::filesystem::path& to,
                     bool replace, std::string_view what = "backup");

/// The lines of an integrity check, joined with "; ".
std::string problems_text(const std::vector<std::string>& problems);

/// Writes a consistent copy of the SQLite database `source` to `target`: one read snapshot
/// (writers are not blocked) copied into a temporary file beside `target`, switched out of WAL
/// mode (a backup is one self-contained file), synced, checked with PRAGMA integrity_check,
/// renamed into place (replacing `target` only if `replace`) and the directory synced. Opens
/// `source` read-only and never migrates it. On failure nothing is left at or next to `target`.
/// Returns what the copy holds. Throws BackupError (naming `target`), or SQLite::Exception for
/// failures reading `source`.
DatabaseSummary write_backup(const std::filesystem::path& source,
                             const std::filesystem::path& target,
                             std::chrono::milliseconds busy_timeout, bool replace);

/// Before paktd migrates: if `database` exists with a Pakt schema older than this build's and not
/// empty (version 0: nothing to keep), writes a backup of it to
/// <its directory>/backups/<name>-schema<N>-<UTC time>.db (directory created owner-only) and
/// returns that path; otherwise nullopt. A newer schema is left to the migrator, which refuses
/// it. Restorable with `paktctl restore`. Throws BackupError if the backup cannot be written: the
/// caller must then not migrate.
std::optional<std::filesystem::path> backup_before_migration(
    const std::filesystem::path& database, std::chrono::milliseconds busy_timeout);

}  // namespace pakt::server
