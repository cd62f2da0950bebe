// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "server/storage/connector_repository.hpp"

#include "server/storage/sql.hpp"

namespace pakt::server {
namespace {

using sqlutil::bind_optional;
using sqlutil::optional_int;
using sqlutil::optional_text;

constexpr const char* kInsertRun =
    "INSERT INTO connector_runs (connector, trigger, requested_by, started_at, finished_at, "
    "outcome, calls, retries, counts, conflicts, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "RETURNING id";
constexpr const char* kRunColumns =
    "SELECT id, connector, trigger, requested_by, started_at, finished_at, outcome, calls, "
    "retries, counts, conflicts, error FROM connector_runs ";
// Backwards through the connector's runs (connector_runs_by_connector) to its newest success:
// usually the first row, not a count over years of runs on every /metrics scrape.
constexpr const char* kLastSuccess =
    "SELECT finished_at FROM connector_runs WHERE connector = ? AND outcome = 'ok' "
    "ORDER BY id DESC LIMIT 1";
constexpr const char* kAsmColumns =
    "SELECT serial_number, order_number, order_date_time, part_number, device_model, "
    "product_family, status, added_to_org_at, released_from_org_at, tranche_id FROM asm_devices ";
constexpr const char* kUpsertAsm =
    "INSERT INTO asm_devices (serial_number, order_number, order_date_time, part_number, "
    "device_model, product_family, status, added_to_org_at, released_from_org_at, tranche_id, "
    "first_synced_at, last_synced_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT(serial_number) DO UPDATE SET order_number = excluded.order_number, "
    "order_date_time = excluded.order_date_time, part_number = excluded.part_number, "
    "device_model = excluded.device_model, product_family = excluded.product_family, "
    "status = excluded.status, added_to_org_at = excluded.added_to_org_at, "
    "released_from_org_at = excluded.released_from_org_at, tranche_id = excluded.tranche_id, "
    "last_synced_at = excluded.last_synced_at";
constexpr const char* kReleased =
    "SELECT a.serial_number FROM asm_devices a WHERE a.released_from_org_at IS NOT NULL AND ("
    "EXISTS (SELECT 1 FROM manifest_entries m WHERE m.serial_number = a.serial_number AND "
    "m.tranche_id = ?1) OR EXISTS (SELECT 1 FROM devices d WHERE d.serial_number = "
    "a.serial_number AND d.tranche_id = ?1)) ORDER BY a.serial_number";
constexpr const char* kTrancheOrders =
    "SELECT id, order_number, expected_count FROM tranches WHERE order_number <> '' ORDER BY id";
constexpr const char* kMdmColumns =
    "SELECT serial_number, mdm_id, location, school_number, managed, os_version, battery_pct, "
    "asset_tag, last_mdm_checkin_at FROM mdm_device_states WHERE serial_number = ? AND source = ?";
constexpr const char* kUpsertMdm =
    "INSERT INTO mdm_device_states (serial_number, source, mdm_id, location, school_number, "
    "managed, os_version, battery_pct, asset_tag, last_mdm_checkin_at, synced_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(serial_number, source) DO UPDATE SET "
    "mdm_id = excluded.mdm_id, location = excluded.location, school_number = "
    "excluded.school_number, "
    "managed = excluded.managed, os_version = excluded.os_version, battery_pct = "
    "excluded.battery_pct, "
    "asset_tag = excluded.asset_tag, last_mdm_checkin_at = excluded.last_mdm_checkin_at, "
    "synced_at = excluded.synced_at";
// An agent's sighting of the same serial at the same school stays the agent's (it says more:
// the device was on the school network); the MDM only refreshes the times.
constexpr const char* kUpsertUnknown =
    "INSERT INTO unknown_sightings (school_number, serial_number, first_seen_at, last_seen_at, "
    "agent_id, os_version, source) VALUES (?, ?, ?, ?, 0, ?, ?) "
    "ON CONFLICT(school_number, serial_number) DO UPDATE SET "
    "last_seen_at = max(unknown_sightings.last_seen_at, excluded.last_seen_at), "
    "os_version = coalesce(excluded.os_version, unknown_sightings.os_version), "
    "times_seen = unknown_sightings.times_seen + 1";
constexpr const char* kUpsertUnknownPostgres =
    "INSERT INTO unknown_sightings (school_number, serial_number, first_seen_at, last_seen_at, "
    "agent_id, os_version, source) VALUES (?, ?, ?, ?, 0, ?, ?) "
    "ON CONFLICT(school_number, serial_number) DO UPDATE SET "
    "last_seen_at = greatest(unknown_sightings.last_seen_at, excluded.last_seen_at), "
    "os_version = coalesce(excluded.os_version, unknown_sightings.os_version), "
    "times_seen = unknown_sightings.times_seen + 1";
constexpr const char* kDeleteMovedUnknown =
    "DELETE FROM unknown_sightings WHERE serial_number = ? AND source = ? AND school_number <> ?";

ConnectorRun read_run(sql::Statement& q) {
    ConnectorRun r;
    r.id = q.getColumn(0).getInt64();
    r.connector = q.getColumn(1).getString();
    r.trigger = q.getColumn(2).getString();
    r.requested_by = q.getColumn(3).getString();
    r.started_at = q.getColumn(4).getString();
    r.finished_at = q.getColumn(5).getString();
    r.outcome = q.getColumn(6).getString();
    r.calls = q.getColumn(7).getInt64();
    r.retries = q.getColumn(8).getInt64();
    r.counts = nlohmann::json::parse(q.getColumn(9).getString(), nullptr, false);
    r.conflicts = nlohmann::json::parse(q.getColumn(10).getString(), nullptr, false);
    r.error = optional_text(q, 11);
    return r;
}

}  // namespace

std::int64_t insert_connector_run(sql::Db db, const ConnectorRun& run) {
    sql::Statement q(db, kInsertRun);
    q.bind(1, run.connector);
    q.bind(2, run.trigger);
    q.bind(3, run.requested_by);
    q.bind(4, run.started_at);
    q.bind(5, run.finished_at);
    q.bind(6, run.outcome);
    q.bind(7, run.calls);
    q.bind(8, run.retries);
    q.bind(9, run.counts.dump());
    q.bind(10, run.conflicts.dump());
    bind_optional(q, 11, run.error);
    q.executeStep();
    return q.getColumn(0).getInt64();
}

std::vector<ConnectorRun> list_connector_runs(sql::Db db, const std::string& connector,
                                              std::int64_t before_id, int limit) {
    sql::Statement q(db, std::string(kRunColumns) +
                             "WHERE connector = ? AND (? = 0 OR id < ?) ORDER BY id DESC LIMIT ?");
    q.bind(1, connector);
    q.bind(2, before_id);
    q.bind(3, before_id);
    q.bind(4, limit);
    std::vector<ConnectorRun> out;
    while (q.executeStep()) out.push_back(read_run(q));
    return out;
}

std::optional<std::string> last_successful_run_at(sql::Db db, const std::string& connector) {
    sql::Statement q(db, kLastSuccess);
    q.bind(1, connector);
    if (!q.executeStep()) return std::nullopt;
    return q.getColumn(0).getString();
}

std::optional<StoredAsmDevice> find_asm_device(sql::Db db, const std::string& serial) {
    sql::Statement q(db, std::string(kAsmColumns) + "WHERE serial_number = ?");
    q.bind(1, serial);
    if (!q.executeStep()) return std::nullopt;
    StoredAsmDevice s;
    AsmDevice& d = s.device;
    d.serial_number = q.getColumn(0).getString();
    d.order_number = q.getColumn(1).getString();
    d.order_date_time = optional_text(q, 2);
    d.part_number = q.getColumn(3).getString();
    d.device_model = q.getColumn(4).getString();
    d.product_family = q.getColumn(5).getString();
    d.status = q.getColumn(6).getString();
    d.added_to_org_at = optional_text(q, 7);
    d.released_from_org_at = optional_text(q, 8);
    s.tranche_id = optional_int(q, 9);
    return s;
}

void upsert_asm_device(sql::Db db, const AsmDevice& d, std::optional<std::int64_t> tranche_id,
                       const std::string& now) {
    sql::Statement q(db, kUpsertAsm);
    q.bind(1, d.serial_number);
    q.bind(2, d.order_number);
    bind_optional(q, 3, d.order_date_time);
    q.bind(4, d.part_number);
    q.bind(5, d.device_model);
    q.bind(6, d.product_family);
    q.bind(7, d.status);
    bind_optional(q, 8, d.added_to_org_at);
    bind_optional(q, 9, d.released_from_org_at);
    bind_optional(q, 10, tranche_id);
    q.bind(11, now);
    q.bind(12, now);
    q.exec();
}

std::vector<std::string> released_serials_of_tranche(sql::Db db, std::int64_t tranche_id) {
    sql::Statement q(db, kReleased);
    q.bind(1, tranche_id);
    std::vector<std::string> out;
    while (q.executeStep()) out.push_back(q.getColumn(0).getString());
    return out;
}

std::vector<TrancheOrder> tranches_with_order_numbers(sql::Db db) {
    sql::Statement q(db, kTrancheOrders);
    std::vector<TrancheOrder> out;
    while (q.executeStep()) {
        out.push_back(
            {q.getColumn(0).getInt64(), q.getColumn(1).getString(), q.getColumn(2).getInt64()});
    }
    return out;
}

std::optional<MdmDevice> find_mdm_state(sql::Db db, const std::string& serial,
                                        const std::string& source) {
    sql::Statement q(db, kMdmColumns);
    q.bind(1, serial);
    q.bind(2, source);
    if (!q.executeStep()) return std::nullopt;
    MdmDevice d;
    d.serial_number = q.getColumn(0).getString();
    d.mdm_id = q.getColumn(1).getString();
    d.location = q.getColumn(2).getString();
    d.school_number = optional_text(q, 3);
    d.managed = q.getColumn(4).getInt() != 0;
    d.os_version = optional_text(q, 5);
    d.battery_pct = optional_int(q, 6);
    d.asset_tag = optional_text(q, 7);
    d.last_checkin_at = optional_text(q, 8);
    return d;
}

void upsert_mdm_state(sql::Db db, const MdmDevice& d, const std::string& source,
                      const std::string& now) {
    sql::Statement q(db, kUpsertMdm);
    q.bind(1, d.serial_number);
    q.bind(2, source);
    q.bind(3, d.mdm_id);
    q.bind(4, d.location);
    bind_optional(q, 5, d.school_number);
    q.bind(6, d.managed ? 1 : 0);
    bind_optional(q, 7, d.os_version);
    bind_optional(q, 8, d.battery_pct);
    bind_optional(q, 9, d.asset_tag);
    bind_optional(q, 10, d.last_checkin_at);
    q.bind(11, now);
    q.exec();
}

std::int64_t forget_unlisted_mdm_devices(sql::Db db, const std::string& source,
                                         const std::vector<std::string>& listed) {
    // The listed serials in a temporary table, so the comparison is one indexed pass however
    // many devices the MDM has.
    db.exec(db.pick(
        "CREATE TEMP TABLE IF NOT EXISTS mdm_listed (serial_number TEXT PRIMARY KEY) WITHOUT "
        "ROWID",
        "CREATE TEMP TABLE IF NOT EXISTS mdm_listed (serial_number TEXT COLLATE \"C\" PRIMARY "
        "KEY)"));
    db.exec("DELETE FROM mdm_listed");
    {
        sql::Statement insert(
            db, "INSERT INTO mdm_listed (serial_number) VALUES (?) ON CONFLICT DO NOTHING");
        for (const auto& serial : listed) {
            insert.bind(1, serial);
            insert.exec();
            insert.reset();
        }
    }
    sql::Statement states(db,
                          "DELETE FROM mdm_device_states WHERE source = ? AND serial_number NOT IN "
                          "(SELECT serial_number FROM mdm_listed)");
    states.bind(1, source);
    const int removed = states.exec();
    sql::Statement sightings(db,
                             "DELETE FROM unknown_sightings WHERE source = ? AND serial_number "
                             "NOT IN (SELECT serial_number FROM mdm_listed)");
    sightings.bind(1, source);
    sightings.exec();
    db.exec("DELETE FROM mdm_listed");
    return removed;
}

bool has_device_event(sql::Db db, const std::string& serial, const std::string& kind) {
    sql::Statement q(db,
                     "SELECT 1 FROM device_events WHERE serial_number = ? AND kind = ? LIMIT 1");
    q.bind(1, serial);
    q.bind(2, kind);
    return q.executeStep();
}

void record_mdm_unknown_sighting(sql::Db db, const std::string& school, const std::string& serial,
                                 const std::string& seen_at,
                                 const std::optional<std::string>& os_version,
                                 const std::string& source) {
    sql::Statement moved(db, kDeleteMovedUnknown);
    moved.bind(1, serial);
    moved.bind(2, source);
    moved.bind(3, school);
    moved.exec();
    sql::Statement q(db, db.pick(kUpsertUnknown, kUpsertUnknownPostgres));
    q.bind(1, school);
    q.bind(2, serial);
    q.bind(3, seen_at);
    q.bind(4, seen_at);
    bind_optional(q, 5, os_version);
    q.bind(6, source);
    q.exec();
}

}  // namespace pakt::server
