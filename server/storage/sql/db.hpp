// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// One SQL interface over both backends, so each repository's queries are written once. A Db is a
// non-owning handle on one connection, SQLite's (the embedded default) or PostgreSQL's; Statement
// has the shape of SQLiteCpp's (bind from 1, executeStep, getColumn from 0), which the
// repositories were written against. SQL is written with SQLite's '?' and '?N' placeholders; on
// PostgreSQL they become $N. Where the dialects differ, a repository picks its text with
// Db::pick. Storage-internal.
#include <cstdint>
#include <memory>
#include <string>

namespace SQLite {
class Database;
class Statement;
class Column;
}  // namespace SQLite

namespace pakt::server::sql {

class PgConnection;
class PgStatement;

enum class Dialect { sqlite, postgresql };

/// The transaction-scoped advisory lock every writing transaction on PostgreSQL takes first.
inline constexpr const char* kPostgresWriteLock = "SELECT pg_advisory_xact_lock(7240200)";

class Db {
  public:
    // Implicit: code that holds an SQLite connection passes it where a Db is taken.
    Db(SQLite::Database& db) : sqlite_(&db) {}  // NOLINT(google-explicit-constructor)
    Db(PgConnection& db) : pg_(&db) {}          // NOLINT(google-explicit-constructor)

    Dialect dialect() const { return pg_ ? Dialect::postgresql : Dialect::sqlite; }
    bool postgres() const { return pg_ != nullptr; }
    SQLite::Database* sqlite() const { return sqlite_; }
    PgConnection* pg() const { return pg_; }

    /// The text for this connection's dialect.
    const char* pick(const char* sqlite_text, const char* postgres_text) const {
        return pg_ ? postgres_text : sqlite_text;
    }

    /// Runs SQL that returns no rows (may hold several statements).
    void exec(const std::string& sql) const;

    bool operator==(const Db& other) const { return sqlite_ == other.sqlite_ && pg_ == other.pg_; }

  private:
    SQLite::Database* sqlite_ = nullptr;
    PgConnection* pg_ = nullptr;
};

/// An owned connection of either backend, for code that opens its own (paktctl, tests); its
/// db() is the handle the repositories take.
class Connection {
  public:
    explicit Connection(std::unique_ptr<SQLite::Database> db);
    explicit Connection(std::unique_ptr<PgConnection> db);
    Connection(Connection&&) noexcept;
    Connection& operator=(Connection&&) noexcept;
    ~Connection();

    Db db() const;
    operator Db() const { return db(); }  // NOLINT(google-explicit-constructor)
    bool postgres() const { return pg_ != nullptr; }
    SQLite::Database* sqlite() const { return sqlite_.get(); }

  private:
    std::unique_ptr<SQLite::Database> sqlite_;
    std::unique_ptr<PgConnection> pg_;
};

/// Whether `location` (database.url or a command line's) names a PostgreSQL database.
bool is_postgres_url(const std::string& location);

/// The value of a query's first column in its first row (0 or "" if it returns none).
std::int64_t query_int64(Db db, const std::string& sql);
std::string query_text(Db db, const std::string& sql);

class Statement;

/// One value of the current row. Valid until the statement steps or resets.
class Column {
  public:
    bool isNull() const;
    std::string getString() const;
    int getInt() const;
    std::int64_t getInt64() const;
    double getDouble() const;
    /// The text's bytes (not NUL-terminated on every backend: use with getBytes).
    const char* getText() const;
    int getBytes() const;

  private:
    friend class Statement;
    Column(const Statement& statement, int index) : statement_(statement), index_(index) {}
    const Statement& statement_;
    int index_;
};

class Statement {
  public:
    /// Compiles `sql` on `db`. Throws the backend's exception if it is invalid.
    Statement(Db db, const std::string& sql);
    ~Statement();
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    void bind(int index, int value);
    void bind(int index, long value);
    void bind(int index, long long value);
    void bind(int index, unsigned value);
    void bind(int index, double value);
    void bind(int index, const std::string& value);
    void bind(int index, const char* value);
    void bind(int index);  ///< NULL
    /// Binds without copying: `value` must outlive the statement's execution.
    void bindNoCopy(int index, const std::string& value);

    /// For a result too large to hold: on PostgreSQL its rows arrive one at a time (SQLite steps
    /// row by row anyway). Call before the first step; the connection runs nothing else until
    /// the last row is read or the statement is reset or destroyed.
    void streamRows();

    /// Steps to the next row; false after the last (the first call runs the statement).
    bool executeStep();
    /// Runs a statement that returns no rows; returns the rows it changed.
    int exec();
    /// Back to before the first step; bindings stay.
    void reset();
    void clearBindings();
    /// reset() that never throws (SQLite repeats the last step's error, already seen).
    void tryReset() noexcept;

    Column getColumn(int index) const { return Column(*this, index); }

  private:
    friend class Column;
    std::unique_ptr<SQLite::Statement> sqlite_;
    std::unique_ptr<PgStatement> pg_;
};

/// A transaction that rolls back unless committed. A `write` one takes the write lock at once:
/// BEGIN IMMEDIATE on SQLite; on PostgreSQL the advisory lock every writer of the database takes
/// first (kWriteLock), so writes from paktctl, tests and every paktd instance follow one another
/// (one audit chain, no deadlocks). On PostgreSQL a `snapshot` one is REPEATABLE READ, READ ONLY:
/// every statement sees the same committed state, like SQLite's read transaction.
class Transaction {
  public:
    enum class Kind { write, snapshot };
    explicit Transaction(Db db, Kind kind = Kind::write);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    void commit();

  private:
    Db db_;
    bool done_ = false;
};

}  // namespace pakt::server::sql
