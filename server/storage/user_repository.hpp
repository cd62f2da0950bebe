#pragma once
// Users and their school assignments.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "server/domain/principal.hpp"

namespace SQLite {
class Database;
}

namespace pakt::server {

struct UserRecord {
    std::int64_t id = 0;
    std::string username;
    std::string display_name;
    Role role = Role::headteacher;
    std::vector<std::string> schools;  ///< sorted
    std::string password_hash;
    bool disabled = false;
    std::string created_at;
    std::string updated_at;

    Principal principal() const { return Principal{id, username, role, schools}; }
};

std::optional<UserRecord> find_user_by_username(SQLite::Database& db, const std::string& username);
std::optional<UserRecord> find_user_by_id(SQLite::Database& db, std::int64_t id);

/// Users with id > `after_id`, ascending, at most `limit`.
std::vector<UserRecord> list_users(SQLite::Database& db, std::int64_t after_id, int limit);

/// Inserts the user and its schools; returns the new id. Throws SQLite::Exception with
/// SQLITE_CONSTRAINT_UNIQUE if the username exists (compare case-insensitively).
std::int64_t insert_user(SQLite::Database& db, const UserRecord& user);

/// Writes every field of `user` (by id) and replaces its school list.
void update_user(SQLite::Database& db, const UserRecord& user);

/// Enabled users with role city_admin.
int count_enabled_city_admins(SQLite::Database& db);

}  // namespace pakt::server
