#pragma once
// Users and their school assignments.
// The SQL behind UserRepository (server/domain/repositories.hpp, where each function
// is documented), over one connection.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "server/domain/principal.hpp"
#include "server/domain/user_records.hpp"

namespace SQLite {
class Database;
}

namespace pakt::server {

std::optional<UserRecord> find_user_by_username(SQLite::Database& db, const std::string& username);
std::optional<UserRecord> find_user_by_id(SQLite::Database& db, std::int64_t id);

std::vector<UserRecord> list_users(SQLite::Database& db, std::int64_t after_id, int limit);

std::int64_t insert_user(SQLite::Database& db, const UserRecord& user);

void update_user(SQLite::Database& db, const UserRecord& user);

int count_enabled_city_admins(SQLite::Database& db);

}  // namespace pakt::server
