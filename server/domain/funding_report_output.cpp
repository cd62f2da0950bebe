// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "server/domain/funding_report_output.hpp"

#include <optional>
#include <utility>

namespace pakt::server {
namespace {

nlohmann::json share_json(const std::optional<std::int64_t>& basis_points) {
    if (!basis_points) return nullptr;
    return static_cast<double>(*basis_points) / 100.0;
}

nlohmann::json optional_json(const std::optional<std::int64_t>& value) {
    return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

nlohmann::json counts_json(const DeviceCounts& c) {
    return {{"expected", c.expected},
            {"delivered", c.delivered},
            {"enrolled", c.enrolled},
            {"in_storage", c.in_storage},
            {"in_use", c.in_use},
            {"in_repair", c.in_repair},
            {"lost", c.lost},
            {"stolen", c.stolen},
            {"on_loan", c.on_loan},
            {"retired", c.retired},
            {"retired_by_reason",
             {{"lost", c.retired_lost},
              {"stolen", c.retired_stolen},
              {"damaged_beyond_repair", c.retired_damaged_beyond_repair},
              {"unspecified", c.retired_unspecified}}}};
}

}  // namespace

nlohmann::json funding_report_json(const FundingReport& report, bool all_schools,
                                   std::string_view generated_at) {
    nlohmann::json grants = nlohmann::json::array();
    for (const GrantFunding& g : report.grants) {
        nlohmann::json schools = nlohmann::json::array();
        for (const SchoolFunding& s : g.schools) {
            nlohmann::json school = {{"school_number", s.school_number},
                                     {"name", s.school_name},
                                     {"tranches", s.tranche_ids},
                                     {"spend_cents", s.spend_cents},
                                     {"share_used_pct", share_json(s.share_used_bp)},
                                     {"school_cap_cents", optional_json(s.school_cap_cents)},
                                     {"above_school_cap", s.above_school_cap},
                                     {"tranches_above_unit_cap", s.tranches_above_unit_cap},
                                     {"devices_above_unit_cap", s.devices_above_unit_cap}};
            school.update(counts_json(s.counts));
            schools.push_back(std::move(school));
        }
        nlohmann::json grant = {
            {"id", g.grant.id},
            {"programme", g.grant.programme_code},
            {"reference", g.grant.reference},
            {"title", g.grant.title},
            {"amount_cents", g.grant.amount_cents},
            {"own_contribution_cents", g.grant.own_contribution_cents},
            {"approved_on", g.grant.approved_on},
            {"spend_by", g.grant.spend_by},
            {"days_to_spend_by", g.days_to_spend_by},
            {"earmark_end", g.grant.earmark_end},
            {"spend_cents", g.spend_cents},
            {"share_used_pct", share_json(g.share_used_bp)},
            {"remaining_cents", g.remaining_cents},
            {"at_risk", g.at_risk != AtRisk::no},
            {"at_risk_reason", g.at_risk == AtRisk::no
                                   ? nlohmann::json(nullptr)
                                   : nlohmann::json(std::string(to_string(g.at_risk)))},
            {"max_unit_price_cents", optional_json(g.grant.max_unit_price_cents)},
            {"max_per_school_cents", optional_json(g.grant.max_per_school_cents)},
            {"tranches_above_unit_cap", g.tranches_above_unit_cap},
            {"devices_above_unit_cap", g.devices_above_unit_cap},
            {"schools_above_school_cap", g.schools_above_school_cap},
            {"schools", std::move(schools)}};
        grant.update(counts_json(g.counts));
        grants.push_back(std::move(grant));
    }
    nlohmann::json programmes = nlohmann::json::array();
    for (const ProgrammeFunding& p : report.programmes) {
        nlohmann::json programme = {{"code", p.code},
                                    {"name", p.name},
                                    {"federal_share_pct", p.federal_share_pct},
                                    {"max_unit_price_cents", optional_json(p.max_unit_price_cents)},
                                    {"max_per_school_cents", optional_json(p.max_per_school_cents)},
                                    {"grants", p.grants},
                                    {"amount_cents", p.amount_cents},
                                    {"own_contribution_cents", p.own_contribution_cents},
                                    {"spend_cents", p.spend_cents},
                                    {"share_used_pct", share_json(p.share_used_bp)},
                                    {"remaining_cents", p.remaining_cents},
                                    {"grants_at_risk", p.grants_at_risk},
                                    {"tranches_above_unit_cap", p.tranches_above_unit_cap},
                                    {"devices_above_unit_cap", p.devices_above_unit_cap},
                                    {"schools_above_school_cap", p.schools_above_school_cap}};
        programme.update(counts_json(p.counts));
        programmes.push_back(std::move(programme));
    }
    return {{"generated_at", std::string(generated_at)},
            {"as_of", report.as_of},
            {"scope", all_schools ? "all" : "own_schools"},
            {"grants", std::move(grants)},
            {"programmes", std::move(programmes)}};
}

// One table with a `level` column (programme, grant, school), each programme followed by its
// grants, each grant by its schools; a column that does not apply to a level is empty, so sums
// over one level in a spreadsheet count nothing twice.
std::string funding_report_csv(const FundingReport& report, CsvDialect dialect) {
    CsvWriter w(dialect);
    std::string out(kCsvBom);
    w.header(out, {"level",
                   "programme",
                   "programme_name",
                   "grant_id",
                   "grant_reference",
                   "grant_title",
                   "school_number",
                   "school_name",
                   "grants",
                   "amount_eur",
                   "own_contribution_eur",
                   "approved_on",
                   "spend_by",
                   "days_to_spend_by",
                   "earmark_end",
                   "expected",
                   "delivered",
                   "enrolled",
                   "in_storage",
                   "in_use",
                   "in_repair",
                   "lost",
                   "stolen",
                   "on_loan",
                   "retired",
                   "retired_lost",
                   "retired_stolen",
                   "retired_damaged_beyond_repair",
                   "retired_unspecified",
                   "spend_eur",
                   "share_used_pct",
                   "remaining_eur",
                   "at_risk",
                   "at_risk_reason",
                   "grants_at_risk",
                   "tranches",
                   "tranches_above_unit_cap",
                   "devices_above_unit_cap",
                   "school_cap_eur",
                   "above_school_cap",
                   "schools_above_school_cap"});
    auto counts = [&](const DeviceCounts& c) {
        for (auto v : {c.expected, c.delivered, c.enrolled, c.in_storage, c.in_use, c.in_repair,
                       c.lost, c.stolen, c.on_loan, c.retired, c.retired_lost, c.retired_stolen,
                       c.retired_damaged_beyond_repair, c.retired_unspecified}) {
            w.integer(out, v);
        }
    };
    for (const ProgrammeFunding& p : report.programmes) {
        w.code(out, "programme");
        w.code(out, p.code);
        w.text(out, p.name);
        for (int i = 0; i < 5; ++i)
            w.empty(out);  // grant id, reference, title, school number, name
        w.integer(out, p.grants);
        w.euros(out, p.amount_cents);
        w.euros(out, p.own_contribution_cents);
        for (int i = 0; i < 4; ++i) w.empty(out);  // approved_on, spend_by, days, earmark_end
        counts(p.counts);
        w.euros(out, p.spend_cents);
        w.percent(out, p.share_used_bp);
        w.euros(out, p.remaining_cents);
        w.empty(out);  // at_risk
        w.empty(out);  // at_risk_reason
        w.integer(out, p.grants_at_risk);
        w.empty(out);  // tranches
        w.ids(out, p.tranches_above_unit_cap);
        w.integer(out, p.devices_above_unit_cap);
        w.optional_euros(out, p.max_per_school_cents);
        w.empty(out);  // above_school_cap
        w.codes(out, p.schools_above_school_cap);
        w.end(out);
        for (const GrantFunding& g : report.grants) {
            if (g.grant.programme_code != p.code) continue;
            w.code(out, "grant");
            w.code(out, g.grant.programme_code);
            w.text(out, g.grant.programme_name);
            w.integer(out, g.grant.id);
            w.text(out, g.grant.reference);
            w.text(out, g.grant.title);
            w.empty(out);
            w.empty(out);
            w.empty(out);  // grants
            w.euros(out, g.grant.amount_cents);
            w.euros(out, g.grant.own_contribution_cents);
            w.date(out, g.grant.approved_on);
            w.date(out, g.grant.spend_by);
            w.integer(out, g.days_to_spend_by);
            w.date(out, g.grant.earmark_end);
            counts(g.counts);
            w.euros(out, g.spend_cents);
            w.percent(out, g.share_used_bp);
            w.euros(out, g.remaining_cents);
            w.yes_no(out, g.at_risk != AtRisk::no);
            w.code(out, g.at_risk == AtRisk::no ? std::string_view{} : to_string(g.at_risk));
            w.empty(out);  // grants_at_risk
            w.empty(out);  // tranches
            w.ids(out, g.tranches_above_unit_cap);
            w.integer(out, g.devices_above_unit_cap);
            w.optional_euros(out, g.grant.max_per_school_cents);
            w.empty(out);  // above_school_cap
            w.codes(out, g.schools_above_school_cap);
            w.end(out);
            for (const SchoolFunding& s : g.schools) {
                w.code(out, "school");
                w.code(out, g.grant.programme_code);
                w.text(out, g.grant.programme_name);
                w.integer(out, g.grant.id);
                w.text(out, g.grant.reference);
                w.text(out, g.grant.title);
                w.code(out, s.school_number);
                w.text(out, s.school_name);
                for (int i = 0; i < 7; ++i) w.empty(out);  // grants .. earmark_end
                counts(s.counts);
                w.euros(out, s.spend_cents);
                w.percent(out, s.share_used_bp);
                w.empty(out);  // remaining
                w.empty(out);  // at_risk
                w.empty(out);  // at_risk_reason
                w.empty(out);  // grants_at_risk
                w.ids(out, s.tranche_ids);
                w.ids(out, s.tranches_above_unit_cap);
                w.integer(out, s.devices_above_unit_cap);
                w.optional_euros(out, s.school_cap_cents);
                w.yes_no(out, s.above_school_cap);
                w.empty(out);  // schools_above_school_cap
                w.end(out);
            }
        }
    }
    return out;
}

}  // namespace pakt::server
