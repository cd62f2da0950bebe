// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "server/domain/funding_report.hpp"

#include <algorithm>
#include <chrono>
#include <map>

namespace pakt::server {
namespace {

std::chrono::sys_days parse_day(std::string_view date) {
    auto number = [&](std::size_t pos, std::size_t len) {
        int value = 0;
        for (std::size_t i = pos; i < pos + len && i < date.size(); ++i)
            value = value * 10 + (date[i] - '0');
        return value;
    };
    const std::chrono::year_month_day ymd{std::chrono::year(number(0, 4)),
                                          std::chrono::month(static_cast<unsigned>(number(5, 2))),
                                          std::chrono::day(static_cast<unsigned>(number(8, 2)))};
    return std::chrono::sys_days(ymd);
}

}  // namespace

DeviceCounts& DeviceCounts::operator+=(const DeviceCounts& o) {
    expected += o.expected;
    delivered += o.delivered;
    enrolled += o.enrolled;
    in_storage += o.in_storage;
    in_use += o.in_use;
    in_repair += o.in_repair;
    lost += o.lost;
    stolen += o.stolen;
    retired += o.retired;
    retired_lost += o.retired_lost;
    retired_stolen += o.retired_stolen;
    retired_damaged_beyond_repair += o.retired_damaged_beyond_repair;
    retired_unspecified += o.retired_unspecified;
    on_loan += o.on_loan;
    return *this;
}

std::string_view to_string(AtRisk at_risk) {
    switch (at_risk) {
        case AtRisk::no:
            return "no";
        case AtRisk::spend_by_passed:
            return "spend_by_passed";
        case AtRisk::spend_by_near:
            return "spend_by_near";
    }
    return "no";
}

std::optional<std::int64_t> share_basis_points(std::int64_t spend, std::int64_t amount) {
    if (amount <= 0) return std::nullopt;
    // Half up in integers: floor((spend * 10000 + amount / 2) / amount) without doubles, so the
    // same cents always give the same percentage in JSON and CSV.
    return (spend * 20000 + amount) / (2 * amount);
}

std::int64_t days_between(std::string_view from, std::string_view to) {
    return (parse_day(to) - parse_day(from)).count();
}

AtRisk assess_at_risk(std::int64_t amount_cents, std::int64_t remaining_cents,
                      std::string_view spend_by, std::string_view today) {
    if (remaining_cents <= 0) return AtRisk::no;
    const std::int64_t days_left = days_between(today, spend_by);
    if (days_left < 0) return AtRisk::spend_by_passed;
    if (days_left <= kAtRiskWindowDays &&
        remaining_cents * 100 > amount_cents * kAtRiskRemainingPct) {
        return AtRisk::spend_by_near;
    }
    return AtRisk::no;
}

FundingReport build_funding_report(const std::vector<GrantFacts>& grants,
                                   const std::vector<TrancheFigures>& tranches,
                                   std::string_view today) {
    FundingReport report;
    report.as_of = std::string(today);

    // Tranches per grant, then per school within the grant (std::map: ascending school numbers).
    std::map<std::int64_t, std::map<std::string, std::vector<const TrancheFigures*>>> by_grant;
    for (const auto& t : tranches) by_grant[t.grant_id][t.school_number].push_back(&t);

    std::map<std::string, ProgrammeFunding> programmes;
    for (const GrantFacts& facts : grants) {
        GrantFunding g;
        g.grant = facts;
        if (auto it = by_grant.find(facts.id); it != by_grant.end()) {
            for (auto& [school_number, school_tranches] : it->second) {
                SchoolFunding s;
                s.school_number = school_number;
                s.school_name = school_tranches.front()->school_name;
                std::sort(school_tranches.begin(), school_tranches.end(),
                          [](const TrancheFigures* a, const TrancheFigures* b) {
                              return a->tranche_id < b->tranche_id;
                          });
                for (const TrancheFigures* t : school_tranches) {
                    s.tranche_ids.push_back(t->tranche_id);
                    s.counts += t->counts;
                    s.spend_cents += t->unit_price_cents * t->counts.enrolled;
                    if (facts.max_unit_price_cents &&
                        t->unit_price_cents > *facts.max_unit_price_cents) {
                        s.tranches_above_unit_cap.push_back(t->tranche_id);
                        s.devices_above_unit_cap += t->counts.enrolled;
                    }
                }
                s.share_used_bp = share_basis_points(s.spend_cents, facts.amount_cents);
                s.school_cap_cents = facts.max_per_school_cents;
                s.above_school_cap =
                    facts.max_per_school_cents && s.spend_cents > *facts.max_per_school_cents;

                g.counts += s.counts;
                g.spend_cents += s.spend_cents;
                g.tranches_above_unit_cap.insert(g.tranches_above_unit_cap.end(),
                                                 s.tranches_above_unit_cap.begin(),
                                                 s.tranches_above_unit_cap.end());
                g.devices_above_unit_cap += s.devices_above_unit_cap;
                if (s.above_school_cap) g.schools_above_school_cap.push_back(s.school_number);
                g.schools.push_back(std::move(s));
            }
        }
        std::sort(g.tranches_above_unit_cap.begin(), g.tranches_above_unit_cap.end());
        g.share_used_bp = share_basis_points(g.spend_cents, facts.amount_cents);
        g.remaining_cents = facts.amount_cents - g.spend_cents;
        g.days_to_spend_by = days_between(today, facts.spend_by);
        g.at_risk = assess_at_risk(facts.amount_cents, g.remaining_cents, facts.spend_by, today);

        ProgrammeFunding& p = programmes[facts.programme_code];
        if (p.code.empty()) {
            p.code = facts.programme_code;
            p.name = facts.programme_name;
            p.federal_share_pct = facts.federal_share_pct;
            p.max_unit_price_cents = facts.max_unit_price_cents;
            p.max_per_school_cents = facts.max_per_school_cents;
        }
        ++p.grants;
        p.amount_cents += facts.amount_cents;
        p.own_contribution_cents += facts.own_contribution_cents;
        p.counts += g.counts;
        p.spend_cents += g.spend_cents;
        if (g.at_risk != AtRisk::no) ++p.grants_at_risk;
        p.tranches_above_unit_cap.insert(p.tranches_above_unit_cap.end(),
                                         g.tranches_above_unit_cap.begin(),
                                         g.tranches_above_unit_cap.end());
        p.devices_above_unit_cap += g.devices_above_unit_cap;
        p.schools_above_school_cap.insert(p.schools_above_school_cap.end(),
                                          g.schools_above_school_cap.begin(),
                                          g.schools_above_school_cap.end());
        report.grants.push_back(std::move(g));
    }
    for (auto& [code, p] : programmes) {
        p.remaining_cents = p.amount_cents - p.spend_cents;
        p.share_used_bp = share_basis_points(p.spend_cents, p.amount_cents);
        std::sort(p.tranches_above_unit_cap.begin(), p.tranches_above_unit_cap.end());
        std::sort(p.schools_above_school_cap.begin(), p.schools_above_school_cap.end());
        p.schools_above_school_cap.erase(
            std::unique(p.schools_above_school_cap.begin(), p.schools_above_school_cap.end()),
            p.schools_above_school_cap.end());
        report.programmes.push_back(std::move(p));
    }
    return report;
}

}  // namespace pakt::server
