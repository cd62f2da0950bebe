// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "agent/export_values.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <ctime>

#include "common/csv.hpp"

namespace pakt::agent {
namespace {

using namespace std::chrono;

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
char upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

std::string lowered(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), lower);
    return out;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    c = lower(c);
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

bool all_digits(std::string_view text) {
    return !text.empty() &&
           std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A decimal number with '.' or ',' as separator (German exports write "12,5"); no exponent, no
// thousands separators (which would be ambiguous with the German decimal comma).
struct Number {
    double value = 0;
    bool has_fraction = false;
};

std::optional<Number> parse_number(std::string_view text) {
    if (text.empty()) return std::nullopt;
    double value = 0;
    double scale = 0;
    bool any_digit = false;
    bool separator = false;
    for (char c : text) {
        if (c >= '0' && c <= '9') {
            any_digit = true;
            if (separator) {
                value += (c - '0') * scale;
                scale /= 10;
            } else {
                value = value * 10 + (c - '0');
            }
        } else if ((c == '.' || c == ',') && !separator) {
            separator = true;
            scale = 0.1;
        } else {
            return std::nullopt;
        }
    }
    if (!any_digit || value > 1e15) return std::nullopt;
    return Number{value, separator};
}

// Splits "12.5 GB" into the number and the unit word.
std::pair<std::string_view, std::string> split_unit(std::string_view text) {
    std::size_t end = text.size();
    while (end > 0 && std::isalpha(static_cast<unsigned char>(text[end - 1]))) --end;
    std::string unit = lowered(text.substr(end));
    std::string_view number = text.substr(0, end);
    while (!number.empty() && (number.back() == ' ' || number.back() == '\t')) {
        number.remove_suffix(1);
    }
    return {number, unit};
}

std::optional<double> bytes_per_unit(const std::string& unit, StorageUnit bare_unit) {
    if (unit.empty()) {
        switch (bare_unit) {
            case StorageUnit::bytes:
                return 1.0;
            case StorageUnit::kilobytes:
                return 1e3;
            case StorageUnit::megabytes:
                return 1e6;
            case StorageUnit::gigabytes:
                return 1e9;
            case StorageUnit::terabytes:
                return 1e12;
        }
    }
    static const std::array<std::pair<std::string_view, double>, 17> kUnits = {{
        {"b", 1.0},
        {"byte", 1.0},
        {"bytes", 1.0},
        {"k", 1e3},
        {"kb", 1e3},
        {"kib", 1024.0},
        {"m", 1e6},
        {"mb", 1e6},
        {"mib", 1024.0 * 1024},
        {"g", 1e9},
        {"gb", 1e9},
        {"gib", 1024.0 * 1024 * 1024},
        {"t", 1e12},
        {"tb", 1e12},
        {"tib", 1024.0 * 1024 * 1024 * 1024},
        {"gbyte", 1e9},
        {"mbyte", 1e6},
    }};
    for (const auto& [name, factor] : kUnits) {
        if (unit == name) return factor;
    }
    return std::nullopt;
}

// Fields of a zone-less local or UTC date-time, validated before conversion: mktime and timegm
// would silently normalise 2026-02-30 into March.
struct DateTime {
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
};

std::optional<int> digits_at(std::string_view text, std::size_t pos, std::size_t count) {
    if (pos + count > text.size()) return std::nullopt;
    int value = 0;
    for (std::size_t i = pos; i < pos + count; ++i) {
        if (text[i] < '0' || text[i] > '9') return std::nullopt;
        value = value * 10 + (text[i] - '0');
    }
    return value;
}

// "HH:MM[:SS][.fraction]" at `pos`; returns the position after it.
std::optional<std::size_t> read_clock(std::string_view text, std::size_t pos, DateTime& out) {
    const auto hh = digits_at(text, pos, 2);
    const auto mm = digits_at(text, pos + 3, 2);
    if (!hh || !mm || text[pos + 2] != ':') return std::nullopt;
    out.hour = *hh;
    out.minute = *mm;
    pos += 5;
    if (pos < text.size() && text[pos] == ':') {
        const auto ss = digits_at(text, pos + 1, 2);
        if (!ss) return std::nullopt;
        out.second = *ss;
        pos += 3;
        if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
            ++pos;
            const std::size_t start = pos;
            while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
            if (pos == start) return std::nullopt;
        }
    }
    if (out.hour > 23 || out.minute > 59 || out.second > 59) return std::nullopt;
    return pos;
}

std::optional<Clock::time_point> to_time_point(const DateTime& dt, ZonelessTime zoneless) {
    const year_month_day date{year{dt.year}, month{static_cast<unsigned>(dt.month)},
                              day{static_cast<unsigned>(dt.day)}};
    if (!date.ok() || dt.year < 1970 || dt.year > 2200) return std::nullopt;
    if (zoneless == ZonelessTime::utc) {
        return Clock::time_point{sys_days{date}.time_since_epoch() + hours{dt.hour} +
                                 minutes{dt.minute} + seconds{dt.second}};
    }
    std::tm tm{};
    tm.tm_year = dt.year - 1900;
    tm.tm_mon = dt.month - 1;
    tm.tm_mday = dt.day;
    tm.tm_hour = dt.hour;
    tm.tm_min = dt.minute;
    tm.tm_sec = dt.second;
    tm.tm_isdst = -1;  // let the zone rules decide summer time
    const std::time_t t = std::mktime(&tm);
    if (t == static_cast<std::time_t>(-1)) return std::nullopt;
    return Clock::from_time_t(t);
}

// The zone suffix after a date-time: "", "Z", "+01:00", "+0100", " UTC", " GMT".
struct Zone {
    bool present = false;
    minutes offset{0};
};

std::optional<Zone> read_zone(std::string_view rest) {
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    if (rest.empty()) return Zone{};
    const std::string word = lowered(rest);
    if (word == "z" || word == "utc" || word == "gmt") return Zone{true, minutes{0}};
    if (rest.front() != '+' && rest.front() != '-') return std::nullopt;
    const auto hh = digits_at(rest, 1, 2);
    if (!hh) return std::nullopt;
    std::optional<int> mm;
    if (rest.size() == 6 && rest[3] == ':') mm = digits_at(rest, 4, 2);
    if (rest.size() == 5) mm = digits_at(rest, 3, 2);
    if (rest.size() == 3) mm = 0;
    if (!mm || *hh > 23 || *mm > 59) return std::nullopt;
    minutes offset = hours{*hh} + minutes{*mm};
    return Zone{true, rest.front() == '-' ? -offset : offset};
}

}  // namespace

