// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// A user as the API shows it (GET /api/v1/users and friends), shared with `paktctl user list
// --json` so both print the same object. Never includes the password hash.
#include <nlohmann/json.hpp>

#include "server/domain/user_records.hpp"

namespace pakt::server {

nlohmann::json user_json(const UserRecord& user);

}  // namespace pakt::server
