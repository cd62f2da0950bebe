// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// Funding programmes and grants.
// The SQL behind FundingRepository (server/domain/repositories.hpp, where each function
// is documented), over one connection.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "server/domain/funding_records.hpp"
#include "server/storage/sql/db.hpp"

namespace pakt::server {

std::vector<Programme> list_programmes(sql::Db db);
std::optional<Programme> find_programme(sql::Db db, const std::string& code);
void insert_programme(sql::Db db, const Programme& programme);

std::vector<Grant> list_grants(sql::Db db, std::int64_t after_id, int limit,
                               const std::optional<std::string>& programme_code);
std::optional<Grant> find_grant(sql::Db db, std::int64_t id);
std::optional<std::int64_t> find_grant_by_reference(sql::Db db, const std::string& reference);
std::int64_t insert_grant(sql::Db db, const Grant& grant);
void update_grant(sql::Db db, const Grant& grant);

}  // namespace pakt::server
