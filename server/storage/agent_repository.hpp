#pragma once
// Site agents: enroll secrets, agents and their node keys, check-in idempotency records, the
// application of a check-in report, and unknown sightings.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/checkin_report.hpp"

namespace SQLite {
class Database;
}

namespace pakt::server {

struct AgentSecret {
    std::int64_t id = 0;
    std::string school_number;
    std::string created_at;
    std::string created_by;
    std::string expires_at;
    std::optional<std::string> revoked_at;
};

std::int64_t insert_agent_secret(SQLite::Database& db, const std::string& school_number,
                                 const std::string& secret_hash, const std::string& created_by,
                                 const std::string& expires_at);
std::optional<AgentSecret> find_agent_secret(SQLite::Database& db, std::int64_t id);
/// A secret usable at `now` (not expired, not revoked), by hash.
std::optional<AgentSecret> find_usable_agent_secret(SQLite::Database& db, const std::string& secret_hash,
                                                    const std::string& now);
std::vector<AgentSecret> list_agent_secrets(SQLite::Database& db, const std::string& school_number);
void revoke_agent_secret(SQLite::Database& db, std::int64_t id, const std::string& now);

struct Agent {
    std::int64_t id = 0;
    std::string school_number;
    std::string hostname;
    std::string agent_version;
    std::string enrolled_at;
    std::optional<std::string> last_checkin_at;
    std::optional<std::string> revoked_at;
};

std::int64_t insert_agent(SQLite::Database& db, const Agent& agent, const std::string& node_key_hash,
                          std::int64_t secret_id);
std::optional<Agent> find_agent(SQLite::Database& db, std::int64_t id);
/// The agent holding this node key (hash), unless revoked.
std::optional<Agent> find_agent_by_node_key(SQLite::Database& db, const std::string& node_key_hash);
struct AgentFilter {
    std::optional<std::vector<std::string>> schools;
    std::optional<std::string> school_number;
    std::int64_t after_id = 0;
    int limit = 50;
};
std::vector<Agent> list_agents(SQLite::Database& db, const AgentFilter& filter);
void revoke_agent(SQLite::Database& db, std::int64_t id, const std::string& now);

/// The stored first answer to a report.
struct CheckinRecord {
    std::int64_t agent_id = 0;
    std::int64_t accepted = 0;
    std::vector<std::string> unknown_serials;
};
std::optional<CheckinRecord> find_checkin(SQLite::Database& db, const std::string& report_id);

/// What applying a report did.
struct CheckinOutcome {
    std::int64_t accepted = 0;                 ///< devices of the agent's school updated
    std::vector<std::string> unknown_serials;  ///< enrolled elsewhere or not enrolled at all
};

/// Applies a validated report of `agent` (on the writer, inside its transaction): the latest
/// state of each device of the agent's school, device events (first sighting, OS version change,
/// seen again after `away_days` days), unknown sightings for serials enrolled nowhere, the
/// idempotency record and the agent's last check-in time. Devices of other schools are not
/// touched. Preconditions: no record for report.report_id exists yet; the report went through
/// normalize_checkin_report (so serials and times compare as text).
CheckinOutcome apply_checkin(SQLite::Database& db, const Agent& agent, const CheckinReport& report,
                             const std::string& now, int away_days);

/// Upper-cases serial numbers and rewrites every seen_at in canonical RFC 3339 UTC (second
/// precision), off the writer thread. Precondition: the report passed parse_checkin_report.
void normalize_checkin_report(CheckinReport& report);

/// Deletes idempotency records received before `before`; returns how many.
int prune_checkins(SQLite::Database& db, const std::string& before);

struct UnknownSighting {
    std::string serial_number;
    std::string first_seen_at;
    std::string last_seen_at;
    std::int64_t agent_id = 0;
    std::optional<std::string> ip_address;
    std::optional<std::string> os_version;
    std::int64_t times_seen = 0;
};
/// Unknown sightings of a school, by serial number after `after`.
std::vector<UnknownSighting> list_unknown_sightings(SQLite::Database& db, const std::string& school_number,
                                                    const std::string& after, int limit);

}  // namespace pakt::server
