// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "server/storage/sql/postgres.hpp"

#include <cstring>

namespace pakt::server::sql {
namespace {

std::string error_of(const PGresult* result, const PGconn* conn, const char* what) {
    const char* message = result ? PQresultErrorMessage(result) : nullptr;
    if (!message || !*message) message = PQerrorMessage(conn);
    std::string text = std::string(what) + ": " + (message ? message : "unknown error");
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    return text;
}

std::string sqlstate_of(const PGresult* result, const PGconn* conn) {
    if (result) {
        if (const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE)) return state;
    }
    // No SQLSTATE without a result: the connection itself failed.
    return PQstatus(conn) == CONNECTION_BAD ? "08006" : "";
}

}  // namespace

bool PgError::transient() const {
    const std::string& s = sqlstate_;
    return s == "40001" || s == "40P01" || s == "55P03" || s == "53300" || s == "57P01" ||
           s == "57P03" || s.rfind("08", 0) == 0;
}

PgConnection::PgConnection(const std::string& url) : conn_(PQconnectdb(url.c_str())) {
    if (!conn_ || PQstatus(conn_) != CONNECTION_OK) {
        std::string message = conn_ ? PQerrorMessage(conn_) : "out of memory";
        while (!message.empty() && message.back() == '\n') message.pop_back();
        if (conn_) PQfinish(conn_);
        conn_ = nullptr;
        throw PgError("cannot connect to PostgreSQL: " + message, "08001");
    }
    exec("SET TIME ZONE 'UTC'; SET client_min_messages = WARNING");
}

std::string PgConnection::describe() const {
    const auto text = [](const char* s) { return std::string(s ? s : ""); };
    std::string host = text(PQhost(conn_));
    if (!host.empty() && host.front() == '/') host = "socket " + host;
    return text(PQuser(conn_)) + "@" + host + ":" + text(PQport(conn_)) + "/" + text(PQdb(conn_));
}

PgConnection::~PgConnection() {
    if (conn_) PQfinish(conn_);
}

void PgConnection::check(PGresult* result, ExecStatusType ok, const char* what) const {
    if (result && PQresultStatus(result) == ok) {
        PQclear(result);
        return;
    }
    const std::string message = error_of(result, conn_, what);
    const std::string state = sqlstate_of(result, conn_);
    PQclear(result);
    throw PgError(message, state);
}

void PgConnection::exec(const std::string& sql) {
    PGresult* result = PQexec(conn_, sql.c_str());
    if (result && PQresultStatus(result) == PGRES_TUPLES_OK) {
        PQclear(result);
        return;
    }
    check(result, PGRES_COMMAND_OK, "PostgreSQL");
}

std::string postgres_placeholders(const std::string& sql, int& count) {
    std::string out;
    out.reserve(sql.size() + 16);
    count = 0;
    char quote = 0;
    for (std::size_t i = 0; i < sql.size(); ++i) {
        const char c = sql[i];
        if (quote) {
            out += c;
            if (c == quote) quote = 0;
            continue;
        }
        if (c == '\'' || c == '"') {
            quote = c;
            out += c;
            continue;
        }
        if (c != '?') {
            out += c;
            continue;
        }
        // ?N keeps its number; a bare ? takes the next after the largest so far (as in SQLite).
        std::size_t j = i + 1;
        int number = 0;
        while (j < sql.size() && sql[j] >= '0' && sql[j] <= '9')
            number = number * 10 + (sql[j++] - '0');
        if (j == i + 1) number = count + 1;
        if (number > count) count = number;
        out += '$';
        out += std::to_string(number);
        i = j - 1;
    }
    return out;
}

PgStatement::PgStatement(PgConnection& connection, const std::string& sql)
    : connection_(connection) {
    sql_ = postgres_placeholders(sql, params_);
    owned_.resize(static_cast<std::size_t>(params_));
    values_.assign(static_cast<std::size_t>(params_), nullptr);
}

PgStatement::~PgStatement() {
    finish_stream();
    PQclear(result_);
    // A prepared statement lives as long as its connection; the names are never reused.
}

void PgStatement::check_index(int index) const {
    if (index < 1 || index > params_) {
        throw PgError("parameter " + std::to_string(index) + " bound, but the statement has " +
                          std::to_string(params_) + ": " + sql_,
                      "42P02");
    }
}

