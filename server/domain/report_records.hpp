// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// The reads behind the reports: raw funding figures per grant and tranche, the rollout funnel per
// tranche, and the inventory as a cursor over one row per device. Every query takes the caller's
// scope (nullopt: every school) and is served by indexes (schema/0004_reports.sql).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "server/domain/funding_report.hpp"

namespace pakt::server {

/// Which rows a report covers.
struct ReportFilter {
    std::optional<std::vector<std::string>> schools;  ///< the caller's scope (nullopt: all)
    std::optional<std::string> school_number;
    std::optional<std::int64_t> grant_id;
};

/// What the funding report is computed from, read in one transaction (one snapshot).
struct FundingInputs {
    /// Grants of programmes that fund devices, with their programme's caps, ordered by programme
    /// code and id. With a school scope, only grants with a tranche at one of those schools.
    std::vector<GrantFacts> grants;
    /// The raw figures of every tranche in the filter (of programmes that fund devices), by id.
    std::vector<TrancheFigures> tranches;
};

/// The rollout funnel of one tranche (see TrancheProgress, plus what the report adds).
struct RolloutRow {
    std::int64_t tranche_id = 0;
    std::string school_number;
    std::string school_name;
    std::int64_t grant_id = 0;
    std::string grant_reference;
    std::string programme_code;
    std::string model;
    std::string delivered_on;
    std::int64_t unit_price_cents = 0;
    std::int64_t expected = 0;
    std::int64_t in_manifest = 0;
    std::int64_t enrolled = 0;
    std::int64_t seen = 0;              ///< enrolled and ever reported by an agent
    std::int64_t seen_last_7_days = 0;  ///< enrolled and reported since `seen_since`
    std::int64_t managed = 0;           ///< enrolled and last reported as managed by the MDM
    std::int64_t in_use = 0;
    std::int64_t loaned = 0;   ///< enrolled and on loan now
    std::int64_t missing = 0;  ///< in the manifest, enrolled nowhere
};

/// What a grant within its earmarking period (Zweckbindungsfrist) has to account for.
struct EarmarkRow {
    std::int64_t grant_id = 0;
    std::string reference;
    std::string title;
    std::string spend_by;
    std::string earmark_end;
    std::int64_t enrolled = 0;  ///< devices enrolled into the grant's tranches, in any status
    std::int64_t lost = 0;      ///< lost, or retired as lost
    std::int64_t stolen = 0;    ///< stolen, or retired as stolen
    std::int64_t unseen = 0;    ///< not retired, and not reported by an agent since `unseen_since`
};

/// One device of the inventory. Text that the database holds as NULL is empty here.
struct InventoryRow {
    std::string serial_number;
    std::string asset_tag;
    std::string model;
    std::string school_number;
    std::string school_name;
    std::int64_t tranche_id = 0;
    std::int64_t grant_id = 0;
    std::string grant_reference;
    std::string programme_code;
    std::string status;
    std::string retired_reason;  ///< empty: none
    bool on_loan = false;
    std::string loan_due_on;   ///< empty: not on loan or no due date
    std::string last_seen_at;  ///< empty: never reported by an agent
    std::string os_version;    ///< empty: unknown
    std::optional<bool> managed;
};

}  // namespace pakt::server
