#pragma once
// The audit trail: every mutation appends an entry in the same transaction as the change.
// Entries form a SHA-256 hash chain (see schema/0001_foundation.sql).
// The SQL behind AuditRepository (server/domain/repositories.hpp, where each function
// is documented), over one connection.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "server/domain/audit_records.hpp"

namespace SQLite {
class Database;
}

namespace pakt::server {

std::int64_t append_audit(SQLite::Database& db, const AuditEntry& entry);

std::vector<AuditRecord> list_audit(SQLite::Database& db, const AuditFilter& filter);

/// The statement list_audit runs for `filter` once an action prefix has been resolved to
/// `action_count` actions; for checking its query plan.
std::string audit_list_sql(const AuditFilter& filter, std::size_t action_count);

/// The hash an entry must have, computed from its content and its prev_hash.
std::string audit_hash(const AuditRecord& record);

AuditHead audit_head(SQLite::Database& db);

AuditVerification verify_audit_chain(SQLite::Database& db);

}  // namespace pakt::server
