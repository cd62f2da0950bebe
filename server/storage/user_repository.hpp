// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
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
#include "server/storage/sql/db.hpp"

namespace pakt::server {

std::optional<UserRecord> find_user_by_username(sql::Db db, const std::string& username);
std::optional<UserRecord> find_user_by_id(sql::Db db, std::int64_t id);

std::vector<UserRecord> list_users(sql::Db db, std::int64_t after_id, int limit);

std::int64_t insert_user(sql::Db db, const UserRecord& user);

void update_user(sql::Db db, const UserRecord& user);

int count_enabled_city_admins(sql::Db db);

}  // namespace pakt::server
