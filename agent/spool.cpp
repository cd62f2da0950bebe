// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "agent/spool.hpp"

#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <stdexcept>

namespace pakt::agent {
namespace {

constexpr int kSchemaVersion = 1;
constexpr int kBusyTimeoutMs = 10000;
constexpr std::int64_t kMaxRejectedKept = 100;
constexpr std::size_t kMaxAnswerBytes = 4096;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS reports (
    seq INTEGER PRIMARY KEY,
    report_id TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    body TEXT NOT NULL,
    device_count INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_attempt_at TEXT
);
CREATE TABLE IF NOT EXISTS rejected (
    seq INTEGER PRIMARY KEY,
    report_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    rejected_at TEXT NOT NULL,
    status INTEGER NOT NULL,
    answer TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS status (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
)sql";

constexpr const char* kInsertReport =
    "INSERT INTO reports (seq, report_id, created_at, body, device_count) "
    "VALUES (?, ?, ?, ?, ?)";
constexpr const char* kNextSeq = "SELECT COALESCE(MAX(seq), 0) + 1 FROM reports";
constexpr const char* kCountPending = "SELECT COUNT(*) FROM reports";
constexpr const char* kSelectOldest =
    "SELECT seq, report_id, created_at, body, device_count, attempts FROM reports "
    "ORDER BY seq LIMIT 1";
constexpr const char* kSelectUnattempted =
    "SELECT seq, body FROM reports WHERE attempts = 0 ORDER BY seq";
constexpr const char* kDeleteReportBySeq = "DELETE FROM reports WHERE seq = ?";
constexpr const char* kMarkAttempted =
    "UPDATE reports SET attempts = attempts + 1, last_attempt_at = ? WHERE report_id = ?";
constexpr const char* kDeleteReport = "DELETE FROM reports WHERE report_id = ?";
constexpr const char* kMoveToRejected =
    "INSERT INTO rejected (report_id, created_at, rejected_at, status, answer, body) "
    "SELECT report_id, created_at, ?, ?, ?, body FROM reports WHERE report_id = ?";
constexpr const char* kTrimRejected =
    "DELETE FROM rejected WHERE seq <= (SELECT MAX(seq) FROM rejected) - ?";
constexpr const char* kSetStatus =
    "INSERT INTO status (key, value) VALUES (?, ?) "
    "ON CONFLICT(key) DO UPDATE SET value = excluded.value";
constexpr const char* kSelectStatus = "SELECT key, value FROM status";
constexpr const char* kPendingTotals =
    "SELECT COUNT(*), COALESCE(SUM(device_count), 0) FROM reports";
constexpr const char* kCountRejected = "SELECT COUNT(*) FROM rejected";
constexpr const char* kSelectRejected =
    "SELECT report_id, rejected_at, status, answer FROM rejected ORDER BY seq DESC";

SQLite::Database open(const std::filesystem::path& file) {
    SQLite::Database db(file.string(),
                        SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_NOMUTEX,
                        kBusyTimeoutMs);
    // A report is spooled to survive a power cut: WAL for concurrent readers (status), FULL so a
    // committed report is on disk before the agent sends it.
    db.exec("PRAGMA journal_mode=WAL");
    db.exec("PRAGMA synchronous=FULL");
    return db;
}

void set_status(SQLite::Database& db, const char* key, const std::string& value) {
    SQLite::Statement statement(db, kSetStatus);
    statement.bind(1, key);
    statement.bind(2, value);
    statement.exec();
}

void insert_report(SQLite::Database& db, std::int64_t seq, const CheckinReport& report,
                   const std::string& created_at) {
    SQLite::Statement insert(db, kInsertReport);
    insert.bind(1, seq);
    insert.bind(2, report.report_id);
    insert.bind(3, created_at);
    insert.bind(4, to_json(report).dump());
    insert.bind(5, static_cast<std::int64_t>(report.devices.size()));
    insert.exec();
}

std::size_t chunks_for(std::size_t devices) {
    return std::max<std::size_t>(1, (devices + kMaxDevicesPerReport - 1) / kMaxDevicesPerReport);
}

}  // namespace

Spool::Spool(const std::filesystem::path& file, std::size_t max_reports)
    : db_(open(file)), max_reports_(std::max<std::size_t>(max_reports, 2)) {
    SQLite::Transaction transaction(db_, SQLite::TransactionBehavior::IMMEDIATE);
    const int version = db_.execAndGet("PRAGMA user_version").getInt();
    if (version > kSchemaVersion) {
        throw std::runtime_error(file.string() + ": spool written by a newer pakt-agent (schema " +
                                 std::to_string(version) + ", this agent knows " +
                                 std::to_string(kSchemaVersion) + ")");
    }
    db_.exec(kSchema);
    db_.exec("PRAGMA user_version = " + std::to_string(kSchemaVersion));
    transaction.commit();
}

AddResult Spool::add(const CheckinReport& report, Clock::time_point now) {
    SQLite::Transaction transaction(db_, SQLite::TransactionBehavior::IMMEDIATE);
    const std::int64_t seq = db_.execAndGet(kNextSeq).getInt64();
    insert_report(db_, seq, report, format_rfc3339(now));
    AddResult result = keep_bound();
    transaction.commit();
    return result;
}

AddResult Spool::keep_bound() {
    const auto pending_count = static_cast<std::size_t>(db_.execAndGet(kCountPending).getInt64());
    if (pending_count <= max_reports_) return {};
    const std::size_t excess = pending_count - max_reports_;

    // Merge never-attempted reports, oldest first, until merging saves enough places. Reports
    // are read one at a time, so memory is bounded by the distinct serials, not by the backlog.
    std::map<std::string, DeviceObservation> latest;
    std::vector<std::int64_t> taken;
    std::string generated_at;
    std::string agent_version;
    SQLite::Statement select(db_, kSelectUnattempted);
    while (select.executeStep()) {
        const std::int64_t seq = select.getColumn(0).getInt64();
        const ParsedReport parsed = parse_checkin_report(select.getColumn(1).getString());
        if (!parsed.report) {
            // Cannot happen for reports this agent wrote; such a report is sent as it is.
            spdlog::warn("spool: report {} cannot be read back; not coalesced", seq);
            continue;
        }
        for (const auto& device : parsed.report->devices) latest[device.serial_number] = device;
        generated_at = std::max(generated_at, parsed.report->generated_at);
        agent_version = parsed.report->agent_version;
        taken.push_back(seq);
        const std::size_t chunks = chunks_for(latest.size());
        if (taken.size() >= 2 && taken.size() >= chunks + excess) break;
    }
    select.reset();

    const std::size_t chunks = chunks_for(latest.size());
    if (taken.size() < 2 || taken.size() <= chunks) return AddResult{0, 0, true};

    for (std::int64_t seq : taken) {
        SQLite::Statement erase(db_, kDeleteReportBySeq);
        erase.bind(1, seq);
        erase.exec();
    }
    // The merged reports take the queue positions of the oldest ones they replace, so the
    // uploader still sends the oldest information first.
    auto device = latest.begin();
    for (std::size_t chunk = 0; chunk < chunks; ++chunk) {
        CheckinReport merged;
        merged.report_id = make_uuid();
        merged.generated_at = generated_at;
        merged.agent_version = agent_version;
        for (; device != latest.end() && merged.devices.size() < kMaxDevicesPerReport; ++device) {
            merged.devices.push_back(std::move(device->second));
        }
        insert_report(db_, taken[chunk], merged, generated_at);
    }
    const std::size_t remaining = pending_count - taken.size() + chunks;
    return AddResult{taken.size(), chunks, remaining > max_reports_};
}

std::optional<SpooledReport> Spool::oldest() {
    SQLite::Statement select(db_, kSelectOldest);
    if (!select.executeStep()) return std::nullopt;
    SpooledReport report;
    report.seq = select.getColumn(0).getInt64();
    report.report_id = select.getColumn(1).getString();
    report.created_at = select.getColumn(2).getString();
    report.body = select.getColumn(3).getString();
    report.device_count = static_cast<std::size_t>(select.getColumn(4).getInt64());
    report.attempts = select.getColumn(5).getInt();
    return report;
}

void Spool::mark_attempted(const std::string& report_id, Clock::time_point now) {
    SQLite::Statement update(db_, kMarkAttempted);
    update.bind(1, format_rfc3339(now));
    update.bind(2, report_id);
    update.exec();
}

bool Spool::remove(const std::string& report_id) {
    SQLite::Statement erase(db_, kDeleteReport);
    erase.bind(1, report_id);
    return erase.exec() > 0;
}

void Spool::reject(const std::string& report_id, int status, const std::string& answer,
                   Clock::time_point now) {
    SQLite::Transaction transaction(db_, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement move(db_, kMoveToRejected);
    move.bind(1, format_rfc3339(now));
    move.bind(2, status);
    move.bind(3, answer.substr(0, kMaxAnswerBytes));
    move.bind(4, report_id);
    move.exec();
    SQLite::Statement erase(db_, kDeleteReport);
    erase.bind(1, report_id);
    erase.exec();
    SQLite::Statement trim(db_, kTrimRejected);
    trim.bind(1, kMaxRejectedKept);
    trim.exec();
    transaction.commit();
}

void Spool::record_success(Clock::time_point now) {
    set_status(db_, "last_success_at", format_rfc3339(now));
}

void Spool::record_error(const std::string& message, Clock::time_point now) {
    SQLite::Transaction transaction(db_, SQLite::TransactionBehavior::IMMEDIATE);
    set_status(db_, "last_error_at", format_rfc3339(now));
    set_status(db_, "last_error", message);
    transaction.commit();
}

SpoolStatus Spool::status() {
    SpoolStatus status;
    SQLite::Statement totals(db_, kPendingTotals);
    if (totals.executeStep()) {
        status.pending_reports = static_cast<std::size_t>(totals.getColumn(0).getInt64());
        status.pending_devices = static_cast<std::size_t>(totals.getColumn(1).getInt64());
    }
    status.rejected_reports = static_cast<std::size_t>(db_.execAndGet(kCountRejected).getInt64());
    SQLite::Statement select(db_, kSelectStatus);
    while (select.executeStep()) {
        const std::string key = select.getColumn(0).getString();
        std::string value = select.getColumn(1).getString();
        if (key == "last_success_at") status.last_success_at = std::move(value);
        if (key == "last_error_at") status.last_error_at = std::move(value);
        if (key == "last_error") status.last_error = std::move(value);
    }
    return status;
}

std::size_t Spool::pending() {
    return static_cast<std::size_t>(db_.execAndGet(kCountPending).getInt64());
}

std::vector<RejectedReport> Spool::rejected() {
    std::vector<RejectedReport> out;
    SQLite::Statement select(db_, kSelectRejected);
    while (select.executeStep()) {
        out.push_back({select.getColumn(0).getString(), select.getColumn(1).getString(),
                       select.getColumn(2).getInt(), select.getColumn(3).getString()});
    }
    return out;
}

}  // namespace pakt::agent
