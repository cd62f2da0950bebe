// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// The reads behind the reports: raw funding figures per grant and tranche, the rollout funnel per
// tranche, and the inventory as a cursor over one row per device. Every query takes the caller's
// scope (nullopt: every school) and is served by indexes (schema/0004_reports.sql).
// The SQL behind ReportRepository (server/domain/repositories.hpp, where each function
// is documented), over one connection.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "server/domain/funding_report.hpp"
#include "server/domain/report_records.hpp"
#include "server/storage/sql/db.hpp"

namespace pakt::server {

FundingInputs read_funding_inputs(sql::Db db, const ReportFilter& filter);

std::vector<RolloutRow> rollout_rows(sql::Db db, const ReportFilter& filter,
                                     const std::string& seen_since);

std::vector<EarmarkRow> earmark_rows(sql::Db db, const ReportFilter& filter,
                                     const std::string& today, const std::string& unseen_since);

/// The inventory in (school number, serial number) order, one row at a time, from one statement:
/// memory stays constant however many devices there are, and every row comes from the same
/// snapshot (the read transaction lasts while the reader lives). Does not own `db`, which must
/// outlive it. Not thread-safe; may be used from different threads one after another.
/// Ignores `grant_id`.
class InventoryReader {
  public:
    InventoryReader(sql::Db db, const ReportFilter& filter);
    ~InventoryReader();
    InventoryReader(const InventoryReader&) = delete;
    InventoryReader& operator=(const InventoryReader&) = delete;

    /// Fills `row` with the next device (reusing its strings' capacity); false after the last.
    bool next(InventoryRow& row);

  private:
    std::unique_ptr<sql::Statement> statement_;
};

/// The SQL InventoryReader runs for `filter` (for EXPLAIN QUERY PLAN checks).
std::string inventory_sql(const ReportFilter& filter);

}  // namespace pakt::server
