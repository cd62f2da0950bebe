// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "server/storage/device_repository.hpp"

#include "common/time.hpp"
#include "server/storage/sql.hpp"

namespace pakt::server {
namespace {

using sqlutil::bind_optional;
using sqlutil::optional_int;
using sqlutil::optional_text;

constexpr const char* kColumns =
    "SELECT serial_number, tranche_id, school_number, asset_tag, model, status, location, note, "
    "off_manifest, retired_reason, enrolled_at, enrolled_by, updated_at FROM devices ";
constexpr const char* kInsert =
    "INSERT INTO devices (serial_number, tranche_id, school_number, asset_tag, model, status, "
    "location, "
    "note, off_manifest, retired_reason, enrolled_at, enrolled_by, updated_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr const char* kUpdate =
    "UPDATE devices SET status = ?, asset_tag = ?, location = ?, note = ?, retired_reason = ?, "
    "updated_at = ? WHERE serial_number = ?";
constexpr const char* kCountInTranche = "SELECT count(*) FROM devices WHERE tranche_id = ?";
constexpr const char* kEverLent = "SELECT 1 FROM loans WHERE serial_number = ? LIMIT 1";
// Children first: reports and events reference the device.
constexpr const char* kDeleteReport =
    "DELETE FROM device_reports WHERE school_number = (SELECT school_number FROM devices WHERE "
    "serial_number = ?1) "
    "AND serial_number = ?1";
constexpr const char* kDeleteEvents = "DELETE FROM device_events WHERE serial_number = ?";
constexpr const char* kDeleteDevice = "DELETE FROM devices WHERE serial_number = ?";
constexpr const char* kCountsByStatus =
    "SELECT status, count(*) FROM devices WHERE school_number = ? GROUP BY status";
constexpr const char* kReport =
    "SELECT agent_id, seen_at, os_version, battery_pct, storage_free_mb, managed, ip_address "
    "FROM device_reports WHERE school_number = (SELECT school_number FROM devices WHERE "
    "serial_number = ?1) "
    "AND serial_number = ?1";
constexpr const char* kLoanColumns =
    "SELECT id, serial_number, school_number, borrower_ref, borrower_kind, agreement_ref, due_on, "
    "started_at, started_by, returned_at, return_condition, return_note, returned_by, accessories, "
    "pre_existing_damage FROM loans ";
constexpr const char* kInsertLoan =
    "INSERT INTO loans (serial_number, school_number, borrower_ref, borrower_kind, agreement_ref, "
    "due_on, "
    "started_at, started_by, accessories, pre_existing_damage) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, "
    "?) RETURNING id";
constexpr const char* kLoanListColumns =
    "SELECT l.id, l.serial_number, l.school_number, l.borrower_ref, l.borrower_kind, "
    "l.agreement_ref, "
    "l.due_on, l.started_at, l.started_by, l.returned_at, l.return_condition, l.return_note, "
    "l.returned_by, l.accessories, l.pre_existing_damage, d.asset_tag, d.model "
    "FROM loans l JOIN devices d ON d.serial_number = l.serial_number ";
constexpr const char* kCountSchoolLoans =
    "SELECT count(*), count(CASE WHEN due_on < ? THEN 1 END) FROM loans "
    "WHERE school_number = ? AND returned_at IS NULL";
constexpr const char* kCountNotSeen =
    "SELECT count(*) FROM devices WHERE school_number = ? "
    "AND NOT EXISTS (SELECT 1 FROM device_reports r WHERE r.school_number = devices.school_number "
    "AND r.serial_number = devices.serial_number AND r.seen_at >= ?)";
constexpr const char* kCloseLoan =
    "UPDATE loans SET returned_at = ?, return_condition = ?, return_note = ?, returned_by = ? "
    "WHERE id = ?";
constexpr const char* kInsertEvent =
    "INSERT INTO device_events (serial_number, at, kind, actor, detail) VALUES (?, ?, ?, ?, ?)";
constexpr const char* kEvents =
    "SELECT id, serial_number, at, kind, actor, detail FROM device_events "
    "WHERE serial_number = ? AND id < ? ORDER BY id DESC LIMIT ?";

Device read_device(sql::Statement& q) {
    Device d;
    d.serial_number = q.getColumn(0).getString();
    d.tranche_id = q.getColumn(1).getInt64();
    d.school_number = q.getColumn(2).getString();
    d.asset_tag = q.getColumn(3).getString();
    d.model = q.getColumn(4).getString();
    d.status = q.getColumn(5).getString();
    d.location = q.getColumn(6).getString();
    d.note = q.getColumn(7).getString();
    d.off_manifest = q.getColumn(8).getInt() != 0;
    d.retired_reason = optional_text(q, 9);
    d.enrolled_at = q.getColumn(10).getString();
    d.enrolled_by = q.getColumn(11).getString();
    d.updated_at = q.getColumn(12).getString();
    return d;
}

Loan read_loan(sql::Statement& q) {
    Loan l;
    l.id = q.getColumn(0).getInt64();
    l.serial_number = q.getColumn(1).getString();
    l.school_number = q.getColumn(2).getString();
    l.borrower_ref = q.getColumn(3).getString();
    l.borrower_kind = q.getColumn(4).getString();
    l.agreement_ref = q.getColumn(5).getString();
    l.due_on = optional_text(q, 6);
    l.started_at = q.getColumn(7).getString();
    l.started_by = q.getColumn(8).getString();
    l.returned_at = optional_text(q, 9);
    l.return_condition = optional_text(q, 10);
    l.return_note = q.getColumn(11).getString();
    l.returned_by = optional_text(q, 12);
    l.accessories = q.getColumn(13).getString();
    l.pre_existing_damage = q.getColumn(14).getString();
    return l;
}

}  // namespace

std::optional<Device> find_device(sql::Db db, const std::string& serial) {
    sql::Statement q(db, std::string(kColumns) + "WHERE serial_number = ?");
    q.bind(1, serial);
    if (!q.executeStep()) return std::nullopt;
    return read_device(q);
}

std::optional<DeviceReport> find_device_report(sql::Db db, const std::string& serial) {
    sql::Statement q(db, kReport);
    q.bind(1, serial);
    if (!q.executeStep()) return std::nullopt;
    DeviceReport r;
    r.agent_id = q.getColumn(0).getInt64();
    r.seen_at = q.getColumn(1).getString();
    r.os_version = optional_text(q, 2);
    r.battery_pct = optional_int(q, 3);
    r.storage_free_mb = optional_int(q, 4);
    if (auto m = optional_int(q, 5)) r.managed = *m != 0;
    r.ip_address = optional_text(q, 6);
    return r;
}

void insert_device(sql::Db db, const Device& d) {
    const std::string now = now_rfc3339();
    sql::Statement q(db, kInsert);
    q.bind(1, d.serial_number);
    q.bind(2, d.tranche_id);
    q.bind(3, d.school_number);
    q.bind(4, d.asset_tag);
    q.bind(5, d.model);
    q.bind(6, d.status);
    q.bind(7, d.location);
    q.bind(8, d.note);
    q.bind(9, d.off_manifest ? 1 : 0);
    bind_optional(q, 10, d.retired_reason);
    q.bind(11, now);
    q.bind(12, d.enrolled_by);
    q.bind(13, now);
    q.exec();
}

void update_device(sql::Db db, const Device& d) {
    sql::Statement q(db, kUpdate);
    q.bind(1, d.status);
    q.bind(2, d.asset_tag);
    q.bind(3, d.location);
    q.bind(4, d.note);
    bind_optional(q, 5, d.retired_reason);
    q.bind(6, now_rfc3339());
    q.bind(7, d.serial_number);
    q.exec();
}

std::int64_t count_devices_in_tranche(sql::Db db, std::int64_t tranche_id) {
    sql::Statement q(db, kCountInTranche);
    q.bind(1, tranche_id);
    q.executeStep();
    return q.getColumn(0).getInt64();
}

bool has_ever_been_lent(sql::Db db, const std::string& serial) {
    sql::Statement q(db, kEverLent);
    q.bind(1, serial);
    return q.executeStep();
}

void delete_device(sql::Db db, const std::string& serial) {
    for (const char* sql : {kDeleteReport, kDeleteEvents, kDeleteDevice}) {
        sql::Statement q(db, sql);
        q.bind(1, serial);
        q.exec();
    }
}

std::map<std::string, std::int64_t> device_counts_by_status(sql::Db db, const std::string& school) {
    sql::Statement q(db, kCountsByStatus);
    q.bind(1, school);
    std::map<std::string, std::int64_t> out;
    while (q.executeStep()) out[q.getColumn(0).getString()] = q.getColumn(1).getInt64();
    return out;
}

std::string device_list_sql(const DeviceFilter& f) {
    std::string sql = std::string(kColumns) + "WHERE serial_number > ? ";
    if (f.school_number) sql += "AND school_number = ? ";
    if (f.tranche_id) sql += "AND tranche_id = ? ";
    if (f.grant_id) {
        // '+' keeps the planner off devices_by_tranche for a large grant (see large_grant).
        sql += f.large_grant ? "AND +tranche_id IN (SELECT id FROM tranches WHERE grant_id = ?) "
                             : "AND tranche_id IN (SELECT id FROM tranches WHERE grant_id = ?) ";
    }
    if (f.status) sql += "AND status = ? ";
    if (f.schools) {
        sql += sqlutil::school_in_clause(f.schools->size());
    }
    if (f.serial_prefix) {
        // Prefix ranges instead of LIKE so the serial-number and asset-tag indexes serve them, as
        // one list of matching serials the outer query walks in serial order. Written as an OR of
        // the two ranges, SQLite walked the whole primary key when no other filter narrowed the
        // search (a city_admin's search: every device of the city read for one page).
        sql +=
            "AND serial_number IN (SELECT serial_number FROM devices WHERE serial_number >= ? AND "
            "serial_number < ? UNION SELECT serial_number FROM devices WHERE asset_tag >= ? AND "
            "asset_tag < ?) ";
    }
    if (f.on_loan) {
        sql +=
            "AND EXISTS (SELECT 1 FROM loans l WHERE l.serial_number = devices.serial_number "
            "AND l.returned_at IS NULL) ";
    }
    if (f.stale_before) {
        sql +=
            "AND NOT EXISTS (SELECT 1 FROM device_reports r WHERE r.school_number = "
            "devices.school_number "
            "AND r.serial_number = devices.serial_number "
            "AND r.seen_at >= ?) ";
    }
    if (f.unseen_since) {
        sql +=
            "AND status <> 'retired' AND NOT EXISTS (SELECT 1 FROM device_reports r "
            "WHERE r.school_number = devices.school_number AND r.serial_number = "
            "devices.serial_number AND r.seen_at >= ?) ";
    }
    sql += "ORDER BY serial_number LIMIT ?";
    return sql;
}

// Through its tranches, a grant's devices come in tranche order and are sorted for each page: cheap
// for a small grant, but a state's DigitalPakt grant has a million devices. Walking the serial
// order instead reads about limit × all / grant devices for a page: with this many enrolled in the
// grant, a few thousand at a state's two million. Counting stops there, so it costs at most that.
constexpr std::int64_t kLargeGrantDevices = 10'000;
constexpr const char* kGrantEnrolledUpTo =
    "SELECT count(*) FROM (SELECT 1 FROM devices WHERE tranche_id IN (SELECT id FROM tranches "
    "WHERE grant_id = ?) "
    "LIMIT ?) AS capped";

std::vector<Device> list_devices(sql::Db db, const DeviceFilter& filter) {
    DeviceFilter f = filter;
    if (f.grant_id && !f.school_number && !f.tranche_id) {
        sql::Statement enrolled(db, kGrantEnrolledUpTo);
        enrolled.bind(1, *f.grant_id);
        enrolled.bind(2, kLargeGrantDevices);
        f.large_grant =
            enrolled.executeStep() && enrolled.getColumn(0).getInt64() >= kLargeGrantDevices;
    }
    std::string text = device_list_sql(f);
    if (db.postgres()) {
        // PostgreSQL plans with statistics; it has no unary + on an integer column either way.
        const auto plus = text.find("+tranche_id");
        if (plus != std::string::npos) text.erase(plus, 1);
    }
    sql::Statement q(db, text);
    // Above every text with the prefix: 0xFF in SQLite's bytes, the last code point in
    // PostgreSQL's UTF-8 (which refuses a lone 0xFF), both compared bytewise (collation "C").
    const char* above = db.pick("\xff", "\xf4\x8f\xbf\xbf");
    int i = 1;
    q.bind(i++, f.after);
    if (f.school_number) q.bind(i++, *f.school_number);
    if (f.tranche_id) q.bind(i++, *f.tranche_id);
    if (f.grant_id) q.bind(i++, *f.grant_id);
    if (f.status) q.bind(i++, *f.status);
    if (f.schools) i = sqlutil::bind_all(q, i, *f.schools);
    if (f.serial_prefix) {
        q.bind(i++, *f.serial_prefix);
        q.bind(i++, *f.serial_prefix + above);
        q.bind(i++, *f.asset_tag_prefix);
        q.bind(i++, *f.asset_tag_prefix + above);
    }
    if (f.stale_before) q.bind(i++, *f.stale_before);
    if (f.unseen_since) q.bind(i++, *f.unseen_since);
    q.bind(i, f.limit);
    std::vector<Device> out;
    while (q.executeStep()) out.push_back(read_device(q));
    return out;
}

std::optional<Loan> find_open_loan(sql::Db db, const std::string& serial) {
    sql::Statement q(db,
                     std::string(kLoanColumns) + "WHERE serial_number = ? AND returned_at IS NULL");
    q.bind(1, serial);
    if (!q.executeStep()) return std::nullopt;
    return read_loan(q);
}

std::int64_t insert_loan(sql::Db db, const Loan& l) {
    sql::Statement q(db, kInsertLoan);
    q.bind(1, l.serial_number);
    q.bind(2, l.school_number);
    q.bind(3, l.borrower_ref);
    q.bind(4, l.borrower_kind);
    q.bind(5, l.agreement_ref);
    bind_optional(q, 6, l.due_on);
    q.bind(7, now_rfc3339());
    q.bind(8, l.started_by);
    q.bind(9, l.accessories);
    q.bind(10, l.pre_existing_damage);
    q.executeStep();
    return q.getColumn(0).getInt64();
}

std::vector<LoanListRow> list_loans(sql::Db db, const LoanFilter& f) {
    std::string sql = kLoanListColumns;
    sql += f.state == LoanState::returned ? "WHERE l.returned_at IS NOT NULL "
                                          : "WHERE l.returned_at IS NULL ";
    if (f.state == LoanState::overdue) sql += "AND l.due_on < ? ";
    if (f.before_id > 0) sql += "AND l.id < ? ";
    if (f.school_number) sql += "AND l.school_number = ? ";
    if (f.schools) {
        sql += "AND l.";
        sql += sqlutil::school_in_clause(f.schools->size()).substr(4);
    }
    sql += "ORDER BY l.id DESC LIMIT ?";
    sql::Statement q(db, sql);
    int i = 1;
    if (f.state == LoanState::overdue) q.bind(i++, f.today);
    if (f.before_id > 0) q.bind(i++, f.before_id);
    if (f.school_number) q.bind(i++, *f.school_number);
    if (f.schools) i = sqlutil::bind_all(q, i, *f.schools);
    q.bind(i, f.limit);
    std::vector<LoanListRow> out;
    while (q.executeStep()) {
        LoanListRow row{read_loan(q), q.getColumn(15).getString(), q.getColumn(16).getString()};
        out.push_back(std::move(row));
    }
    return out;
}

std::optional<Loan> find_loan(sql::Db db, std::int64_t id) {
    sql::Statement q(db, std::string(kLoanColumns) + "WHERE id = ?");
    q.bind(1, id);
    if (!q.executeStep()) return std::nullopt;
    return read_loan(q);
}

SchoolLoanCounts count_school_loans(sql::Db db, const std::string& school,
                                    const std::string& today) {
    sql::Statement q(db, kCountSchoolLoans);
    q.bind(1, today);
    q.bind(2, school);
    q.executeStep();
    return {q.getColumn(0).getInt64(), q.getColumn(1).getInt64()};
}

std::int64_t count_not_seen_since(sql::Db db, const std::string& school, const std::string& since) {
    sql::Statement q(db, kCountNotSeen);
    q.bind(1, school);
    q.bind(2, since);
    q.executeStep();
    return q.getColumn(0).getInt64();
}

void close_loan(sql::Db db, std::int64_t loan_id, const std::string& condition,
                const std::string& note, const std::string& returned_by) {
    sql::Statement q(db, kCloseLoan);
    q.bind(1, now_rfc3339());
    q.bind(2, condition);
    q.bind(3, note);
    q.bind(4, returned_by);
    q.bind(5, loan_id);
    q.exec();
}

void append_device_event(sql::Db db, const std::string& serial, const std::string& kind,
                         const std::string& actor, const nlohmann::json& detail) {
    sql::Statement q(db, kInsertEvent);
    q.bind(1, serial);
    q.bind(2, now_rfc3339());
    q.bind(3, kind);
    q.bind(4, actor);
    q.bind(5, detail.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    q.exec();
}

std::vector<DeviceEvent> list_device_events(sql::Db db, const std::string& serial,
                                            std::int64_t before_id, int limit) {
    sql::Statement q(db, kEvents);
    q.bind(1, serial);
    q.bind(2, before_id > 0 ? before_id : INT64_MAX);
    q.bind(3, limit);
    std::vector<DeviceEvent> out;
    while (q.executeStep()) {
        DeviceEvent e;
        e.id = q.getColumn(0).getInt64();
        e.serial_number = q.getColumn(1).getString();
        e.at = q.getColumn(2).getString();
        e.kind = q.getColumn(3).getString();
        e.actor = q.getColumn(4).getString();
        e.detail = nlohmann::json::parse(q.getColumn(5).getString(), nullptr, false);
        out.push_back(std::move(e));
    }
    return out;
}

}  // namespace pakt::server