std::optional<std::string> normalize_mac(std::string_view text) {
    const std::string trimmed = csv::trim(text);
    std::array<int, 6> octets{};
    std::size_t count = 0;
    const auto hex_run = [&](std::string_view run) -> bool {
        // A run of hex digits between separators: one octet (1-2 digits) or, without separators
        // (Cisco dotted form, plain 12 digits), several octets of two digits.
        if (run.empty()) return false;
        if (run.size() <= 2) {
            int value = 0;
            for (char c : run) {
                const int v = hex_value(c);
                if (v < 0) return false;
                value = value * 16 + v;
            }
            if (count >= octets.size()) return false;
            octets[count++] = value;
            return true;
        }
        if (run.size() % 2 != 0) return false;
        for (std::size_t i = 0; i < run.size(); i += 2) {
            const int hi = hex_value(run[i]);
            const int lo = hex_value(run[i + 1]);
            if (hi < 0 || lo < 0 || count >= octets.size()) return false;
            octets[count++] = hi * 16 + lo;
        }
        return true;
    };

    char separator = 0;
    std::size_t start = 0;
    std::size_t runs = 0;
    for (std::size_t i = 0; i <= trimmed.size(); ++i) {
        if (i < trimmed.size() && hex_value(trimmed[i]) >= 0) continue;
        if (i < trimmed.size()) {
            const char c = trimmed[i];
            if (c != ':' && c != '-' && c != '.') return std::nullopt;
            if (separator != 0 && c != separator) return std::nullopt;
            separator = c;
        }
        const std::string_view run = std::string_view(trimmed).substr(start, i - start);
        // Colon and dash forms have one octet per run; the dotted form has groups of four.
        if (separator == '.' && run.size() != 4) return std::nullopt;
        if ((separator == ':' || separator == '-') && run.size() > 2) return std::nullopt;
        if (!hex_run(run)) return std::nullopt;
        ++runs;
        start = i + 1;
    }
    if (count != 6 || (separator == 0 && runs != 1)) return std::nullopt;
    if (std::all_of(octets.begin(), octets.end(), [](int o) { return o == 0; })) {
        return std::nullopt;
    }
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.reserve(17);
    for (std::size_t i = 0; i < octets.size(); ++i) {
        if (i > 0) out.push_back(':');
        out.push_back(kDigits[octets[i] / 16]);
        out.push_back(kDigits[octets[i] % 16]);
    }
    return out;
}

