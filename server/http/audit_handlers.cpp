// The audit trail, read in scope: city_admin sees every entry; the school roles see the entries
// of their schools.
#include <SQLiteCpp/Database.h>

#include <charconv>

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

Response list(HandlerDeps& deps, RequestContext& ctx) {
    AuditFilter f;
    const int limit = page_limit(ctx);
    f.limit = limit + 1;
    f.before_id = page_after_id(ctx);
    if (!ctx.user().is_city_admin()) f.schools = ctx.user().schools;
    if (auto school = ctx.query_param("school_number")) {
        if (!can_see(ctx.user(), *school)) throw ApiError::not_found("no such school");
        f.school_number = *school;
    }
    auto lease = deps.reads.acquire();
    auto records = list_audit(lease.db(), f);
    nlohmann::json items = nlohmann::json::array();
    nlohmann::json next = nullptr;
    for (std::size_t i = 0; i < records.size() && static_cast<int>(i) < limit; ++i) items.push_back(audit_json(records[i]));
    if (static_cast<int>(records.size()) > limit) next = encode_cursor(std::to_string(records[static_cast<std::size_t>(limit) - 1].id));
    return json_response(200, dump({{"items", items}, {"next_cursor", next}}));
}

}  // namespace

void register_audit_routes(Router& router, HandlerDeps& deps) {
    router.add("GET", "/api/v1/audit", Auth::user, [&deps](RequestContext& ctx) { return list(deps, ctx); });
}

}  // namespace pakt::server::http
