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

    router.add("GET", "/readyz", Auth::none, [&deps](RequestContext&) {
        const bool ready = deps.ready();
        Response r;
        r.status = ready ? 200 : 503;
        r.set_header("Content-Type", "text/plain; charset=utf-8");
        r.body = ready ? "ready\n" : "not ready\n";
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
