// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "server/storage/read_pool.hpp"

#include <SQLiteCpp/Database.h>

#include "server/storage/database.hpp"
#include "server/storage/sql/postgres.hpp"
#include "server/storage/statement_cache.hpp"

namespace pakt::server {

struct ReadPool::Connection {
    explicit Connection(std::unique_ptr<SQLite::Database> database)
        : db(std::move(database)), statements(*db) {}
    explicit Connection(std::unique_ptr<sql::PgConnection> database)
        : pg(std::move(database)), statements(*pg) {}
    sql::Db handle() { return pg ? sql::Db(*pg) : sql::Db(*db); }
    std::unique_ptr<SQLite::Database> db;
    std::unique_ptr<sql::PgConnection> pg;
    StatementCache statements;  // destroyed before the connection it compiled on
};

ReadPool::ReadPool(const std::filesystem::path& file, unsigned size,
                   std::chrono::milliseconds busy_timeout) {
    if (size == 0) size = 1;
    for (unsigned i = 0; i < size; ++i) {
        idle_.push_back(
            std::make_unique<Connection>(open_database(file, OpenMode::read_only, busy_timeout)));
    }
}

ReadPool::ReadPool(const std::string& postgres_url, unsigned size) {
    if (size == 0) size = 1;
    for (unsigned i = 0; i < size; ++i) {
        idle_.push_back(
            std::make_unique<Connection>(std::make_unique<sql::PgConnection>(postgres_url)));
    }
}

ReadPool::~ReadPool() = default;

ReadPool::Lease ReadPool::acquire() {
    std::unique_lock lock(mutex_);
    available_.wait(lock, [this] { return !idle_.empty(); });
    auto connection = std::move(idle_.back());
    idle_.pop_back();
    lock.unlock();
    if (connection->pg && PQstatus(connection->pg->handle()) != CONNECTION_OK) {
        // Lost (the server restarted, a failover): its prepared statements went with it.
        connection->statements.clear();
        PQreset(connection->pg->handle());
        if (PQstatus(connection->pg->handle()) == CONNECTION_OK)
            connection->pg->exec("SET TIME ZONE 'UTC'");
    }
    return Lease(*this, std::move(connection));
}

void ReadPool::give_back(std::unique_ptr<Connection> connection) {
    {
        std::lock_guard lock(mutex_);
        idle_.push_back(std::move(connection));
    }
    available_.notify_one();
}

ReadPool::Lease::Lease(ReadPool& pool, std::unique_ptr<Connection> connection)
    : pool_(&pool), connection_(std::move(connection)) {}

ReadPool::Lease::Lease(Lease&& other) noexcept
    : pool_(other.pool_), connection_(std::move(other.connection_)) {}

ReadPool::Lease::~Lease() {
    if (connection_) pool_->give_back(std::move(connection_));
}

SQLite::Database& ReadPool::Lease::db() { return *connection_->db; }

sql::Db ReadPool::Lease::handle() { return connection_->handle(); }

StatementCache& ReadPool::Lease::statements() { return connection_->statements; }

}  // namespace pakt::server
