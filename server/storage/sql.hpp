// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// Small helpers the repositories share for reading and binding optional values and for the
// scope filter "school_number IN (?, ?, ...)". Storage-internal.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pakt::server::sqlutil {

/// Whether device `d` counts as managed by the MDM: what the MDM connector that synced it most
/// recently reported, if that was within 7 days (an MDM no longer configured stops counting),
/// else what a site agent last reported (`r`, its device_reports row, possibly NULL through a
/// LEFT JOIN). 1, 0 or NULL.
#define PAKT_MANAGED_SQL                                                                   \
    "coalesce((SELECT m.managed FROM mdm_device_states m WHERE m.serial_number = "         \
    "d.serial_number AND m.synced_at >= strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-7 days') " \
    "ORDER BY m.synced_at DESC LIMIT 1), r.managed)"

inline std::optional<std::string> optional_text(sql::Statement& q, int column) {
    if (q.getColumn(column).isNull()) return std::nullopt;
    return q.getColumn(column).getString();
}

inline std::optional<std::int64_t> optional_int(sql::Statement& q, int column) {
    if (q.getColumn(column).isNull()) return std::nullopt;
    return q.getColumn(column).getInt64();
}

inline std::optional<double> optional_double(sql::Statement& q, int column) {
    if (q.getColumn(column).isNull()) return std::nullopt;
    return q.getColumn(column).getDouble();
}

/// Binds the value, or NULL if absent.
template <class T>
void bind_optional(sql::Statement& q, int index, const std::optional<T>& value) {
    if (value) q.bind(index, *value);
    else q.bind(index);
}

/// "AND school_number IN (?,?,...) " for `count` placeholders (the caller's schools; the values
/// are bound, never spliced into the text).
inline std::string school_in_clause(std::size_t count) {
    std::string clause = "AND school_number IN (";
    for (std::size_t i = 0; i < count; ++i) clause += i ? ",?" : "?";
    return clause + ") ";
}

/// Binds `values` from index `index` on; returns the next free index.
inline int bind_all(sql::Statement& q, int index, const std::vector<std::string>& values) {
    for (const auto& v : values) q.bind(index++, v);
    return index;
}

}  // namespace pakt::server::sqlutil
