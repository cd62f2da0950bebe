#pragma once
// Funding programmes and grants.
// The SQL behind FundingRepository (server/domain/repositories.hpp, where each function
// is documented), over one connection.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "server/domain/funding_records.hpp"

namespace SQLite {
class Database;
}

namespace pakt::server {

std::vector<Programme> list_programmes(SQLite::Database& db);
std::optional<Programme> find_programme(SQLite::Database& db, const std::string& code);
void insert_programme(SQLite::Database& db, const Programme& programme);

std::vector<Grant> list_grants(SQLite::Database& db, std::int64_t after_id, int limit,
                               const std::optional<std::string>& programme_code);
std::optional<Grant> find_grant(SQLite::Database& db, std::int64_t id);
std::optional<std::int64_t> find_grant_by_reference(SQLite::Database& db,
                                                    const std::string& reference);
std::int64_t insert_grant(SQLite::Database& db, const Grant& grant);
void update_grant(SQLite::Database& db, const Grant& grant);

}  // namespace pakt::server
