// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// Schools, addressed by their NRW school number.
// The SQL behind SchoolRepository (server/domain/repositories.hpp, where each function
// is documented), over one connection.
#include <optional>
#include <string>
#include <vector>

#include "server/domain/school_records.hpp"
#include "server/storage/sql/db.hpp"

namespace pakt::server {

std::optional<School> find_school(sql::Db db, const std::string& school_number);

bool school_exists(sql::Db db, const std::string& school_number);

std::vector<School> list_schools(sql::Db db, const std::string& after, int limit,
                                 const std::optional<std::vector<std::string>>& only,
                                 const std::optional<std::string>& search = std::nullopt);

void insert_school(sql::Db db, const School& school);

bool update_school(sql::Db db, const School& school);

}  // namespace pakt::server
