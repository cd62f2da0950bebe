// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "server/domain/validation.hpp"

#include <fmt/format.h>

#include <cstddef>

#include "common/csv.hpp"
#include "common/time.hpp"

namespace pakt::server {

bool is_valid_school_number(std::string_view text) {
    if (text.size() != 6) return false;
    for (char c : text) {
        if (c < '0' || c > '9') return false;
    }
    return true;
}

std::optional<std::string> check_username(std::string_view username) {
    if (username.size() < 3 || username.size() > 64) {
        return "must be 3 to 64 characters long";
    }
    for (char c : username) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' || c == '@';
        if (!ok) return "may contain only letters a-z, digits and . _ - @";
    }
    return std::nullopt;
}

std::optional<std::string> check_password(std::string_view password) {
    if (password.size() < 10) return "must be at least 10 characters long";
    if (password.size() > 1024) return "must be at most 1024 bytes long";
    if (!csv::is_valid_utf8(password)) return "must be valid UTF-8";
    return std::nullopt;
}

std::optional<std::string> check_text(std::string_view text, std::size_t max_bytes, TextKind kind) {
    if (text.size() > max_bytes) return fmt::format("must be at most {} bytes long", max_bytes);
    return text_problem(text, kind);
}

std::optional<std::string> check_date(std::string_view text) { return date_problem(text); }

std::optional<std::string> check_time(std::string_view text) { return time_problem(text); }

std::optional<std::string> check_role_schools(Role role, const std::vector<std::string>& schools) {
    if (role == Role::city_admin) {
        if (!schools.empty()) return "must be empty for city_admin, who sees every school";
        return std::nullopt;
    }
    if (schools.empty()) return "must list at least one school for this role";
    if (schools.size() > 200) return "must list at most 200 schools";
    for (std::size_t i = 0; i < schools.size(); ++i) {
        if (!is_valid_school_number(schools[i])) {
            return fmt::format("'{}' is not a school number (six digits)", schools[i]);
        }
        for (std::size_t j = 0; j < i; ++j) {
            if (schools[j] == schools[i]) return fmt::format("lists '{}' twice", schools[i]);
        }
    }
    return std::nullopt;
}

}  // namespace pakt::server
