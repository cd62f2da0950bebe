// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "agent/cycle.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/checkin_report.hpp"

namespace pakt::agent {

using namespace std::chrono;

CycleResult collect_and_spool(const AgentConfig& config, Spool& spool, Clock::time_point now) {
    Diagnostics diagnostics;
    Collection collection = collect(config, now, diagnostics);
    diagnostics.finish();
    for (const auto& warning : diagnostics.warnings()) spdlog::warn("{}", warning);

    const JoinResult& join = collection.join;
    spdlog::info(
        "collected {} devices ({} in the MDM export {}, {} on the network now, {} "
        "network sightings)",
        join.observations.size(), collection.mdm_devices,
        collection.export_file ? collection.export_file->string() : "(none)", join.on_network,
        collection.sightings);
    if (join.without_sighting > 0) {
        spdlog::info("{} MDM devices left out: neither on the network nor a last MDM contact",
                     join.without_sighting);
    }
    if (join.mac_only > 0) {
        // Without a serial number the server cannot place a MAC; most are staff and guest
        // devices, or iPads using a private Wi-Fi address on a network the MDM did not exempt.
        spdlog::info("{} MAC addresses on the network match no MDM device and are not reported",
                     join.mac_only);
    }
    if (join.ambiguous_macs > 0) {
        spdlog::warn(
            "{} Wi-Fi MACs are listed for more than one device in the MDM export; "
            "their network sightings were not used",
            join.ambiguous_macs);
    }

    CycleResult result;
    result.devices = join.observations.size();
    const std::string generated_at = format_rfc3339(now);
    std::size_t next = 0;
    do {
        CheckinReport report;
        report.report_id = make_uuid();
        report.generated_at = generated_at;
        report.agent_version = PAKT_VERSION;
        const std::size_t end = std::min(next + kMaxDevicesPerReport, join.observations.size());
        report.devices.assign(std::make_move_iterator(collection.join.observations.begin() +
                                                      static_cast<std::ptrdiff_t>(next)),
                              std::make_move_iterator(collection.join.observations.begin() +
                                                      static_cast<std::ptrdiff_t>(end)));
        next = end;
        const AddResult added = spool.add(report, now);
        ++result.reports_spooled;
        result.coalesced += added.coalesced_reports;
        if (added.coalesced_reports > 0) {
            spdlog::warn(
                "spool over its bound of {} reports: coalesced the {} oldest unsent "
                "reports into {} (latest observation per device kept)",
                config.spool_max_reports, added.coalesced_reports, added.coalesced_into);
        }
        if (added.over_bound) {
            spdlog::warn(
                "spool holds more than {} reports: the rest were already sent once and "
                "are kept unchanged until the server confirms them",
                config.spool_max_reports);
        }
    } while (next < join.observations.size());
    return result;
}

void run_daemon(const AgentConfig& config, Spool& spool, CheckinTransport& transport,
                TimeSource& time, RandomSource& random, seconds interval) {
    Uploader uploader(spool, transport, time);
    Backoff backoff(random);
    Clock::time_point next_cycle = time.now();
    Clock::time_point next_delivery = next_cycle;
    spdlog::info("pakt-agent running: a cycle every {} s, {} report(s) pending", interval.count(),
                 spool.pending());

    while (!time.stop_requested()) {
        if (time.now() >= next_cycle) {
            collect_and_spool(config, spool, time.now());
            next_cycle = time.now() + interval;
        }
        if (time.now() >= next_delivery) {
            const DeliveryResult delivery = uploader.deliver();
            if (delivery.outcome == DeliveryOutcome::stopped) break;
            if (delivery.next_checkin) {
                // The server spreads its agents' load by telling each when to come back.
                interval = *delivery.next_checkin;
                next_cycle = time.now() + interval;
            }
            if (delivery.outcome == DeliveryOutcome::drained) {
                backoff.reset();
                next_delivery = next_cycle;
            } else {
                seconds retry = backoff.next(config.backoff_cap(interval));
                if (delivery.retry_after) retry = std::max(retry, *delivery.retry_after);
                next_delivery = time.now() + retry;
                spdlog::info("{} report(s) pending; next attempt in {} s", spool.pending(),
                             retry.count());
            }
        }
        // Rounded up: a wait rounded down to 0 would spin until the deadline.
        const auto wait = ceil<seconds>(std::min(next_cycle, next_delivery) - time.now());
        if (wait > seconds(0) && !time.wait_for(wait)) break;
    }
    spdlog::info("pakt-agent stopping; {} report(s) stay spooled", spool.pending());
}

}  // namespace pakt::agent
