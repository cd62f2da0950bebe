// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "tools/paktctl/school_import.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <optional>

#include "common/csv.hpp"
#include "server/domain/validation.hpp"

namespace pakt::ctl {
namespace {

enum class Column { school_number, name, school_type, district, address, lat, lon };

struct ColumnName {
    std::string_view name;
    Column column;
};

// The Datenschule data calls the coordinates lat/lon; the API calls them latitude/longitude.
// Accepting both spares people a rename in their spreadsheet.
constexpr ColumnName kColumnNames[] = {
    {"school_number", Column::school_number},
    {"name", Column::name},
    {"school_type", Column::school_type},
    {"district", Column::district},
    {"address", Column::address},
    {"lat", Column::lat},
    {"latitude", Column::lat},
    {"lon", Column::lon},
    {"longitude", Column::lon},
};

constexpr std::string_view kKnownColumns =
    "school_number, name, school_type, district, address, lat, lon";

// The same limits as POST /schools, so an imported school can be edited in the UI unchanged.
constexpr std::size_t kMaxNameBytes = 300;
constexpr std::size_t kMaxTypeBytes = 100;
constexpr std::size_t kMaxDistrictBytes = 100;
constexpr std::size_t kMaxAddressBytes = 300;

std::string ascii_lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

std::optional<Column> column_from_name(std::string_view name) {
    for (const auto& known : kColumnNames) {
        if (known.name == name) return known.column;
    }
    return std::nullopt;
}

// Where each column sits in a row.
struct ColumnIndex {
    std::map<Column, std::size_t> positions;
    std::size_t count = 0;

    bool has(Column c) const { return positions.contains(c); }
    std::size_t at(Column c) const { return positions.at(c); }
};

ColumnIndex read_header(const csv::Row& header, ProblemList<ImportProblem>& problems) {
    ColumnIndex index;
    index.count = header.fields.size();
    std::vector<std::string> unknown;
    for (std::size_t i = 0; i < header.fields.size(); ++i) {
        const std::string name = ascii_lower(csv::trim(header.fields[i]));
        if (name.empty()) {
            problems.add({header.line, fmt::format("column {} has no name", i + 1)});
            continue;
        }
        const auto column = column_from_name(name);
        if (!column) {
            unknown.push_back("'" + csv::trim(header.fields[i]) + "'");
            continue;
        }
        if (!index.positions.emplace(*column, i).second) {
            problems.add({header.line, fmt::format("column '{}' appears more than once "
                                                   "(lat/latitude and lon/longitude are the "
                                                   "same column)",
                                                   name)});
        }
    }
    if (!unknown.empty()) {
        problems.add({header.line, fmt::format("unknown column{} {} (known columns: {})",
                                               unknown.size() == 1 ? "" : "s",
                                               fmt::join(unknown, ", "), kKnownColumns)});
    }
    for (const Column required : {Column::school_number, Column::name}) {
        if (!index.has(required)) {
            problems.add(
                {header.line,
                 fmt::format("missing column '{}'",
                             required == Column::school_number ? "school_number" : "name")});
        }
    }
    if (index.has(Column::lat) != index.has(Column::lon)) {
        problems.add({header.line,
                      "the columns lat and lon come together: the file has "
                      "only one of them"});
    }
    return index;
}

// A coordinate as written in the file: empty, or a decimal number. A decimal comma is accepted
// because German spreadsheets write "51,4149" (in a ';'-separated file).
std::optional<double> parse_decimal(std::string_view text) {
    std::string normalized(text);
    if (normalized.find('.') == std::string::npos &&
        std::count(normalized.begin(), normalized.end(), ',') == 1) {
        std::replace(normalized.begin(), normalized.end(), ',', '.');
    }
    double value = 0;
    const char* first = normalized.data();
    const char* last = first + normalized.size();
    const auto [ptr, ec] = std::from_chars(first, last, value, std::chars_format::fixed);
    if (ec != std::errc() || ptr != last || !std::isfinite(value)) return std::nullopt;
    return value;
}

class RowReader {
  public:
    RowReader(const ColumnIndex& index, const csv::Row& row, ProblemList<ImportProblem>& problems)
        : index_(index), row_(row), problems_(problems) {}

    std::string text(Column column, std::string_view label, std::size_t max_bytes) {
        if (!index_.has(column)) return {};
        // Only the ends are trimmed: the data has names with odd inner spacing that people
        // search for as written.
        std::string value = csv::trim(row_.fields[index_.at(column)]);
        if (auto problem = server::check_text(value, max_bytes)) {
            invalid(fmt::format("{} {}", label, *problem));
        }
        return value;
    }

    std::optional<double> coordinate(Column column, std::string_view label, double limit) {
        const std::string value = csv::trim(row_.fields[index_.at(column)]);
        if (value.empty()) return std::nullopt;
        const auto number = parse_decimal(value);
        if (!number) {
            invalid(fmt::format("{} '{}' is not a number", label, value));
            return std::nullopt;
        }
        if (*number < -limit || *number > limit) {
            invalid(fmt::format("{} {} is out of range (-{} to {})", label, value, limit, limit));
            return std::nullopt;
        }
        return number;
    }

    void invalid(std::string message) { problems_.add({row_.line, std::move(message)}); }

