// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// Runs the configured connectors: each on its own thread, on a schedule with jitter and on
// request ("sync now"). A run fetches everything from its API first and then applies it in one
// transaction, so a failed run changes nothing but its own record in connector_runs.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "server/config.hpp"
#include "server/domain/connector_records.hpp"

namespace pakt::server {
class Writer;
class ReadPool;
}  // namespace pakt::server

namespace pakt::server::connectors {

/// A connector as the API shows it.
struct ConnectorStatus {
    std::string name;   ///< asm, jamf_school, relution
    std::string title;  ///< "Apple School Manager", ...
    bool configured = false;
    std::string state;                       ///< not_configured, idle, queued, running
    std::optional<std::string> next_run_at;  ///< the next scheduled run (RFC 3339)
    std::optional<std::string> last_success_at;
    std::optional<ConnectorRun> last_run;
};

class ConnectorService {
  public:
    ConnectorService(const ConnectorsSettings& settings, Writer& writer, ReadPool& reads);
    ~ConnectorService();
    ConnectorService(const ConnectorService&) = delete;
    ConnectorService& operator=(const ConnectorService&) = delete;

    /// Starts a thread per configured connector. The first scheduled run comes after a random
    /// part of a tenth of the interval (at most 5 minutes), so several paktd restarts do not
    /// hit the vendor at the same second.
    void start();
    /// Asks every worker to stop (waits and retries are interrupted; a running fetch fails as
    /// "stopped") and wakes everyone waiting for a run, without joining: call it before the
    /// network server drains its requests, so a "sync now" that waits does not hold it up.
    void begin_stop();
    /// begin_stop(), then joins the workers. Idempotent.
    void stop();

    /// True if `name` is one of kConnectorNames.
    static bool known(const std::string& name);
    bool configured(const std::string& name) const;

    /// Asks for a run of `name` as soon as possible; a run already queued covers the request.
    /// Returns the number a waiter passes to wait_for_run. Precondition: configured(name).
    std::uint64_t request_run(const std::string& name, const std::string& requested_by);
    /// Waits until the run requested as `ticket` has finished (or `timeout` passed) and returns
    /// it as stored; nullopt on timeout.
    std::optional<ConnectorRun> wait_for_run(const std::string& name, std::uint64_t ticket,
                                             std::chrono::milliseconds timeout);

    /// Every connector, configured or not, in kConnectorNames order.
    std::vector<ConnectorStatus> status();

  private:
    struct Worker;
    Worker& worker(const std::string& name);
    ConnectorRun execute(Worker& worker, const std::string& trigger,
                         const std::string& requested_by, std::stop_token stop);

    ConnectorsSettings settings_;
    Writer& writer_;
    ReadPool& reads_;
    std::vector<std::unique_ptr<Worker>> workers_;
    std::atomic<bool> stopping_{false};
};

}  // namespace pakt::server::connectors
