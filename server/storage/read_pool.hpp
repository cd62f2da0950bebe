// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// A fixed pool of read-only connections. With WAL, readers never block the writer and see the
// last committed state when their statement starts.
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <vector>

#include "server/storage/sql/db.hpp"

namespace SQLite {
class Database;
}

namespace pakt::server {

class StatementCache;

class ReadPool {
public:
    /// Opens `size` read-only connections to `file` (which must exist and be migrated).
    ReadPool(const std::filesystem::path& file, unsigned size, std::chrono::milliseconds busy_timeout);
    /// Opens `size` connections to the PostgreSQL database at `url`. A lent connection that was
    /// lost is re-established when it is next borrowed.
    ReadPool(const std::string& postgres_url, unsigned size);
    ~ReadPool();
    ReadPool(const ReadPool&) = delete;
    ReadPool& operator=(const ReadPool&) = delete;

    /// A connection with the statements compiled on it so far.
    struct Connection;

    /// A connection borrowed for the lifetime of the lease; returned to the pool on destruction.
    class Lease {
    public:
        Lease(ReadPool& pool, std::unique_ptr<Connection> connection);
        Lease(Lease&& other) noexcept;
        Lease& operator=(Lease&&) = delete;
        ~Lease();
        /// The SQLite connection (a pool opened on a file only).
        SQLite::Database& db();
        /// The connection, on either backend.
        sql::Db handle();
        /// The connection's statement cache, for a StatementCache::Scope on the thread that
        /// uses the lease (the hot paths every request takes: authentication). Not put in scope
        /// by the lease itself, since a lease may move between threads (a streamed export).
        StatementCache& statements();

    private:
        ReadPool* pool_;
        std::unique_ptr<Connection> connection_;
    };

    /// Borrows a connection, waiting while all are in use. Thread-safe.
    Lease acquire();

private:
    void give_back(std::unique_ptr<Connection> connection);

    std::mutex mutex_;
    std::condition_variable available_;
    std::vector<std::unique_ptr<Connection>> idle_;
};

}  // namespace pakt::server
