#pragma once
// Site agents: enroll secrets, agents and their node keys, check-in idempotency records, the
// application of a check-in report, and unknown sightings.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/checkin_report.hpp"
#include "common/time.hpp"

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
    int max_uses = 1;  ///< enrollments the secret allows
    int uses = 0;      ///< enrollments made with it
};

std::int64_t insert_agent_secret(SQLite::Database& db, const std::string& school_number,
                                 const std::string& secret_hash, const std::string& created_by,
                                 const std::string& expires_at, int max_uses = 1);
std::optional<AgentSecret> find_agent_secret(SQLite::Database& db, std::int64_t id);
/// The secret with that hash in whatever state (used up, expired, revoked or usable).
std::optional<AgentSecret> find_agent_secret_by_hash(SQLite::Database& db,
                                                     const std::string& secret_hash);
/// A secret usable at `now` (not expired, not revoked, not used up), by hash.
std::optional<AgentSecret> find_usable_agent_secret(SQLite::Database& db, const std::string& secret_hash,
                                                    const std::string& now);
/// Counts one enrollment against the secret; false if it was used up already. Call in the
/// transaction that enrolls the agent.
bool use_agent_secret(SQLite::Database& db, std::int64_t id);
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

/// The interval, in seconds, the server gives agent `agent_id` between check-ins: `base_s` spread
/// by up to ±10 % per agent, so a city's agents do not all come back in the same second. At
/// least 1. list_agents computes the same in SQL.
std::int64_t checkin_interval_s(std::int64_t base_s, std::int64_t agent_id);

/// How an agent keeps to its interval, from its last check-in: `on_time` within 2 intervals + 60 s,
/// `late` within 12 intervals, `silent` after that or if it never checked in.
inline constexpr std::string_view kAgentStates[] = {"on_time", "late", "silent"};

struct AgentFilter {
    std::optional<std::vector<std::string>> schools;
    std::optional<std::string> school_number;
    /// Only agents in this state (one of kAgentStates); revoked agents are then left out.
    std::optional<std::string> state;
    std::int64_t base_interval_s =
        900;  ///< the server's check-in interval (server.checkin_interval_s)
    Clock::time_point now = Clock::now();  ///< the time states are judged at
    std::int64_t after_id = 0;
    int limit = 50;
};

/// An agent as lists show it: with its interval and its state at the filter's `now`.
struct ListedAgent {
    Agent agent;
    std::int64_t checkin_interval_s = 0;
    std::string state;  ///< one of kAgentStates
};

/// Agents matching the filter, by id. The state is computed and filtered in the query, so pages
/// stay whole and continue correctly.
std::vector<ListedAgent> list_agents(SQLite::Database& db, const AgentFilter& filter);
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
    std::string source = "agent";  ///< agent, or the MDM connector that reported it
};
/// Unknown sightings of a school, by serial number after `after`.
std::vector<UnknownSighting> list_unknown_sightings(SQLite::Database& db, const std::string& school_number,
                                                    const std::string& after, int limit);

}  // namespace pakt::server
