// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "server/storage/report_repository.hpp"

#include "server/storage/sql.hpp"

namespace pakt::server {
namespace {

constexpr const char* kFundingGrants =
    "SELECT g.id, g.programme_code, p.name, p.federal_share_pct, p.max_unit_price_cents, p.max_per_school_cents, "
    "g.reference, g.title, g.amount_cents, g.own_contribution_cents, g.approved_on, g.spend_by, g.earmark_end "
    "FROM grants g JOIN programmes p ON p.code = g.programme_code "
    "WHERE p.funds_devices = 1 ";
constexpr const char* kFundingGrantsOrder = "ORDER BY g.programme_code, g.id";

// Per tranche: the manifest rows and the open loans of its devices.
constexpr const char* kFundingTranches =
    "SELECT t.id, t.grant_id, t.school_number, s.name, t.unit_price_cents, t.expected_count, "
    " (SELECT count(*) FROM manifest_entries m WHERE m.tranche_id = t.id), "
    " (SELECT count(*) FROM devices d JOIN loans l ON l.serial_number = d.serial_number AND l.returned_at IS NULL "
    "   WHERE d.tranche_id = t.id) "
    "FROM tranches t JOIN schools s ON s.school_number = t.school_number "
    "JOIN grants g ON g.id = t.grant_id JOIN programmes p ON p.code = g.programme_code "
    "WHERE p.funds_devices = 1 ";

// Device counts of one tranche by status and retirement reason: a range of
// devices_by_tranche_status, which covers it and yields the groups in order (no sort).
constexpr const char* kStatusCounts =
    "SELECT status, retired_reason, count(*) FROM devices WHERE tranche_id = ? GROUP BY status, retired_reason";

constexpr const char* kRollout =
    "SELECT t.id, t.school_number, s.name, t.grant_id, g.reference, g.programme_code, t.model, "
    "t.delivered_on, "
    "t.unit_price_cents, t.expected_count, "
    " (SELECT count(*) FROM manifest_entries m WHERE m.tranche_id = t.id), "
    " (SELECT count(*) FROM devices d WHERE d.tranche_id = t.id), "
    " (SELECT count(*) FROM devices d JOIN device_reports r ON r.school_number = d.school_number "
    "AND r.serial_number = d.serial_number "
    "   WHERE d.tranche_id = t.id), "
    " (SELECT count(*) FROM devices d JOIN device_reports r ON r.school_number = d.school_number "
    "AND r.serial_number = d.serial_number "
    "   WHERE d.tranche_id = t.id AND r.seen_at >= ?1), "
    " (SELECT count(*) FROM devices d LEFT JOIN device_reports r ON r.school_number = "
    "d.school_number AND r.serial_number = d.serial_number "
    "   WHERE d.tranche_id = t.id AND " PAKT_MANAGED_SQL
    " = 1), "
    " (SELECT count(*) FROM devices d WHERE d.tranche_id = t.id AND d.status = 'in_use'), "
    " (SELECT count(*) FROM devices d JOIN loans l ON l.serial_number = d.serial_number AND "
    "l.returned_at IS NULL "
    "   WHERE d.tranche_id = t.id), "
    " (SELECT count(*) FROM manifest_entries m WHERE m.tranche_id = t.id "
    "   AND NOT EXISTS (SELECT 1 FROM devices d WHERE d.serial_number = m.serial_number)) "
    "FROM tranches t JOIN schools s ON s.school_number = t.school_number JOIN grants g ON g.id = "
    "t.grant_id "
    "WHERE true ";

// Per grant within its earmarking period: its devices by what the earmark cares about. The
// grant's tranches through tranches_by_grant, their devices through devices_by_tranche_status
// (covering), each device's last report by its key. Parameters: unseen-since, today, today, then
// the scope's schools.
constexpr const char* kEarmark =
    "SELECT g.id, g.reference, g.title, g.spend_by, g.earmark_end, count(d.serial_number), "
    " count(CASE WHEN d.status = 'lost' OR (d.status = 'retired' AND d.retired_reason = 'lost') "
    "THEN 1 END), "
    " count(CASE WHEN d.status = 'stolen' OR (d.status = 'retired' AND d.retired_reason = "
    "'stolen') THEN 1 END), "
    " count(CASE WHEN d.status <> 'retired' AND NOT EXISTS (SELECT 1 FROM device_reports r "
    "   WHERE r.school_number = d.school_number AND r.serial_number = d.serial_number AND r.seen_at >= ?) THEN 1 END) "
    "FROM grants g JOIN programmes p ON p.code = g.programme_code "
    "LEFT JOIN tranches t ON t.grant_id = g.id LEFT JOIN devices d ON d.tranche_id = t.id "
    "WHERE p.funds_devices = 1 AND g.spend_by < ? AND g.earmark_end >= ? ";

// Devices in the order of devices_by_school, so the walk needs no sort however large the export.
constexpr const char* kInventory =
    "SELECT d.serial_number, d.asset_tag, d.model, d.school_number, s.name, d.tranche_id, "
    "t.grant_id, "
    "g.reference, g.programme_code, d.status, d.retired_reason, l.id IS NOT NULL, l.due_on, "
    "r.seen_at, r.os_version, " PAKT_MANAGED_SQL
    " "
    "FROM devices d JOIN schools s ON s.school_number = d.school_number "
    "JOIN tranches t ON t.id = d.tranche_id JOIN grants g ON g.id = t.grant_id "
    "LEFT JOIN loans l ON l.serial_number = d.serial_number AND l.returned_at IS NULL "
    "LEFT JOIN device_reports r ON r.school_number = d.school_number AND r.serial_number = "
    "d.serial_number "
    "WHERE true ";
constexpr const char* kInventoryOrder = "ORDER BY d.school_number, d.serial_number";

// "AND <column> IN (?,?,...) " for the caller's scope.
void append_in(std::string& sql, const char* column, std::size_t count) {
    sql += "AND ";
    sql += column;
    sql += " IN (";
    for (std::size_t i = 0; i < count; ++i) sql += i ? ",?" : "?";
    sql += ") ";
}

// The WHERE terms of a filter on tranches (alias `table`.school_number / grant_id) and their
// binding, in the same order.
std::string tranche_terms(const ReportFilter& f, const char* school_column, const char* grant_column) {
    std::string sql;
    if (f.school_number) sql += std::string("AND ") + school_column + " = ? ";
    if (f.grant_id) sql += std::string("AND ") + grant_column + " = ? ";
    if (f.schools) append_in(sql, school_column, f.schools->size());
    return sql;
}

int bind_tranche_terms(sql::Statement& q, const ReportFilter& f, int index) {
    if (f.school_number) q.bind(index++, *f.school_number);
    if (f.grant_id) q.bind(index++, *f.grant_id);
    if (f.schools) index = sqlutil::bind_all(q, index, *f.schools);
    return index;
}

// Assigns a text column into `out`, reusing its capacity; NULL becomes "".
void assign_text(sql::Statement& q, int column, std::string& out) {
    const auto value = q.getColumn(column);
    const char* text = value.isNull() ? "" : value.getText();
    out.assign(text, static_cast<std::size_t>(value.isNull() ? 0 : value.getBytes()));
}

void count_status(DeviceCounts& c, const std::string& status, const std::optional<std::string>& reason,
                  std::int64_t n) {
    c.enrolled += n;
    if (status == "in_storage") c.in_storage += n;
    else if (status == "in_use") c.in_use += n;
    else if (status == "in_repair") c.in_repair += n;
    else if (status == "lost") c.lost += n;
    else if (status == "stolen") c.stolen += n;
    else if (status == "retired") {
        c.retired += n;
        if (!reason) c.retired_unspecified += n;
        else if (*reason == "lost") c.retired_lost += n;
        else if (*reason == "stolen") c.retired_stolen += n;
        else if (*reason == "damaged_beyond_repair") c.retired_damaged_beyond_repair += n;
        else c.retired_unspecified += n;
    }
}

std::vector<GrantFacts> funding_grants(sql::Db db, const ReportFilter& f) {
    std::string sql = kFundingGrants;
    if (f.grant_id) sql += "AND g.id = ? ";
    if (f.schools) {
        sql += "AND EXISTS (SELECT 1 FROM tranches t WHERE t.grant_id = g.id ";
        append_in(sql, "t.school_number", f.schools->size());
        sql += ") ";
    }
    sql += kFundingGrantsOrder;
    sql::Statement q(db, sql);
    int i = 1;
    if (f.grant_id) q.bind(i++, *f.grant_id);
    if (f.schools) sqlutil::bind_all(q, i, *f.schools);
    std::vector<GrantFacts> out;
    while (q.executeStep()) {
        GrantFacts g;
        g.id = q.getColumn(0).getInt64();
        g.programme_code = q.getColumn(1).getString();
        g.programme_name = q.getColumn(2).getString();
        g.federal_share_pct = q.getColumn(3).getInt();
        g.max_unit_price_cents = sqlutil::optional_int(q, 4);
        g.max_per_school_cents = sqlutil::optional_int(q, 5);
        g.reference = q.getColumn(6).getString();
        g.title = q.getColumn(7).getString();
        g.amount_cents = q.getColumn(8).getInt64();
        g.own_contribution_cents = q.getColumn(9).getInt64();
        g.approved_on = q.getColumn(10).getString();
        g.spend_by = q.getColumn(11).getString();
        g.earmark_end = q.getColumn(12).getString();
        out.push_back(std::move(g));
    }
    return out;
}

std::vector<TrancheFigures> funding_tranche_figures(sql::Db db, const ReportFilter& f) {
    std::vector<TrancheFigures> out;
    {
        sql::Statement q(db, std::string(kFundingTranches) +
                                 tranche_terms(f, "t.school_number", "t.grant_id") +
                                 "ORDER BY t.id");
        bind_tranche_terms(q, f, 1);
        while (q.executeStep()) {
            TrancheFigures t;
            t.tranche_id = q.getColumn(0).getInt64();
            t.grant_id = q.getColumn(1).getInt64();
            t.school_number = q.getColumn(2).getString();
            t.school_name = q.getColumn(3).getString();
            t.unit_price_cents = q.getColumn(4).getInt64();
            t.counts.expected = q.getColumn(5).getInt64();
            t.counts.delivered = q.getColumn(6).getInt64();
            t.counts.on_loan = q.getColumn(7).getInt64();
            out.push_back(std::move(t));
        }
    }
    sql::Statement q(db, kStatusCounts);
    for (TrancheFigures& t : out) {
        q.bind(1, t.tranche_id);
        while (q.executeStep()) {
            count_status(t.counts, q.getColumn(0).getString(), sqlutil::optional_text(q, 1),
                         q.getColumn(2).getInt64());
        }
        q.reset();
    }
    return out;
}

}  // namespace

FundingInputs read_funding_inputs(sql::Db db, const ReportFilter& filter) {
    sql::Transaction snapshot(db, sql::Transaction::Kind::snapshot);
    FundingInputs inputs;
    inputs.grants = funding_grants(db, filter);
    ReportFilter tranches = filter;
    tranches.school_number.reset();
    inputs.tranches = funding_tranche_figures(db, tranches);
    snapshot.commit();
    return inputs;
}

std::vector<RolloutRow> rollout_rows(sql::Db db, const ReportFilter& f,
                                     const std::string& seen_since) {
    sql::Statement q(db, std::string(kRollout) + tranche_terms(f, "t.school_number", "t.grant_id") +
                             "ORDER BY t.id");
    q.bind(1, seen_since);
    // Positional parameters after the named one continue its numbering.
    bind_tranche_terms(q, f, 2);
    std::vector<RolloutRow> out;
    while (q.executeStep()) {
        RolloutRow r;
        r.tranche_id = q.getColumn(0).getInt64();
        r.school_number = q.getColumn(1).getString();
        r.school_name = q.getColumn(2).getString();
        r.grant_id = q.getColumn(3).getInt64();
        r.grant_reference = q.getColumn(4).getString();
        r.programme_code = q.getColumn(5).getString();
        r.model = q.getColumn(6).getString();
        r.delivered_on = q.getColumn(7).getString();
        r.unit_price_cents = q.getColumn(8).getInt64();
        r.expected = q.getColumn(9).getInt64();
        r.in_manifest = q.getColumn(10).getInt64();
        r.enrolled = q.getColumn(11).getInt64();
        r.seen = q.getColumn(12).getInt64();
        r.seen_last_7_days = q.getColumn(13).getInt64();
        r.managed = q.getColumn(14).getInt64();
        r.in_use = q.getColumn(15).getInt64();
        r.loaned = q.getColumn(16).getInt64();
        r.missing = q.getColumn(17).getInt64();
        out.push_back(std::move(r));
    }
    return out;
}

std::vector<EarmarkRow> earmark_rows(sql::Db db, const ReportFilter& f, const std::string& today,
                                     const std::string& unseen_since) {
    std::string sql = kEarmark;
    // A school scope keeps only its tranches, and so only grants with one of them.
    if (f.schools) append_in(sql, "t.school_number", f.schools->size());
    sql += "GROUP BY g.id ORDER BY g.id";
    sql::Statement q(db, sql);
    q.bind(1, unseen_since);
    q.bind(2, today);
    q.bind(3, today);
    if (f.schools) sqlutil::bind_all(q, 4, *f.schools);
    std::vector<EarmarkRow> out;
    while (q.executeStep()) {
        EarmarkRow r;
        r.grant_id = q.getColumn(0).getInt64();
        r.reference = q.getColumn(1).getString();
        r.title = q.getColumn(2).getString();
        r.spend_by = q.getColumn(3).getString();
        r.earmark_end = q.getColumn(4).getString();
        r.enrolled = q.getColumn(5).getInt64();
        r.lost = q.getColumn(6).getInt64();
        r.stolen = q.getColumn(7).getInt64();
        r.unseen = q.getColumn(8).getInt64();
        out.push_back(std::move(r));
    }
    return out;
}

std::string inventory_sql(const ReportFilter& f) {
    std::string sql = kInventory;
    if (f.school_number) sql += "AND d.school_number = ? ";
    if (f.schools) append_in(sql, "d.school_number", f.schools->size());
    return sql + kInventoryOrder;
}

InventoryReader::InventoryReader(sql::Db db, const ReportFilter& f)
    : statement_(std::make_unique<sql::Statement>(db, inventory_sql(f))) {
    statement_->streamRows();  // a state's export does not fit in memory at once
    int i = 1;
    if (f.school_number) statement_->bind(i++, *f.school_number);
    if (f.schools) sqlutil::bind_all(*statement_, i, *f.schools);
}

InventoryReader::~InventoryReader() = default;

bool InventoryReader::next(InventoryRow& row) {
    sql::Statement& q = *statement_;
    if (!q.executeStep()) return false;
    assign_text(q, 0, row.serial_number);
    assign_text(q, 1, row.asset_tag);
    assign_text(q, 2, row.model);
    assign_text(q, 3, row.school_number);
    assign_text(q, 4, row.school_name);
    row.tranche_id = q.getColumn(5).getInt64();
    row.grant_id = q.getColumn(6).getInt64();
    assign_text(q, 7, row.grant_reference);
    assign_text(q, 8, row.programme_code);
    assign_text(q, 9, row.status);
    assign_text(q, 10, row.retired_reason);
    row.on_loan = q.getColumn(11).getInt() != 0;
    assign_text(q, 12, row.loan_due_on);
    assign_text(q, 13, row.last_seen_at);
    assign_text(q, 14, row.os_version);
    if (q.getColumn(15).isNull()) row.managed.reset();
    else row.managed = q.getColumn(15).getInt() != 0;
    return true;
}

}  // namespace pakt::server
