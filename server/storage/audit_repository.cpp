// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "server/storage/audit_repository.hpp"

#include <algorithm>
#include <cstdint>

#include "common/crypto.hpp"
#include "common/time.hpp"
#include "server/storage/sql.hpp"
#include "server/storage/statement_cache.hpp"

namespace pakt::server {
namespace {

constexpr const char* kLastHash = "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1";
constexpr const char* kInsert =
    "INSERT INTO audit_log (id, at, actor_user_id, actor, action, object_type, object_id, "
    "school_number, detail, request_id, prev_hash, hash) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

// Two subqueries: min() and max() in one select would read the whole table.
constexpr const char* kHead =
    "SELECT (SELECT min(id) FROM audit_log), id, hash FROM audit_log ORDER BY id DESC LIMIT 1";
constexpr const char* kIdRange =
    "SELECT (SELECT min(id) FROM audit_log), (SELECT max(id) FROM audit_log)";
constexpr const char* kEntryFromId =
    "SELECT id, at FROM audit_log WHERE id >= ? ORDER BY id LIMIT 1";
constexpr const char* kFirstActionFrom =
    "SELECT action FROM audit_log WHERE action >= ? AND action < ? ORDER BY action LIMIT 1";
constexpr const char* kNextActionAfter =
    "SELECT action FROM audit_log WHERE action > ? AND action < ? ORDER BY action LIMIT 1";

constexpr const char* kGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

constexpr const char* kColumns =
    "SELECT id, at, actor_user_id, actor, action, object_type, object_id, school_number, detail, "
    "request_id, prev_hash, hash FROM audit_log ";

AuditRecord read_record(sql::Statement& q) {
    AuditRecord r;
    r.id = q.getColumn(0).getInt64();
    r.at = q.getColumn(1).getString();
    if (!q.getColumn(2).isNull()) r.actor_user_id = q.getColumn(2).getInt64();
    r.actor = q.getColumn(3).getString();
    r.action = q.getColumn(4).getString();
    r.object_type = q.getColumn(5).getString();
    r.object_id = q.getColumn(6).getString();
    if (!q.getColumn(7).isNull()) r.school_number = q.getColumn(7).getString();
    r.detail = q.getColumn(8).getString();
    r.request_id = q.getColumn(9).getString();
    r.prev_hash = q.getColumn(10).getString();
    r.hash = q.getColumn(11).getString();
    return r;
}

// The id from which on entries are at or after `at`, or nullopt if none is. Entries are
// appended in time order (one writer stamps each with the current time), so their times grow
// with their ids: bisecting the ids takes a few dozen primary-key seeks and no index on the time.
std::optional<std::int64_t> first_id_at_or_after(sql::Db db, const std::string& at) {
    sql::Statement range(db, kIdRange);
    if (!range.executeStep() || range.getColumn(0).isNull()) return std::nullopt;
    const std::int64_t last = range.getColumn(1).getInt64();
    // Entries below `low` are earlier than `at`; the entry at `high`, if any, is not.
    std::int64_t low = range.getColumn(0).getInt64();
    std::int64_t high = last + 1;
    sql::Statement probe(db, kEntryFromId);
    while (low < high) {
        probe.reset();
        probe.bind(1, low + (high - low) / 2);
        probe.executeStep();  // an entry exists: the middle is at most `last`
        const std::int64_t id = probe.getColumn(0).getInt64();
        if (probe.getColumn(1).getString() >= at)
            high = id;
        else
            low = id + 1;
    }
    if (low > last) return std::nullopt;
    return low;
}

// The distinct actions that start with `prefix`, read from audit_log_by_action one seek per
// action (a handful), so "device." becomes an IN list the index serves newest first.
std::vector<std::string> actions_under(sql::Db db, const std::string& prefix) {
    std::string end = prefix;
    end.back() = static_cast<char>(end.back() + 1);  // "device." .. "device/" (exclusive)
    std::vector<std::string> actions;
    sql::Statement first(db, kFirstActionFrom);
    first.bind(1, prefix);
    first.bind(2, end);
    if (!first.executeStep()) return actions;
    actions.push_back(first.getColumn(0).getString());
    sql::Statement next(db, kNextActionAfter);
    for (;;) {
        next.bind(1, actions.back());
        next.bind(2, end);
        if (!next.executeStep()) break;
        actions.push_back(next.getColumn(0).getString());
        next.reset();
    }
    return actions;
}

}  // namespace

std::string audit_hash(const AuditRecord& r) {
    // Every column joined with a unit separator, which no field can contain unnoticed (JSON
    // escapes it; the other fields are validated text).
    const std::string actor_id = r.actor_user_id ? std::to_string(*r.actor_user_id) : "";
    const std::string content = std::to_string(r.id) + '\x1f' + r.at + '\x1f' + actor_id + '\x1f' +
                                r.actor + '\x1f' + r.action + '\x1f' + r.object_type + '\x1f' +
                                r.object_id + '\x1f' + r.school_number.value_or("") + '\x1f' +
                                r.detail + '\x1f' + r.request_id + '\x1f' + r.prev_hash;
    return sha256_hex(content);
}

std::string audit_list_sql(const AuditFilter& f, std::size_t action_count, sql::Dialect dialect) {
    const bool postgres = dialect == sql::Dialect::postgresql;
    // One filter drives the search through its index, newest first within the id range; the
    // others are checked on the rows it yields (a unary + keeps a column's index out of the
    // plan). Without statistics the planner cannot know that an action such as "device.enroll"
    // or an object type such as "device" may cover most of the log while one object, one actor
    // or a school's entries are few, so the order of preference is set here.
    enum class Driver { object, actor, school, action, object_type, ids };
    const Driver driver = f.object_type && f.object_id   ? Driver::object
                          : f.actor                      ? Driver::actor
                          : f.school_number || f.schools ? Driver::school
                          : action_count > 0             ? Driver::action
                          : f.object_type                ? Driver::object_type
                                                         : Driver::ids;
    // PostgreSQL has statistics to choose by, and no unary + on text.
    auto column = [postgres](const char* name, bool drives) {
        return std::string(drives || postgres ? "" : "+") + name;
    };
    auto placeholders = [](std::size_t count) {
        std::string list;
        for (std::size_t i = 0; i < count; ++i) list += i ? ",?" : "?";
        return list;
    };
    const bool by_object = driver == Driver::object;
    // The times are compared too, so an entry stamped while the clock was stepped back cannot
    // slip into the range of ids.
    std::string sql = std::string(kColumns) + "WHERE id < ? AND id >= ? ";
    if (f.from_at) sql += "AND " + column("at", false) + " >= ? ";
    if (f.to_at) sql += "AND " + column("at", false) + " < ? ";
    if (f.actor) {
        // Case-insensitive, served by audit_log_by_actor in either dialect.
        sql += postgres
                   ? "AND lower(actor) = lower(?) "
                   : "AND " + column("actor", driver == Driver::actor) + " = ? COLLATE NOCASE ";
    }
    if (action_count > 0) {
        sql += "AND " + column("action", driver == Driver::action) + " IN (" +
               placeholders(action_count) + ") ";
    }
    if (f.object_type)
        sql += "AND " + column("object_type", by_object || driver == Driver::object_type) + " = ? ";
    if (f.object_id) sql += "AND " + column("object_id", by_object) + " = ? ";
    if (f.school_number)
        sql += "AND " + column("school_number", driver == Driver::school) + " = ? ";
    if (f.schools) {
        sql += "AND " + column("school_number", driver == Driver::school) + " IN (" +
               placeholders(f.schools->size()) + ") ";
    }
    return sql + "ORDER BY id DESC LIMIT ?";
}

std::vector<AuditRecord> list_audit(sql::Db db, const AuditFilter& f) {
    std::int64_t below_id = f.before_id > 0 ? f.before_id : INT64_MAX;
    std::int64_t from_id = 0;
    if (f.from_at) {
        const auto first = first_id_at_or_after(db, *f.from_at);
        if (!first) return {};
        from_id = *first;
    }
    if (f.to_at) {
        if (const auto first_after = first_id_at_or_after(db, *f.to_at))
            below_id = std::min(below_id, *first_after);
    }
    std::vector<std::string> actions;
    if (f.action) {
        actions = f.action->ends_with('.') ? actions_under(db, *f.action) : std::vector{*f.action};
        if (actions.empty()) return {};
    }

    sql::Statement q(db, audit_list_sql(f, actions.size(), db.dialect()));
    int i = 1;
    q.bind(i++, below_id);
    q.bind(i++, from_id);
    if (f.from_at) q.bind(i++, *f.from_at);
    if (f.to_at) q.bind(i++, *f.to_at);
    if (f.actor) q.bind(i++, *f.actor);
    i = sqlutil::bind_all(q, i, actions);
    if (f.object_type) q.bind(i++, *f.object_type);
    if (f.object_id) q.bind(i++, *f.object_id);
    if (f.school_number) q.bind(i++, *f.school_number);
    if (f.schools) i = sqlutil::bind_all(q, i, *f.schools);
    q.bind(i, f.limit);
    std::vector<AuditRecord> out;
    while (q.executeStep()) out.push_back(read_record(q));
    return out;
}

AuditHead audit_head(sql::Db db) {
    sql::Statement q(db, kHead);
    AuditHead head;
    if (!q.executeStep()) return head;
    head.last_id = q.getColumn(1).getInt64();
    head.entries = head.last_id - q.getColumn(0).getInt64() + 1;
    head.last_hash = q.getColumn(2).getString();
    return head;
}

AuditVerification verify_audit_chain(sql::Db db) {
    sql::Statement q(db, std::string(kColumns) + "ORDER BY id");
    AuditVerification result;
    std::string prev_hash = kGenesisHash;
    std::int64_t expected_id = 1;
    while (q.executeStep()) {
        const AuditRecord r = read_record(q);
        if (r.id != expected_id) {
            result.first_broken =
                AuditBreak{expected_id, "entry " + std::to_string(expected_id) + " is missing"};
            break;
        }
        if (r.prev_hash != prev_hash) {
            result.first_broken = AuditBreak{
                r.id, "prev_hash does not match the hash of entry " + std::to_string(r.id - 1)};
            break;
        }
        if (audit_hash(r) != r.hash) {
            result.first_broken = AuditBreak{r.id, "hash does not match the entry's content"};
            break;
        }
        prev_hash = r.hash;
        ++expected_id;
        ++result.entries;
        result.last_id = r.id;
        result.last_hash = r.hash;
    }
    return result;
}

std::int64_t append_audit(sql::Db db, const AuditEntry& entry) {
    std::int64_t id = 1;
    std::string prev_hash = kGenesisHash;
    {
        PreparedStatement last(db, kLastHash);
        if (last->executeStep()) {
            id = last->getColumn(0).getInt64() + 1;
            prev_hash = last->getColumn(1).getString();
        }
    }
    AuditRecord record;
    record.id = id;
    record.at = now_rfc3339();
    record.actor_user_id = entry.actor_user_id;
    record.actor = entry.actor;
    record.action = entry.action;
    record.object_type = entry.object_type;
    record.object_id = entry.object_id;
    record.school_number = entry.school_number;
    record.detail = entry.detail.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    record.request_id = entry.request_id;
    record.prev_hash = prev_hash;
    const std::string hash = audit_hash(record);
    const std::string& at = record.at;
    const std::string& detail = record.detail;

    PreparedStatement insert(db, kInsert);
    insert->bind(1, id);
    insert->bind(2, at);
    if (entry.actor_user_id)
        insert->bind(3, *entry.actor_user_id);
    else
        insert->bind(3);
    insert->bind(4, entry.actor);
    insert->bind(5, entry.action);
    insert->bind(6, entry.object_type);
    insert->bind(7, entry.object_id);
    if (entry.school_number)
        insert->bind(8, *entry.school_number);
    else
        insert->bind(8);
    insert->bind(9, detail);
    insert->bind(10, entry.request_id);
    insert->bind(11, prev_hash);
    insert->bind(12, hash);
    insert->exec();
    return id;
}

}  // namespace pakt::server
