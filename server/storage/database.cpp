#include "server/storage/database.hpp"

#include <SQLiteCpp/Statement.h>
#include <sqlite3.h>

#include <mutex>

namespace pakt::server {
namespace {

// SQLite's allocation statistics take a global mutex on every malloc and free, and Pakt never
// reads them. The setting is process-wide and only accepted before SQLite initialises (so it is
// tried before the first connection; if something initialised SQLite earlier it stays on).
void configure_sqlite_once() {
    static std::once_flag once;
    std::call_once(once, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
}

}  // namespace

std::unique_ptr<SQLite::Database> open_database(const std::filesystem::path& file, OpenMode mode,
                                                std::chrono::milliseconds busy_timeout) {
    configure_sqlite_once();
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
