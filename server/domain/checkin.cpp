// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "server/domain/checkin.hpp"

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/time.hpp"
#include "server/domain/inventory.hpp"

namespace pakt::server {

std::int64_t checkin_interval_s(std::int64_t base_s, std::int64_t agent_id) {
    const std::int64_t spread = base_s / 10;
    const std::int64_t offset = spread == 0 ? 0 : (agent_id * 7919) % (2 * spread + 1) - spread;
    return std::max<std::int64_t>(1, base_s + offset);
}

void normalize_checkin_report(CheckinReport& report) {
    for (auto& observation : report.devices) {
        observation.serial_number = normalize_serial(observation.serial_number);
        if (auto t = parse_rfc3339(observation.seen_at)) observation.seen_at = format_rfc3339(*t);
    }
}

CheckinOutcome apply_checkin(AgentRepository& agents, const Agent& agent,
                             const CheckinReport& report, const std::string& now, int away_days) {
    using Where = ReportedDeviceState::Where;
    CheckinOutcome outcome;
    // What each reported device last reported, looked up once per serial (a serial repeated in
    // the report sees the earlier observation as its previous one).
    struct Known {
        Where where = Where::nowhere;
        bool reported = false;
        Clock::time_point seen_at{};
        std::optional<std::string> os_version;
    };
    // A report's sightings and its devices' previous ones mostly share one time each (an agent
    // reports what it saw at one moment): parse each distinct text once, not twice per device.
    struct ParsedTime {
        std::string text;
        Clock::time_point value = Clock::time_point::min();
    };
    ParsedTime last_previous, last_seen;
    const auto parsed = [](ParsedTime& cache, std::string_view text) {
        if (text != cache.text) {
            cache.text.assign(text);
            cache.value = parse_rfc3339(text).value_or(Clock::time_point::min());
        }
        return cache.value;
    };

    // One lookup for all distinct valid serials, in the order they first appear.
    std::unordered_map<std::string_view, Known> known;
    known.reserve(report.devices.size());
    std::vector<const std::string*> lookups;
    lookups.reserve(report.devices.size());
    for (const auto& observation : report.devices) {
        const std::string& serial = observation.serial_number;
        if (is_valid_serial(serial) && known.try_emplace(serial).second) lookups.push_back(&serial);
    }
    std::vector<ReportedDeviceState> states;
    agents.reported_device_states(agent.school_number, lookups, states);
    for (std::size_t i = 0; i < lookups.size(); ++i) {
        Known& k = known.find(*lookups[i])->second;
        ReportedDeviceState& s = states[i];
        k.where = s.where;
        k.reported = s.reported;
        // Only check-ins write the stored sightings, always with canonical times (see
        // normalize_checkin_report), so comparing parsed times agrees with the store's text
        // comparison. An unreadable time counts as long ago.
        if (s.reported) k.seen_at = parsed(last_previous, s.seen_at);
        k.os_version = std::move(s.os_version);
    }

    CheckinChanges changes;
    changes.stored.reserve(report.devices.size());
    const auto add_event = [&](const std::string& serial, const char* kind,
                               const nlohmann::json& detail) {
        changes.events.push_back({serial, kind, detail.dump()});
    };
    const auto away = std::chrono::hours(24 * away_days);
    for (const auto& observation : report.devices) {
        const std::string& serial = observation.serial_number;
        const std::string& seen_at = observation.seen_at;
        if (!is_valid_serial(serial)) {
            outcome.unknown_serials.push_back(serial);
            continue;
        }
        Known& previous = known.find(serial)->second;
        if (previous.where == Where::other_school) {
            outcome.unknown_serials.push_back(serial);  // enrolled elsewhere: not ours to touch
            continue;
        }
        if (previous.where == Where::nowhere) {
            changes.unknown.push_back(&observation);
            outcome.unknown_serials.push_back(serial);
            continue;
        }

        changes.stored.push_back(&observation);
        ++outcome.accepted;

        const Clock::time_point seen_time = parsed(last_seen, seen_at);
        if (!previous.reported) {
            add_event(serial, "first_seen",
                      {{"seen_at", seen_at}, {"report_id", report.report_id}});
        } else if (seen_time >= previous.seen_at) {  // an older sighting changes no history
            if (observation.os_version && previous.os_version &&
                *observation.os_version != *previous.os_version) {
                add_event(serial, "os_version_changed",
                          {{"from", *previous.os_version},
                           {"to", *observation.os_version},
                           {"report_id", report.report_id}});
            }
            if (previous.seen_at != Clock::time_point::min() &&
                seen_time - previous.seen_at >= away) {
                add_event(serial, "seen_again",
                          {{"last_seen_at", format_rfc3339(previous.seen_at)},
                           {"seen_at", seen_at},
                           {"report_id", report.report_id}});
            }
        } else {
            continue;
        }
        // A later observation of the same serial in this report sees this one as its previous.
        previous.reported = true;
        previous.seen_at = seen_time;
        if (observation.os_version) previous.os_version = observation.os_version;
    }

    agents.write_checkin(agent, report, now, changes, outcome);
    return outcome;
}

}  // namespace pakt::server
