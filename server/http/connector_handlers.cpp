// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// The vendor API connectors for municipal IT: their state and last runs, and "sync now".
// City-wide (a connector spans every school), so city_admin only.
#include <chrono>

#include "server/connectors/connector_service.hpp"
#include "server/http/handlers.hpp"
#include "server/http/json_input.hpp"

namespace pakt::server::http {
namespace {

using connectors::ConnectorService;
using connectors::ConnectorStatus;

// How long "sync now" with ?wait=true waits for the run before answering 202 anyway.
constexpr auto kSyncWait = std::chrono::seconds(120);

nlohmann::json run_json(const ConnectorRun& r) {
    return {{"id", r.id},
            {"trigger", r.trigger},
            {"requested_by",
             r.requested_by.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.requested_by)},
            {"started_at", r.started_at},
            {"finished_at", r.finished_at},
            {"outcome", r.outcome},
            {"calls", r.calls},
            {"retries", r.retries},
            {"counts", r.counts},
            {"conflicts", r.conflicts},
            {"error", r.error ? nlohmann::json(*r.error) : nlohmann::json(nullptr)}};
}

nlohmann::json status_json(const ConnectorStatus& s) {
    const auto opt = [](const std::optional<std::string>& v) {
        return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
    };
    return {{"name", s.name},
            {"title", s.title},
            {"configured", s.configured},
            {"state", s.state},
            {"next_run_at", opt(s.next_run_at)},
            {"last_success_at", opt(s.last_success_at)},
            {"last_run", s.last_run ? run_json(*s.last_run) : nlohmann::json(nullptr)}};
}

const std::string& connector_name(const RequestContext& ctx) {
    const std::string& name = ctx.param("name");
    if (!ConnectorService::known(name))
        throw ApiError::not_found("no connector named '" + name + "'");
    return name;
}

nlohmann::json status_of(ConnectorService& service, const std::string& name) {
    for (const auto& s : service.status()) {
        if (s.name == name) return status_json(s);
    }
    return nullptr;
}

Response list(HandlerDeps& deps, RequestContext& ctx) {
    require(ctx, Action::manage_connectors, std::nullopt);
    nlohmann::json items = nlohmann::json::array();
    for (const auto& s : deps.connectors->status()) items.push_back(status_json(s));
    return json_response(200, dump({{"connectors", items}}));
}

Response sync(HandlerDeps& deps, RequestContext& ctx) {
    require(ctx, Action::manage_connectors, std::nullopt);
    const std::string& name = connector_name(ctx);
    bool wait = false;
    if (const auto w = ctx.query_param("wait")) {
        if (*w != "true" && *w != "false") {
            throw ApiError::bad_request("'wait' must be true or false",
                                        {{"wait", "expected true or false", std::nullopt}});
        }
        wait = *w == "true";
    }
    if (!deps.connectors->configured(name)) {
        throw ApiError::conflict("the connector '" + name +
                                 "' is not configured: add its [connectors." + name +
                                 "] table to paktd.toml");
    }
    const auto ticket = deps.connectors->request_run(name, ctx.user().username);
    deps.store.write([&](Repositories& db) {
        db.append_audit(audit_entry(ctx, "connector.sync_requested", "connector", name, std::nullopt));
    });
    if (wait) {
        if (const auto run = deps.connectors->wait_for_run(name, ticket, kSyncWait)) {
            return json_response(200, dump(run_json(*run)));
        }
    }
    return json_response(202, dump(status_of(*deps.connectors, name)));
}

Response runs(HandlerDeps& deps, RequestContext& ctx) {
    require(ctx, Action::manage_connectors, std::nullopt);
    const std::string& name = connector_name(ctx);
    const int limit = page_limit(ctx);
    const std::int64_t before = page_after_id(ctx);
    std::vector<ConnectorRun> rows;
    {
        auto lease = deps.store.read();
        rows = lease->list_connector_runs(name, before, limit + 1);
    }
    nlohmann::json items = nlohmann::json::array();
    for (std::size_t i = 0; i < rows.size() && i < static_cast<std::size_t>(limit); ++i) {
        items.push_back(run_json(rows[i]));
    }
    nlohmann::json body = {{"items", items}, {"next_cursor", nullptr}};
    if (rows.size() > static_cast<std::size_t>(limit)) {
        body["next_cursor"] =
            encode_cursor(std::to_string(rows[static_cast<std::size_t>(limit) - 1].id));
    }
    return json_response(200, dump(body));
}

}  // namespace

void register_connector_routes(Router& router, HandlerDeps& deps) {
    router.add("GET", "/api/v1/connectors", Auth::user,
               [&deps](RequestContext& ctx) { return list(deps, ctx); });
    router.add("POST", "/api/v1/connectors/{name}/sync", Auth::user,
               [&deps](RequestContext& ctx) { return sync(deps, ctx); });
    router.add("GET", "/api/v1/connectors/{name}/runs", Auth::user,
               [&deps](RequestContext& ctx) { return runs(deps, ctx); });
}

}  // namespace pakt::server::http
