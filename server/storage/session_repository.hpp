// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// Login sessions and API tokens. Only SHA-256 hashes of bearer tokens are stored, so a copy of
// the database does not let anyone log in.
// The SQL behind SessionRepository (server/domain/repositories.hpp, where each function
// is documented), over one connection.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "server/domain/session_records.hpp"
#include "server/storage/sql/db.hpp"

namespace pakt::server {

std::optional<BearerOwner> find_bearer(sql::Db db, const std::string& token_hash,
                                       const std::string& now_rfc3339, const std::string& today,
                                       const std::string& idle_cutoff = {});

void touch_session(sql::Db db, const std::string& token_hash, const std::string& now);

void touch_api_token(sql::Db db, std::int64_t id, const std::string& now);

RevokedAccess revoke_other_access(sql::Db db, std::int64_t user_id,
                                  const std::string& keep_token_hash);

void insert_session(sql::Db db, const std::string& token_hash, std::int64_t user_id,
                    const std::string& expires_at, const std::string& client_address);

bool delete_session(sql::Db db, const std::string& token_hash);

void delete_sessions_of_user(sql::Db db, std::int64_t user_id);

RevokedAccess revoke_user_access(sql::Db db, std::int64_t user_id);

int delete_expired_sessions(sql::Db db, const std::string& now);

std::int64_t insert_api_token(sql::Db db, std::int64_t user_id, const std::string& name,
                              const std::string& token_hash,
                              const std::optional<std::string>& expires_on);

std::vector<ApiTokenRecord> list_api_tokens(sql::Db db, std::int64_t user_id,
                                            std::int64_t after_id = 0, int limit = -1);

std::optional<ApiTokenRecord> find_api_token(sql::Db db, std::int64_t id);

bool delete_api_token(sql::Db db, std::int64_t id);

}  // namespace pakt::server
