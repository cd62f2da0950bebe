// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// The check-in report reader (common/checkin_report): the JSON body every agent POSTs.
// Properties: never throws; a report it accepts serialises (to_json) to text that it accepts
// again as the same report; a rejected report lists at most 50 problems, or is `malformed`.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/checkin_report.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using pakt::fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const pakt::ParsedReport parsed = pakt::parse_checkin_report(text);
    if (!parsed.report) {
        require(parsed.malformed || !parsed.errors.empty(), "a rejected report names a problem");
        require(parsed.errors.size() <= 50, "at most 50 problems are listed");
        return 0;
    }
    require(parsed.errors.empty(), "an accepted report has no problems");
    const std::string again = pakt::to_json(*parsed.report).dump();
    const pakt::ParsedReport reparsed = pakt::parse_checkin_report(again);
    require(reparsed.report.has_value(), "an accepted report, serialised, is accepted again");
    require(pakt::to_json(*reparsed.report).dump() == again,
            "an accepted report survives a round trip unchanged");
    return 0;
}
