// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "server/storage/session_repository.hpp"

#include "common/time.hpp"
#include "server/storage/statement_cache.hpp"

namespace pakt::server {
namespace {

constexpr const char* kFindSession =
    "SELECT user_id, last_seen_at FROM sessions WHERE token_hash = ? AND expires_at > ? "
    "AND last_seen_at >= ?";
constexpr const char* kTouchSession = "UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?";
constexpr const char* kDeleteOtherSessions = "DELETE FROM sessions WHERE user_id = ? AND token_hash <> ?";
constexpr const char* kFindApiToken =
    "SELECT id, user_id, coalesce(last_used_at, '') FROM api_tokens WHERE token_hash = ? "
    "AND (expires_on IS NULL OR expires_on >= ?)";
constexpr const char* kInsertSession =
    "INSERT INTO sessions (token_hash, user_id, created_at, expires_at, client_address, last_seen_at) "
    "VALUES (?, ?, ?, ?, ?, ?)";
constexpr const char* kDeleteSession = "DELETE FROM sessions WHERE token_hash = ?";
constexpr const char* kDeleteUserSessions = "DELETE FROM sessions WHERE user_id = ?";
constexpr const char* kDeleteExpired = "DELETE FROM sessions WHERE expires_at <= ?";
constexpr const char* kInsertToken =
    "INSERT INTO api_tokens (user_id, name, token_hash, created_at, expires_on) "
    "VALUES (?, ?, ?, ?, ?) RETURNING id";
constexpr const char* kTokenColumns =
    "SELECT id, user_id, name, created_at, expires_on, last_used_at FROM api_tokens ";
constexpr const char* kTouchToken = "UPDATE api_tokens SET last_used_at = ? WHERE id = ?";
constexpr const char* kDeleteToken = "DELETE FROM api_tokens WHERE id = ?";
constexpr const char* kDeleteUserTokens = "DELETE FROM api_tokens WHERE user_id = ?";

ApiTokenRecord read_token(sql::Statement& q) {
    ApiTokenRecord t;
    t.id = q.getColumn(0).getInt64();
    t.user_id = q.getColumn(1).getInt64();
    t.name = q.getColumn(2).getString();
    t.created_at = q.getColumn(3).getString();
    if (!q.getColumn(4).isNull()) t.expires_on = q.getColumn(4).getString();
    if (!q.getColumn(5).isNull()) t.last_used_at = q.getColumn(5).getString();
    return t;
}

}  // namespace

std::optional<BearerOwner> find_bearer(sql::Db db, const std::string& token_hash,
                                       const std::string& now, const std::string& today,
                                       const std::string& idle_cutoff) {
    {
        PreparedStatement q(db, kFindSession);
        q->bind(1, token_hash);
        q->bind(2, now);
        q->bind(3, idle_cutoff);
        if (q->executeStep()) {
            return BearerOwner{q->getColumn(0).getInt64(), false, std::nullopt, q->getColumn(1).getString()};
        }
    }
    PreparedStatement q(db, kFindApiToken);
    q->bind(1, token_hash);
    q->bind(2, today);
    if (q->executeStep()) {
        return BearerOwner{q->getColumn(1).getInt64(), true, q->getColumn(0).getInt64(),
                           q->getColumn(2).getString()};
    }
    return std::nullopt;
}

void insert_session(sql::Db db, const std::string& token_hash, std::int64_t user_id,
                    const std::string& expires_at, const std::string& client_address) {
    const std::string now = now_rfc3339();
    sql::Statement q(db, kInsertSession);
    q.bind(1, token_hash);
    q.bind(2, user_id);
    q.bind(3, now);
    q.bind(4, expires_at);
    q.bind(5, client_address);
    q.bind(6, now);
    q.exec();
}

void touch_session(sql::Db db, const std::string& token_hash, const std::string& now) {
    sql::Statement q(db, kTouchSession);
    q.bind(1, now);
    q.bind(2, token_hash);
    q.exec();
}

void touch_api_token(sql::Db db, std::int64_t id, const std::string& now) {
    sql::Statement q(db, kTouchToken);
    q.bind(1, now);
    q.bind(2, id);
    q.exec();
}

RevokedAccess revoke_other_access(sql::Db db, std::int64_t user_id,
                                  const std::string& keep_token_hash) {
    RevokedAccess revoked;
    sql::Statement sessions(db, kDeleteOtherSessions);
    sessions.bind(1, user_id);
    sessions.bind(2, keep_token_hash);
    revoked.sessions = sessions.exec();
    sql::Statement tokens(db, kDeleteUserTokens);
    tokens.bind(1, user_id);
    revoked.api_tokens = tokens.exec();
    return revoked;
}

bool delete_session(sql::Db db, const std::string& token_hash) {
    sql::Statement q(db, kDeleteSession);
    q.bind(1, token_hash);
    return q.exec() > 0;
}

void delete_sessions_of_user(sql::Db db, std::int64_t user_id) {
    sql::Statement q(db, kDeleteUserSessions);
    q.bind(1, user_id);
    q.exec();
}

RevokedAccess revoke_user_access(sql::Db db, std::int64_t user_id) {
    return revoke_other_access(db, user_id, "");  // no session has an empty hash: all end
}

int delete_expired_sessions(sql::Db db, const std::string& now) {
    sql::Statement q(db, kDeleteExpired);
    q.bind(1, now);
    return q.exec();
}

std::int64_t insert_api_token(sql::Db db, std::int64_t user_id, const std::string& name,
                              const std::string& token_hash,
                              const std::optional<std::string>& expires_on) {
    sql::Statement q(db, kInsertToken);
    q.bind(1, user_id);
    q.bind(2, name);
    q.bind(3, token_hash);
    q.bind(4, now_rfc3339());
    if (expires_on) q.bind(5, *expires_on);
    else q.bind(5);
    q.executeStep();
    return q.getColumn(0).getInt64();
}

std::vector<ApiTokenRecord> list_api_tokens(sql::Db db, std::int64_t user_id, std::int64_t after_id,
                                            int limit) {
    sql::Statement q(
        db, std::string(kTokenColumns) + "WHERE user_id = ? AND id > ? ORDER BY id LIMIT ?");
    q.bind(1, user_id);
    q.bind(2, after_id);
    if (limit < 0 && db.postgres())
        q.bind(3);  // LIMIT NULL: all (PostgreSQL refuses a negative one, SQLite a NULL one)
    else
        q.bind(3, limit);
    std::vector<ApiTokenRecord> tokens;
    while (q.executeStep()) tokens.push_back(read_token(q));
    return tokens;
}

std::optional<ApiTokenRecord> find_api_token(sql::Db db, std::int64_t id) {
    sql::Statement q(db, std::string(kTokenColumns) + "WHERE id = ?");
    q.bind(1, id);
    if (!q.executeStep()) return std::nullopt;
    return read_token(q);
}

bool delete_api_token(sql::Db db, std::int64_t id) {
    sql::Statement q(db, kDeleteToken);
    q.bind(1, id);
    return q.exec() > 0;
}

}  // namespace pakt::server
