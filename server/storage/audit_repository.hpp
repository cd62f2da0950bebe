// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
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
#include "server/storage/sql/db.hpp"

namespace pakt::server {

std::int64_t append_audit(sql::Db db, const AuditEntry& entry);

std::vector<AuditRecord> list_audit(sql::Db db, const AuditFilter& filter);

/// The statement list_audit runs for `filter` once an action prefix has been resolved to
/// `action_count` actions; for checking its query plan.
std::string audit_list_sql(const AuditFilter& filter, std::size_t action_count,
                           sql::Dialect dialect = sql::Dialect::sqlite);

/// The hash an entry must have, computed from its content and its prev_hash.
std::string audit_hash(const AuditRecord& record);

AuditHead audit_head(sql::Db db);

AuditVerification verify_audit_chain(sql::Db db);

}  // namespace pakt::server
