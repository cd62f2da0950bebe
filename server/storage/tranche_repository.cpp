// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "server/storage/tranche_repository.hpp"

#include "common/time.hpp"
#include "server/storage/sql.hpp"

namespace pakt::server {
namespace {


constexpr const char* kColumns =
    "SELECT tranches.id, school_number, grant_id, supplier, order_number, delivery_note, delivered_on, "
    "model, unit_price_cents, expected_count, tranches.created_at, tranches.updated_at, g.reference, "
    "g.programme_code FROM tranches LEFT JOIN grants g ON g.id = tranches.grant_id ";
constexpr const char* kInsert =
    "INSERT INTO tranches (school_number, grant_id, supplier, order_number, delivery_note, "
    "delivered_on, model, unit_price_cents, expected_count, created_at, updated_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id";
constexpr const char* kUpdate =
    "UPDATE tranches SET supplier = ?, order_number = ?, delivery_note = ?, delivered_on = ?, "
    "model = ?, unit_price_cents = ?, expected_count = ?, updated_at = ? WHERE id = ?";
constexpr const char* kProgress =
    "SELECT "
    " (SELECT count(*) FROM manifest_entries WHERE tranche_id = ?1),"
    " (SELECT count(*) FROM devices WHERE tranche_id = ?1),"
    " (SELECT count(*) FROM devices d LEFT JOIN device_reports r ON r.school_number = "
    "d.school_number AND r.serial_number = d.serial_number"
    "   WHERE d.tranche_id = ?1 AND " PAKT_MANAGED_SQL
    " = 1),"
    " (SELECT count(*) FROM devices d JOIN device_reports r ON r.school_number = d.school_number "
    "AND r.serial_number = d.serial_number"
    "   WHERE d.tranche_id = ?1 AND r.seen_at >= ?2),"
    " (SELECT count(*) FROM devices d JOIN loans l ON l.serial_number = d.serial_number"
    "   AND l.returned_at IS NULL WHERE d.tranche_id = ?1),"
    " (SELECT count(*) FROM manifest_entries m WHERE m.tranche_id = ?1"
    "   AND NOT EXISTS (SELECT 1 FROM devices d WHERE d.serial_number = m.serial_number))";
constexpr const char* kManifestTrancheOf = "SELECT tranche_id FROM manifest_entries WHERE serial_number = ?";
constexpr const char* kManifestEntry =
    "SELECT tranche_id, model, asset_tag, imei FROM manifest_entries WHERE serial_number = ?";
constexpr const char* kManifestSize = "SELECT count(*) FROM manifest_entries WHERE tranche_id = ?";
constexpr const char* kInsertManifest =
    "INSERT INTO manifest_entries (serial_number, tranche_id, model, asset_tag, imei, added_at) "
    "VALUES (?, ?, ?, ?, ?, ?)";
constexpr const char* kMissing =
    "SELECT m.serial_number FROM manifest_entries m WHERE m.tranche_id = ? AND NOT EXISTS "
    "(SELECT 1 FROM devices d WHERE d.serial_number = m.serial_number) ORDER BY m.serial_number";
constexpr const char* kUnexpected =
    "SELECT d.serial_number FROM devices d WHERE d.tranche_id = ? AND NOT EXISTS "
    "(SELECT 1 FROM manifest_entries m WHERE m.serial_number = d.serial_number AND m.tranche_id = d.tranche_id) "
    "ORDER BY d.serial_number";
constexpr const char* kNotSeen =
    "SELECT d.serial_number FROM devices d WHERE d.tranche_id = ? AND NOT EXISTS "
    "(SELECT 1 FROM device_reports r WHERE r.school_number = d.school_number AND r.serial_number = d.serial_number AND r.seen_at >= ?) "
    "ORDER BY d.serial_number";

Tranche read_tranche(sql::Statement& q) {
    Tranche t;
    t.id = q.getColumn(0).getInt64();
    t.school_number = q.getColumn(1).getString();
    t.grant_id = q.getColumn(2).getInt64();
    t.supplier = q.getColumn(3).getString();
    t.order_number = q.getColumn(4).getString();
    t.delivery_note = q.getColumn(5).getString();
    t.delivered_on = q.getColumn(6).getString();
    t.model = q.getColumn(7).getString();
    t.unit_price_cents = q.getColumn(8).getInt64();
    t.expected_count = q.getColumn(9).getInt64();
    t.created_at = q.getColumn(10).getString();
    t.updated_at = q.getColumn(11).getString();
    t.grant_reference = q.getColumn(12).getString();
    t.programme_code = q.getColumn(13).getString();
    return t;
}

std::vector<std::string> serials(sql::Statement& q) {
    std::vector<std::string> out;
    while (q.executeStep()) out.push_back(q.getColumn(0).getString());
    return out;
}

}  // namespace

std::int64_t insert_tranche(sql::Db db, const Tranche& t) {
    const std::string now = now_rfc3339();
    sql::Statement q(db, kInsert);
    q.bind(1, t.school_number);
    q.bind(2, t.grant_id);
    q.bind(3, t.supplier);
    q.bind(4, t.order_number);
    q.bind(5, t.delivery_note);
    q.bind(6, t.delivered_on);
    q.bind(7, t.model);
    q.bind(8, t.unit_price_cents);
    q.bind(9, t.expected_count);
    q.bind(10, now);
    q.bind(11, now);
    q.executeStep();
    return q.getColumn(0).getInt64();
}

std::optional<Tranche> find_tranche(sql::Db db, std::int64_t id) {
    sql::Statement q(db, std::string(kColumns) + "WHERE tranches.id = ?");
    q.bind(1, id);
    if (!q.executeStep()) return std::nullopt;
    return read_tranche(q);
}

void update_tranche(sql::Db db, const Tranche& t) {
    sql::Statement q(db, kUpdate);
    q.bind(1, t.supplier);
    q.bind(2, t.order_number);
    q.bind(3, t.delivery_note);
    q.bind(4, t.delivered_on);
    q.bind(5, t.model);
    q.bind(6, t.unit_price_cents);
    q.bind(7, t.expected_count);
    q.bind(8, now_rfc3339());
    q.bind(9, t.id);
    q.exec();
}

std::vector<Tranche> list_tranches(sql::Db db, const TrancheFilter& f) {
    std::string sql = std::string(kColumns) + "WHERE tranches.id > ? ";
    if (f.school_number) sql += "AND school_number = ? ";
    if (f.grant_id) sql += "AND grant_id = ? ";
    if (f.schools) {
        sql += sqlutil::school_in_clause(f.schools->size());
    }
    sql += "ORDER BY tranches.id LIMIT ?";
    sql::Statement q(db, sql);
    int i = 1;
    q.bind(i++, f.after_id);
    if (f.school_number) q.bind(i++, *f.school_number);
    if (f.grant_id) q.bind(i++, *f.grant_id);
    if (f.schools) i = sqlutil::bind_all(q, i, *f.schools);
    q.bind(i, f.limit);
    std::vector<Tranche> out;
    while (q.executeStep()) out.push_back(read_tranche(q));
    return out;
}

TrancheProgress tranche_progress(sql::Db db, std::int64_t tranche_id,
                                 const std::string& seen_since) {
    sql::Statement q(db, kProgress);
    q.bind(1, tranche_id);
    q.bind(2, seen_since);
    q.executeStep();
    TrancheProgress p;
    p.in_manifest = q.getColumn(0).getInt64();
    p.enrolled = q.getColumn(1).getInt64();
    p.managed = q.getColumn(2).getInt64();
    p.seen_last_7_days = q.getColumn(3).getInt64();
    p.loaned = q.getColumn(4).getInt64();
    p.missing = q.getColumn(5).getInt64();
    if (auto t = find_tranche(db, tranche_id)) p.expected = t->expected_count;
    return p;
}

std::optional<std::int64_t> manifest_tranche_of(sql::Db db, const std::string& serial) {
    sql::Statement q(db, kManifestTrancheOf);
    q.bind(1, serial);
    if (!q.executeStep()) return std::nullopt;
    return q.getColumn(0).getInt64();
}

std::optional<ManifestEntry> find_manifest_entry(sql::Db db, const std::string& serial) {
    sql::Statement q(db, kManifestEntry);
    q.bind(1, serial);
    if (!q.executeStep()) return std::nullopt;
    ManifestEntry e;
    e.tranche_id = q.getColumn(0).getInt64();
    e.row.serial_number = serial;
    e.row.model = q.getColumn(1).getString();
    e.row.asset_tag = q.getColumn(2).getString();
    e.row.imei = q.getColumn(3).getString();
    return e;
}

std::int64_t manifest_size(sql::Db db, std::int64_t tranche_id) {
    sql::Statement q(db, kManifestSize);
    q.bind(1, tranche_id);
    q.executeStep();
    return q.getColumn(0).getInt64();
}

void insert_manifest_entries(sql::Db db, std::int64_t tranche_id,
                             const std::vector<ManifestRow>& rows) {
    sql::Statement q(db, kInsertManifest);
    const std::string now = now_rfc3339();
    for (const auto& row : rows) {
        q.bind(1, row.serial_number);
        q.bind(2, tranche_id);
        q.bind(3, row.model);
        q.bind(4, row.asset_tag);
        q.bind(5, row.imei);
        q.bind(6, now);
        q.exec();
        q.reset();
    }
}

Reconciliation reconcile_tranche(sql::Db db, std::int64_t tranche_id,
                                 const std::string& seen_since) {
    Reconciliation r;
    sql::Statement missing(db, kMissing);
    missing.bind(1, tranche_id);
    r.missing = serials(missing);
    sql::Statement unexpected(db, kUnexpected);
    unexpected.bind(1, tranche_id);
    r.unexpected = serials(unexpected);
    sql::Statement not_seen(db, kNotSeen);
    not_seen.bind(1, tranche_id);
    not_seen.bind(2, seen_since);
    r.not_seen = serials(not_seen);
    return r;
}

}  // namespace pakt::server
