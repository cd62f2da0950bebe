// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "common/time.hpp"

#include <cstdint>
#include <cstdio>

namespace pakt {
namespace {

using namespace std::chrono;

// Reads exactly `count` ASCII digits at `pos`; no sign, no whitespace (unlike strtol/sscanf,
// which would accept " 1" or "+1" inside a timestamp).
std::optional<int> read_digits(std::string_view text, std::size_t pos, std::size_t count) {
    if (pos + count > text.size()) return std::nullopt;
    int value = 0;
    for (std::size_t i = pos; i < pos + count; ++i) {
        const char c = text[i];
        if (c < '0' || c > '9') return std::nullopt;
        value = value * 10 + (c - '0');
    }
    return value;
}

// "YYYY-MM-DD" at the start of `text`; the calendar check rejects 2026-02-29 and 2026-04-31.
std::optional<year_month_day> read_date(std::string_view text) {
    const auto y = read_digits(text, 0, 4);
    const auto m = read_digits(text, 5, 2);
    const auto d = read_digits(text, 8, 2);
    if (!y || !m || !d || text.size() < 10 || text[4] != '-' || text[7] != '-') {
        return std::nullopt;
    }
    const year_month_day date{year{*y}, month{static_cast<unsigned>(*m)},
                              day{static_cast<unsigned>(*d)}};
    if (!date.ok()) return std::nullopt;
    return date;
}

}  // namespace

std::string format_rfc3339(Clock::time_point t) {
    const auto secs = floor<seconds>(t);
    const auto day_start = floor<days>(secs);
    const year_month_day date{day_start};
    const hh_mm_ss<seconds> tod{secs - day_start};
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02uT%02d:%02d:%02dZ", int{date.year()},
                  unsigned{date.month()}, unsigned{date.day()},
                  static_cast<int>(tod.hours().count()), static_cast<int>(tod.minutes().count()),
                  static_cast<int>(tod.seconds().count()));
    return buffer;
}

std::optional<Clock::time_point> parse_rfc3339(std::string_view text) {
    // Fixed part: "YYYY-MM-DDTHH:MM:SS" is 19 characters.
    if (text.size() < 20) return std::nullopt;
    const auto date = read_date(text);
    if (!date) return std::nullopt;
    // RFC 3339 section 5.6 allows lower-case 't' and 'z'.
    if (text[10] != 'T' && text[10] != 't') return std::nullopt;
    const auto hh = read_digits(text, 11, 2);
    const auto mm = read_digits(text, 14, 2);
    const auto ss = read_digits(text, 17, 2);
    if (!hh || !mm || !ss || text[13] != ':' || text[16] != ':') return std::nullopt;
    // A leap second (":60") cannot be represented by system_clock, so it is rejected rather than
    // silently moved to the next minute.
    if (*hh > 23 || *mm > 59 || *ss > 59) return std::nullopt;

    std::size_t pos = 19;
    nanoseconds fraction{0};
    if (text[pos] == '.') {
        ++pos;
        const std::size_t start = pos;
        std::int64_t nanos = 0;
        std::int64_t scale = 100'000'000;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
            // Digits beyond nanoseconds are accepted and truncated.
            nanos += (text[pos] - '0') * scale;
            scale /= 10;
            ++pos;
        }
        if (pos == start) return std::nullopt;
        fraction = nanoseconds{nanos};
    }

    minutes offset{0};
    if (pos >= text.size()) return std::nullopt;
    const char zone = text[pos];
    if (zone == 'Z' || zone == 'z') {
        ++pos;
    } else if (zone == '+' || zone == '-') {
        const auto oh = read_digits(text, pos + 1, 2);
        const auto om = read_digits(text, pos + 4, 2);
        if (!oh || !om || text[pos + 3] != ':' || *oh > 23 || *om > 59) return std::nullopt;
        offset = hours{*oh} + minutes{*om};
        if (zone == '-') offset = -offset;
        pos += 6;
    } else {
        return std::nullopt;
    }
    if (pos != text.size()) return std::nullopt;

    // Local time minus the offset is UTC. Computed in seconds first so a year far outside
    // system_clock's range (about 1678..2262 with nanosecond ticks) is rejected, not wrapped.
    const auto utc_seconds =
        sys_days{*date}.time_since_epoch() + hours{*hh} + minutes{*mm} + seconds{*ss} - offset;
    constexpr auto kMax = duration_cast<seconds>(Clock::duration::max()) - seconds{1};
    constexpr auto kMin = duration_cast<seconds>(Clock::duration::min()) + seconds{1};
    if (utc_seconds > kMax || utc_seconds < kMin) return std::nullopt;
    return Clock::time_point{duration_cast<Clock::duration>(utc_seconds) +
                             duration_cast<Clock::duration>(fraction)};
}

bool is_valid_date(std::string_view text) {
    return text.size() == 10 && read_date(text).has_value();
}

std::optional<std::string> date_problem(std::string_view text) {
    const auto date = text.size() == 10 ? read_date(text) : std::nullopt;
    if (!date) return "must be a date YYYY-MM-DD";
    if (date->year() < year{kEarliestYear} || date->year() > year{kLatestYear}) {
        return "must be a date from 2000-01-01 to 2100-12-31";
    }
    return std::nullopt;
}

std::optional<std::string> time_problem(std::string_view text) {
    constexpr const char* kOutOfRange =
        "must be a time from 2000-01-01T00:00:00Z to 2100-12-31T23:59:59Z";
    const auto t = parse_rfc3339(text);
    if (!t) {
        // A year beyond what the clock type holds (e.g. 9999) fails to parse: name the range.
        const auto date = read_date(text);
        if (date && (date->year() < year{kEarliestYear} || date->year() > year{kLatestYear})) {
            return kOutOfRange;
        }
        return "must be an RFC 3339 time";
    }
    const auto first = sys_days{year{kEarliestYear} / January / 1};
    const auto after_last = sys_days{year{kLatestYear + 1} / January / 1};
    if (*t < first || *t >= after_last) return kOutOfRange;
    return std::nullopt;
}

std::string now_rfc3339() { return format_rfc3339(Clock::now()); }

std::string german_date(Clock::time_point t) {
    using namespace std::chrono;
    const year y = year_month_day{floor<days>(t)}.year();
    const auto summer_starts = sys_days{y / March / Sunday[last]} + hours(1);
    const auto summer_ends = sys_days{y / October / Sunday[last]} + hours(1);
    const auto offset = t >= summer_starts && t < summer_ends ? hours(2) : hours(1);
    return format_rfc3339(t + offset).substr(0, 10);
}

std::optional<Clock::time_point> german_day_start(std::string_view date) {
    if (!is_valid_date(date)) return std::nullopt;
    const year_month_day ymd = *read_date(date);
    // Well inside system_clock's range (about 1678..2262 with nanosecond ticks).
    if (ymd.year() < year{1900} || ymd.year() > year{2200}) return std::nullopt;
    // Midnight in Germany is 22:00 UTC the day before in summer time, else 23:00.
    const auto summer_midnight = Clock::time_point{sys_days{ymd}} - hours(2);
    if (german_date(summer_midnight) == date) return summer_midnight;
    return summer_midnight + hours(1);
}

}  // namespace pakt
