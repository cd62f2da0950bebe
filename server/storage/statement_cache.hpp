// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// Prepared statements kept for the life of one connection. The writer runs the same few
// statements for every check-in (the device upsert, the idempotency record, the audit entry);
// compiling them once per connection instead of once per request takes SQL parsing off the single
// writer thread, the serial part of every write.
//
//   StatementCache cache(db);
//   StatementCache::Scope scope(cache);    // on the thread that owns `db`
//   ...
//   PreparedStatement upsert(db, kUpsertReport);   // anywhere below, on that thread
//   upsert->bind(1, ...);
//
// Code that prepares through PreparedStatement works the same without a cache in scope (it then
// compiles the statement for this use only), so repositories do not need to know who calls them.
#include <memory>
#include <string>
#include <unordered_map>

#include "server/storage/sql/db.hpp"

namespace pakt::server {

class StatementCache {
public:
  explicit StatementCache(sql::Db db);
  ~StatementCache();
  StatementCache(const StatementCache&) = delete;
  StatementCache& operator=(const StatementCache&) = delete;

  /// Makes `cache` the one PreparedStatement uses on the calling thread until the scope ends;
  /// then the cache of an enclosing scope (if any) is in force again.
  class Scope {
    public:
        explicit Scope(StatementCache& cache);
        ~Scope();
        Scope(const Scope&) = delete;
        Scope& operator=(const Scope&) = delete;

    private:
        StatementCache* previous_;
    };

    /// Forgets every statement (their connection was re-established). Not while one is in use.
    void clear() { entries_.clear(); }

    /// Statements compiled so far (for tests).
    std::size_t size() const { return entries_.size(); }

private:
    friend class PreparedStatement;
    struct Entry {
        std::unique_ptr<sql::Statement> statement;
        bool in_use = false;
    };
    sql::Db db_;
    std::unordered_map<std::string, Entry> entries_;
};

/// A prepared statement for `sql` (constant text: each distinct text stays compiled in the cache
/// for the connection's life): the cached one when the calling thread has a cache in scope
/// for `db` and that statement is not in use further up the stack, otherwise one compiled for
/// this use. On destruction a cached statement is reset and its bindings cleared, so bindNoCopy
/// values need only outlive this object.
class PreparedStatement {
public:
  PreparedStatement(sql::Db db, const char* sql);
  ~PreparedStatement();
  PreparedStatement(const PreparedStatement&) = delete;
  PreparedStatement& operator=(const PreparedStatement&) = delete;

  sql::Statement& operator*() const { return *statement_; }
  sql::Statement* operator->() const { return statement_; }

private:
  std::unique_ptr<sql::Statement> owned_;
  StatementCache::Entry* entry_ = nullptr;
  sql::Statement* statement_ = nullptr;
};

}  // namespace pakt::server
