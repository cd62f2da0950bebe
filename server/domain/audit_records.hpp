// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// The audit trail: every mutation appends an entry in the same transaction as the change.
// Entries form a SHA-256 hash chain (see schema/0001_foundation.sql).
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace pakt::server {

struct AuditEntry {
    std::optional<std::int64_t> actor_user_id;  ///< nullopt for paktctl and the system
    std::string actor;                          ///< username, "paktctl" or "system"
    std::string action;                         ///< "user.create", "school.update", ...
    std::string object_type;
    std::string object_id;
    std::optional<std::string> school_number;  ///< scope, nullopt if city-wide
    nlohmann::json detail = nlohmann::json::object();
    std::string request_id;
};

/// A stored entry as read back.
struct AuditRecord {
    std::int64_t id = 0;
    std::string at;
    std::optional<std::int64_t> actor_user_id;
    std::string actor;
    std::string action;
    std::string object_type;
    std::string object_id;
    std::optional<std::string> school_number;
    std::string detail;  ///< JSON text as stored
    std::string request_id;
    std::string prev_hash;
    std::string hash;
};

struct AuditFilter {
    std::optional<std::vector<std::string>> schools;  ///< the caller's scope (nullopt: all)
    std::optional<std::string> school_number;
    std::optional<std::string> actor;   ///< username, compared ignoring case
    std::optional<std::string> action;  ///< exact, or every action under it if it ends in '.'
    std::optional<std::string> object_type;
    std::optional<std::string> object_id;
    std::optional<std::string> from_at;  ///< RFC 3339 as stored ("...Z", seconds): at >= from_at
    std::optional<std::string> to_at;    ///< likewise: at < to_at
    std::int64_t before_id = 0;          ///< newest first; 0 = from the newest
    int limit = 50;
};

struct AuditBreak {
    std::int64_t id = 0;
    std::string reason;
};

/// What a walk along the chain found.
struct AuditVerification {
    std::int64_t entries = 0;  ///< entries intact from the first on (all of them if unbroken)
    std::int64_t last_id = 0;  ///< the last of those; 0 if there are none
    std::string last_hash;     ///< its hash; empty if there are none
    std::optional<AuditBreak> first_broken;  ///< nullopt: the chain is intact
};

/// The newest end of the chain, for watching it from outside the database (metrics, the log):
/// entries cut off the end leave a valid but shorter chain, which only a head remembered
/// elsewhere reveals.
struct AuditHead {
    std::int64_t entries = 0;  ///< max(id) - min(id) + 1: ids are gapless in an intact chain
    std::int64_t last_id = 0;  ///< 0 if the log is empty
    std::string last_hash;     ///< empty if the log is empty
};

}  // namespace pakt::server
