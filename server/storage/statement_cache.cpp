// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "server/storage/statement_cache.hpp"

#include <exception>

namespace pakt::server {
namespace {

thread_local StatementCache* active_cache = nullptr;

}  // namespace

StatementCache::StatementCache(sql::Db db) : db_(db) {}

StatementCache::~StatementCache() = default;

StatementCache::Scope::Scope(StatementCache& cache) : previous_(active_cache) { active_cache = &cache; }

StatementCache::Scope::~Scope() { active_cache = previous_; }

PreparedStatement::PreparedStatement(sql::Db db, const char* sql) {
    if (active_cache != nullptr && active_cache->db_ == db) {
        auto& entry = active_cache->entries_[sql];
        if (!entry.in_use) {
            if (!entry.statement) entry.statement = std::make_unique<sql::Statement>(db, sql);
            entry.in_use = true;
            entry_ = &entry;
            statement_ = entry.statement.get();
            return;
        }
    }
    owned_ = std::make_unique<sql::Statement>(db, sql);
    statement_ = owned_.get();
}

PreparedStatement::~PreparedStatement() {
    if (entry_ == nullptr) return;
    // tryReset returns the last step's error again, which its caller has already seen.
    statement_->tryReset();
    try {
        statement_->clearBindings();  // sqlite3_clear_bindings cannot fail
    } catch (const std::exception&) {
    }
    entry_->in_use = false;
}

}  // namespace pakt::server
