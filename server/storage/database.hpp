// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// Opening SQLite connections the way Pakt needs them.
#include <chrono>
#include <filesystem>
#include <memory>

#include <SQLiteCpp/Database.h>

namespace pakt::server {

enum class OpenMode { read_write, read_only };

/// Opens (creating if `mode` is read_write and the file is missing) the database at `file` with
/// WAL journaling, synchronous=FULL (a committed transaction survives power loss),
/// foreign_keys=ON and the given busy timeout. Throws SQLite::Exception.
///
/// With read_write, the file and its -wal and -shm files are owner-only (0600) whatever the
/// umask: a missing database is created so, SQLite gives -wal and -shm the database's mode, and
/// group or other permissions on existing ones are removed. Throws std::system_error if that
/// fails.
std::unique_ptr<SQLite::Database> open_database(const std::filesystem::path& file, OpenMode mode,
                                                std::chrono::milliseconds busy_timeout);

/// Creates `dir` (and missing parents) if needed; a directory created here is owner-only (0700)
/// whatever the umask. With `tighten_existing`, an existing directory loses any group and other
/// permissions too. Returns true if an existing directory's mode was changed. Throws
/// std::system_error naming the directory.
bool make_private_directory(const std::filesystem::path& dir, bool tighten_existing);

}  // namespace pakt::server
