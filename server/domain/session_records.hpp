// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// Login sessions and API tokens. Only SHA-256 hashes of bearer tokens are stored, so a copy of
// the database does not let anyone log in.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pakt::server {

/// What revoke_user_access removed.
struct RevokedAccess {
    int sessions = 0;
    int api_tokens = 0;
};

struct BearerOwner {
    std::int64_t user_id = 0;
    bool is_api_token = false;
    std::optional<std::int64_t> api_token_id;
    std::string last_seen_at;  ///< when it was last used (RFC 3339); "" for an unused API token
};

struct ApiTokenRecord {
    std::int64_t id = 0;
    std::int64_t user_id = 0;
    std::string name;
    std::string created_at;
    std::optional<std::string> expires_on;
    std::optional<std::string>
        last_used_at;  ///< RFC 3339, recorded at most once a minute; nullopt: never used
};

}  // namespace pakt::server
