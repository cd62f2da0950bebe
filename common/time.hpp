// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// Time formats of the API: RFC 3339 UTC timestamps ("2026-09-01T07:30:00Z") and dates
// ("2026-09-01").
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace pakt {

using Clock = std::chrono::system_clock;

/// "YYYY-MM-DDTHH:MM:SSZ" (second precision, UTC).
std::string format_rfc3339(Clock::time_point t);

/// Parses "YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)"; nullopt if malformed or out of range.
std::optional<Clock::time_point> parse_rfc3339(std::string_view text);

/// True for a valid calendar date "YYYY-MM-DD".
bool is_valid_date(std::string_view text);

/// The years of every date and time the API accepts (grant and delivery dates, due dates,
/// filters, check-in times): enough for any real record, and small enough that a date plus the
/// five-year earmarking period or a computed deadline still has four digits.
inline constexpr int kEarliestYear = 2000;
inline constexpr int kLatestYear = 2100;

/// What is wrong with `text` as a date the API accepts ("YYYY-MM-DD" of the years kEarliestYear
/// to kLatestYear), or nullopt.
std::optional<std::string> date_problem(std::string_view text);

/// What is wrong with `text` as a time the API accepts (RFC 3339, in UTC within the years
/// kEarliestYear to kLatestYear), or nullopt.
std::optional<std::string> time_problem(std::string_view text);

/// Current UTC time formatted with format_rfc3339.
std::string now_rfc3339();

/// The calendar date "YYYY-MM-DD" in Germany (Europe/Berlin: UTC+1, UTC+2 from the last Sunday
/// of March to the last Sunday of October, switching at 01:00 UTC) at `t`: the day a due date is
/// compared with, as the people at the school count days.
std::string german_date(Clock::time_point t);

/// The first instant of the German calendar day `date` ("YYYY-MM-DD"): 22:00 or 23:00 UTC of the
/// day before. nullopt if `date` is not a valid date of the years 1900 to 2200.
std::optional<Clock::time_point> german_day_start(std::string_view date);

}  // namespace pakt
