// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "server/storage/user_repository.hpp"

#include "common/time.hpp"
#include "server/storage/statement_cache.hpp"

namespace pakt::server {
namespace {

constexpr const char* kColumns =
    "SELECT id, username, display_name, role, password_hash, disabled, created_at, updated_at, "
    "must_change_password FROM users ";
constexpr const char* kSchoolsOfUser =
    "SELECT school_number FROM user_schools WHERE user_id = ? ORDER BY school_number";
constexpr const char* kInsertUser =
    "INSERT INTO users (username, display_name, role, password_hash, disabled, created_at, "
    "updated_at, must_change_password) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id";
constexpr const char* kUpdateUser =
    "UPDATE users SET display_name = ?, role = ?, password_hash = ?, disabled = ?, updated_at = ?, "
    "must_change_password = ? WHERE id = ?";
constexpr const char* kDeleteSchools = "DELETE FROM user_schools WHERE user_id = ?";
constexpr const char* kInsertSchool =
    "INSERT INTO user_schools (user_id, school_number) VALUES (?, ?)";
constexpr const char* kCountAdmins =
    "SELECT count(*) FROM users WHERE role = 'city_admin' AND disabled = 0";

UserRecord read_user(sql::Db db, sql::Statement& q) {
    UserRecord u;
    u.id = q.getColumn(0).getInt64();
    u.username = q.getColumn(1).getString();
    u.display_name = q.getColumn(2).getString();
    u.role = role_from_string(q.getColumn(3).getString()).value_or(Role::headteacher);
    u.password_hash = q.getColumn(4).getString();
    u.disabled = q.getColumn(5).getInt() != 0;
    u.created_at = q.getColumn(6).getString();
    u.updated_at = q.getColumn(7).getString();
    u.must_change_password = q.getColumn(8).getInt() != 0;
    PreparedStatement schools(db, kSchoolsOfUser);
    schools->bind(1, u.id);
    while (schools->executeStep()) u.schools.push_back(schools->getColumn(0).getString());
    return u;
}

void write_schools(sql::Db db, const UserRecord& user) {
    sql::Statement del(db, kDeleteSchools);
    del.bind(1, user.id);
    del.exec();
    sql::Statement ins(db, kInsertSchool);
    for (const auto& school : user.schools) {
        ins.bind(1, user.id);
        ins.bind(2, school);
        ins.exec();
        ins.reset();
    }
}

}  // namespace

std::optional<UserRecord> find_user_by_username(sql::Db db, const std::string& username) {
    // The column's NOCASE collation in SQLite; an index on lower(username) in PostgreSQL.
    sql::Statement q(db, std::string(kColumns) +
                             db.pick("WHERE username = ?", "WHERE lower(username) = lower(?)"));
    q.bind(1, username);
    if (!q.executeStep()) return std::nullopt;
    return read_user(db, q);
}

std::optional<UserRecord> find_user_by_id(sql::Db db, std::int64_t id) {
    // Every authenticated request reads its user: compiled once per connection where a
    // statement cache is in scope.
    static const std::string sql = std::string(kColumns) + "WHERE id = ?";
    PreparedStatement q(db, sql.c_str());
    q->bind(1, id);
    if (!q->executeStep()) return std::nullopt;
    return read_user(db, *q);
}

std::vector<UserRecord> list_users(sql::Db db, std::int64_t after_id, int limit) {
    sql::Statement q(db, std::string(kColumns) + "WHERE id > ? ORDER BY id LIMIT ?");
    q.bind(1, after_id);
    q.bind(2, limit);
    std::vector<UserRecord> users;
    while (q.executeStep()) users.push_back(read_user(db, q));
    return users;
}

std::int64_t insert_user(sql::Db db, const UserRecord& user) {
    const std::string now = now_rfc3339();
    sql::Statement q(db, kInsertUser);
    q.bind(1, user.username);
    q.bind(2, user.display_name);
    q.bind(3, std::string(to_string(user.role)));
    q.bind(4, user.password_hash);
    q.bind(5, user.disabled ? 1 : 0);
    q.bind(6, now);
    q.bind(7, now);
    q.bind(8, user.must_change_password ? 1 : 0);
    q.executeStep();
    UserRecord stored = user;
    stored.id = q.getColumn(0).getInt64();
    write_schools(db, stored);
    return stored.id;
}

void update_user(sql::Db db, const UserRecord& user) {
    sql::Statement q(db, kUpdateUser);
    q.bind(1, user.display_name);
    q.bind(2, std::string(to_string(user.role)));
    q.bind(3, user.password_hash);
    q.bind(4, user.disabled ? 1 : 0);
    q.bind(5, now_rfc3339());
    q.bind(6, user.must_change_password ? 1 : 0);
    q.bind(7, user.id);
    q.exec();
    write_schools(db, user);
}

int count_enabled_city_admins(sql::Db db) {
    sql::Statement q(db, kCountAdmins);
    q.executeStep();
    return q.getColumn(0).getInt();
}

}  // namespace pakt::server
