#pragma once
// A fixed pool of read-only connections. With WAL, readers never block the writer and see the
// last committed state when their statement starts.
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <vector>

namespace SQLite {
class Database;
}

namespace pakt::server {

class ReadPool {
public:
    /// Opens `size` read-only connections to `file` (which must exist and be migrated).
    ReadPool(const std::filesystem::path& file, unsigned size, std::chrono::milliseconds busy_timeout);
    ~ReadPool();
    ReadPool(const ReadPool&) = delete;
    ReadPool& operator=(const ReadPool&) = delete;

    /// A connection borrowed for the lifetime of the lease; returned to the pool on destruction.
    class Lease {
    public:
        Lease(ReadPool& pool, std::unique_ptr<SQLite::Database> db);
        Lease(Lease&& other) noexcept;
        Lease& operator=(Lease&&) = delete;
        ~Lease();
        SQLite::Database& db() { return *db_; }

    private:
        ReadPool* pool_;
        std::unique_ptr<SQLite::Database> db_;
    };

    /// Borrows a connection, waiting while all are in use. Thread-safe.
    Lease acquire();

private:
    void give_back(std::unique_ptr<SQLite::Database> db);

    std::mutex mutex_;
    std::condition_variable available_;
    std::vector<std::unique_ptr<SQLite::Database>> idle_;
};

}  // namespace pakt::server