std::optional<std::string> normalize_serial(std::string_view text) {
    std::string serial = csv::trim(text);
    std::transform(serial.begin(), serial.end(), serial.begin(), upper);
    if (serial.size() < 8 || serial.size() > 14) return std::nullopt;
    for (char c : serial) {
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return std::nullopt;
    }
    return serial;
}

std::optional<std::int64_t> parse_battery_pct(std::string_view text) {
    std::string value = csv::trim(text);
    bool percent = false;
    if (!value.empty() && value.back() == '%') {
        percent = true;
        value = csv::trim(std::string_view(value).substr(0, value.size() - 1));
    }
    const auto number = parse_number(value);
    if (!number) return std::nullopt;
    double pct = number->value;
    // "0.85" is a fraction; "1" and "85" are percentages. Only a written decimal separator marks
    // a fraction, so a device at 1 % is not read as full.
    if (!percent && number->has_fraction && pct <= 1.0) pct *= 100.0;
    const double rounded = std::round(pct);
    if (rounded < 0 || rounded > 100) return std::nullopt;
    return static_cast<std::int64_t>(rounded);
}

std::optional<StorageUnit> storage_unit_from_name(std::string_view name) {
    if (name == "B") return StorageUnit::bytes;
    if (name == "KB") return StorageUnit::kilobytes;
    if (name == "MB") return StorageUnit::megabytes;
    if (name == "GB") return StorageUnit::gigabytes;
    if (name == "TB") return StorageUnit::terabytes;
    return std::nullopt;
}

std::optional<std::int64_t> parse_storage_mb(std::string_view text, StorageUnit bare_unit) {
    const std::string value = csv::trim(text);
    const auto [number_text, unit] = split_unit(value);
    const auto number = parse_number(number_text);
    const auto factor = bytes_per_unit(unit, bare_unit);
    if (!number || !factor) return std::nullopt;
    const double mb = std::floor(number->value * *factor / 1e6);
    if (mb < 0 || mb > 100'000'000) return std::nullopt;
    return static_cast<std::int64_t>(mb);
}

std::optional<bool> parse_managed(std::string_view text) {
    std::string word = lowered(csv::trim(text));
    std::replace(word.begin(), word.end(), '-', '_');
    std::replace(word.begin(), word.end(), ' ', '_');
    static constexpr std::array<std::string_view, 11> kYes = {
        "yes",          "true",       "1",      "y",         "ja",
        "managed",      "supervised", "active", "compliant", "noncompliant",
        "non_compliant"};
    static constexpr std::array<std::string_view, 15> kNo = {"no",
                                                             "false",
                                                             "0",
                                                             "n",
                                                             "nein",
                                                             "unmanaged",
                                                             "unsupervised",
                                                             "not_managed",
                                                             "inactive",
                                                             "pending",
                                                             "enrollment_pending",
                                                             "deleted",
                                                             "retired",
                                                             "unenrolled",
                                                             "wiped"};
    for (std::string_view yes : kYes) {
        if (word == yes) return true;
    }
    for (std::string_view no : kNo) {
        if (word == no) return false;
    }
    return std::nullopt;
}

