// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "server/storage/agent_repository.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/time.hpp"
#include "server/domain/checkin.hpp"
#include "server/domain/inventory.hpp"
#include "server/storage/sql.hpp"
#include "server/storage/statement_cache.hpp"

namespace pakt::server {
namespace {

using sqlutil::bind_optional;
using sqlutil::optional_text;

constexpr const char* kInsertSecret =
    "INSERT INTO agent_secrets (school_number, secret_hash, created_at, created_by, expires_at, "
    "max_uses) VALUES (?, ?, ?, ?, ?, ?) RETURNING id";
constexpr const char* kSecretColumns =
    "SELECT id, school_number, created_at, created_by, expires_at, revoked_at, max_uses, uses "
    "FROM agent_secrets ";
constexpr const char* kUseSecret =
    "UPDATE agent_secrets SET uses = uses + 1 WHERE id = ? AND uses < max_uses";
constexpr const char* kRevokeSecret =
    "UPDATE agent_secrets SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL";
constexpr const char* kInsertAgent =
    "INSERT INTO agents (school_number, hostname, agent_version, node_key_hash, secret_id, "
    "enrolled_at) "
    "VALUES (?, ?, ?, ?, ?, ?) RETURNING id";
constexpr const char* kAgentColumns =
    "SELECT id, school_number, hostname, agent_version, enrolled_at, last_checkin_at, revoked_at "
    "FROM agents ";
// checkin_interval_s() and the state rule in SQL, with ?1 the base interval, ?2 its spread and
// ?3 the current Unix time. They stand in the column list, before every other parameter, so the
// plain '?' that follow are numbered from 4 on.
// (max is SQLite's scalar maximum; PostgreSQL's is greatest. unixepoch is SQLite's; PostgreSQL
// gets one of the same name from its migrations.)
std::string interval_sql(bool postgres) {
    return std::string(postgres ? "greatest" : "max") +
           "(1, ?1 + CASE WHEN ?2 = 0 THEN 0 ELSE (id * 7919) % (2 * ?2 + 1) - ?2 END)";
}

std::string make_agent_list_columns(bool postgres) {
    const std::string interval = interval_sql(postgres);
    return "SELECT id, school_number, hostname, agent_version, enrolled_at, last_checkin_at, "
           "revoked_at, " +
           interval +
           " AS checkin_interval_s, CASE WHEN last_checkin_at IS NULL THEN 'silent' "
           "WHEN ?3 - unixepoch(last_checkin_at) <= 2 * " +
           interval +
           " + 60 THEN 'on_time' "
           "WHEN ?3 - unixepoch(last_checkin_at) <= 12 * " +
           interval +
           " THEN 'late' "
           "ELSE 'silent' END AS state FROM agents ";
}

// The list's query up to its WHERE. PostgreSQL does not let WHERE name a column alias (state), so
// there the filters apply to the columns as a subquery.
const std::string& agent_list_columns(sql::Db db) {
    static const std::string sqlite = make_agent_list_columns(false);
    static const std::string postgres =
        "SELECT * FROM (" + make_agent_list_columns(true) + ") AS listed ";
    return db.postgres() ? postgres : sqlite;
}

constexpr const char* kRevokeAgent =
    "UPDATE agents SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL";
constexpr const char* kFindCheckin =
    "SELECT agent_id, accepted, unknown_serials FROM checkin_reports WHERE report_id = ?";
constexpr const char* kInsertCheckin =
    "INSERT INTO checkin_reports (report_id, agent_id, received_at, generated_at, device_count, "
    "accepted, "
    "unknown_serials) VALUES (?, ?, ?, ?, ?, ?, ?)";
constexpr const char* kTouchAgent =
    "UPDATE agents SET last_checkin_at = ?, agent_version = ? WHERE id = ?";
// A reported device's last report, by key: a check-in reads what it reports, not its school's
// whole inventory (which made a check-in's cost grow with the school's size). The foreign key from
// device_reports to devices(school_number, serial_number) means a report row exists only for a
// device enrolled at that school, so for a device seen before (nearly every row of a check-in)
// this one lookup, on the page the upsert then rewrites, is all the reading a row needs.
constexpr const char* kReportState =
    "SELECT seen_at, os_version FROM device_reports WHERE school_number = ? AND serial_number = ?";
// A device without a report: whether it is enrolled at the agent's school. Through
// devices_by_school, where the school's devices lie together like their reports, rather than the
// primary key, where random serial numbers scatter them.
constexpr const char* kEnrolledHere =
    "SELECT 1 FROM devices INDEXED BY devices_by_school "
    "WHERE school_number = ? AND serial_number = ?";
constexpr const char* kEnrolledHerePostgres =  // no INDEXED BY: the planner has statistics
    "SELECT 1 FROM devices WHERE school_number = ? AND serial_number = ?";
// Whether a device not enrolled at the agent's school is enrolled anywhere.
constexpr const char* kDeviceEnrolled = "SELECT 1 FROM devices WHERE serial_number = ?";
// Reports may arrive out of order (an agent's spool, retries): only a newer sighting replaces
// the stored one. A report's rows are written kUpsertChunk to a statement: SQLite then runs one
// statement per chunk instead of one per device, which about halves the cost of the writer's
// largest piece of work. Rows are applied in order, so a serial repeated in a report ends as its
// newest sighting either way.
constexpr std::size_t kUpsertChunk = 50;
constexpr const char* kUpsertInto =
    "INSERT INTO device_reports (school_number, serial_number, agent_id, seen_at, os_version, "
    "battery_pct, "
    "storage_free_mb, managed, ip_address, report_id, updated_at) VALUES ";
constexpr const char* kUpsertRow = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr int kUpsertColumns = 11;
constexpr const char* kUpsertOnConflict =
    " ON CONFLICT(school_number, serial_number) DO UPDATE SET agent_id = excluded.agent_id, "
    "seen_at = excluded.seen_at, "
    "os_version = excluded.os_version, battery_pct = excluded.battery_pct, "
    "storage_free_mb = excluded.storage_free_mb, managed = excluded.managed, ip_address = "
    "excluded.ip_address, "
    "report_id = excluded.report_id, updated_at = excluded.updated_at "
    "WHERE excluded.seen_at >= device_reports.seen_at";

std::string upsert_sql(std::size_t rows) {
    std::string sql = kUpsertInto;
    for (std::size_t i = 0; i < rows; ++i) {
        if (i > 0) sql += ", ";
        sql += kUpsertRow;
    }
    return sql + kUpsertOnConflict;
}

constexpr const char* kUpsertUnknown =
    "INSERT INTO unknown_sightings (school_number, serial_number, first_seen_at, last_seen_at, "
    "agent_id, "
    "ip_address, os_version) VALUES (?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT(school_number, serial_number) DO UPDATE SET "
    "last_seen_at = max(unknown_sightings.last_seen_at, excluded.last_seen_at), "
    "first_seen_at = min(unknown_sightings.first_seen_at, excluded.first_seen_at), "
    "agent_id = excluded.agent_id, "
    "ip_address = coalesce(excluded.ip_address, unknown_sightings.ip_address), "
    "os_version = coalesce(excluded.os_version, unknown_sightings.os_version), "
    "times_seen = unknown_sightings.times_seen + 1";
constexpr const char* kUpsertUnknownPostgres =
    "INSERT INTO unknown_sightings (school_number, serial_number, first_seen_at, last_seen_at, "
    "agent_id, ip_address, os_version) VALUES (?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT(school_number, serial_number) DO UPDATE SET "
    "last_seen_at = greatest(unknown_sightings.last_seen_at, excluded.last_seen_at), "
    "first_seen_at = least(unknown_sightings.first_seen_at, excluded.first_seen_at), "
    "agent_id = excluded.agent_id, "
    "ip_address = coalesce(excluded.ip_address, unknown_sightings.ip_address), "
    "os_version = coalesce(excluded.os_version, unknown_sightings.os_version), "
    "times_seen = unknown_sightings.times_seen + 1";
constexpr const char* kInsertEvent =
    "INSERT INTO device_events (serial_number, at, kind, actor, detail) VALUES (?, ?, ?, ?, ?)";
constexpr const char* kPrune = "DELETE FROM checkin_reports WHERE received_at < ?";
constexpr const char* kUnknownColumns =
    "SELECT serial_number, first_seen_at, last_seen_at, agent_id, ip_address, os_version, "
    "times_seen, "
    "source FROM unknown_sightings WHERE school_number = ? AND serial_number > ? ORDER BY "
    "serial_number LIMIT ?";

AgentSecret read_secret(sql::Statement& q) {
    AgentSecret s;
    s.id = q.getColumn(0).getInt64();
    s.school_number = q.getColumn(1).getString();
    s.created_at = q.getColumn(2).getString();
    s.created_by = q.getColumn(3).getString();
    s.expires_at = q.getColumn(4).getString();
    s.revoked_at = optional_text(q, 5);
    s.max_uses = q.getColumn(6).getInt();
    s.uses = q.getColumn(7).getInt();
    return s;
}

Agent read_agent(sql::Statement& q) {
    Agent a;
    a.id = q.getColumn(0).getInt64();
    a.school_number = q.getColumn(1).getString();
    a.hostname = q.getColumn(2).getString();
    a.agent_version = q.getColumn(3).getString();
    a.enrolled_at = q.getColumn(4).getString();
    a.last_checkin_at = optional_text(q, 5);
    a.revoked_at = optional_text(q, 6);
    return a;
}

// Binds one device's row at column offset `base` of an upsert statement. The rows are the agent's
// school's (the caller checked), so its school number is theirs.
void bind_report_row(sql::Statement& q, int base, const DeviceObservation& o, const Agent& agent,
                     const std::string& report_id, const std::string& now) {
    q.bindNoCopy(base + 1, agent.school_number);
    q.bindNoCopy(base + 2, o.serial_number);
    q.bind(base + 3, agent.id);
    q.bindNoCopy(base + 4, o.seen_at);
    if (o.os_version)
        q.bindNoCopy(base + 5, *o.os_version);
    else
        q.bind(base + 5);
    bind_optional(q, base + 6, o.battery_pct);
    bind_optional(q, base + 7, o.storage_free_mb);
    if (o.managed)
        q.bind(base + 8, *o.managed ? 1 : 0);
    else
        q.bind(base + 8);
    if (o.ip_address)
        q.bindNoCopy(base + 9, *o.ip_address);
    else
        q.bind(base + 9);
    q.bindNoCopy(base + 10, report_id);
    q.bindNoCopy(base + 11, now);
}

// The rows that decide each device's stored sighting: for a serial listed more than once, only
// its newest sighting (the last of equally new ones), where it stood. PostgreSQL refuses a
// statement that upserts one key twice; SQLite applies the rows in order to the same end.
std::vector<const DeviceObservation*> newest_per_device(
    const std::vector<const DeviceObservation*>& rows) {
    std::unordered_map<std::string_view, std::size_t> newest;
    newest.reserve(rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const auto [it, added] = newest.try_emplace(rows[i]->serial_number, i);
        if (!added && rows[i]->seen_at >= rows[it->second]->seen_at) it->second = i;
    }
    if (newest.size() == rows.size()) return rows;
    std::vector<const DeviceObservation*> kept;
    kept.reserve(newest.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
        if (newest.at(rows[i]->serial_number) == i) kept.push_back(rows[i]);
    }
    return kept;
}

// The latest report of each device, kUpsertChunk rows per statement and the rest one by one.
void store_device_reports(sql::Db db, const Agent& agent, const std::string& report_id,
                          const std::string& now,
                          const std::vector<const DeviceObservation*>& all_rows) {
    const std::vector<const DeviceObservation*> deduplicated =
        db.postgres() ? newest_per_device(all_rows) : std::vector<const DeviceObservation*>{};
    const auto& rows = db.postgres() ? deduplicated : all_rows;
    static const std::string chunk_sql = upsert_sql(kUpsertChunk);
    static const std::string row_sql = upsert_sql(1);
    std::size_t next = 0;
    if (rows.size() >= kUpsertChunk) {
        PreparedStatement chunk(db, chunk_sql.c_str());
        for (; next + kUpsertChunk <= rows.size(); next += kUpsertChunk) {
            chunk->reset();
            for (std::size_t i = 0; i < kUpsertChunk; ++i) {
                bind_report_row(*chunk, static_cast<int>(i) * kUpsertColumns, *rows[next + i],
                                agent, report_id, now);
            }
            chunk->exec();
        }
    }
    if (next == rows.size()) return;
    PreparedStatement single(db, row_sql.c_str());
    for (; next < rows.size(); ++next) {
        single->reset();
        bind_report_row(*single, 0, *rows[next], agent, report_id, now);
        single->exec();
    }
}

}  // namespace

std::int64_t insert_agent_secret(sql::Db db, const std::string& school_number,
                                 const std::string& secret_hash, const std::string& created_by,
                                 const std::string& expires_at, int max_uses) {
    sql::Statement q(db, kInsertSecret);
    q.bind(1, school_number);
    q.bind(2, secret_hash);
    q.bind(3, now_rfc3339());
    q.bind(4, created_by);
    q.bind(5, expires_at);
    q.bind(6, max_uses);
    q.executeStep();
    return q.getColumn(0).getInt64();
}

std::optional<AgentSecret> find_agent_secret_by_hash(sql::Db db, const std::string& secret_hash) {
    sql::Statement q(db, std::string(kSecretColumns) + "WHERE secret_hash = ?");
    q.bind(1, secret_hash);
    if (!q.executeStep()) return std::nullopt;
    return read_secret(q);
}

bool use_agent_secret(sql::Db db, std::int64_t id) {
    sql::Statement q(db, kUseSecret);
    q.bind(1, id);
    return q.exec() > 0;
}

std::optional<AgentSecret> find_agent_secret(sql::Db db, std::int64_t id) {
    sql::Statement q(db, std::string(kSecretColumns) + "WHERE id = ?");
    q.bind(1, id);
    if (!q.executeStep()) return std::nullopt;
    return read_secret(q);
}

std::optional<AgentSecret> find_usable_agent_secret(sql::Db db, const std::string& secret_hash,
                                                    const std::string& now) {
    sql::Statement q(db, std::string(kSecretColumns) +
                             "WHERE secret_hash = ? AND revoked_at IS NULL AND expires_at > ? "
                             "AND uses < max_uses");
    q.bind(1, secret_hash);
    q.bind(2, now);
    if (!q.executeStep()) return std::nullopt;
    return read_secret(q);
}

std::vector<AgentSecret> list_agent_secrets(sql::Db db, const std::string& school_number) {
    sql::Statement q(db, std::string(kSecretColumns) + "WHERE school_number = ? ORDER BY id");
    q.bind(1, school_number);
    std::vector<AgentSecret> out;
    while (q.executeStep()) out.push_back(read_secret(q));
    return out;
}

void revoke_agent_secret(sql::Db db, std::int64_t id, const std::string& now) {
    sql::Statement q(db, kRevokeSecret);
    q.bind(1, now);
    q.bind(2, id);
    q.exec();
}

std::int64_t insert_agent(sql::Db db, const Agent& agent, const std::string& node_key_hash,
                          std::int64_t secret_id) {
    sql::Statement q(db, kInsertAgent);
    q.bind(1, agent.school_number);
    q.bind(2, agent.hostname);
    q.bind(3, agent.agent_version);
    q.bind(4, node_key_hash);
    q.bind(5, secret_id);
    q.bind(6, now_rfc3339());
    q.executeStep();
    return q.getColumn(0).getInt64();
}

std::optional<Agent> find_agent(sql::Db db, std::int64_t id) {
    sql::Statement q(db, std::string(kAgentColumns) + "WHERE id = ?");
    q.bind(1, id);
    if (!q.executeStep()) return std::nullopt;
    return read_agent(q);
}

std::optional<Agent> find_agent_by_node_key(sql::Db db, const std::string& node_key_hash) {
    sql::Statement q(db,
                     std::string(kAgentColumns) + "WHERE node_key_hash = ? AND revoked_at IS NULL");
    q.bind(1, node_key_hash);
    if (!q.executeStep()) return std::nullopt;
    return read_agent(q);
}

std::vector<ListedAgent> list_agents(sql::Db db, const AgentFilter& f) {
    std::string sql = agent_list_columns(db) + "WHERE id > ? ";
    if (f.school_number) sql += "AND school_number = ? ";
    if (f.schools) {
        sql += sqlutil::school_in_clause(f.schools->size());
    }
    if (f.state) sql += "AND revoked_at IS NULL AND state = ? ";
    sql += "ORDER BY id LIMIT ?";
    sql::Statement q(db, sql);
    q.bind(1, f.base_interval_s);
    q.bind(2, f.base_interval_s / 10);
    q.bind(3,
           static_cast<std::int64_t>(
               std::chrono::duration_cast<std::chrono::seconds>(f.now.time_since_epoch()).count()));
    int i = 4;
    q.bind(i++, f.after_id);
    if (f.school_number) q.bind(i++, *f.school_number);
    if (f.schools) i = sqlutil::bind_all(q, i, *f.schools);
    if (f.state) q.bind(i++, *f.state);
    q.bind(i, f.limit);
    std::vector<ListedAgent> out;
    while (q.executeStep()) {
        ListedAgent row{read_agent(q), q.getColumn(7).getInt64(), q.getColumn(8).getString()};
        out.push_back(std::move(row));
    }
    return out;
}

void revoke_agent(sql::Db db, std::int64_t id, const std::string& now) {
    sql::Statement q(db, kRevokeAgent);
    q.bind(1, now);
    q.bind(2, id);
    q.exec();
}

std::optional<CheckinRecord> find_checkin(sql::Db db, const std::string& report_id) {
    PreparedStatement q(db, kFindCheckin);
    q->bind(1, report_id);
    if (!q->executeStep()) return std::nullopt;
    CheckinRecord r;
    r.agent_id = q->getColumn(0).getInt64();
    r.accepted = q->getColumn(1).getInt64();
    auto list = nlohmann::json::parse(q->getColumn(2).getString(), nullptr, false);
    if (list.is_array()) {
        for (const auto& s : list) {
            if (s.is_string()) r.unknown_serials.push_back(s.get<std::string>());
        }
    }
    return r;
}

void reported_device_states(sql::Db db, const std::string& school_number,
                            const std::vector<const std::string*>& serials,
                            std::vector<ReportedDeviceState>& out) {
    out.assign(serials.size(), ReportedDeviceState{});
    PreparedStatement state(db, kReportState);
    PreparedStatement here(db, db.pick(kEnrolledHere, kEnrolledHerePostgres));
    PreparedStatement enrolled(db, kDeviceEnrolled);
    for (std::size_t i = 0; i < serials.size(); ++i) {
        const std::string& serial = *serials[i];
        ReportedDeviceState& s = out[i];
        state->reset();
        state->bindNoCopy(1, school_number);
        state->bindNoCopy(2, serial);
        if (state->executeStep()) {
            s.where = ReportedDeviceState::Where::this_school;
            s.reported = true;
            const sql::Column seen = state->getColumn(0);
            const char* text = seen.getText();  // before getBytes, as SQLite documents
            s.seen_at.assign(text, static_cast<std::size_t>(seen.getBytes()));
            s.os_version = optional_text(*state, 1);
            continue;
        }
        here->reset();
        here->bindNoCopy(1, school_number);
        here->bindNoCopy(2, serial);
        if (here->executeStep()) {
            s.where = ReportedDeviceState::Where::this_school;  // enrolled here, never reported
            continue;
        }
        enrolled->reset();
        enrolled->bindNoCopy(1, serial);
        s.where = enrolled->executeStep() ? ReportedDeviceState::Where::other_school
                                          : ReportedDeviceState::Where::nowhere;
    }
}

void write_checkin(sql::Db db, const Agent& agent, const CheckinReport& report,
                   const std::string& now, const CheckinChanges& changes,
                   const CheckinOutcome& outcome) {
    PreparedStatement unknown(db, db.pick(kUpsertUnknown, kUpsertUnknownPostgres));
    for (const DeviceObservation* o : changes.unknown) {
        unknown->reset();
        unknown->bindNoCopy(1, agent.school_number);
        unknown->bindNoCopy(2, o->serial_number);
        unknown->bindNoCopy(3, o->seen_at);
        unknown->bindNoCopy(4, o->seen_at);
        unknown->bind(5, agent.id);
        bind_optional(*unknown, 6, o->ip_address);
        bind_optional(*unknown, 7, o->os_version);
        unknown->exec();
    }
    if (!changes.events.empty()) {
        PreparedStatement event(db, kInsertEvent);
        const std::string actor = "agent:" + std::to_string(agent.id);
        for (const CheckinEvent& e : changes.events) {
            event->reset();
            event->bindNoCopy(1, e.serial_number);
            event->bindNoCopy(2, now);
            event->bindNoCopy(3, e.kind);
            event->bindNoCopy(4, actor);
            event->bindNoCopy(5, e.detail);
            event->exec();
        }
    }

    store_device_reports(db, agent, report.report_id, now, changes.stored);

    PreparedStatement record(db, kInsertCheckin);
    record->bind(1, report.report_id);
    record->bind(2, agent.id);
    record->bind(3, now);
    record->bind(4, report.generated_at);
    record->bind(5, static_cast<std::int64_t>(report.devices.size()));
    record->bind(6, outcome.accepted);
    record->bind(7, nlohmann::json(outcome.unknown_serials).dump());
    record->exec();
    PreparedStatement touch(db, kTouchAgent);
    touch->bind(1, now);
    touch->bind(2, report.agent_version);
    touch->bind(3, agent.id);
    touch->exec();
}

int prune_checkins(sql::Db db, const std::string& before) {
    sql::Statement q(db, kPrune);
    q.bind(1, before);
    return q.exec();
}

std::vector<UnknownSighting> list_unknown_sightings(sql::Db db, const std::string& school_number,
                                                    const std::string& after, int limit) {
    sql::Statement q(db, kUnknownColumns);
    q.bind(1, school_number);
    q.bind(2, after);
    q.bind(3, limit);
    std::vector<UnknownSighting> out;
    while (q.executeStep()) {
        UnknownSighting s;
        s.serial_number = q.getColumn(0).getString();
        s.first_seen_at = q.getColumn(1).getString();
        s.last_seen_at = q.getColumn(2).getString();
        s.agent_id = q.getColumn(3).getInt64();
        s.ip_address = optional_text(q, 4);
        s.os_version = optional_text(q, 5);
        s.times_seen = q.getColumn(6).getInt64();
        s.source = q.getColumn(7).getString();
        out.push_back(std::move(s));
    }
    return out;
}

}  // namespace pakt::server
