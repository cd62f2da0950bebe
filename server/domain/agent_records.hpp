// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
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

struct Agent {
    std::int64_t id = 0;
    std::string school_number;
    std::string hostname;
    std::string agent_version;
    std::string enrolled_at;
    std::optional<std::string> last_checkin_at;
    std::optional<std::string> revoked_at;
};

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

/// The stored first answer to a report.
struct CheckinRecord {
    std::int64_t agent_id = 0;
    std::int64_t accepted = 0;
    std::vector<std::string> unknown_serials;
};

/// What applying a report did.
struct CheckinOutcome {
    std::int64_t accepted = 0;                 ///< devices of the agent's school updated
    std::vector<std::string> unknown_serials;  ///< enrolled elsewhere or not enrolled at all
};

/// Where a serial number of a check-in stands for the reporting agent's school.
struct ReportedDeviceState {
    enum class Where { this_school, other_school, nowhere };
    Where where = Where::nowhere;
    bool reported = false;  ///< an agent of this school reported it before
    std::string seen_at;    ///< when it was last seen (if reported)
    std::optional<std::string> os_version;
};

/// A device event a check-in adds (first sighting, OS version change, seen again).
struct CheckinEvent {
    std::string serial_number;
    std::string kind;
    std::string detail;  ///< JSON text
};

/// What applying a check-in writes, as the domain decided it (server/domain/checkin.hpp). The
/// pointers are into the report.
struct CheckinChanges {
    std::vector<const DeviceObservation*> unknown;  ///< serials enrolled nowhere
    std::vector<CheckinEvent> events;
    std::vector<const DeviceObservation*> stored;  ///< the agent's school's devices, report order
};

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

}  // namespace pakt::server