  private:
    const ColumnIndex& index_;
    const csv::Row& row_;
    ProblemList<ImportProblem>& problems_;
};

}  // namespace

SchoolList parse_school_list(std::string_view text) {
    SchoolList list;
    const csv::Document document = csv::parse(text);
    // The syntax errors are merged in by line, so the list is in line order without sorting and
    // its first entries are the file's first problems.
    std::size_t next_syntax_error = 0;
    const auto syntax_errors_before = [&](std::size_t line) {
        for (; next_syntax_error < document.errors.size() &&
               document.errors[next_syntax_error].line < line;
             ++next_syntax_error) {
            const csv::ParseError& e = document.errors[next_syntax_error];
            list.problems.add({e.line, e.message});
        }
    };
    const auto finish = [&]() -> SchoolList {
        syntax_errors_before(static_cast<std::size_t>(-1));
        list.problems.count_unlisted(document.errors.unlisted());
        return std::move(list);
    };

    if (document.rows.empty()) {
        if (document.errors.empty()) {
            list.problems.add(
                {1, fmt::format("the file is empty; expected a header line with the columns {}",
                                kKnownColumns)});
        }
        return finish();
    }
    const csv::Row& header = document.rows.front();
    // A syntax error before the first row the parser kept means the header itself was
    // unreadable, and the first kept row is data: its columns cannot be interpreted.
    if (std::any_of(document.errors.begin(), document.errors.end(),
                    [&header](const csv::ParseError& e) { return e.line < header.line; })) {
        return finish();
    }
    syntax_errors_before(header.line + 1);
    const ColumnIndex index = read_header(header, list.problems);
    if (!index.has(Column::school_number) || !index.has(Column::name)) return finish();

    list.columns.school_type = index.has(Column::school_type);
    list.columns.district = index.has(Column::district);
    list.columns.address = index.has(Column::address);
    list.columns.coordinates = index.has(Column::lat) && index.has(Column::lon);

    std::map<std::string, std::size_t> first_line_of;
    for (std::size_t r = 1; r < document.rows.size(); ++r) {
        const csv::Row& row = document.rows[r];
        syntax_errors_before(row.line + 1);
        RowReader in(index, row, list.problems);
        if (row.fields.size() != index.count) {
            in.invalid(fmt::format("has {} field{}, but the header has {} columns",
                                   row.fields.size(), row.fields.size() == 1 ? "" : "s",
                                   index.count));
            continue;
        }
        const std::size_t problems_before = list.problems.total();
        server::School school;
        school.school_number = csv::trim(row.fields[index.at(Column::school_number)]);
        if (school.school_number.empty()) {
            in.invalid("school_number is empty");
        } else if (!server::is_valid_school_number(school.school_number)) {
            in.invalid(fmt::format("school_number '{}' is not six digits", school.school_number));
        } else if (auto [it, inserted] = first_line_of.emplace(school.school_number, row.line);
                   !inserted) {
            in.invalid(fmt::format("school_number {} appears twice: already on line {}",
                                   school.school_number, it->second));
        }
        school.name = in.text(Column::name, "name", kMaxNameBytes);
        school.school_type = in.text(Column::school_type, "school_type", kMaxTypeBytes);
        school.district = in.text(Column::district, "district", kMaxDistrictBytes);
        school.address = in.text(Column::address, "address", kMaxAddressBytes);
        if (list.columns.coordinates) {
            school.latitude = in.coordinate(Column::lat, "lat", 90);
            school.longitude = in.coordinate(Column::lon, "lon", 180);
            const bool lat_empty = csv::trim(row.fields[index.at(Column::lat)]).empty();
            const bool lon_empty = csv::trim(row.fields[index.at(Column::lon)]).empty();
            if (lat_empty != lon_empty) {
                in.invalid("lat and lon must both be given or both be empty");
            }
        }
        if (list.problems.total() == problems_before) {
            list.schools.push_back(std::move(school));
            list.lines.push_back(row.line);
        }
    }
    return finish();
}

ImportCounts merge_schools(server::sql::Db db, const SchoolList& list) {
    ImportCounts counts;
    for (const server::School& imported : list.schools) {
        auto existing = server::find_school(db, imported.school_number);
        if (!existing) {
            server::insert_school(db, imported);
            ++counts.added;
            counts.added_numbers.push_back(imported.school_number);
            continue;
        }
        server::School merged = *existing;
        merged.name = imported.name;
        if (list.columns.school_type) merged.school_type = imported.school_type;
        if (list.columns.district) merged.district = imported.district;
        if (list.columns.address) merged.address = imported.address;
        if (list.columns.coordinates) {
            merged.latitude = imported.latitude;
            merged.longitude = imported.longitude;
        }
        const bool changed =
            merged.name != existing->name || merged.school_type != existing->school_type ||
            merged.district != existing->district || merged.address != existing->address ||
            merged.latitude != existing->latitude || merged.longitude != existing->longitude;
        if (!changed) {
            ++counts.unchanged;
            continue;
        }
        server::update_school(db, merged);
        ++counts.updated;
        counts.updated_numbers.push_back(imported.school_number);
    }
    return counts;
}

}  // namespace pakt::ctl
