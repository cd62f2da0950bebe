#pragma once
// The audit trail: every mutation appends an entry in the same transaction as the change.
// Entries form a SHA-256 hash chain (see schema/0001_foundation.sql).
#include <cstdint>
#include <optional>
#include <string>

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

}  // namespace pakt::server
