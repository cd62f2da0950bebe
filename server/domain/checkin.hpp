// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// Applying a site agent's check-in report: the reconciliation of what an agent saw with what the
// school has enrolled. A serial enrolled at the agent's school updates that device's latest state
// and may add events to its history (first sighting, OS version change, seen again after a long
// absence); one enrolled at another school is not touched; one enrolled nowhere becomes an
// unknown sighting of the school.
#include <cstdint>
#include <string>
#include <string_view>

#include "common/checkin_report.hpp"
#include "server/domain/agent_records.hpp"
#include "server/domain/repositories.hpp"

namespace pakt::server {

/// The interval, in seconds, the server gives agent `agent_id` between check-ins: `base_s` spread
/// by up to ±10 % per agent, so a city's agents do not all come back in the same second. At
/// least 1. AgentRepository::list_agents computes the same in its query.
std::int64_t checkin_interval_s(std::int64_t base_s, std::int64_t agent_id);

/// How an agent keeps to its interval, from its last check-in: `on_time` within 2 intervals + 60 s,
/// `late` within 12 intervals, `silent` after that or if it never checked in.
inline constexpr std::string_view kAgentStates[] = {"on_time", "late", "silent"};

/// Upper-cases serial numbers and rewrites every seen_at in canonical RFC 3339 UTC (second
/// precision), so serials and times compare as text. Off the writer thread. Precondition: the
/// report passed parse_checkin_report.
void normalize_checkin_report(CheckinReport& report);

/// Applies a validated, normalised report of `agent` through `agents` (on the writer, inside its
/// transaction), with `now` as the time received; a device seen again after `away_days` days or
/// more gets a "seen_again" event. A sighting older than the one stored changes no history.
/// Precondition: no check-in record for report.report_id exists yet.
CheckinOutcome apply_checkin(AgentRepository& agents, const Agent& agent,
                             const CheckinReport& report, const std::string& now, int away_days);

}  // namespace pakt::server
