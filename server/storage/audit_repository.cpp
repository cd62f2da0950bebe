#include "server/storage/audit_repository.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include "common/crypto.hpp"
#include "common/time.hpp"

namespace pakt::server {
namespace {

constexpr const char* kLastHash = "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1";
constexpr const char* kInsert =
    "INSERT INTO audit_log (id, at, actor_user_id, actor, action, object_type, object_id, "
    "school_number, detail, request_id, prev_hash, hash) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

constexpr const char* kGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

}  // namespace

std::int64_t append_audit(SQLite::Database& db, const AuditEntry& entry) {
    std::int64_t id = 1;
    std::string prev_hash = kGenesisHash;
    {
        SQLite::Statement last(db, kLastHash);
        if (last.executeStep()) {
            id = last.getColumn(0).getInt64() + 1;
            prev_hash = last.getColumn(1).getString();
        }
    }
    const std::string at = now_rfc3339();
    const std::string detail = entry.detail.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    const std::string actor_id = entry.actor_user_id ? std::to_string(*entry.actor_user_id) : "";
    // The hashed content joins every column with a unit separator, which no field can contain
    // unnoticed (JSON escapes it; other fields are validated text).
    const std::string content = std::to_string(id) + '\x1f' + at + '\x1f' + actor_id + '\x1f' +
                                entry.actor + '\x1f' + entry.action + '\x1f' + entry.object_type +
                                '\x1f' + entry.object_id + '\x1f' + entry.school_number.value_or("") +
                                '\x1f' + detail + '\x1f' + entry.request_id + '\x1f' + prev_hash;
    const std::string hash = sha256_hex(content);

    SQLite::Statement insert(db, kInsert);
    insert.bind(1, id);
    insert.bind(2, at);
    if (entry.actor_user_id) insert.bind(3, *entry.actor_user_id);
    else insert.bind(3);
    insert.bind(4, entry.actor);
    insert.bind(5, entry.action);
    insert.bind(6, entry.object_type);
    insert.bind(7, entry.object_id);
    if (entry.school_number) insert.bind(8, *entry.school_number);
    else insert.bind(8);
    insert.bind(9, detail);
    insert.bind(10, entry.request_id);
    insert.bind(11, prev_hash);
    insert.bind(12, hash);
    insert.exec();
    return id;
}

}  // namespace pakt::server
