#include "server/storage/audit_repository.hpp"
#include "server/storage/sql.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include "common/crypto.hpp"
#include "common/time.hpp"
#include "server/storage/statement_cache.hpp"

#include <cstdint>

namespace pakt::server {
namespace {


constexpr const char* kLastHash = "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1";
constexpr const char* kInsert =
    "INSERT INTO audit_log (id, at, actor_user_id, actor, action, object_type, object_id, "
    "school_number, detail, request_id, prev_hash, hash) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

constexpr const char* kGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

constexpr const char* kColumns =
    "SELECT id, at, actor_user_id, actor, action, object_type, object_id, school_number, detail, "
    "request_id, prev_hash, hash FROM audit_log ";

AuditRecord read_record(SQLite::Statement& q) {
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

std::vector<AuditRecord> list_audit(SQLite::Database& db, const AuditFilter& f) {
    std::string sql = std::string(kColumns) + "WHERE id < ? ";
    if (f.school_number) sql += "AND school_number = ? ";
    if (f.schools) {
        sql += sqlutil::school_in_clause(f.schools->size());
    }
    sql += "ORDER BY id DESC LIMIT ?";
    SQLite::Statement q(db, sql);
    int i = 1;
    q.bind(i++, f.before_id > 0 ? f.before_id : INT64_MAX);
    if (f.school_number) q.bind(i++, *f.school_number);
    if (f.schools) i = sqlutil::bind_all(q, i, *f.schools);
    q.bind(i, f.limit);
    std::vector<AuditRecord> out;
    while (q.executeStep()) out.push_back(read_record(q));
    return out;
}

std::optional<AuditBreak> verify_audit_chain(SQLite::Database& db) {
    SQLite::Statement q(db, std::string(kColumns) + "ORDER BY id");
    std::string prev_hash = kGenesisHash;
    std::int64_t expected_id = 1;
    while (q.executeStep()) {
        const AuditRecord r = read_record(q);
        if (r.id != expected_id) {
            return AuditBreak{expected_id, "entry " + std::to_string(expected_id) + " is missing"};
        }
        if (r.prev_hash != prev_hash) {
            return AuditBreak{r.id, "prev_hash does not match the hash of entry " + std::to_string(r.id - 1)};
        }
        if (audit_hash(r) != r.hash) return AuditBreak{r.id, "hash does not match the entry's content"};
        prev_hash = r.hash;
        ++expected_id;
    }
    return std::nullopt;
}

std::int64_t append_audit(SQLite::Database& db, const AuditEntry& entry) {
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
    if (entry.actor_user_id) insert->bind(3, *entry.actor_user_id);
    else insert->bind(3);
    insert->bind(4, entry.actor);
    insert->bind(5, entry.action);
    insert->bind(6, entry.object_type);
    insert->bind(7, entry.object_id);
    if (entry.school_number) insert->bind(8, *entry.school_number);
    else insert->bind(8);
    insert->bind(9, detail);
    insert->bind(10, entry.request_id);
    insert->bind(11, prev_hash);
    insert->bind(12, hash);
    insert->exec();
    return id;
}

}  // namespace pakt::server
