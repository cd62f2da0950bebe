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
    std::optional<std::string> actor;   ///< username, compared ignoring case
    std::optional<std::string> action;  ///< exact, or every action under it if it ends in '.'
    std::optional<std::string> object_type;
    std::optional<std::string> object_id;
    std::optional<std::string> from_at;  ///< RFC 3339 as stored ("...Z", seconds): at >= from_at
    std::optional<std::string> to_at;    ///< likewise: at < to_at
    std::int64_t before_id = 0;  ///< newest first; 0 = from the newest
    int limit = 50;
};

/// Entries newest first, every given filter applied. A school scope sees only entries of its
/// schools (city-wide entries, without a school, are for city_admin). Each filter is served by
/// an index (schema/0006_admin_api.sql); a time range becomes a range of ids through the
/// entries' times, which grow with their ids (one writer appends them with the current time).
std::vector<AuditRecord> list_audit(SQLite::Database& db, const AuditFilter& filter);

/// The statement list_audit runs for `filter` once an action prefix has been resolved to
/// `action_count` actions; for checking its query plan.
std::string audit_list_sql(const AuditFilter& filter, std::size_t action_count);

/// The hash an entry must have, computed from its content and its prev_hash.
std::string audit_hash(const AuditRecord& record);

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

/// Reads the head with two index lookups (no scan): cheap enough for every metrics scrape.
AuditHead audit_head(SQLite::Database& db);

/// Walks the chain from the first entry, checking that every entry's hash matches its content
/// and links to its predecessor. Stops at the first entry that does not, reporting its id and
/// why ("hash does not match the entry's content", "prev_hash does not match the hash of entry
/// N", "entry N is missing"). Reads the whole log: run it inside one read transaction so entries
/// appended meanwhile do not mix in.
AuditVerification verify_audit_chain(SQLite::Database& db);

}  // namespace pakt::server
