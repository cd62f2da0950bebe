// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// The authorization policy: what a principal may see and do, decided on the object's school.
// Handlers load the object first and ask the policy about that object, never only the route.
#include <optional>
#include <string_view>

#include "server/domain/principal.hpp"

namespace pakt::server {

enum class Action {
    view,                  ///< read an object of a school (or a city-wide object)
    manage_users,          ///< create, change and list users
    manage_schools,        ///< create and change schools
    manage_funding,        ///< programmes, grants, tranches
    manage_devices,        ///< enroll, change status, lend devices of a school
    manage_agent_secrets,  ///< create and revoke agent enroll secrets of a school
    verify_audit,          ///< walk the whole audit chain (it spans every school)
    manage_connectors,     ///< see and run the vendor API connectors (they span every school)
};

/// True if `principal` may see objects of `school_number`. city_admin sees every school; the
/// school roles see exactly their assigned schools.
bool can_see(const Principal& principal, std::string_view school_number);

/// True if `principal` may perform `action` on an object of `school_number` (nullopt for
/// city-wide objects such as users and grants).
bool can(const Principal& principal, Action action,
         std::optional<std::string_view> school_number = std::nullopt);

/// The outcome a handler turns into a status: an object outside the caller's scope is reported
/// as absent (404) so another school's objects are never revealed; a visible object the role may
/// not change is forbidden (403).
enum class Decision { allowed, not_visible, forbidden };

Decision decide(const Principal& principal, Action action,
                std::optional<std::string_view> school_number);

}  // namespace pakt::server
