// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// The check-in report: what a site agent sends to paktd each cycle (API.md, "Agents";
// schema/checkin-report.schema.json). Shared by pakt-agent (which builds and spools it) and
// paktd (which validates and applies it), so both read the same field names and limits.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/problem_list.hpp"
#include "common/time.hpp"

namespace pakt {

inline constexpr std::size_t kMaxDevicesPerReport = 5000;
inline constexpr std::size_t kMaxReportStringBytes = 256;
/// How far a device's `seen_at` may lie ahead of paktd's clock (clocks of agent hosts drift);
/// later is refused: a time in the future would pin the device's "last seen" state.
inline constexpr std::chrono::minutes kSeenAtClockTolerance{10};

/// One device as the agent saw it: joined from the MDM export and the network's presence data.
struct DeviceObservation {
    std::string serial_number;  ///< as reported; the server normalises
    std::string seen_at;        ///< RFC 3339
    std::optional<std::string> os_version;
    std::optional<std::int64_t> battery_pct;      ///< 0..100
    std::optional<std::int64_t> storage_free_mb;  ///< >= 0
    std::optional<bool> managed;                  ///< managed/supervised by the school's MDM
    std::optional<std::string> ip_address;
};

struct CheckinReport {
    std::string report_id;  ///< UUID, fresh per report; the idempotency key
    std::string generated_at;
    std::string agent_version;
    std::vector<DeviceObservation> devices;
};

nlohmann::json to_json(const CheckinReport& report);

struct ReportError {
    std::string field;  ///< JSON path, e.g. "devices[12].battery_pct"
    std::string message;
    bool wrong_type = false;  ///< a type error (400) rather than an invalid value (422)
};

/// Reads and validates a report from its JSON text in one pass, without building a document:
/// required fields, types, a UUID report_id, RFC 3339 times of the years kEarliestYear to
/// kLatestYear, at most kMaxDevicesPerReport devices, strings of at most kMaxReportStringBytes
/// that are valid UTF-8 without control characters (TextKind::single_line), ranges, and, if
/// `seen_not_after` is given, no `seen_at` later than it. Unknown fields are errors; null counts
/// as absent (except for `devices`). Returns the report, or the problems found (the first
/// kMaxListedProblems listed, the rest counted), or `malformed` if the text is not one JSON value.
struct ParsedReport {
    std::optional<CheckinReport> report;
    ProblemList<ReportError> errors;
    bool malformed = false;  ///< not JSON at all: no errors are listed
};
ParsedReport parse_checkin_report(std::string_view json_text,
                                  std::optional<Clock::time_point> seen_not_after = std::nullopt);

/// True for a canonical textual UUID (8-4-4-4-12 hex digits).
bool is_uuid(const std::string& text);

/// A random (version 4) UUID.
std::string make_uuid();

}  // namespace pakt
