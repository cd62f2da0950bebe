// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// The audit trail, read in scope: city_admin sees every entry; the school roles see the entries
// of their schools.

#include <algorithm>
#include <charconv>
#include <chrono>
#include <tuple>

#include "common/time.hpp"
#include "server/domain/validation.hpp"
#include "server/http/handlers.hpp"
#include "server/http/json_input.hpp"

namespace pakt::server::http {
namespace {

nlohmann::json audit_json(const AuditRecord& r) {
    nlohmann::json detail = nlohmann::json::parse(r.detail, nullptr, false);
    return {{"id", r.id},
            {"at", r.at},
            {"actor", r.actor},
            {"actor_user_id", r.actor_user_id ? nlohmann::json(*r.actor_user_id) : nlohmann::json(nullptr)},
            {"action", r.action},
            {"object_type", r.object_type},
            {"object_id", r.object_id},
            {"school_number", r.school_number ? nlohmann::json(*r.school_number) : nlohmann::json(nullptr)},
            {"detail", detail.is_discarded() ? nlohmann::json(r.detail) : detail},
            {"request_id", r.request_id},
            {"hash", r.hash}};
}

// Actions and object types are dotted lower-case words ("device.enroll", "api_token").
bool is_action_text(std::string_view text) {
    if (text.empty() || text.size() > 100 || text.front() == '.') return false;
    return std::all_of(text.begin(), text.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
    });
}

// `from` and `to` take a date or a time. A date is a German calendar day, as the pages show
// times: `from` starts at its first instant, `to` includes it (ends where the next day starts).
// A time is an instant: `from` includes it, `to` excludes it. Both come back in the stored form
// ("YYYY-MM-DDTHH:MM:SSZ", whole seconds): `to` rounded up, so an entry of that second within the
// range is not lost.
std::optional<std::string> time_bound(std::string_view text, bool is_to) {
    if (text.size() == 10 ? check_date(text).has_value() : check_time(text).has_value()) {
        return std::nullopt;  // malformed, or outside the years the API accepts
    }
    if (text.size() == 10) {
        auto start = german_day_start(text);
        if (!start) return std::nullopt;
        // 36 hours after the start lies inside the next day (a German day is 23 to 25 hours).
        if (is_to) start = german_day_start(german_date(*start + std::chrono::hours(36)));
        return format_rfc3339(*start);
    }
    auto t = parse_rfc3339(text);
    if (!t) return std::nullopt;
    if (is_to) t = std::chrono::ceil<std::chrono::seconds>(*t);
    return format_rfc3339(*t);
}

AuditFilter read_filter(const RequestContext& ctx) {
    AuditFilter f;
    std::vector<FieldError> errors;
    auto invalid = [&](const char* field, std::string message) {
        errors.push_back({field, std::move(message), std::nullopt});
    };
    if (auto actor = ctx.query_param("actor")) {
        if (actor->empty() || check_text(*actor, 100))
            invalid("actor", "must be a username (1 to 100 characters)");
        else
            f.actor = std::move(*actor);
    }
    if (auto action = ctx.query_param("action")) {
        if (!is_action_text(*action)) {
            invalid("action",
                    "must be an action such as \"device.enroll\", or a prefix ending in '.' such "
                    "as \"device.\"");
        } else {
            f.action = std::move(*action);
        }
    }
    if (auto type = ctx.query_param("object_type")) {
        if (!is_action_text(*type))
            invalid("object_type", "must be an object type such as \"device\" or \"user\"");
        else
            f.object_type = std::move(*type);
    }
    if (auto id = ctx.query_param("object_id")) {
        // An id means nothing without its type: user 7 and api_token 7 are different objects.
        if (id->empty() || check_text(*id, 200))
            invalid("object_id", "must be an object's id (1 to 200 characters)");
        else if (!ctx.query_param("object_type"))
            invalid("object_id", "needs object_type alongside");
        else
            f.object_id = std::move(*id);
    }
    for (const auto& [field, target, is_to] :
         {std::tuple{"from", &f.from_at, false}, std::tuple{"to", &f.to_at, true}}) {
        if (auto text = ctx.query_param(field)) {
            *target = time_bound(*text, is_to);
            if (!*target)
                invalid(
                    field,
                    "must be a date YYYY-MM-DD or an RFC 3339 time such as 2026-09-01T07:30:00Z, "
                    "from the year 2000 to 2100");
        }
    }
    if (f.from_at && f.to_at && *f.from_at >= *f.to_at) invalid("to", "must be later than from");
    if (!errors.empty())
        throw ApiError::unprocessable("the audit log cannot be filtered like this", errors);
    return f;
}

Response list(HandlerDeps& deps, RequestContext& ctx) {
    AuditFilter f = read_filter(ctx);
    const int limit = page_limit(ctx);
    f.limit = limit + 1;
    f.before_id = page_after_id(ctx);
    if (!ctx.user().is_city_admin()) f.schools = ctx.user().schools;
    if (auto school = ctx.query_param("school_number")) {
        if (!can_see(ctx.user(), *school)) throw ApiError::not_found("no such school");
        f.school_number = *school;
    }
    auto lease = deps.store.read();
    auto records = lease->list_audit(f);
    nlohmann::json items = nlohmann::json::array();
    nlohmann::json next = nullptr;
    for (std::size_t i = 0; i < records.size() && static_cast<int>(i) < limit; ++i) items.push_back(audit_json(records[i]));
    if (static_cast<int>(records.size()) > limit) next = encode_cursor(std::to_string(records[static_cast<std::size_t>(limit) - 1].id));
    return json_response(200, dump({{"items", items}, {"next_cursor", next}}));
}

// The check `paktctl audit verify` makes, for the audit page: the whole chain in one read
// snapshot, so entries appended meanwhile neither count nor break it.
Response verify(HandlerDeps& deps, RequestContext& ctx) {
    require(ctx, Action::verify_audit, std::nullopt);
    auto lease = deps.store.read();
    const AuditVerification result = lease->verify_audit_chain();
    nlohmann::json broken = nullptr;
    if (result.first_broken)
        broken = {{"id", result.first_broken->id}, {"reason", result.first_broken->reason}};
    return json_response(200, dump({{"intact", !result.first_broken},
                                    {"entries", result.entries},
                                    {"last_id", result.last_id},
                                    {"first_broken", broken}}));
}

}  // namespace

void register_audit_routes(Router& router, HandlerDeps& deps) {
    router.add("GET", "/api/v1/audit", Auth::user, [&deps](RequestContext& ctx) { return list(deps, ctx); });
    router.add("GET", "/api/v1/audit/verify", Auth::user,
               [&deps](RequestContext& ctx) { return verify(deps, ctx); });
}

}  // namespace pakt::server::http
