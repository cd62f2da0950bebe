// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "server/storage/sql/db.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <cstdlib>
#include <cstring>

#include "server/storage/sql/postgres.hpp"

namespace pakt::server::sql {
namespace {

std::int64_t parse_int(const char* text) {
    if (!text) return 0;
    // PostgreSQL writes booleans as t and f; SQLite has none and stores 1 and 0.
    if (text[0] == 't' && text[1] == '\0') return 1;
    if (text[0] == 'f' && text[1] == '\0') return 0;
    return std::strtoll(text, nullptr, 10);
}

}  // namespace

Connection::Connection(std::unique_ptr<SQLite::Database> db) : sqlite_(std::move(db)) {}
Connection::Connection(std::unique_ptr<PgConnection> db) : pg_(std::move(db)) {}
Connection::Connection(Connection&&) noexcept = default;
Connection& Connection::operator=(Connection&&) noexcept = default;
Connection::~Connection() = default;

Db Connection::db() const {
    if (pg_) return Db(*pg_);
    return Db(*sqlite_);
}

bool is_postgres_url(const std::string& location) {
    return location.rfind("postgresql://", 0) == 0 || location.rfind("postgres://", 0) == 0;
}

std::int64_t query_int64(Db db, const std::string& sql) {
    Statement q(db, sql);
    return q.executeStep() ? q.getColumn(0).getInt64() : 0;
}

std::string query_text(Db db, const std::string& sql) {
    Statement q(db, sql);
    return q.executeStep() ? q.getColumn(0).getString() : std::string();
}

void Db::exec(const std::string& sql) const {
    if (pg_)
        pg_->exec(sql);
    else
        sqlite_->exec(sql);
}

bool Column::isNull() const {
    if (statement_.pg_) return statement_.pg_->is_null(index_);
    return statement_.sqlite_->isColumnNull(index_);
}

std::string Column::getString() const {
    if (statement_.pg_) {
        if (statement_.pg_->is_null(index_)) return {};
        return std::string(statement_.pg_->text(index_),
                           static_cast<std::size_t>(statement_.pg_->bytes(index_)));
    }
    return statement_.sqlite_->getColumn(index_).getString();
}

int Column::getInt() const { return static_cast<int>(getInt64()); }

std::int64_t Column::getInt64() const {
    if (statement_.pg_) {
        return statement_.pg_->is_null(index_) ? 0 : parse_int(statement_.pg_->text(index_));
    }
    return statement_.sqlite_->getColumn(index_).getInt64();
}

double Column::getDouble() const {
    if (statement_.pg_) {
        return statement_.pg_->is_null(index_) ? 0.0
                                               : std::strtod(statement_.pg_->text(index_), nullptr);
    }
    return statement_.sqlite_->getColumn(index_).getDouble();
}

const char* Column::getText() const {
    if (statement_.pg_) return statement_.pg_->text(index_);
    return statement_.sqlite_->getColumn(index_).getText();
}

int Column::getBytes() const {
    if (statement_.pg_) return statement_.pg_->bytes(index_);
    return statement_.sqlite_->getColumn(index_).getBytes();
}

Statement::Statement(Db db, const std::string& sql) {
    if (db.pg())
        pg_ = std::make_unique<PgStatement>(*db.pg(), sql);
    else
        sqlite_ = std::make_unique<SQLite::Statement>(*db.sqlite(), sql);
}

Statement::~Statement() = default;

void Statement::bind(int index, int value) {
    if (pg_)
        pg_->bind_copy(index, std::to_string(value));
    else
        sqlite_->bind(index, value);
}

void Statement::bind(int index, long value) {
    if (pg_)
        pg_->bind_copy(index, std::to_string(value));
    else
        sqlite_->bind(index, static_cast<std::int64_t>(value));
}

void Statement::bind(int index, long long value) {
    if (pg_)
        pg_->bind_copy(index, std::to_string(value));
    else
        sqlite_->bind(index, static_cast<std::int64_t>(value));
}

void Statement::bind(int index, unsigned value) {
    if (pg_)
        pg_->bind_copy(index, std::to_string(value));
    else
        sqlite_->bind(index, value);
}

void Statement::bind(int index, double value) {
    if (pg_) {
        char text[32];
        std::snprintf(text, sizeof text, "%.17g", value);
        pg_->bind_copy(index, text);
    } else {
        sqlite_->bind(index, value);
    }
}

void Statement::bind(int index, const std::string& value) {
    if (pg_)
        pg_->bind_copy(index, value);
    else
        sqlite_->bind(index, value);
}

void Statement::bind(int index, const char* value) {
    if (pg_)
        pg_->bind_copy(index, value);
    else
        sqlite_->bind(index, value);
}

void Statement::bind(int index) {
    if (pg_)
        pg_->bind_null(index);
    else
        sqlite_->bind(index);
}

void Statement::bindNoCopy(int index, const std::string& value) {
    if (pg_)
        pg_->bind_ref(index, value);
    else
        sqlite_->bindNoCopy(index, value);
}

void Statement::streamRows() {
    if (pg_) pg_->stream_rows();
}

bool Statement::executeStep() { return pg_ ? pg_->step() : sqlite_->executeStep(); }

int Statement::exec() { return pg_ ? pg_->exec() : sqlite_->exec(); }

void Statement::reset() {
    if (pg_)
        pg_->reset();
    else
        sqlite_->reset();
}

void Statement::tryReset() noexcept {
    if (pg_)
        pg_->reset();
    else
        sqlite_->tryReset();
}

void Statement::clearBindings() {
    if (pg_)
        pg_->clear_bindings();
    else
        sqlite_->clearBindings();
}

Transaction::Transaction(Db db, Kind kind) : db_(db) {
    if (!db_.postgres()) {
        db_.exec(kind == Kind::write ? "BEGIN IMMEDIATE" : "BEGIN");
    } else if (kind == Kind::snapshot) {
        db_.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    } else {
        db_.exec("BEGIN");
        try {
            db_.exec(kPostgresWriteLock);
        } catch (...) {
            db_.exec("ROLLBACK");
            throw;
        }
    }
}

Transaction::~Transaction() {
    if (done_) return;
    try {
        db_.exec("ROLLBACK");
    } catch (...) {  // NOLINT(bugprone-empty-catch): the connection is gone; so is the transaction
    }
}

void Transaction::commit() {
    db_.exec("COMMIT");
    done_ = true;
}

}  // namespace pakt::server::sql
