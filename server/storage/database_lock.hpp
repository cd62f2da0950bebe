// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// The advisory lock that keeps one process at a time in charge of a database file: paktd holds
// it while it runs, `paktctl restore` while it replaces the database. Other paktctl commands do
// not take it; they share the database with paktd through SQLite's own locking.
#include <filesystem>
#include <optional>

namespace pakt::server {

/// An exclusive flock(2) on `<database file>.lock`, held until the object is destroyed (or the
/// process ends, also by SIGKILL: the kernel releases it, so a crash never leaves a stale lock).
/// The lock file itself is left in place; its presence means nothing, only the lock does.
/// Move-only. Not tied to a thread; two objects in one process exclude each other like two
/// processes do.
class DatabaseLock {
  public:
    /// Takes the lock without waiting. Returns nullopt if another holder has it. Throws
    /// std::system_error (naming the lock file) if the lock file cannot be opened or locked for
    /// another reason. Creates the lock file (mode 0600) if missing; its directory must exist.
    static std::optional<DatabaseLock> try_acquire(const std::filesystem::path& database_file);

    /// The lock file that guards `database_file`: its canonical path (symlinks resolved) with
    /// ".lock" appended, so every name of one database file shares one lock.
    static std::filesystem::path lock_file_for(const std::filesystem::path& database_file);

    DatabaseLock(DatabaseLock&& other) noexcept;
    DatabaseLock& operator=(DatabaseLock&& other) noexcept;
    DatabaseLock(const DatabaseLock&) = delete;
    DatabaseLock& operator=(const DatabaseLock&) = delete;
    ~DatabaseLock();

    const std::filesystem::path& file() const { return file_; }

  private:
    DatabaseLock(int fd, std::filesystem::path file) : fd_(fd), file_(std::move(file)) {}
    int fd_ = -1;
    std::filesystem::path file_;
};

}  // namespace pakt::server
