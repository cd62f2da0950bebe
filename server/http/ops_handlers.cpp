// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// Operations endpoints, outside /api/v1: liveness, readiness and Prometheus metrics; and the
// served contract, /api/v1/openapi.yaml, public like them so clients can read it before logging in.
#include "server/http/handlers.hpp"
#include "server/http/openapi.hpp"

namespace pakt::server::http {

void register_ops_routes(Router& router, HandlerDeps& deps) {
    router.add("GET", "/healthz", Auth::none, [](RequestContext&) {
        Response r;
        r.set_header("Content-Type", "text/plain; charset=utf-8");
        r.body = "ok\n";
        return r;
    });

    // Readiness asks the database too: a load balancer in front of several instances on one
    // PostgreSQL takes out the instance that cannot reach it. The second try is on another pooled
    // connection, or on the same one reconnected (a connection the server dropped, by a restart
    // or a failover, fails its next query once and is reconnected when it is next lent).
    router.add("GET", "/readyz", Auth::none, [&deps](RequestContext&) {
        const char* why = deps.ready() ? nullptr : "not ready\n";
        if (!why) {
            why = "not ready: the database does not answer\n";
            for (int attempt = 0; attempt < 2 && why; ++attempt) {
                try {
                    deps.store.read().view().ping();
                    why = nullptr;
                } catch (const std::exception&) {  // NOLINT(bugprone-empty-catch): try again
                }
            }
        }
        Response r;
        r.status = why ? 503 : 200;
        r.set_header("Content-Type", "text/plain; charset=utf-8");
        r.body = why ? why : "ready\n";
        return r;
    });
    // Liveness: a monitor asks every few seconds; answered where it was read, without waking a
    // handler thread. (Readiness goes through the handler pool, so an overloaded paktd says 503.)
    router.run_inline("GET", "/healthz");

    router.add("GET", "/metrics", Auth::none, [&deps](RequestContext&) {
        Response r;
        r.set_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
        r.body = deps.metrics.render();
        return r;
    });

    // YAML only: serving the JSON form would need a YAML parser, and the contract says either.
    router.add("GET", "/api/v1/openapi.yaml", Auth::none, [](RequestContext&) {
        Response r;
        r.set_header("Content-Type", "application/yaml");
        r.body = std::string(openapi_document());
        return r;
    });
}

}  // namespace pakt::server::http
