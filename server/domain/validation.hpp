// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// Validation rules for values that enter Pakt. Each returns an error message for the user, or
// nullopt if the value is acceptable.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/text.hpp"
#include "server/domain/principal.hpp"

namespace pakt::server {

/// An NRW school number: exactly six digits.
bool is_valid_school_number(std::string_view text);

/// Usernames: 3 to 64 characters of a-z, A-Z, 0-9, '.', '_', '-', '@'.
std::optional<std::string> check_username(std::string_view username);

/// Passwords: 10 to 1024 bytes (length over composition rules, as NIST SP 800-63B advises).
std::optional<std::string> check_password(std::string_view password);

/// Text Pakt stores: at most `max_bytes` bytes, valid UTF-8, no control characters (for
/// TextKind::multi_line, tabs and line breaks allowed). The one rule for strings from JSON
/// bodies, CSV files and check-in reports (common/text.hpp).
std::optional<std::string> check_text(std::string_view text, std::size_t max_bytes,
                                      TextKind kind = TextKind::single_line);

/// A date the API accepts: "YYYY-MM-DD" from 2000-01-01 to 2100-12-31 (common/time.hpp).
std::optional<std::string> check_date(std::string_view text);

/// A time the API accepts: RFC 3339 from 2000-01-01T00:00:00Z to 2100-12-31T23:59:59Z.
std::optional<std::string> check_time(std::string_view text);

/// A role's school list: city_admin has none; the school roles need at least one, each a valid
/// school number, no duplicates. Returns the problem or nullopt.
std::optional<std::string> check_role_schools(Role role, const std::vector<std::string>& schools);

}  // namespace pakt::server
