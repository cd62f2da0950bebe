// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// The single writer: one thread owns the write connection and commits queued write commands in
// groups. Each command runs in its own SAVEPOINT inside the group's transaction, so one failing
// command does not fail the others; the group commits once (one fsync for many requests), and
// only then is each waiting caller completed. A 2xx answer therefore always follows a durable
// commit (synchronous=FULL), and throughput comes from batching, not weaker durability.
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <type_traits>

#include "server/domain/store.hpp"
#include "server/storage/sql/db.hpp"

namespace SQLite {
class Database;
}
namespace pakt::server::sql {
class PgConnection;
}

namespace pakt::server {

class StatementCache;

/// Thrown to callers once the writer has been stopped.
using WriterStopped = StoreStopped;

class Writer {
  public:
    /// Takes ownership of the write connection. `max_batch` caps the commands per commit.
    Writer(std::unique_ptr<SQLite::Database> db, std::size_t max_batch);
    /// On PostgreSQL. Each group's transaction first takes one advisory lock, so the writers of
    /// several instances on one database commit one group at a time: no deadlock between them,
    /// and the audit chain is appended to by one writer at a time. A lost connection is
    /// re-established before the next group.
    Writer(std::unique_ptr<sql::PgConnection> db, std::size_t max_batch);
    ~Writer();
    Writer(const Writer&) = delete;
    Writer& operator=(const Writer&) = delete;

    /// Runs `fn(db)` on the writer thread inside the current group's transaction and returns its
    /// result once the group has committed. `fn` takes an sql::Db (or, on SQLite, the
    /// SQLite::Database). Blocks the caller. If `fn` throws, its savepoint is
    /// rolled back and the exception is rethrown here; if the commit fails, the commit's
    /// exception is rethrown. Thread-safe. Throws WriterStopped after stop().
    template <class Fn>
    auto execute(Fn&& fn) {
        if constexpr (std::is_invocable_v<Fn&, sql::Db>) {
            return execute_on(fn);
        } else {
            return execute_on([&fn](sql::Db db) { return fn(*db.sqlite()); });
        }
    }

    /// Queues `run` and calls `complete` on the writer thread after the group commit (with the
    /// command's or the commit's exception, or nullptr). `complete` must not block or throw.
    /// Throws WriterStopped after stop().
    void submit(std::function<void(sql::Db)> run, std::function<void(std::exception_ptr)> complete);

    /// Finishes every queued command, then stops the thread. Idempotent.
    void stop();

    /// Number of committed groups and of commands run, for metrics and tests.
    std::uint64_t commits() const;
    std::uint64_t commands() const;

  private:
    template <class Fn>
    auto execute_on(Fn&& fn) -> std::invoke_result_t<Fn&, sql::Db> {
        using Result = std::invoke_result_t<Fn&, sql::Db>;
        std::promise<Result> promise;
        auto future = promise.get_future();
        if constexpr (std::is_void_v<Result>) {
            submit([&fn](sql::Db db) { fn(db); },
                   [&promise](std::exception_ptr error) {
                       if (error)
                           promise.set_exception(error);
                       else
                           promise.set_value();
                   });
        } else {
            auto result = std::make_shared<std::optional<Result>>();
            submit([&fn, result](sql::Db db) { result->emplace(fn(db)); },
                   [&promise, result](std::exception_ptr error) {
                       if (error)
                           promise.set_exception(error);
                       else
                           promise.set_value(std::move(**result));
                   });
        }
        return future.get();
    }
    struct Command {
        std::function<void(sql::Db)> run;
        std::function<void(std::exception_ptr)> complete;
    };

    void run_loop();
    void run_group(std::deque<Command>& group, StatementCache& statements);
    /// BEGIN (on PostgreSQL with the write lock), reconnecting once if the connection was lost.
    void begin(StatementCache& statements);
    /// Resets a lost PostgreSQL connection; its prepared statements are forgotten.
    void reconnect(StatementCache& statements);
    bool in_transaction() const;

    std::unique_ptr<SQLite::Database> sqlite_;
    std::unique_ptr<sql::PgConnection> pg_;
    sql::Db db_;
    const std::size_t max_batch_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Command> queue_;
    bool stopping_ = false;
    std::uint64_t commits_ = 0;
    std::uint64_t commands_ = 0;
    std::thread thread_;
};

}  // namespace pakt::server
