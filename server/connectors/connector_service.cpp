// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "server/connectors/connector_service.hpp"

#include <SQLiteCpp/Database.h>
#include <spdlog/spdlog.h>

#include <map>
#include <random>
#include <stop_token>

#include "common/time.hpp"
#include "server/connectors/sources.hpp"
#include "server/connectors/sync.hpp"
#include "server/storage/audit_repository.hpp"
#include "server/storage/connector_repository.hpp"
#include "server/storage/read_pool.hpp"
#include "server/storage/writer.hpp"

namespace pakt::server::connectors {
namespace {

const char* title_of(const std::string& name) {
    if (name == "asm") return "Apple School Manager";
    if (name == "jamf_school") return "Jamf School";
    return "Relution";
}

// `base` spread by up to ±10 %.
std::chrono::milliseconds jittered(std::chrono::milliseconds base) {
    thread_local std::mt19937_64 random{std::random_device{}()};
    std::uniform_real_distribution<double> factor(0.9, 1.1);
    return std::chrono::milliseconds(
        static_cast<std::int64_t>(static_cast<double>(base.count()) * factor(random)));
}

nlohmann::json conflicts_json(const std::vector<SyncConflict>& conflicts) {
    nlohmann::json out = nlohmann::json::array();
    for (std::size_t i = 0; i < conflicts.size() && i < kMaxRecordedConflicts; ++i) {
        const SyncConflict& c = conflicts[i];
        nlohmann::json item = {{"message", c.message}};
        if (!c.serial_number.empty()) item["serial_number"] = c.serial_number;
        if (!c.order_number.empty()) item["order_number"] = c.order_number;
        if (c.tranche_id != 0) item["tranche_id"] = c.tranche_id;
        out.push_back(std::move(item));
    }
    return out;
}

}  // namespace

struct ConnectorService::Worker {
    std::string name;
    bool configured = false;
    std::unique_ptr<AsmSource> asm_source;
    std::unique_ptr<MdmSource> mdm_source;
    std::map<std::string, std::string> locations;  // MDM location -> school number

