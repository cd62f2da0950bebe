#pragma once
// Login sessions and API tokens. Only SHA-256 hashes of bearer tokens are stored, so a copy of
// the database does not let anyone log in.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace SQLite {
class Database;
}

namespace pakt::server {

/// What revoke_user_access removed.
struct RevokedAccess {
    int sessions = 0;
    int api_tokens = 0;
};

struct BearerOwner {
    std::int64_t user_id = 0;
    bool is_api_token = false;
    std::optional<std::int64_t> api_token_id;
    std::string last_seen_at;  ///< when it was last used (RFC 3339); "" for an unused API token
};

/// The user a bearer token (given as its hash) belongs to, if the session or API token exists and
/// has not expired at `now_rfc3339` / `today` (YYYY-MM-DD, for API token expiry by day). A session
/// last used before `idle_cutoff` (RFC 3339; empty: no idle limit) has ended.
std::optional<BearerOwner> find_bearer(SQLite::Database& db, const std::string& token_hash,
                                       const std::string& now_rfc3339, const std::string& today,
                                       const std::string& idle_cutoff = {});

/// Records that the session was used at `now` (the idle timeout counts from here).
void touch_session(SQLite::Database& db, const std::string& token_hash, const std::string& now);

/// Records that the API token was used at `now` (shown as its last_used_at).
void touch_api_token(SQLite::Database& db, std::int64_t id, const std::string& now);

/// Ends every session of the user but the one with `keep_token_hash`, and deletes every API
/// token of the user: what a password change does. Call inside the caller's transaction.
RevokedAccess revoke_other_access(SQLite::Database& db, std::int64_t user_id,
                                  const std::string& keep_token_hash);

void insert_session(SQLite::Database& db, const std::string& token_hash, std::int64_t user_id,
                    const std::string& expires_at, const std::string& client_address);

/// Returns true if a session with that hash existed.
bool delete_session(SQLite::Database& db, const std::string& token_hash);

/// Removes every session of the user (on disable or password change).
void delete_sessions_of_user(SQLite::Database& db, std::int64_t user_id);

/// Ends every session and deletes every API token of the user: what disabling a user does,
/// through PATCH /users/{id} and `paktctl user disable` alike. Tokens are deleted, not merely
/// refused, so re-enabling the user does not bring old tokens back. Call inside the caller's
/// transaction (the one that disables the user and writes the audit entry).
RevokedAccess revoke_user_access(SQLite::Database& db, std::int64_t user_id);

/// Removes sessions that expired before `now`.
int delete_expired_sessions(SQLite::Database& db, const std::string& now);

struct ApiTokenRecord {
    std::int64_t id = 0;
    std::int64_t user_id = 0;
    std::string name;
    std::string created_at;
    std::optional<std::string> expires_on;
    std::optional<std::string>
        last_used_at;  ///< RFC 3339, recorded at most once a minute; nullopt: never used
};

std::int64_t insert_api_token(SQLite::Database& db, std::int64_t user_id, const std::string& name,
                              const std::string& token_hash,
                              const std::optional<std::string>& expires_on);

/// The user's tokens with id > `after_id`, ascending by id, at most `limit` (negative: all).
std::vector<ApiTokenRecord> list_api_tokens(SQLite::Database& db, std::int64_t user_id,
                                            std::int64_t after_id = 0, int limit = -1);

std::optional<ApiTokenRecord> find_api_token(SQLite::Database& db, std::int64_t id);

/// Returns true if the token existed.
bool delete_api_token(SQLite::Database& db, std::int64_t id);

}  // namespace pakt::server
