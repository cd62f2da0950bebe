#pragma once
// The audit trail: every mutation appends an entry in the same transaction as the change.
// Entries form a SHA-256 hash chain (see schema/0001_foundation.sql).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace SQLite {
class Database;
}

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

/// Appends `entry` with the current time, chained to the last entry. Must run inside the
/// transaction of the change it records (on the writer). Returns the new entry's id.
std::int64_t append_audit(SQLite::Database& db, const AuditEntry& entry);

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
    std::int64_t before_id = 0;  ///< newest first; 0 = from the newest
    int limit = 50;
};

/// Entries newest first. A school scope sees only entries of its schools (city-wide entries,
/// without a school, are for city_admin).
std::vector<AuditRecord> list_audit(SQLite::Database& db, const AuditFilter& filter);

/// The hash an entry must have, computed from its content and its prev_hash.
std::string audit_hash(const AuditRecord& record);

/// Walks the chain from the first entry. Returns nullopt if every entry's hash matches its
/// content and links to its predecessor; otherwise the id of the first entry that does not and
/// why ("hash does not match content", "prev_hash does not match entry N", "entry N is missing").
struct AuditBreak {
    std::int64_t id = 0;
    std::string reason;
};
std::optional<AuditBreak> verify_audit_chain(SQLite::Database& db);

}  // namespace pakt::server
