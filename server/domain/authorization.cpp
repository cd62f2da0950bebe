// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "server/domain/authorization.hpp"

namespace pakt::server {

std::string_view to_string(Role role) {
    switch (role) {
        case Role::city_admin:
            return "city_admin";
        case Role::school_it:
            return "school_it";
        case Role::headteacher:
            return "headteacher";
    }
    return "headteacher";
}

std::optional<Role> role_from_string(std::string_view text) {
    if (text == "city_admin") return Role::city_admin;
    if (text == "school_it") return Role::school_it;
    if (text == "headteacher") return Role::headteacher;
    return std::nullopt;
}

bool can_see(const Principal& principal, std::string_view school_number) {
    return principal.is_city_admin() || principal.has_school(school_number);
}

bool can(const Principal& principal, Action action, std::optional<std::string_view> school_number) {
    return decide(principal, action, school_number) == Decision::allowed;
}

Decision decide(const Principal& principal, Action action,
                std::optional<std::string_view> school_number) {
    if (principal.is_city_admin()) return Decision::allowed;
    if (school_number && !principal.has_school(*school_number)) return Decision::not_visible;
    switch (action) {
        case Action::view:
            return school_number ? Decision::allowed : Decision::forbidden;
        case Action::manage_devices:
        case Action::manage_agent_secrets:
            return principal.role == Role::school_it && school_number ? Decision::allowed
                                                                      : Decision::forbidden;
        case Action::manage_users:
        case Action::manage_schools:
        case Action::manage_funding:
        case Action::verify_audit:
        case Action::manage_connectors:
            return Decision::forbidden;
    }
    return Decision::forbidden;
}

}  // namespace pakt::server