bool is_blank_value(std::string_view text) {
    const std::string word = lowered(csv::trim(text));
    static constexpr std::array<std::string_view, 9> kBlank = {
        "", "-", "n/a", "na", "null", "none", "never", "unknown", "nie"};
    return std::find(kBlank.begin(), kBlank.end(), word) != kBlank.end();
}

std::optional<Clock::time_point> from_epoch_seconds(std::int64_t seconds_since_1970) {
    constexpr std::int64_t kLatest = 7'258'118'400;  // 2200-01-01T00:00:00Z
    if (seconds_since_1970 < 0 || seconds_since_1970 > kLatest) return std::nullopt;
    return Clock::time_point{seconds{seconds_since_1970}};
}

std::optional<Clock::time_point> parse_export_time(std::string_view text, ZonelessTime zoneless) {
    const std::string value = csv::trim(text);
    if (value.empty()) return std::nullopt;

    if (all_digits(value)) {
        // Epoch seconds from 1973 (9 digits) to 2200 (from_epoch_seconds); milliseconds as
        // JavaScript-based consoles (Relution) write them. The length is checked first: the
        // digits of a longer number overflowed the accumulator.
        if (value.size() < 9 || value.size() > 14) return std::nullopt;
        std::int64_t n = 0;
        for (char c : value) n = n * 10 + (c - '0');
        if (value.size() <= 11) return from_epoch_seconds(n);
        const auto whole = from_epoch_seconds(n / 1000);
        if (!whole) return std::nullopt;
        return *whole + milliseconds{n % 1000};
    }
    if (auto t = parse_rfc3339(value)) return t;

    DateTime dt;
    std::size_t pos = 0;
    if (value.size() >= 10 && (value[4] == '-' || value[4] == '/') && value[7] == value[4]) {
        const auto y = digits_at(value, 0, 4);
        const auto m = digits_at(value, 5, 2);
        const auto d = digits_at(value, 8, 2);
        if (!y || !m || !d) return std::nullopt;
        dt.year = *y;
        dt.month = *m;
        dt.day = *d;
        pos = 10;
    } else if (value.size() >= 10 && value[2] == '.' && value[5] == '.') {
        const auto d = digits_at(value, 0, 2);
        const auto m = digits_at(value, 3, 2);
        const auto y = digits_at(value, 6, 4);
        if (!y || !m || !d) return std::nullopt;
        dt.year = *y;
        dt.month = *m;
        dt.day = *d;
        pos = 10;
    } else {
        return std::nullopt;
    }

    Zone zone;
    if (pos < value.size()) {
        if (value[pos] != ' ' && value[pos] != 'T' && value[pos] != 't') return std::nullopt;
        const auto after = read_clock(value, pos + 1, dt);
        if (!after) return std::nullopt;
        const auto parsed_zone = read_zone(std::string_view(value).substr(*after));
        if (!parsed_zone) return std::nullopt;
        zone = *parsed_zone;
    }
    if (zone.present) {
        const auto utc = to_time_point(dt, ZonelessTime::utc);
        if (!utc) return std::nullopt;
        return *utc - zone.offset;
    }
    return to_time_point(dt, zoneless);
}

bool is_ip_address(const std::string& text) {
    in_addr v4{};
    in6_addr v6{};
    return inet_pton(AF_INET, text.c_str(), &v4) == 1 ||
           inet_pton(AF_INET6, text.c_str(), &v6) == 1;
}

}  // namespace pakt::agent
