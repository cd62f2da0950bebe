// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// One agent cycle (collect, then spool) and the daemon loop that repeats it and delivers the
// spool with backoff. Everything that waits or reads the clock goes through TimeSource, so the
// loop runs in tests without sleeping.
#include <chrono>
#include <cstddef>

#include "agent/collectors.hpp"
#include "agent/config.hpp"
#include "agent/spool.hpp"
#include "agent/uploader.hpp"

namespace pakt::agent {

struct CycleResult {
    std::size_t devices = 0;          ///< observations collected
    std::size_t reports_spooled = 0;  ///< more than 1 only past kMaxDevicesPerReport devices
    std::size_t coalesced = 0;        ///< old reports merged to keep the spool's bound
};

/// Collects (logging every diagnostic and the join's counts), splits the observations into
/// reports of at most kMaxDevicesPerReport devices and writes them to the spool. A cycle that
/// sees no device still spools an empty report: the server learns the agent is alive. Throws
/// only for spool failures.
CycleResult collect_and_spool(const AgentConfig& config, Spool& spool, Clock::time_point now);

/// The daemon: a cycle every interval (the server's next_checkin_s replaces `interval` once it
/// answers), delivery after each cycle, and on failure retries with Backoff (capped by
/// config.backoff_cap(interval)) or the server's Retry-After, whichever is longer. Returns when
/// `time` reports a stop; a send in progress is finished first. Throws only for spool failures.
void run_daemon(const AgentConfig& config, Spool& spool, CheckinTransport& transport,
                TimeSource& time, RandomSource& random, std::chrono::seconds interval);

}  // namespace pakt::agent
