// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// PostgreSQL through libpq (Debian's libpq-dev), the C client library PostgreSQL ships: no other
// dependency, and direct use of what Pakt needs (parameters as text, statements prepared per
// connection, the error's SQLSTATE). Storage-internal.
#include <libpq-fe.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace pakt::server::sql {

/// An error PostgreSQL reported, with its SQLSTATE ("40P01" a deadlock, "23505" a unique
/// violation, "08006" a broken connection, ...).
class PgError : public std::runtime_error {
  public:
    PgError(const std::string& message, std::string sqlstate)
        : std::runtime_error(message), sqlstate_(std::move(sqlstate)) {}
    const std::string& sqlstate() const { return sqlstate_; }
    /// Whether retrying may succeed: serialization failure, deadlock, lock not available, too
    /// many connections, the server shutting down or the connection lost.
    bool transient() const;

  private:
    std::string sqlstate_;
};

/// One connection. Not thread-safe.
class PgConnection {
  public:
    /// Connects to `url` ("postgresql://user@host:port/db?..." or a keyword string). Sets the
    /// session to UTC. Throws PgError.
    explicit PgConnection(const std::string& url);
    ~PgConnection();
    PgConnection(const PgConnection&) = delete;
    PgConnection& operator=(const PgConnection&) = delete;

    PGconn* handle() const { return conn_; }
    /// user@host:port/database, for the log (never the password).
    std::string describe() const;
    /// Runs `sql` (one or more statements without parameters). Throws PgError.
    void exec(const std::string& sql);
    /// A name for a statement prepared on this connection.
    std::string next_statement_name() { return "pakt_" + std::to_string(++statements_); }
    /// Takes `result` and clears it; throws PgError unless its status was `ok`. For results
    /// whose rows are not needed (commands, PREPARE, COPY).
    void check(PGresult* result, ExecStatusType ok, const char* what) const;

  private:
    PGconn* conn_ = nullptr;
    std::uint64_t statements_ = 0;
};

/// SQLite's placeholders ('?' and '?N') as PostgreSQL's ($N), outside string literals and quoted
/// names; `count` is set to the highest parameter number.
std::string postgres_placeholders(const std::string& sql, int& count);

class PgStatement {
  public:
    PgStatement(PgConnection& connection, const std::string& sql);
    ~PgStatement();
    PgStatement(const PgStatement&) = delete;
    PgStatement& operator=(const PgStatement&) = delete;

    /// Rows arrive one at a time (libpq's single-row mode) instead of the whole result at once:
    /// for a result too large to hold, such as the inventory export. Until its last row is read
    /// or the statement is reset, the connection runs nothing else.
    void stream_rows() { stream_ = true; }

    void bind_copy(int index, std::string value);
    void bind_ref(int index, const std::string& value);
    void bind_null(int index);
    bool step();
    int exec();
    void reset();
    void clear_bindings();

    bool is_null(int column) const;
    const char* text(int column) const;
    int bytes(int column) const;

  private:
    void run();
    bool step_streaming();
    /// Reads what is left of a streamed result, so the connection can run the next statement.
    void finish_stream() noexcept;
    void check_index(int index) const;

    PgConnection& connection_;
    std::string sql_;
    std::string name_;  ///< once prepared
    int params_ = 0;
    int runs_ = 0;
    std::vector<std::string> owned_;
    std::vector<const char*> values_;
    PGresult* result_ = nullptr;
    int row_ = -1;
    int rows_ = 0;
    bool stream_ = false;     ///< stream_rows() was called
    bool streaming_ = false;  ///< a streamed result is being read
    bool streamed_ = false;   ///< its last row was read
};

}  // namespace pakt::server::sql
