// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// Reading the values that MDM exports and network files spell in many ways: MAC addresses,
// battery levels, free storage, managed flags and timestamps. Pure functions, thread-safe except
// where noted; none throws on bad input (nullopt instead), so a bad cell never stops a cycle.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/time.hpp"

namespace pakt::agent {

/// A MAC address in any common spelling ("AA-BB-CC-DD-EE-FF", "aabb.ccdd.eeff", "AABBCCDDEEFF",
/// "a:b:c:d:e:f" as some tools print it) as lower-case colon form "aa:bb:cc:dd:ee:ff". nullopt
/// for anything else and for the all-zero address (an incomplete neighbour entry).
std::optional<std::string> normalize_mac(std::string_view text);

/// A serial number as the API addresses devices: trimmed, upper-case, 8 to 14 of [A-Z0-9].
/// nullopt if the text is not one (such a serial could never match a device).
std::optional<std::string> normalize_serial(std::string_view text);

/// A battery level as a percentage 0..100: "85", "85%", "85 %", or a fraction "0.85" / "0,85"
/// (a number with a decimal separator that is at most 1). Rounded to the nearest integer.
std::optional<std::int64_t> parse_battery_pct(std::string_view text);

/// Units of a storage value; decimal multiples as Apple reports capacity (1 GB = 1000 MB).
enum class StorageUnit { bytes, kilobytes, megabytes, gigabytes, terabytes };

/// Free storage in megabytes (10^6 bytes, rounded down), 0..100,000,000: "12.5 GB", "12,5 GB",
/// "12800MB", "3 GiB" (binary units are understood too), or a bare number in `bare_unit`.
std::optional<std::int64_t> parse_storage_mb(std::string_view text, StorageUnit bare_unit);

/// "StorageUnit" for "B", "KB", "MB", "GB", "TB"; nullopt otherwise.
std::optional<StorageUnit> storage_unit_from_name(std::string_view name);

/// Managed/supervised flags and MDM status words, case-insensitive: yes/no, true/false, 1/0,
/// ja/nein, managed/unmanaged, supervised/unsupervised, and Relution states (ACTIVE, COMPLIANT,
/// NONCOMPLIANT are managed; INACTIVE, PENDING, ENROLLMENT_PENDING, DELETED, RETIRED are not).
std::optional<bool> parse_managed(std::string_view text);

/// How to read a timestamp without a zone.
enum class ZonelessTime { local, utc };

/// A timestamp as exports write them: RFC 3339; "2026-03-02 08:15[:00][.123]" with or without
/// 'T', a zone, " UTC" or " GMT"; "02.03.2026 08:15[:00]"; "2026/03/02 08:15:00"; Unix epoch
/// seconds (9 to 11 digits) or milliseconds (12 to 14 digits), up to 2200. A timestamp without a
/// zone is read as `zoneless` (local: the TZ of this process, as MDM consoles export in the admin's
/// time). nullopt if malformed. Not thread-safe with a concurrent change of TZ (uses mktime).
std::optional<Clock::time_point> parse_export_time(std::string_view text,
                                                   ZonelessTime zoneless = ZonelessTime::local);

/// `seconds` since 1970-01-01T00:00:00Z, or nullopt outside 1970 to 2200: a Clock time point
/// counts nanoseconds in 64 bits and cannot hold a time after 2262, so a larger number in a file
/// (a typo, a corrupted line) would overflow instead of being refused.
std::optional<Clock::time_point> from_epoch_seconds(std::int64_t seconds);

/// True for the words exports use for "no value": "", "-", "n/a", "na", "null", "none", "never",
/// "unknown", "nie" (case-insensitive, after trimming).
bool is_blank_value(std::string_view text);

/// True for a textual IPv4 or IPv6 address.
bool is_ip_address(const std::string& text);

}  // namespace pakt::agent
