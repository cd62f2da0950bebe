// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// The school list CSV reader of `paktctl import schools` (tools/paktctl/school_import).
// Properties: never throws; a list without problems has one line per school, six-digit unique
// school numbers and coordinates in range, both or neither.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "tests/fuzz/fuzz_check.hpp"
#include "tools/paktctl/school_import.hpp"

using pakt::fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const pakt::ctl::SchoolList list = pakt::ctl::parse_school_list(text);
    std::size_t previous_line = 0;
    for (const auto& problem : list.problems) {
        require(problem.line >= previous_line, "problems are sorted by line");
        previous_line = problem.line;
    }
    if (!list.problems.empty()) return 0;
    require(list.lines.size() == list.schools.size(), "one line per school");
    std::set<std::string> numbers;
    for (const auto& school : list.schools) {
        require(school.school_number.size() == 6, "a school number has six digits");
        require(numbers.insert(school.school_number).second, "no school number twice");
        require(school.latitude.has_value() == school.longitude.has_value(),
                "latitude and longitude come together");
        if (school.latitude) {
            require(*school.latitude >= -90 && *school.latitude <= 90, "latitude in range");
            require(*school.longitude >= -180 && *school.longitude <= 180, "longitude in range");
        }
    }
    return 0;
}
