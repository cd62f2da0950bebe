// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "server/storage/writer.hpp"

#include <SQLiteCpp/Database.h>
#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <vector>

#include "server/storage/sql/postgres.hpp"
#include "server/storage/statement_cache.hpp"

namespace pakt::server {

namespace {

// Taken first by every group on PostgreSQL (see the constructor's documentation).
const std::string kPostgresBegin = std::string("BEGIN; ") + sql::kPostgresWriteLock;

}  // namespace

Writer::Writer(std::unique_ptr<SQLite::Database> db, std::size_t max_batch)
    : sqlite_(std::move(db)), db_(*sqlite_), max_batch_(max_batch == 0 ? 1 : max_batch) {
    // Each command runs in a savepoint and each multi-row upsert is a statement that can be undone
    // on its own, so SQLite keeps a sub-journal of the pages they change. By default it moves to a
    // temporary file beyond 64 KiB: a check-in group's did, and during a backlog drain 70 % of
    // the writer's pwrite calls, a fifth of its time, went to a file deleted at commit. In memory
    // it is emptied after every command, so it holds at most the pages one command changes (a
    // check-in's: under a megabyte; a large import's: tens of megabytes while it runs).
    db_.exec("PRAGMA temp_store=MEMORY");
    thread_ = std::thread([this] { run_loop(); });
}

Writer::Writer(std::unique_ptr<sql::PgConnection> db, std::size_t max_batch)
    : pg_(std::move(db)), db_(*pg_), max_batch_(max_batch == 0 ? 1 : max_batch) {
    thread_ = std::thread([this] { run_loop(); });
}

Writer::~Writer() { stop(); }

void Writer::submit(std::function<void(sql::Db)> run,
                    std::function<void(std::exception_ptr)> complete) {
    {
        std::lock_guard lock(mutex_);
        if (stopping_) throw WriterStopped();
        queue_.push_back(Command{std::move(run), std::move(complete)});
    }
    wake_.notify_one();
}

void Writer::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();
}

std::uint64_t Writer::commits() const {
    std::lock_guard lock(mutex_);
    return commits_;
}

std::uint64_t Writer::commands() const {
    std::lock_guard lock(mutex_);
    return commands_;
}

void Writer::run_loop() {
    // Named so that top -H and perf show the serial part of every write apart.
    pthread_setname_np(pthread_self(), "pakt-writer");
    // The writer's statements are compiled once for the life of its connection.
    StatementCache statements(db_);
    StatementCache::Scope scope(statements);
    for (;;) {
        std::deque<Command> group;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) return;  // stopping and drained
            while (!queue_.empty() && group.size() < max_batch_) {
                group.push_back(std::move(queue_.front()));
                queue_.pop_front();
            }
        }
        if (pg_ && PQstatus(pg_->handle()) != CONNECTION_OK) reconnect(statements);
        run_group(group, statements);
    }
}

void Writer::reconnect(StatementCache& statements) {
    // The connection was lost (the server restarted, a failover): its prepared statements went
    // with it.
    statements.clear();
    PQreset(pg_->handle());
    if (PQstatus(pg_->handle()) == CONNECTION_OK) {
        spdlog::warn("writer: reconnected to PostgreSQL");
        pg_->exec("SET TIME ZONE 'UTC'");
    }
}

void Writer::begin(StatementCache& statements) {
    if (!pg_) {
        db_.exec("BEGIN IMMEDIATE");
        return;
    }
    try {
        db_.exec(kPostgresBegin);
    } catch (const sql::PgError&) {
        // libpq learns that the server dropped an idle connection only when it next uses it, so
        // the first group after a restart or failover fails here. Nothing of it has run: reconnect
        // and begin once more, and its writers never see the old connection's end.
        if (PQstatus(pg_->handle()) == CONNECTION_OK) throw;
        reconnect(statements);
        db_.exec(kPostgresBegin);
    }
}

bool Writer::in_transaction() const {
    if (pg_) return PQtransactionStatus(pg_->handle()) != PQTRANS_IDLE;
    return !sqlite_->getHandle() || sqlite3_get_autocommit(sqlite_->getHandle()) == 0;
}

void Writer::run_group(std::deque<Command>& group, StatementCache& statements) {
    std::vector<std::exception_ptr> outcomes(group.size());
    std::exception_ptr commit_error;
    try {
        begin(statements);
        for (std::size_t i = 0; i < group.size(); ++i) {
            db_.exec("SAVEPOINT command");
            try {
                group[i].run(db_);
                db_.exec("RELEASE command");
            } catch (...) {
                outcomes[i] = std::current_exception();
                db_.exec("ROLLBACK TO command");
                db_.exec("RELEASE command");
            }
        }
        db_.exec("COMMIT");
    } catch (...) {
        // BEGIN, a savepoint statement or COMMIT itself failed: nothing of the group is durable.
        commit_error = std::current_exception();
        try {
            if (in_transaction()) db_.exec("ROLLBACK");
        } catch (const std::exception& e) {
            spdlog::error("writer: rollback after failed group failed: {}", e.what());
        }
    }
    {
        std::lock_guard lock(mutex_);
        if (!commit_error) ++commits_;
        commands_ += group.size();
    }
    for (std::size_t i = 0; i < group.size(); ++i) {
        group[i].complete(commit_error ? commit_error : outcomes[i]);
    }
}

}  // namespace pakt::server
