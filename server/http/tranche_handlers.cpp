// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// Tranches (deliveries): created by city_admin, read in scope, manifests uploaded by the school's
// IT helper or city_admin, the rollout funnel and reconciliation.

#include <charconv>

#include "common/time.hpp"
#include "server/domain/manifest.hpp"
#include "server/domain/validation.hpp"
#include "server/http/handlers.hpp"
#include "server/http/json_input.hpp"

namespace pakt::server::http {

std::string days_ago(int days) { return format_rfc3339(Clock::now() - std::chrono::hours(24 * days)); }

std::int64_t parse_tranche_id(const std::string& text) {
    std::int64_t id = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (ec != std::errc() || ptr != text.data() + text.size() || id <= 0) throw ApiError::not_found("no such tranche");
    return id;
}

namespace {

// Loads a tranche the caller may see (404 otherwise, also for other schools' tranches).
Tranche visible_tranche(const RequestContext& ctx, Repositories& db, std::int64_t id) {
    auto t = db.find_tranche(id);
    if (!t || !can_see(ctx.user(), t->school_number)) throw ApiError::not_found("no such tranche");
    return *t;
}

nlohmann::json progress_json(const TrancheProgress& p) {
    return {{"expected", p.expected},   {"in_manifest", p.in_manifest},
            {"enrolled", p.enrolled},   {"managed", p.managed},
            {"seen_last_7_days", p.seen_last_7_days}, {"loaned", p.loaned},
            {"missing", p.missing}};
}

// The grant is named by its reference and programme: school roles may not read grants, yet
// their delivery pages say which grant paid.
nlohmann::json tranche_json(const Tranche& t, const TrancheProgress& p) {
    return {{"id", t.id},
            {"school_number", t.school_number},
            {"grant_id", t.grant_id},
            {"grant_reference", t.grant_reference},
            {"programme", t.programme_code},
            {"supplier", t.supplier},
            {"order_number", t.order_number},
            {"delivery_note", t.delivery_note},
            {"delivered_on", t.delivered_on},
            {"model", t.model},
            {"unit_price_cents", t.unit_price_cents},
            {"expected_count", t.expected_count},
            {"created_at", t.created_at},
            {"updated_at", t.updated_at},
            {"progress", progress_json(p)}};
}

// The details of a delivery a client may set, each checked where it is present: creating a
// tranche requires some of them, a change may send any.
struct TrancheDetails {
    std::optional<std::string> supplier;
    std::optional<std::string> order_number;
    std::optional<std::string> delivery_note;
    std::optional<std::string> delivered_on;
    std::optional<std::string> model;
    std::optional<std::int64_t> unit_price_cents;
    std::optional<std::int64_t> expected_count;
};

TrancheDetails read_tranche_details(ObjectReader& in) {
    TrancheDetails d;
    d.supplier = in.optional_string("supplier");
    d.order_number = in.optional_string("order_number");
    d.delivery_note = in.optional_string("delivery_note");
    d.delivered_on = in.optional_string("delivered_on");
    d.model = in.optional_string("model");
    d.unit_price_cents = in.optional_integer("unit_price_cents");
    d.expected_count = in.optional_integer("expected_count");
    if (d.delivered_on) {
        if (auto e = check_date(*d.delivered_on)) in.invalid("delivered_on", *e);
    }
    if (d.unit_price_cents && (*d.unit_price_cents < 0 || *d.unit_price_cents > 10'000'000)) {
        in.invalid("unit_price_cents", "must be between 0 and 10,000,000");
    }
    if (d.expected_count && (*d.expected_count < 1 || *d.expected_count > 100'000)) {
        in.invalid("expected_count", "must be between 1 and 100,000");
    }
    for (auto [field, value, max] :
         {std::tuple{"supplier", &d.supplier, 200},
          std::tuple{"order_number", &d.order_number, 100},
          std::tuple{"delivery_note", &d.delivery_note, 100}, std::tuple{"model", &d.model, 100}}) {
        if (!*value) continue;
        if (auto e = check_text(**value, static_cast<std::size_t>(max))) in.invalid(field, *e);
    }
    return d;
}

Response create(HandlerDeps& deps, RequestContext& ctx) {
    require(ctx, Action::manage_funding, std::nullopt);
    const auto body = parse_json_body(ctx.request);
    ObjectReader in(body, {"school_number", "grant_id", "supplier", "order_number", "delivery_note", "delivered_on",
                           "model", "unit_price_cents", "expected_count"});
    Tranche t;
    t.school_number = in.required_string("school_number");
    const auto grant_id = in.optional_integer("grant_id");
    const TrancheDetails details = read_tranche_details(in);
    for (const char* required :
         {"grant_id", "delivered_on", "unit_price_cents", "expected_count"}) {
        if (!in.has(required)) in.invalid(required, "is required");
    }
    if (in.has("school_number") && !is_valid_school_number(t.school_number))
        in.invalid("school_number", "must be six digits");
    in.finish();
    t.grant_id = *grant_id;
    t.supplier = details.supplier.value_or("");
    t.order_number = details.order_number.value_or("");
    t.delivery_note = details.delivery_note.value_or("");
    t.delivered_on = *details.delivered_on;
    t.model = details.model.value_or("");
    t.unit_price_cents = *details.unit_price_cents;
    t.expected_count = *details.expected_count;

    const nlohmann::json stored = deps.store.write([&](Repositories& db) {
        std::vector<FieldError> errors;
        if (!db.school_exists(t.school_number)) errors.push_back({"school_number", "no such school", std::nullopt});
        auto grant = db.find_grant(t.grant_id);
        if (!grant) {
            errors.push_back({"grant_id", "no such grant", std::nullopt});
        } else if (auto programme = db.find_programme(grant->programme_code); programme && !programme->funds_devices) {
            errors.push_back({"grant_id", "the grant's programme " + programme->code + " funds no devices", std::nullopt});
        }
        if (!errors.empty()) throw ApiError::unprocessable("the tranche refers to unknown or unsuitable objects", errors);
        const auto id = db.insert_tranche(t);
        const Tranche created = *db.find_tranche(id);
        AuditEntry entry = audit_entry(ctx, "tranche.create", "tranche", std::to_string(id), t.school_number);
        entry.detail = {{"grant_id", t.grant_id}, {"expected_count", t.expected_count},
                        {"unit_price_cents", t.unit_price_cents}, {"order_number", t.order_number}};
        db.append_audit(entry);
        return tranche_json(created, db.tranche_progress(id, days_ago(7)));
    });
    Response r = json_response(201, dump(stored));
    r.set_header("Location", "/api/v1/tranches/" + std::to_string(stored.at("id").get<std::int64_t>()));
    return r;
}

// Corrections of a delivery's details. The unit price and the expected count are figures of
// the proof of use (spend, delivered): once the grant's implementation period has ended
// (`spend_by` before today, German calendar day) they are frozen, as the proof of use may have
// been filed with them. The text details stay correctable. Every changed field is audited with
// its former and its new value; a change that changes nothing writes nothing.
Response update(HandlerDeps& deps, RequestContext& ctx) {
    const auto id = parse_tranche_id(ctx.param("id"));
    const auto body = parse_json_body(ctx.request);
    ObjectReader in(body, {"supplier", "order_number", "delivery_note", "delivered_on", "model",
                           "unit_price_cents", "expected_count"});
    const TrancheDetails change = read_tranche_details(in);
    in.finish();

    const nlohmann::json stored = deps.store.write([&](Repositories& db) {
        Tranche t = visible_tranche(ctx, db, id);
        require(ctx, Action::manage_funding, t.school_number);
        nlohmann::json detail = nlohmann::json::object();
        const auto apply = [&detail](const char* field, auto& current, const auto& wanted) {
            if (!wanted || *wanted == current) return;
            detail[field] = {{"from", current}, {"to", *wanted}};
            current = *wanted;
        };
        const std::int64_t enrolled = db.count_devices_in_tranche(t.id);
        apply("supplier", t.supplier, change.supplier);
        apply("order_number", t.order_number, change.order_number);
        apply("delivery_note", t.delivery_note, change.delivery_note);
        apply("delivered_on", t.delivered_on, change.delivered_on);
        apply("model", t.model, change.model);
        apply("unit_price_cents", t.unit_price_cents, change.unit_price_cents);
        apply("expected_count", t.expected_count, change.expected_count);
        if (detail.empty()) return tranche_json(t, db.tranche_progress(id, days_ago(7)));

        const Grant grant = *db.find_grant(t.grant_id);
        const std::string today = german_date(Clock::now());
        std::vector<FieldError> frozen;
        for (const char* figure : {"unit_price_cents", "expected_count"}) {
            if (detail.contains(figure) && grant.spend_by < today) {
                frozen.push_back(
                    {figure, "frozen: the grant's implementation period ended on " + grant.spend_by,
                     std::nullopt});
            }
        }
        if (!frozen.empty()) {
            throw ApiError(
                409, "proof-of-use-frozen", "Proof of use frozen",
                "grant " + grant.reference + " ended its implementation period on " +
                    grant.spend_by +
                    ": the unit price and the expected count are figures of its proof of use",
                frozen);
        }
        if (detail.contains("expected_count") && t.expected_count < enrolled) {
            throw ApiError::conflict(
                "the tranche has " + std::to_string(enrolled) +
                    " devices enrolled; unenroll devices first",
                {{"expected_count",
                  "must be at least the " + std::to_string(enrolled) + " devices enrolled",
                  std::nullopt}});
        }
        db.update_tranche(t);
        AuditEntry entry =
            audit_entry(ctx, "tranche.update", "tranche", std::to_string(id), t.school_number);
        entry.detail = detail;
        db.append_audit(entry);
        return tranche_json(*db.find_tranche(id), db.tranche_progress(id, days_ago(7)));
    });
    return json_response(200, dump(stored));
}

Response list(HandlerDeps& deps, RequestContext& ctx) {
    TrancheFilter f;
    f.limit = page_limit(ctx);
    f.after_id = page_after_id(ctx);
    if (!ctx.user().is_city_admin()) f.schools = ctx.user().schools;
    if (auto school = ctx.query_param("school_number")) {
        if (!can_see(ctx.user(), *school)) throw ApiError::not_found("no such school");
        f.school_number = *school;
    }
    if (auto grant = ctx.query_param("grant_id")) {
        std::int64_t id = 0;
        auto [ptr, ec] = std::from_chars(grant->data(), grant->data() + grant->size(), id);
        if (ec != std::errc() || ptr != grant->data() + grant->size()) {
            throw ApiError::bad_request("grant_id must be an integer", {{"grant_id", "must be an integer", std::nullopt}});
        }
        f.grant_id = id;
    }
    const int limit = f.limit;
    f.limit = limit + 1;
    auto lease = deps.store.read();
    auto tranches = lease->list_tranches(f);
    const std::string since = days_ago(7);
    nlohmann::json items = nlohmann::json::array();
    nlohmann::json next = nullptr;
    for (std::size_t i = 0; i < tranches.size() && static_cast<int>(i) < limit; ++i) {
        items.push_back(tranche_json(tranches[i], lease->tranche_progress(tranches[i].id, since)));
    }
    if (static_cast<int>(tranches.size()) > limit) next = encode_cursor(std::to_string(tranches[static_cast<std::size_t>(limit) - 1].id));
    return json_response(200, dump({{"items", items}, {"next_cursor", next}}));
}

Response get(HandlerDeps& deps, RequestContext& ctx) {
    const auto id = parse_tranche_id(ctx.param("id"));
    auto lease = deps.store.read();
    const Tranche t = visible_tranche(ctx, *lease, id);
    return json_response(200, dump(tranche_json(t, lease->tranche_progress(id, days_ago(7)))));
}

bool is_csv_content_type(const std::optional<std::string>& value) {
    if (!value) return false;
    std::string v;
    for (char c : *value) {
        if (c != ' ') v += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return v.rfind("text/csv", 0) == 0 && (v.size() == 8 || v[8] == ';');
}

Response put_manifest(HandlerDeps& deps, RequestContext& ctx) {
    const auto id = parse_tranche_id(ctx.param("id"));
    {
        auto lease = deps.store.read();
        const Tranche t = visible_tranche(ctx, *lease, id);
        require(ctx, Action::manage_devices, t.school_number);
    }
    if (!is_csv_content_type(ctx.request.header("Content-Type"))) {
        throw ApiError::unsupported_media_type("a manifest is uploaded as 'Content-Type: text/csv'");
    }
    ParsedManifest manifest = parse_manifest(ctx.request.body);

    struct Outcome {
        std::size_t rows = 0, added = 0, already_present = 0;
    };
    const Outcome outcome = deps.store.write([&](Repositories& db) {
        const Tranche t = *db.find_tranche(id);
        FieldErrors errors;
        errors.append(manifest.errors, [](const ManifestError& e) {
            return FieldError{e.field, e.message, e.line};
        });
        std::vector<ManifestRow> fresh;
        Outcome o;
        o.rows = manifest.rows.size();
        for (const auto& row : manifest.rows) {
            const auto owner = db.manifest_tranche_of(row.serial_number);
            if (owner && *owner == id) {
                ++o.already_present;
            } else if (owner) {
                errors.add({"serial_number",
                            "'" + row.serial_number + "' is in the manifest of tranche " +
                                std::to_string(*owner),
                            row.line});
            } else if (auto device = db.find_device(row.serial_number); device && device->tranche_id != id) {
                // Enrolled into another tranche (off its manifest, or one without a manifest): the
                // device belongs to that tranche as much as a manifest entry would.
                errors.add({"serial_number",
                            "'" + row.serial_number + "' is enrolled in tranche " +
                                std::to_string(device->tranche_id),
                            row.line});
            } else {
                fresh.push_back(row);
            }
        }
        const auto total = db.manifest_size(id) + static_cast<std::int64_t>(fresh.size());
        if (errors.empty() && total > t.expected_count) {
            const std::size_t first_excess = static_cast<std::size_t>(t.expected_count - db.manifest_size(id));
            errors.add({"serial_number",
                        "the manifest would list " + std::to_string(total) +
                            " devices; the tranche expects " + std::to_string(t.expected_count),
                        fresh[first_excess].line});
        }
        if (!errors.empty()) {
            errors.sort([](const FieldError& a, const FieldError& b) { return a.line < b.line; });
            throw ApiError::unprocessable(
                std::to_string(errors.total()) +
                    " lines of the manifest are invalid; nothing was stored",
                errors);
        }
        db.insert_manifest_entries(id, fresh);
        o.added = fresh.size();
        AuditEntry entry = audit_entry(ctx, "tranche.manifest", "tranche", std::to_string(id), t.school_number);
        entry.detail = {{"rows", o.rows}, {"added", o.added}, {"already_present", o.already_present}};
        db.append_audit(entry);
        return o;
    });
    return json_response(200, dump({{"rows", outcome.rows}, {"added", outcome.added}, {"already_present", outcome.already_present}}));
}

Response reconciliation(HandlerDeps& deps, RequestContext& ctx) {
    const auto id = parse_tranche_id(ctx.param("id"));
    auto lease = deps.store.read();
    visible_tranche(ctx, *lease, id);
    const Reconciliation r = lease->reconcile_tranche(id, days_ago(14));
    // Released from the organisation in Apple School Manager: no longer the city's to manage,
    // though the manifest and the proof of use still list it.
    const auto released = lease->released_serials_of_tranche(id);
    return json_response(200, dump({{"tranche_id", id}, {"missing", r.missing}, {"unexpected", r.unexpected}, {"not_seen", r.not_seen}, {"released", released}}));
}

}  // namespace

void register_tranche_routes(Router& router, HandlerDeps& deps) {
    router.add("POST", "/api/v1/tranches", Auth::user, [&deps](RequestContext& ctx) { return create(deps, ctx); });
    router.add("GET", "/api/v1/tranches", Auth::user, [&deps](RequestContext& ctx) { return list(deps, ctx); });
    router.add("GET", "/api/v1/tranches/{id}", Auth::user, [&deps](RequestContext& ctx) { return get(deps, ctx); });
    router.add("PATCH", "/api/v1/tranches/{id}", Auth::user,
               [&deps](RequestContext& ctx) { return update(deps, ctx); });
    // A delivery list of thousands of lines: the configured limit.
    router.add(
        "PUT", "/api/v1/tranches/{id}/manifest", Auth::user,
        [&deps](RequestContext& ctx) { return put_manifest(deps, ctx); },
        deps.config.body_limit_bytes);
    router.add("GET", "/api/v1/tranches/{id}/reconciliation", Auth::user, [&deps](RequestContext& ctx) { return reconciliation(deps, ctx); });
}

}  // namespace pakt::server::http
