#include "server/storage/database.hpp"

#include <SQLiteCpp/Statement.h>

namespace pakt::server {

std::unique_ptr<SQLite::Database> open_database(const std::filesystem::path& file, OpenMode mode,
                                                std::chrono::milliseconds busy_timeout) {
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
