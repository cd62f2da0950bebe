// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "server/storage/funding_repository.hpp"

#include "common/time.hpp"
#include "server/storage/sql.hpp"

namespace pakt::server {
namespace {

using sqlutil::bind_optional;
using sqlutil::optional_int;

constexpr const char* kProgrammeColumns =
    "SELECT code, name, federal_share_pct, description, max_unit_price_cents, "
    "max_per_school_cents, "
    "funds_devices, created_at FROM programmes ";
constexpr const char* kInsertProgramme =
    "INSERT INTO programmes (code, name, federal_share_pct, description, max_unit_price_cents, "
    "max_per_school_cents, funds_devices, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
constexpr const char* kGrantColumns =
    "SELECT id, programme_code, reference, title, amount_cents, own_contribution_cents, "
    "approved_on, "
    "spend_by, earmark_end, created_at, updated_at FROM grants ";
constexpr const char* kInsertGrant =
    "INSERT INTO grants (programme_code, reference, title, amount_cents, own_contribution_cents, "
    "approved_on, spend_by, earmark_end, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
    "?, ?) RETURNING id";
constexpr const char* kUpdateGrant =
    "UPDATE grants SET reference = ?, title = ?, amount_cents = ?, own_contribution_cents = ?, "
    "approved_on = ?, spend_by = ?, earmark_end = ?, updated_at = ? WHERE id = ?";
constexpr const char* kGrantByReference = "SELECT id FROM grants WHERE reference = ?";

Programme read_programme(sql::Statement& q) {
    Programme p;
    p.code = q.getColumn(0).getString();
    p.name = q.getColumn(1).getString();
    p.federal_share_pct = q.getColumn(2).getInt();
    p.description = q.getColumn(3).getString();
    p.max_unit_price_cents = optional_int(q, 4);
    p.max_per_school_cents = optional_int(q, 5);
    p.funds_devices = q.getColumn(6).getInt() != 0;
    p.created_at = q.getColumn(7).getString();
    return p;
}

Grant read_grant(sql::Statement& q) {
    Grant g;
    g.id = q.getColumn(0).getInt64();
    g.programme_code = q.getColumn(1).getString();
    g.reference = q.getColumn(2).getString();
    g.title = q.getColumn(3).getString();
    g.amount_cents = q.getColumn(4).getInt64();
    g.own_contribution_cents = q.getColumn(5).getInt64();
    g.approved_on = q.getColumn(6).getString();
    g.spend_by = q.getColumn(7).getString();
    g.earmark_end = q.getColumn(8).getString();
    g.created_at = q.getColumn(9).getString();
    g.updated_at = q.getColumn(10).getString();
    return g;
}

}  // namespace

std::vector<Programme> list_programmes(sql::Db db) {
    sql::Statement q(db, std::string(kProgrammeColumns) + "ORDER BY code");
    std::vector<Programme> out;
    while (q.executeStep()) out.push_back(read_programme(q));
    return out;
}

std::optional<Programme> find_programme(sql::Db db, const std::string& code) {
    sql::Statement q(db, std::string(kProgrammeColumns) + "WHERE code = ?");
    q.bind(1, code);
    if (!q.executeStep()) return std::nullopt;
    return read_programme(q);
}

void insert_programme(sql::Db db, const Programme& p) {
    sql::Statement q(db, kInsertProgramme);
    q.bind(1, p.code);
    q.bind(2, p.name);
    q.bind(3, p.federal_share_pct);
    q.bind(4, p.description);
    bind_optional(q, 5, p.max_unit_price_cents);
    bind_optional(q, 6, p.max_per_school_cents);
    q.bind(7, p.funds_devices ? 1 : 0);
    q.bind(8, now_rfc3339());
    q.exec();
}

std::vector<Grant> list_grants(sql::Db db, std::int64_t after_id, int limit,
                               const std::optional<std::string>& programme_code) {
    std::string sql = std::string(kGrantColumns) + "WHERE id > ? ";
    if (programme_code) sql += "AND programme_code = ? ";
    sql += "ORDER BY id LIMIT ?";
    sql::Statement q(db, sql);
    int i = 1;
    q.bind(i++, after_id);
    if (programme_code) q.bind(i++, *programme_code);
    q.bind(i, limit);
    std::vector<Grant> out;
    while (q.executeStep()) out.push_back(read_grant(q));
    return out;
}

std::optional<Grant> find_grant(sql::Db db, std::int64_t id) {
    sql::Statement q(db, std::string(kGrantColumns) + "WHERE id = ?");
    q.bind(1, id);
    if (!q.executeStep()) return std::nullopt;
    return read_grant(q);
}

std::optional<std::int64_t> find_grant_by_reference(sql::Db db, const std::string& reference) {
    sql::Statement q(db, kGrantByReference);
    q.bind(1, reference);
    if (!q.executeStep()) return std::nullopt;
    return q.getColumn(0).getInt64();
}

std::int64_t insert_grant(sql::Db db, const Grant& g) {
    const std::string now = now_rfc3339();
    sql::Statement q(db, kInsertGrant);
    q.bind(1, g.programme_code);
    q.bind(2, g.reference);
    q.bind(3, g.title);
    q.bind(4, g.amount_cents);
    q.bind(5, g.own_contribution_cents);
    q.bind(6, g.approved_on);
    q.bind(7, g.spend_by);
    q.bind(8, g.earmark_end);
    q.bind(9, now);
    q.bind(10, now);
    q.executeStep();
    return q.getColumn(0).getInt64();
}

void update_grant(sql::Db db, const Grant& g) {
    sql::Statement q(db, kUpdateGrant);
    q.bind(1, g.reference);
    q.bind(2, g.title);
    q.bind(3, g.amount_cents);
    q.bind(4, g.own_contribution_cents);
    q.bind(5, g.approved_on);
    q.bind(6, g.spend_by);
    q.bind(7, g.earmark_end);
    q.bind(8, now_rfc3339());
    q.bind(9, g.id);
    q.exec();
}

}  // namespace pakt::server
