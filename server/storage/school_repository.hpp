#pragma once
// Schools, addressed by their NRW school number.
#include <optional>
#include <string>
#include <vector>

namespace SQLite {
class Database;
}

namespace pakt::server {

struct School {
    std::string school_number;
    std::string name;
    std::string school_type;
    std::string district;
    std::string address;
    std::optional<double> latitude;
    std::optional<double> longitude;
    std::string created_at;
    std::string updated_at;
};

std::optional<School> find_school(SQLite::Database& db, const std::string& school_number);

bool school_exists(SQLite::Database& db, const std::string& school_number);

/// Schools with number > `after`, ascending, at most `limit`; restricted to `only` if given
/// (the caller's schools), and to the schools `search` finds if given: those whose number starts
/// with it or whose name, district or address contains it, ignoring case (also of umlauts and the
/// other Latin-1 letters). A search walks the schools in number order until the page is full, at
/// worst the whole table: a few milliseconds for the 5,860 schools of a federal state.
std::vector<School> list_schools(SQLite::Database& db, const std::string& after, int limit,
                                 const std::optional<std::vector<std::string>>& only,
                                 const std::optional<std::string>& search = std::nullopt);

/// Inserts a new school. Throws SQLite::Exception (SQLITE_CONSTRAINT_PRIMARYKEY) if it exists.
void insert_school(SQLite::Database& db, const School& school);

/// Writes the mutable fields of an existing school; returns false if it does not exist.
bool update_school(SQLite::Database& db, const School& school);

}  // namespace pakt::server
