// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// The funding report's figures (proof of use, Verwendungsnachweis): from the facts of each grant
// and raw per-tranche counts to figures per grant, per school within a grant, and per programme.
// No storage, no HTTP: the repository supplies the inputs, funding_report_output.hpp formats
// the result for the API and paktctl alike.
//
// Definitions (the contract in schema/openapi.yaml repeats them):
// - delivered: manifest rows (the supplier's delivery list); expected: the ordered count.
// - enrolled: devices enrolled into the tranches, whatever their status now (a retired device was
//   bought all the same). spend: the sum of the unit prices of the enrolled devices.
// - share used: spend / amount in hundredths of a percent, rounded half up (absent for a grant of
//   0 cents); remaining: amount - spend (negative when overspent).
// - at risk: money remains (remaining > 0) and either spend_by has passed, or spend_by is at most
//   180 days away and more than 10 % of the amount remains.
// - a tranche is above the unit cap when its unit price exceeds the programme's
//   max_unit_price_cents; a school is above the school cap when its spend within one grant exceeds
//   the programme's max_per_school_cents.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pakt::server {

/// A grant with its programme's caps, as stored.
struct GrantFacts {
    std::int64_t id = 0;
    std::string programme_code;
    std::string programme_name;
    int federal_share_pct = 0;
    std::optional<std::int64_t> max_unit_price_cents;  ///< nullopt: no per-device cap
    std::optional<std::int64_t> max_per_school_cents;  ///< nullopt: no per-school cap
    std::string reference;
    std::string title;
    std::int64_t amount_cents = 0;
    std::int64_t own_contribution_cents = 0;
    std::string approved_on;  ///< YYYY-MM-DD
    std::string spend_by;     ///< YYYY-MM-DD
    std::string earmark_end;  ///< YYYY-MM-DD
};

/// Device counts of one group of devices; the same shape for a tranche, a school, a grant and a
/// programme, so roll-ups are sums.
struct DeviceCounts {
    std::int64_t expected = 0;   ///< ordered (tranches' expected_count)
    std::int64_t delivered = 0;  ///< manifest rows
    std::int64_t enrolled = 0;   ///< every enrolled device, whatever its status
    std::int64_t in_storage = 0;
    std::int64_t in_use = 0;
    std::int64_t in_repair = 0;
    std::int64_t lost = 0;
    std::int64_t stolen = 0;
    std::int64_t retired = 0;
    std::int64_t retired_lost = 0;
    std::int64_t retired_stolen = 0;
    std::int64_t retired_damaged_beyond_repair = 0;
    std::int64_t retired_unspecified =
        0;                     ///< retired without a reason (after the earmarking period)
    std::int64_t on_loan = 0;  ///< with an open loan

    DeviceCounts& operator+=(const DeviceCounts& other);
};

/// Raw figures of one tranche, as counted by the repository.
struct TrancheFigures {
    std::int64_t tranche_id = 0;
    std::int64_t grant_id = 0;
    std::string school_number;
    std::string school_name;
    std::int64_t unit_price_cents = 0;
    DeviceCounts counts;
};

enum class AtRisk { no, spend_by_passed, spend_by_near };
std::string_view to_string(AtRisk at_risk);

struct SchoolFunding {
    std::string school_number;
    std::string school_name;
    std::vector<std::int64_t> tranche_ids;  ///< ascending
    DeviceCounts counts;
    std::int64_t spend_cents = 0;
    std::optional<std::int64_t> share_used_bp;  ///< of the grant's amount; see share_basis_points
    std::optional<std::int64_t> school_cap_cents;  ///< the programme's max_per_school_cents
    bool above_school_cap = false;
    std::vector<std::int64_t> tranches_above_unit_cap;  ///< ascending
    std::int64_t devices_above_unit_cap = 0;            ///< enrolled devices of those tranches
};

struct GrantFunding {
    GrantFacts grant;
    DeviceCounts counts;
    std::int64_t spend_cents = 0;
    std::optional<std::int64_t> share_used_bp;
    std::int64_t remaining_cents = 0;
    AtRisk at_risk = AtRisk::no;
    std::int64_t days_to_spend_by = 0;                  ///< negative once spend_by has passed
    std::vector<std::int64_t> tranches_above_unit_cap;  ///< ascending
    std::int64_t devices_above_unit_cap = 0;
    std::vector<std::string> schools_above_school_cap;  ///< ascending
    std::vector<SchoolFunding> schools;                 ///< ascending by school number
};

struct ProgrammeFunding {
    std::string code;
    std::string name;
    int federal_share_pct = 0;
    std::optional<std::int64_t> max_unit_price_cents;
    std::optional<std::int64_t> max_per_school_cents;
    std::int64_t grants = 0;
    std::int64_t amount_cents = 0;
    std::int64_t own_contribution_cents = 0;
    DeviceCounts counts;
    std::int64_t spend_cents = 0;
    std::optional<std::int64_t> share_used_bp;
    std::int64_t remaining_cents = 0;
    std::int64_t grants_at_risk = 0;
    std::vector<std::int64_t> tranches_above_unit_cap;  ///< of all its grants, ascending
    std::int64_t devices_above_unit_cap = 0;
    std::vector<std::string>
        schools_above_school_cap;  ///< above the cap in any of its grants, ascending, distinct
};

struct FundingReport {
    std::string as_of;                 ///< the day the at-risk rule was evaluated on (YYYY-MM-DD)
    std::vector<GrantFunding> grants;  ///< in the order of `grants` given to build
    std::vector<ProgrammeFunding> programmes;  ///< ascending by code, only those with grants
};

/// Days the at-risk rule looks ahead, and the share of the amount (in percent) that must remain
/// for a near spend_by to count as a risk.
inline constexpr int kAtRiskWindowDays = 180;
inline constexpr int kAtRiskRemainingPct = 10;

/// `spend` of `amount` in hundredths of a percent, rounded half up (1234 is 12.34 %); nullopt if
/// `amount` is 0. Preconditions: spend >= 0, amount >= 0.
std::optional<std::int64_t> share_basis_points(std::int64_t spend, std::int64_t amount);

/// Whole days from `from` to `to` (both YYYY-MM-DD; negative if `to` is earlier). Precondition:
/// both are valid dates.
std::int64_t days_between(std::string_view from, std::string_view to);

/// The at-risk rule (see above) for a grant on `today`.
AtRisk assess_at_risk(std::int64_t amount_cents, std::int64_t remaining_cents,
                      std::string_view spend_by, std::string_view today);

/// Builds the report. `tranches` whose grant is not in `grants` are ignored; a grant without
/// tranches appears with zero figures. `today` is YYYY-MM-DD. Pure function, thread-safe.
FundingReport build_funding_report(const std::vector<GrantFacts>& grants,
                                   const std::vector<TrancheFigures>& tranches,
                                   std::string_view today);

}  // namespace pakt::server
