// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "server/storage/school_repository.hpp"

#include <string_view>

#include "common/time.hpp"
#include "server/storage/sql.hpp"

namespace pakt::server {
namespace {

using sqlutil::bind_optional;

constexpr const char* kColumns =
    "SELECT school_number, name, school_type, district, address, latitude, longitude, "
    "created_at, updated_at FROM schools ";
constexpr const char* kInsert =
    "INSERT INTO schools (school_number, name, school_type, district, address, latitude, "
    "longitude, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr const char* kUpdate =
    "UPDATE schools SET name = ?, school_type = ?, district = ?, address = ?, latitude = ?, "
    "longitude = ?, updated_at = ? WHERE school_number = ?";
constexpr const char* kExists = "SELECT 1 FROM schools WHERE school_number = ?";

School read_school(sql::Statement& q) {
    School s;
    s.school_number = q.getColumn(0).getString();
    s.name = q.getColumn(1).getString();
    s.school_type = q.getColumn(2).getString();
    s.district = q.getColumn(3).getString();
    s.address = q.getColumn(4).getString();
    s.latitude = sqlutil::optional_double(q, 5);
    s.longitude = sqlutil::optional_double(q, 6);
    s.created_at = q.getColumn(7).getString();
    s.updated_at = q.getColumn(8).getString();
    return s;
}

// Lower case for comparing without case: ASCII, and the Latin-1 capitals (U+00C0 to U+00DE
// but the multiplication sign) that German and its neighbours write: "Ü" matches "ü".
std::string fold_case(std::string_view text) {
    std::string out(text);
    for (std::size_t i = 0; i < out.size(); ++i) {
        const auto c = static_cast<unsigned char>(out[i]);
        if (c >= 'A' && c <= 'Z') {
            out[i] = static_cast<char>(c + 32);
        } else if (c == 0xC3 && i + 1 < out.size()) {
            const auto next = static_cast<unsigned char>(out[i + 1]);
            if (next >= 0x80 && next <= 0x9E && next != 0x97)
                out[i + 1] = static_cast<char>(next + 32);
            ++i;
        }
    }
    return out;
}

bool matches(const School& s, const std::string& folded_search) {
    if (s.school_number.starts_with(folded_search)) return true;
    for (const std::string* field : {&s.name, &s.district, &s.address}) {
        if (fold_case(*field).find(folded_search) != std::string::npos) return true;
    }
    return false;
}

}  // namespace

std::optional<School> find_school(sql::Db db, const std::string& school_number) {
    sql::Statement q(db, std::string(kColumns) + "WHERE school_number = ?");
    q.bind(1, school_number);
    if (!q.executeStep()) return std::nullopt;
    return read_school(q);
}

bool school_exists(sql::Db db, const std::string& school_number) {
    sql::Statement q(db, kExists);
    q.bind(1, school_number);
    return q.executeStep();
}

std::vector<School> list_schools(sql::Db db, const std::string& after, int limit,
                                 const std::optional<std::vector<std::string>>& only,
                                 const std::optional<std::string>& search) {
    std::vector<School> schools;
    const std::string folded = search ? fold_case(*search) : std::string();
    if (only) {
        // A school role has a handful of schools: look each up by primary key.
        for (const auto& number : *only) {
            if (number <= after) continue;
            auto s = find_school(db, number);
            if (s && (!search || matches(*s, folded))) schools.push_back(std::move(*s));
            if (static_cast<int>(schools.size()) >= limit) break;
        }
        return schools;
    }
    if (!search) {
        sql::Statement q(
            db, std::string(kColumns) + "WHERE school_number > ? ORDER BY school_number LIMIT ?");
        q.bind(1, after);
        q.bind(2, limit);
        while (q.executeStep()) schools.push_back(read_school(q));
        return schools;
    }
    // Substrings of folded text have no index to serve them; the table is small (one row per
    // school of a state) and walked in key order only as far as the page needs.
    sql::Statement q(db, std::string(kColumns) + "WHERE school_number > ? ORDER BY school_number");
    q.bind(1, after);
    while (static_cast<int>(schools.size()) < limit && q.executeStep()) {
        School s = read_school(q);
        if (matches(s, folded)) schools.push_back(std::move(s));
    }
    return schools;
}

void insert_school(sql::Db db, const School& school) {
    const std::string now = now_rfc3339();
    sql::Statement q(db, kInsert);
    q.bind(1, school.school_number);
    q.bind(2, school.name);
    q.bind(3, school.school_type);
    q.bind(4, school.district);
    q.bind(5, school.address);
    bind_optional(q, 6, school.latitude);
    bind_optional(q, 7, school.longitude);
    q.bind(8, now);
    q.bind(9, now);
    q.exec();
}

bool update_school(sql::Db db, const School& school) {
    sql::Statement q(db, kUpdate);
    q.bind(1, school.name);
    q.bind(2, school.school_type);
    q.bind(3, school.district);
    q.bind(4, school.address);
    bind_optional(q, 5, school.latitude);
    bind_optional(q, 6, school.longitude);
    q.bind(7, now_rfc3339());
    q.bind(8, school.school_number);
    return q.exec() > 0;
}

}  // namespace pakt::server