    std::mutex mutex;
    std::condition_variable_any wake;      // a request or stop
    std::condition_variable_any finished;  // a run ended
    bool queued = false;
    bool running = false;
    std::string requested_by;
    std::uint64_t started = 0;     // runs started so far
    std::uint64_t done = 0;        // runs finished so far
    std::int64_t last_run_id = 0;  // the newest finished run's row
    unsigned failures_in_a_row = 0;
    std::optional<Clock::time_point> next_due;
    std::jthread thread;
};

ConnectorService::ConnectorService(const ConnectorsSettings& settings, Writer& writer,
                                   ReadPool& reads)
    : settings_(settings), writer_(writer), reads_(reads) {
    const CallPolicy policy{settings.call_timeout, settings.max_attempts, settings.retry_backoff,
                            settings.max_retry_after};
    for (const char* name : kConnectorNames) {
        auto w = std::make_unique<Worker>();
        w->name = name;
        if (w->name == "asm" && settings.asm_api.enabled) {
            w->asm_source = make_asm_source(settings.asm_api, policy);
        } else if (w->name == "jamf_school" && settings.jamf_school.enabled) {
            w->mdm_source = make_jamf_school_source(settings.jamf_school, policy);
            w->locations = settings.jamf_school.locations;
        } else if (w->name == "relution" && settings.relution.enabled) {
            w->mdm_source = make_relution_source(settings.relution, policy);
            w->locations = settings.relution.organisations;
        }
        w->configured = w->asm_source || w->mdm_source;
        workers_.push_back(std::move(w));
    }
}

ConnectorService::~ConnectorService() { stop(); }

bool ConnectorService::known(const std::string& name) {
    for (const char* n : kConnectorNames) {
        if (name == n) return true;
    }
    return false;
}

ConnectorService::Worker& ConnectorService::worker(const std::string& name) {
    for (auto& w : workers_) {
        if (w->name == name) return *w;
    }
    throw std::invalid_argument("unknown connector '" + name + "'");
}

bool ConnectorService::configured(const std::string& name) const {
    for (const auto& w : workers_) {
        if (w->name == name) return w->configured;
    }
    return false;
}

void ConnectorService::start() {
    for (auto& owned : workers_) {
        Worker& w = *owned;
        if (!w.configured) continue;
        if (settings_.interval.count() > 0) {
            const auto spread = std::min<std::chrono::milliseconds>(settings_.interval / 10,
                                                                    std::chrono::minutes(5));
            thread_local std::mt19937_64 random{std::random_device{}()};
            std::uniform_int_distribution<std::int64_t> first(0, spread.count());
            w.next_due = Clock::now() + std::chrono::milliseconds(first(random));
        }
        w.thread = std::jthread([this, &w](std::stop_token stop) {
            std::unique_lock lock(w.mutex);
            for (;;) {
                const auto due = [&] {
                    return w.queued || (w.next_due && Clock::now() >= *w.next_due);
                };
                if (w.next_due) {
                    w.wake.wait_until(lock, stop, *w.next_due, [&] { return w.queued; });
                } else {
                    w.wake.wait(lock, stop, [&] { return w.queued; });
                }
                if (stop.stop_requested()) return;
                if (!due()) continue;
                const std::string trigger = w.queued ? "manual" : "schedule";
                const std::string by = w.queued ? w.requested_by : "";
                w.queued = false;
                w.running = true;
                ++w.started;
                lock.unlock();
                const ConnectorRun run = execute(w, trigger, by, stop);
                lock.lock();
                w.running = false;
                ++w.done;
                w.last_run_id = run.id;
                w.failures_in_a_row = run.outcome == "ok" ? 0 : w.failures_in_a_row + 1;
                if (settings_.interval.count() > 0) {
                    auto pause = jittered(settings_.interval);
                    // After a failure the next try comes sooner: 1 min, 2, 4, ... up to the
                    // interval.
                    if (w.failures_in_a_row > 0) {
                        pause = std::min<std::chrono::milliseconds>(
                            pause, std::chrono::minutes(1) *
                                       (1 << std::min(w.failures_in_a_row - 1, 10u)));
                    }
                    w.next_due = Clock::now() + pause;
                }
                w.finished.notify_all();
            }
        });
    }
}

void ConnectorService::begin_stop() {
    stopping_ = true;
    for (auto& w : workers_) {
        if (w->thread.joinable()) w->thread.request_stop();
        std::lock_guard lock(w->mutex);
        w->finished.notify_all();  // a "sync now" waiting for a run answers at once
    }
}

void ConnectorService::stop() {
    begin_stop();
    for (auto& w : workers_) {
        if (w->thread.joinable()) w->thread.join();
    }
}

std::uint64_t ConnectorService::request_run(const std::string& name,
                                            const std::string& requested_by) {
    Worker& w = worker(name);
    std::lock_guard lock(w.mutex);
    if (!w.queued) {
        w.queued = true;
        w.requested_by = requested_by;
    }
    w.wake.notify_all();
    // The queued run is the next one to start.
    return w.started + 1;
}

std::optional<ConnectorRun> ConnectorService::wait_for_run(const std::string& name,
                                                           std::uint64_t ticket,
                                                           std::chrono::milliseconds timeout) {
    Worker& w = worker(name);
    std::int64_t id = 0;
    {
        std::unique_lock lock(w.mutex);
        w.finished.wait_for(lock, timeout, [&] { return w.done >= ticket || stopping_; });
        if (w.done < ticket) return std::nullopt;
        id = w.last_run_id;
    }
    auto lease = reads_.acquire();
    const auto runs = list_connector_runs(lease.handle(), name, id + 1, 1);
    if (runs.empty()) return std::nullopt;
    return runs.front();
}

std::vector<ConnectorStatus> ConnectorService::status() {
    std::vector<ConnectorStatus> out;
    auto lease = reads_.acquire();
    for (auto& owned : workers_) {
        Worker& w = *owned;
        ConnectorStatus s;
        s.name = w.name;
        s.title = title_of(w.name);
        s.configured = w.configured;
        {
            std::lock_guard lock(w.mutex);
            s.state = !w.configured ? "not_configured"
                      : w.running   ? "running"
                      : w.queued    ? "queued"
                                    : "idle";
            if (w.configured && w.next_due) s.next_run_at = format_rfc3339(*w.next_due);
        }
        auto runs = list_connector_runs(lease.handle(), w.name, 0, 1);
        if (!runs.empty()) s.last_run = std::move(runs.front());
        s.last_success_at = last_successful_run_at(lease.handle(), w.name);
        out.push_back(std::move(s));
    }
    return out;
}

ConnectorRun ConnectorService::execute(Worker& w, const std::string& trigger,
                                       const std::string& requested_by, std::stop_token stop) {
    ConnectorRun run;
    run.connector = w.name;
    run.trigger = trigger;
    run.requested_by = requested_by;
    run.started_at = now_rfc3339();
    const auto began = std::chrono::steady_clock::now();
    CallStats stats;
    const auto finish = [&](ConnectorRun& r, const SyncOutcome* outcome) {
        r.finished_at = now_rfc3339();
        r.calls = stats.calls;
        r.retries = stats.retries;
        if (outcome) {
            r.counts = outcome->counts;
            r.conflicts = conflicts_json(outcome->conflicts);
            if (outcome->conflicts.size() > kMaxRecordedConflicts) {
                r.counts["more_conflicts"] = outcome->conflicts.size() - kMaxRecordedConflicts;
            }
        }
        r.counts["retry_wait_ms"] = stats.waited_ms;
    };
    const auto record = [&](sql::Db db, ConnectorRun& r) {
        r.id = insert_connector_run(db, r);
        AuditEntry entry;
        entry.actor = "connector:" + w.name;
        entry.action = "connector.sync";
        entry.object_type = "connector";
        entry.object_id = w.name;
        entry.detail = {
            {"run_id", r.id}, {"trigger", r.trigger}, {"outcome", r.outcome}, {"counts", r.counts}};
        if (!r.requested_by.empty()) entry.detail["requested_by"] = r.requested_by;
        append_audit(db, entry);
    };
    try {
        run.outcome = "ok";
        if (w.asm_source) {
            std::vector<std::string> invalid;
            const std::vector<AsmDevice> devices = w.asm_source->fetch(stop, stats, invalid);
            writer_.execute([&](sql::Db db) {
                const std::string now = now_rfc3339();
                SyncOutcome outcome = apply_asm_sync(db, devices, now);
                for (const auto& serial : invalid) {
                    outcome.conflicts.push_back(
                        {serial, "", 0,
                         "Apple lists '" + serial +
                             "', which is not a serial number Pakt accepts"});
                }
                outcome.counts["invalid_serials"] = invalid.size();
                finish(run, &outcome);
                record(db, run);
            });
        } else {
            MdmSnapshot snapshot = w.mdm_source->fetch(stop, stats);
            writer_.execute([&](sql::Db db) {
                const std::string now = now_rfc3339();
                SyncOutcome outcome = apply_mdm_sync(db, w.name, std::move(snapshot.devices),
                                                     w.locations, snapshot.location_names, now);
                for (const auto& serial : snapshot.invalid) {
                    outcome.conflicts.push_back(
                        {serial, "", 0,
                         "the MDM lists '" + serial +
                             "', which is not a serial number Pakt accepts"});
                }
                outcome.counts["invalid_serials"] = snapshot.invalid.size();
                finish(run, &outcome);
                record(db, run);
            });
        }
    } catch (const std::exception& e) {
        // SyncFailed says what went wrong at the vendor; anything else happened applying the data
        // (rolled back with its savepoint).
        const std::string started_at = run.started_at;
        run = ConnectorRun{};
        run.connector = w.name;
        run.trigger = trigger;
        run.requested_by = requested_by;
        run.started_at = started_at;
        run.outcome = "failed";
        run.error = dynamic_cast<const SyncFailed*>(&e)
                        ? std::string(e.what())
                        : std::string("cannot apply the data: ") + e.what();
        finish(run, nullptr);
        try {
            writer_.execute([&](sql::Db db) { record(db, run); });
        } catch (const std::exception& store_error) {
            spdlog::error("connector {}: cannot record the failed run: {}", w.name,
                          store_error.what());
        }
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
    if (run.outcome == "ok") {
        spdlog::info("connector {} run {} ({}) ok in {:.1f} s: {} calls, {} retries, counts {}",
                     w.name, run.id, trigger, seconds, run.calls, run.retries, run.counts.dump());
    } else {
        spdlog::warn("connector {} run {} ({}) failed after {:.1f} s, nothing changed: {}", w.name,
                     run.id, trigger, seconds, run.error.value_or(""));
    }
    return run;
}

}  // namespace pakt::server::connectors
