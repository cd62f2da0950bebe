// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// Funding programmes (read by everyone, created by city_admin) and grants (city_admin only).

#include <charconv>

#include "common/time.hpp"
#include "server/domain/inventory.hpp"
#include "server/domain/validation.hpp"
#include "server/http/handlers.hpp"
#include "server/http/json_input.hpp"

namespace pakt::server::http {

nlohmann::json grant_json(const Grant& g);

nlohmann::json grant_json(const Grant& g) {
    return {{"id", g.id},
            {"programme", g.programme_code},
            {"reference", g.reference},
            {"title", g.title},
            {"amount_cents", g.amount_cents},
            {"own_contribution_cents", g.own_contribution_cents},
            {"approved_on", g.approved_on},
            {"spend_by", g.spend_by},
            {"earmark_end", g.earmark_end},
            {"created_at", g.created_at},
            {"updated_at", g.updated_at}};
}

namespace {

nlohmann::json optional_cents(const std::optional<std::int64_t>& v) {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

nlohmann::json programme_json(const Programme& p) {
    return {{"code", p.code},
            {"name", p.name},
            {"federal_share_pct", p.federal_share_pct},
            {"description", p.description},
            {"max_unit_price_cents", optional_cents(p.max_unit_price_cents)},
            {"max_per_school_cents", optional_cents(p.max_per_school_cents)},
            {"funds_devices", p.funds_devices}};
}

bool is_programme_code(std::string_view code) {
    if (code.size() < 2 || code.size() > 20) return false;
    for (char c : code) {
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-')) return false;
    }
    return true;
}

std::int64_t parse_grant_id(const std::string& text) {
    std::int64_t id = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (ec != std::errc() || ptr != text.data() + text.size() || id <= 0) throw ApiError::not_found("no such grant");
    return id;
}

void check_cents(ObjectReader& in, const char* field, const std::optional<std::int64_t>& v) {
    if (v && *v < 0) in.invalid(field, "must not be negative");
    if (v && *v > 100'000'000'000) in.invalid(field, "is implausibly large (more than one billion euros)");
}

void check_date(ObjectReader& in, const char* field, const std::optional<std::string>& v) {
    if (!v) return;
    if (auto e = server::check_date(*v)) in.invalid(field, *e);
}

Response list_programmes_handler(HandlerDeps& deps, RequestContext&) {
    auto lease = deps.store.read();
    nlohmann::json items = nlohmann::json::array();
    for (const auto& p : lease->list_programmes()) items.push_back(programme_json(p));
    return json_response(200, dump({{"items", items}, {"next_cursor", nullptr}}));
}

Response create_programme(HandlerDeps& deps, RequestContext& ctx) {
    require(ctx, Action::manage_funding, std::nullopt);
    const auto body = parse_json_body(ctx.request);
    ObjectReader in(body, {"code", "name", "federal_share_pct", "description", "max_unit_price_cents",
                           "max_per_school_cents", "funds_devices"});
    Programme p;
    p.code = in.required_string("code");
    p.name = in.required_string("name");
    const auto share = in.optional_integer("federal_share_pct");
    if (!in.has("federal_share_pct")) in.invalid("federal_share_pct", "is required");
    p.description = in.optional_string("description", TextKind::multi_line).value_or("");
    p.max_unit_price_cents = in.optional_integer("max_unit_price_cents");
    p.max_per_school_cents = in.optional_integer("max_per_school_cents");
    p.funds_devices = in.optional_bool("funds_devices").value_or(true);
    if (in.has("code") && !is_programme_code(p.code)) in.invalid("code", "must be 2 to 20 characters A-Z, 0-9, '-'");
    if (in.has("name") && p.name.empty()) in.invalid("name", "must not be empty");
    if (auto e = check_text(p.name, 200)) in.invalid("name", *e);
    if (auto e = check_text(p.description, 2000, TextKind::multi_line))
        in.invalid("description", *e);
    if (share && (*share < 0 || *share > 100)) in.invalid("federal_share_pct", "must be between 0 and 100");
    if (share) p.federal_share_pct = static_cast<int>(*share);
    if (p.max_unit_price_cents && *p.max_unit_price_cents <= 0) in.invalid("max_unit_price_cents", "must be positive");
    if (p.max_per_school_cents && *p.max_per_school_cents <= 0) in.invalid("max_per_school_cents", "must be positive");
    in.finish();
    const Programme created = deps.store.write([&](Repositories& db) {
        if (db.find_programme(p.code)) {
            throw ApiError::conflict("a programme with this code exists", {{"code", "is taken", std::nullopt}});
        }
        db.insert_programme(p);
        AuditEntry entry = audit_entry(ctx, "programme.create", "programme", p.code, std::nullopt);
        entry.detail = programme_json(p);
        db.append_audit(entry);
        return *db.find_programme(p.code);
    });
    return json_response(201, dump(programme_json(created)));
}

Response list_grants_handler(HandlerDeps& deps, RequestContext& ctx) {
    require(ctx, Action::manage_funding, std::nullopt);
    const int limit = page_limit(ctx);
    const std::int64_t after_id = page_after_id(ctx);
    auto lease = deps.store.read();
    auto grants = lease->list_grants(after_id, limit + 1, ctx.query_param("programme"));
    nlohmann::json items = nlohmann::json::array();
    nlohmann::json next = nullptr;
    for (std::size_t i = 0; i < grants.size() && static_cast<int>(i) < limit; ++i) items.push_back(grant_json(grants[i]));
    if (static_cast<int>(grants.size()) > limit) next = encode_cursor(std::to_string(grants[static_cast<std::size_t>(limit) - 1].id));
    return json_response(200, dump({{"items", items}, {"next_cursor", next}}));
}

Response get_grant(HandlerDeps& deps, RequestContext& ctx) {
    require(ctx, Action::manage_funding, std::nullopt);
    const auto id = parse_grant_id(ctx.param("id"));
    auto lease = deps.store.read();
    auto grant = lease->find_grant(id);
    if (!grant) throw ApiError::not_found("no such grant");
    return json_response(200, dump(grant_json(*grant)));
}

// Validates the editable fields of a grant present in `in` and applies them to `g`.
void read_grant_fields(ObjectReader& in, Grant& g) {
    if (auto v = in.optional_string("reference")) {
        if (v->empty()) in.invalid("reference", "must not be empty");
        else if (auto e = check_text(*v, 64)) in.invalid("reference", *e);
        g.reference = *v;
    }
    if (auto v = in.optional_string("title")) {
        if (auto e = check_text(*v, 300)) in.invalid("title", *e);
        g.title = *v;
    }
    if (auto v = in.optional_integer("amount_cents")) {
        check_cents(in, "amount_cents", v);
        g.amount_cents = *v;
    }
    if (auto v = in.optional_integer("own_contribution_cents")) {
        check_cents(in, "own_contribution_cents", v);
        g.own_contribution_cents = *v;
    }
    if (auto v = in.optional_string("approved_on")) {
        check_date(in, "approved_on", v);
        g.approved_on = *v;
    }
    if (auto v = in.optional_string("spend_by")) {
        check_date(in, "spend_by", v);
        g.spend_by = *v;
    }
    // earmark_end() is computed only from a date in range: spend_by 9999-12-31 would give
    // "10004-12-31", which no client can read as a date.
    if (!server::check_date(g.approved_on) && !server::check_date(g.spend_by)) {
        if (g.spend_by < g.approved_on) in.invalid("spend_by", "must not be before approved_on");
        g.earmark_end = earmark_end(g.spend_by);
    }
}

Response create_grant(HandlerDeps& deps, RequestContext& ctx) {
    require(ctx, Action::manage_funding, std::nullopt);
    const auto body = parse_json_body(ctx.request);
    ObjectReader in(body, {"programme", "reference", "title", "amount_cents", "own_contribution_cents",
                           "approved_on", "spend_by"});
    Grant g;
    g.programme_code = in.required_string("programme");
    for (const char* required : {"reference", "amount_cents", "approved_on", "spend_by"}) {
        if (!in.has(required)) in.invalid(required, "is required");
    }
    read_grant_fields(in, g);
    in.finish();
    const Grant created = deps.store.write([&](Repositories& db) {
        if (!db.find_programme(g.programme_code)) {
            throw ApiError::unprocessable("unknown programme", {{"programme", "no programme with code '" + g.programme_code + "'", std::nullopt}});
        }
        if (db.find_grant_by_reference(g.reference)) {
            throw ApiError::conflict("a grant with this reference exists", {{"reference", "is taken", std::nullopt}});
        }
        const auto id = db.insert_grant(g);
        const Grant stored = *db.find_grant(id);
        AuditEntry entry = audit_entry(ctx, "grant.create", "grant", std::to_string(id), std::nullopt);
        entry.detail = grant_json(stored);
        db.append_audit(entry);
        return stored;
    });
    Response r = json_response(201, dump(grant_json(created)));
    r.set_header("Location", "/api/v1/grants/" + std::to_string(created.id));
    return r;
}

Response update_grant_handler(HandlerDeps& deps, RequestContext& ctx) {
    require(ctx, Action::manage_funding, std::nullopt);
    const auto id = parse_grant_id(ctx.param("id"));
    const auto body = parse_json_body(ctx.request);
    const Grant updated = deps.store.write([&](Repositories& db) {
        auto g = db.find_grant(id);
        if (!g) throw ApiError::not_found("no such grant");
        const Grant before = *g;
        ObjectReader in(body, {"reference", "title", "amount_cents", "own_contribution_cents", "approved_on", "spend_by"});
        read_grant_fields(in, *g);
        in.finish();
        // Like a tranche's correction: every changed field with its former and its new value
        // (earmark_end follows spend_by); a change that changes nothing writes nothing.
        nlohmann::json detail = nlohmann::json::object();
        const auto changed = [&detail](const char* field, const auto& from, const auto& to) {
            if (from != to) detail[field] = {{"from", from}, {"to", to}};
        };
        changed("reference", before.reference, g->reference);
        changed("title", before.title, g->title);
        changed("amount_cents", before.amount_cents, g->amount_cents);
        changed("own_contribution_cents", before.own_contribution_cents, g->own_contribution_cents);
        changed("approved_on", before.approved_on, g->approved_on);
        changed("spend_by", before.spend_by, g->spend_by);
        changed("earmark_end", before.earmark_end, g->earmark_end);
        if (detail.empty()) return before;
        if (auto other = db.find_grant_by_reference(g->reference); other && *other != id) {
            throw ApiError::conflict("a grant with this reference exists", {{"reference", "is taken", std::nullopt}});
        }
        db.update_grant(*g);
        AuditEntry entry = audit_entry(ctx, "grant.update", "grant", std::to_string(id), std::nullopt);
        entry.detail = std::move(detail);
        db.append_audit(entry);
        return *db.find_grant(id);
    });
    return json_response(200, dump(grant_json(updated)));
}

}  // namespace

void register_funding_routes(Router& router, HandlerDeps& deps) {
    router.add("GET", "/api/v1/programmes", Auth::user, [&deps](RequestContext& ctx) { return list_programmes_handler(deps, ctx); });
    router.add("POST", "/api/v1/programmes", Auth::user, [&deps](RequestContext& ctx) { return create_programme(deps, ctx); });
    router.add("GET", "/api/v1/grants", Auth::user, [&deps](RequestContext& ctx) { return list_grants_handler(deps, ctx); });
    router.add("POST", "/api/v1/grants", Auth::user, [&deps](RequestContext& ctx) { return create_grant(deps, ctx); });
    router.add("GET", "/api/v1/grants/{id}", Auth::user, [&deps](RequestContext& ctx) { return get_grant(deps, ctx); });
    router.add("PATCH", "/api/v1/grants/{id}", Auth::user, [&deps](RequestContext& ctx) { return update_grant_handler(deps, ctx); });
}

}  // namespace pakt::server::http
