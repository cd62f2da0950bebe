// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// The school import of `paktctl import schools`: reading a school list from CSV (the columns of
// the Datenschule school data) and merging it into the database. Split in two so that a file is
// validated completely before anything is written: an import is all or nothing.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/problem_list.hpp"
#include "server/storage/school_repository.hpp"

namespace SQLite {
class Database;
}

namespace pakt::ctl {

/// A problem on one line of the file (1-based, the header is line 1).
struct ImportProblem {
    std::size_t line = 0;
    std::string message;
};

/// Which optional columns the file has. A column the file does not have leaves that field of an
/// existing school as it is (a list without districts does not erase districts set in the UI).
struct SchoolColumns {
    bool school_type = false;
    bool district = false;
    bool address = false;
    bool coordinates = false;  ///< lat and lon (always together)
};

struct SchoolList {
    SchoolColumns columns;
    std::vector<server::School> schools;  ///< in file order; fields trimmed, nothing else changed
    std::vector<std::size_t> lines;       ///< the line each school was read from
    /// In line order, the first kMaxListedProblems listed and the rest counted; non-empty means
    /// "store nothing".
    ProblemList<ImportProblem> problems;
};

/// Parses and validates a school list. The header names its columns (case-insensitive, any
/// order): `school_number` and `name` are required; `school_type`, `district`, `address`,
/// `lat`/`latitude` and `lon`/`longitude` are optional (lat and lon only together). Unknown or
/// repeated columns are a problem on the header line. The separator (',' or ';') is detected,
/// a UTF-8 byte-order mark is skipped. Each data line must have one field per column, a six-digit
/// school number not seen on an earlier line, a latitude in [-90, 90] and longitude in
/// [-180, 180] (both empty, or both numbers; a decimal comma is accepted) and texts within the
/// API's limits, without control characters (the text rule of the API). Every problem is
/// counted; parsing never stops at the first. Never throws on bad input.
SchoolList parse_school_list(std::string_view text);

struct ImportCounts {
    std::size_t added = 0;
    std::size_t updated = 0;
    std::size_t unchanged = 0;
    std::vector<std::string> added_numbers;
    std::vector<std::string> updated_numbers;
};

/// Inserts the schools that do not exist and updates those whose imported fields differ, inside
/// the caller's transaction (the caller commits and writes the audit entry). Precondition:
/// `list.problems` is empty. Throws SQLite::Exception or sql::PgError.
ImportCounts merge_schools(server::sql::Db db, const SchoolList& list);

}  // namespace pakt::ctl
