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
std::unique_ptr<SQLite::Database> open_database(const std::filesystem::path& file, OpenMode mode,
                                                std::chrono::milliseconds busy_timeout);

}  // namespace pakt::server
