#pragma once
// Funding programmes and grants.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace SQLite {
class Database;
}

namespace pakt::server {

struct Programme {
    std::string code;
    std::string name;
    int federal_share_pct = 0;
    std::string description;
    std::optional<std::int64_t> max_unit_price_cents;
    std::optional<std::int64_t> max_per_school_cents;
    bool funds_devices = true;
    std::string created_at;
};

std::vector<Programme> list_programmes(SQLite::Database& db);
std::optional<Programme> find_programme(SQLite::Database& db, const std::string& code);
void insert_programme(SQLite::Database& db, const Programme& programme);

struct Grant {
    std::int64_t id = 0;
    std::string programme_code;
    std::string reference;
    std::string title;
    std::int64_t amount_cents = 0;
    std::int64_t own_contribution_cents = 0;
    std::string approved_on;
    std::string spend_by;
    std::string earmark_end;
    std::string created_at;
    std::string updated_at;
};

/// Grants with id > `after_id`, ascending, optionally of one programme.
std::vector<Grant> list_grants(SQLite::Database& db, std::int64_t after_id, int limit,
                               const std::optional<std::string>& programme_code);
std::optional<Grant> find_grant(SQLite::Database& db, std::int64_t id);
/// The id of the grant with this reference (Aktenzeichen), if any.
std::optional<std::int64_t> find_grant_by_reference(SQLite::Database& db, const std::string& reference);
std::int64_t insert_grant(SQLite::Database& db, const Grant& grant);
void update_grant(SQLite::Database& db, const Grant& grant);

}  // namespace pakt::server
