// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// The agent's spool: every report is written here (SQLite, WAL, synchronous=FULL) before any
// attempt to send it, and leaves only after the server confirmed it with a 200 (or refused it as
// invalid, which moves it to the "rejected" table). So a report survives a crash, a reboot and
// days offline, and every report reaches the server exactly once in effect: the server
// recognises a resend by its report_id.
//
// The spool is bounded. Past `max_reports` pending reports, the oldest reports that were never
// attempted are coalesced into fresh ones (the latest observation of each serial wins). A report
// that was attempted may have reached the server without the agent learning it; it keeps its
// report_id and content, so a resend stays a harmless duplicate. Nothing is dropped silently.
//
// Not thread-safe: one Spool per thread. Several processes may open the same file (a running
// agent and `pakt-agent status`); SQLite serialises their writes. Methods throw SQLite::Exception
// (with the extended result code) on database failure.
#include <SQLiteCpp/Database.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/checkin_report.hpp"
#include "common/time.hpp"

namespace pakt::agent {

/// A pending report as stored.
struct SpooledReport {
    std::int64_t seq = 0;  ///< position in the queue: the oldest has the smallest
    std::string report_id;
    std::string created_at;  ///< RFC 3339, when it was spooled
    std::string body;        ///< to_json(CheckinReport), as sent
    std::size_t device_count = 0;
    int attempts = 0;  ///< send attempts started (the answer may have been lost)
};

/// A report the server refused as invalid (400, 413, 422): kept for diagnosis, never resent.
struct RejectedReport {
    std::string report_id;
    std::string rejected_at;
    int status = 0;
    std::string answer;  ///< the server's answer body (problem+json), truncated to 4 KiB
};

struct SpoolStatus {
    std::size_t pending_reports = 0;
    std::size_t pending_devices = 0;  ///< device observations over all pending reports
    std::size_t rejected_reports = 0;
    std::optional<std::string> last_success_at;  ///< RFC 3339 of the last 200
    std::optional<std::string> last_error_at;
    std::optional<std::string> last_error;
};

/// What adding a report did to the bound.
struct AddResult {
    std::size_t coalesced_reports = 0;  ///< old reports merged (0: none were)
    std::size_t coalesced_into = 0;     ///< reports they became (usually 1)
    /// True if the spool still holds more than max_reports because too few reports could be
    /// coalesced (the rest were already attempted and are kept as they are).
    bool over_bound = false;
};

class Spool {
  public:
    /// Opens or creates the spool database `file` (its directory must exist). Throws
    /// std::runtime_error if the file was written by a newer agent, SQLite::Exception otherwise.
    Spool(const std::filesystem::path& file, std::size_t max_reports);

    /// Durably appends `report` (at most kMaxDevicesPerReport devices) and then keeps the bound,
    /// both in one transaction. Precondition: a fresh report_id.
    AddResult add(const CheckinReport& report, Clock::time_point now);

    /// The oldest pending report, if any.
    std::optional<SpooledReport> oldest();

    /// Durably records that a send of `report_id` starts; call before sending, so the report is
    /// never coalesced afterwards.
    void mark_attempted(const std::string& report_id, Clock::time_point now);

    /// Removes a report the server confirmed. Returns false if it was not pending.
    bool remove(const std::string& report_id);

    /// Moves a report the server refused as invalid to the rejected table (the newest 100 are
    /// kept there) with the server's status and answer.
    void reject(const std::string& report_id, int status, const std::string& answer,
                Clock::time_point now);

    void record_success(Clock::time_point now);
    void record_error(const std::string& message, Clock::time_point now);

    SpoolStatus status();
    std::size_t pending();
    /// The rejected reports, newest first.
    std::vector<RejectedReport> rejected();

  private:
    AddResult keep_bound();

    SQLite::Database db_;
    std::size_t max_reports_;
};

}  // namespace pakt::agent
