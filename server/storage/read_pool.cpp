#include "server/storage/read_pool.hpp"

#include <SQLiteCpp/Database.h>

#include "server/storage/database.hpp"

namespace pakt::server {

ReadPool::ReadPool(const std::filesystem::path& file, unsigned size,
                   std::chrono::milliseconds busy_timeout) {
    if (size == 0) size = 1;
    for (unsigned i = 0; i < size; ++i) {
        idle_.push_back(open_database(file, OpenMode::read_only, busy_timeout));
    }
}

ReadPool::~ReadPool() = default;

ReadPool::Lease ReadPool::acquire() {
    std::unique_lock lock(mutex_);
    available_.wait(lock, [this] { return !idle_.empty(); });
    auto db = std::move(idle_.back());
    idle_.pop_back();
    return Lease(*this, std::move(db));
}

void ReadPool::give_back(std::unique_ptr<SQLite::Database> db) {
    {
        std::lock_guard lock(mutex_);
        idle_.push_back(std::move(db));
    }
    available_.notify_one();
}

ReadPool::Lease::Lease(ReadPool& pool, std::unique_ptr<SQLite::Database> db)
    : pool_(&pool), db_(std::move(db)) {}

ReadPool::Lease::Lease(Lease&& other) noexcept
    : pool_(other.pool_), db_(std::move(other.db_)) {}

ReadPool::Lease::~Lease() {
    if (db_) pool_->give_back(std::move(db_));
}

}  // namespace pakt::server