void PgStatement::bind_copy(int index, std::string value) {
    check_index(index);
    auto& slot = owned_[static_cast<std::size_t>(index - 1)];
    slot = std::move(value);
    values_[static_cast<std::size_t>(index - 1)] = slot.c_str();
}

void PgStatement::bind_ref(int index, const std::string& value) {
    check_index(index);
    values_[static_cast<std::size_t>(index - 1)] = value.c_str();
}

void PgStatement::bind_null(int index) {
    check_index(index);
    values_[static_cast<std::size_t>(index - 1)] = nullptr;
}

void PgStatement::run() {
    PQclear(result_);
    result_ = nullptr;
    PGconn* conn = connection_.handle();
    // Run once as it is; prepared from the second run on (the statement is being reused, by a
    // loop or the statement cache), so PostgreSQL plans it once.
    if (name_.empty() && runs_ >= 1) {
        std::string name = connection_.next_statement_name();
        connection_.check(PQprepare(conn, name.c_str(), sql_.c_str(), params_, nullptr),
                          PGRES_COMMAND_OK, "PostgreSQL prepare");
        name_ = std::move(name);
    }
    ++runs_;
    PGresult* result = name_.empty() ? PQexecParams(conn, sql_.c_str(), params_, nullptr,
                                                    values_.data(), nullptr, nullptr, 0)
                                     : PQexecPrepared(conn, name_.c_str(), params_, values_.data(),
                                                      nullptr, nullptr, 0);
    const ExecStatusType status = result ? PQresultStatus(result) : PGRES_FATAL_ERROR;
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
        connection_.check(result, PGRES_TUPLES_OK, "PostgreSQL");
    }
    result_ = result;
    row_ = -1;
    rows_ = status == PGRES_TUPLES_OK ? PQntuples(result_) : 0;
}

bool PgStatement::step_streaming() {
    if (streamed_) return false;
    PGconn* conn = connection_.handle();
    if (!streaming_) {
        if (PQsendQueryParams(conn, sql_.c_str(), params_, nullptr, values_.data(), nullptr,
                              nullptr, 0) != 1 ||
            PQsetSingleRowMode(conn) != 1) {
            throw PgError(std::string("PostgreSQL: ") + PQerrorMessage(conn), "08000");
        }
        streaming_ = true;
    }
    PQclear(result_);
    result_ = PQgetResult(conn);
    const ExecStatusType status = result_ ? PQresultStatus(result_) : PGRES_FATAL_ERROR;
    if (status == PGRES_SINGLE_TUPLE) {
        row_ = 0;
        rows_ = 1;
        return true;
    }
    // The end (PGRES_TUPLES_OK, no rows) or an error: either way the result is complete.
    PGresult* last = result_;
    result_ = nullptr;
    row_ = -1;
    rows_ = 0;
    streamed_ = true;
    finish_stream();
    connection_.check(last, PGRES_TUPLES_OK, "PostgreSQL");
    return false;
}

void PgStatement::finish_stream() noexcept {
    if (!streaming_) return;
    PGconn* conn = connection_.handle();
    while (PGresult* rest = PQgetResult(conn)) PQclear(rest);
    streaming_ = false;
}

bool PgStatement::step() {
    if (stream_) return step_streaming();
    if (!result_) run();
    if (row_ + 1 >= rows_) {
        row_ = rows_;
        return false;
    }
    ++row_;
    return true;
}

int PgStatement::exec() {
    run();
    const char* changed = PQcmdTuples(result_);
    const int n = changed && *changed ? std::atoi(changed) : 0;
    PQclear(result_);
    result_ = nullptr;
    return n;
}

void PgStatement::reset() {
    finish_stream();
    streamed_ = false;
    PQclear(result_);
    result_ = nullptr;
    row_ = -1;
    rows_ = 0;
}

void PgStatement::clear_bindings() {
    for (auto& v : values_) v = nullptr;
}

bool PgStatement::is_null(int column) const {
    return !result_ || row_ < 0 || row_ >= rows_ || PQgetisnull(result_, row_, column);
}

const char* PgStatement::text(int column) const {
    if (is_null(column)) return nullptr;
    return PQgetvalue(result_, row_, column);
}

int PgStatement::bytes(int column) const {
    if (is_null(column)) return 0;
    return PQgetlength(result_, row_, column);
}

}  // namespace pakt::server::sql
