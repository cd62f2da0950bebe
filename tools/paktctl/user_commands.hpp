// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// paktctl user list and user disable.
#include <iosfwd>
#include <string>

#include "server/config.hpp"

namespace pakt::ctl {

/// Prints every user, ascending by id: a table (username, role, schools, disabled, created) or,
/// with `as_json`, a JSON array of the objects GET /api/v1/users returns. Returns 0.
int list_users(const server::ServerConfig& config, bool as_json, std::ostream& out);

/// Disables the user (usernames ignore case) like PATCH /api/v1/users/{id} {"disabled": true}:
/// the same repository functions, so its sessions end and its API tokens are deleted, with an
/// audit entry "user.update" in the same transaction. An already disabled user is left as it is
/// (exit 0, no audit entry). Throws CommandFailed for an unknown user and for the last enabled
/// city_admin (as the API answers 409), changing nothing.
int disable_user(const server::ServerConfig& config, const std::string& username,
                 std::ostream& out);

}  // namespace pakt::ctl
