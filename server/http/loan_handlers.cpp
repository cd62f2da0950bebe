// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// Loans across devices: a school's current, overdue and returned loans, and one loan with what
// its printed agreement needs. Lending and returning live with the device (device_handlers).
// Loan data is personal data of pupils by reference: every read is audited like a write.

#include <charconv>

#include "common/time.hpp"
#include "server/http/handlers.hpp"
#include "server/http/json_input.hpp"

namespace pakt::server::http {

nlohmann::json loan_json(const Loan& l) {
    return {{"id", l.id},
            {"serial_number", l.serial_number},
            {"school_number", l.school_number},
            {"borrower_ref", l.borrower_ref},
            {"borrower_kind", l.borrower_kind},
            {"agreement_ref", l.agreement_ref},
            {"due_on", nullable(l.due_on)},
            {"started_at", l.started_at},
            {"started_by", l.started_by},
            {"returned_at", nullable(l.returned_at)},
            {"return_condition", nullable(l.return_condition)},
            {"return_note", l.return_note},
            {"accessories", l.accessories},
            {"pre_existing_damage", l.pre_existing_damage}};
}

namespace {

LoanState parse_state(const RequestContext& ctx) {
    const auto text = ctx.query_param("state");
    if (!text || *text == "current") return LoanState::current;
    if (*text == "overdue") return LoanState::overdue;
    if (*text == "returned") return LoanState::returned;
    throw ApiError::unprocessable(
        "unknown state", {{"state", "must be one of current, overdue, returned", std::nullopt}});
}

Response list(HandlerDeps& deps, RequestContext& ctx) {
    LoanFilter f;
    const int limit = page_limit(ctx);
    f.limit = limit + 1;
    f.before_id = page_after_id(ctx);
    f.state = parse_state(ctx);
    f.today = german_date(Clock::now());
    if (!ctx.user().is_city_admin()) f.schools = ctx.user().schools;
    if (auto school = ctx.query_param("school_number")) {
        if (!can_see(ctx.user(), *school)) throw ApiError::not_found("no such school");
        f.school_number = *school;
    }
    std::vector<LoanListRow> rows;
    {
        auto lease = deps.store.read();
        rows = lease->list_loans(f);
    }
    nlohmann::json items = nlohmann::json::array();
    nlohmann::json next = nullptr;
    for (std::size_t i = 0; i < rows.size() && static_cast<int>(i) < limit; ++i) {
        nlohmann::json item = loan_json(rows[i].loan);
        item["asset_tag"] = rows[i].asset_tag;
        item["model"] = rows[i].model;
        items.push_back(std::move(item));
    }
    if (static_cast<int>(rows.size()) > limit) {
        next = encode_cursor(std::to_string(rows[static_cast<std::size_t>(limit) - 1].loan.id));
    }
    if (!items.empty()) {
        deps.store.write([&](Repositories& db) {
            AuditEntry entry = audit_entry(ctx, "loan.read", "loan_list", "", f.school_number);
            entry.detail = {{"via", "list"},
                            {"state", ctx.query_param("state").value_or("current")},
                            {"count", items.size()}};
            db.append_audit(entry);
        });
    }
    return json_response(200, dump({{"items", items}, {"next_cursor", next}}));
}

Response get(HandlerDeps& deps, RequestContext& ctx) {
    std::int64_t id = 0;
    const std::string& text = ctx.param("id");
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (ec != std::errc() || ptr != text.data() + text.size() || id <= 0)
        throw ApiError::not_found("no such loan");

    nlohmann::json body;
    std::string school_number;
    {
        auto lease = deps.store.read();
        auto loan = lease->find_loan(id);
        if (!loan || !can_see(ctx.user(), loan->school_number))
            throw ApiError::not_found("no such loan");
        const auto device = lease->find_device(loan->serial_number);
        const auto school = lease->find_school(loan->school_number);
        const auto tranche = device ? lease->find_tranche(device->tranche_id) : std::nullopt;
        body = loan_json(*loan);
        body["asset_tag"] = device ? device->asset_tag : "";
        body["model"] = device ? device->model : "";
        body["school_name"] = school ? school->name : "";
        body["school_address"] = school ? school->address : "";
        body["lender"] = deps.config.organisation_name;
        body["tranche_id"] = tranche ? nlohmann::json(tranche->id) : nlohmann::json(nullptr);
        body["unit_price_cents"] =
            tranche ? nlohmann::json(tranche->unit_price_cents) : nlohmann::json(nullptr);
        body["delivered_on"] =
            tranche ? nlohmann::json(tranche->delivered_on) : nlohmann::json(nullptr);
        school_number = loan->school_number;
    }
    deps.store.write([&](Repositories& db) {
        AuditEntry entry = audit_entry(ctx, "loan.read", "loan", std::to_string(id), school_number);
        entry.detail = {{"via", "loan"}};
        db.append_audit(entry);
    });
    return json_response(200, dump(body));
}

}  // namespace

void register_loan_routes(Router& router, HandlerDeps& deps) {
    router.add("GET", "/api/v1/loans", Auth::user,
               [&deps](RequestContext& ctx) { return list(deps, ctx); });
    router.add("GET", "/api/v1/loans/{id}", Auth::user,
               [&deps](RequestContext& ctx) { return get(deps, ctx); });
}

}  // namespace pakt::server::http
