// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// Who is calling: an authenticated user with a role and, for the school roles, their schools.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pakt::server {

enum class Role { city_admin, school_it, headteacher };

std::string_view to_string(Role role);
/// nullopt for anything but "city_admin", "school_it", "headteacher".
std::optional<Role> role_from_string(std::string_view text);

struct Principal {
    std::int64_t user_id = 0;
    std::string username;
    Role role = Role::headteacher;
    std::vector<std::string> schools;  ///< sorted school numbers; empty for city_admin
    /// Logged in with a password the server generated: until the user sets its own, the router
    /// lets it only read itself, change its password and log out.
    bool must_change_password = false;

    bool is_city_admin() const { return role == Role::city_admin; }
    bool has_school(std::string_view school_number) const {
        return std::binary_search(schools.begin(), schools.end(), school_number);
    }
};

}  // namespace pakt::server
