// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// Registration of the API's resources on the router. Handlers get what they need through
// HandlerDeps (owned by App); they validate input, load the objects a request touches, ask the
// authorization policy about those objects, and run mutations with their audit entry through the
// store's writer. They see storage only through the Store and its repository interfaces.
#include <functional>
#include <optional>
#include <semaphore>
#include <string>

#include "server/config.hpp"
#include "server/domain/authorization.hpp"
#include "server/domain/login_throttle.hpp"
#include "server/domain/rate_limiter.hpp"
#include "server/http/metrics.hpp"
#include "server/http/router.hpp"
#include "server/http/web_assets.hpp"
#include "server/domain/store.hpp"

namespace pakt::server {
namespace connectors {
class ConnectorService;
}
}

namespace pakt::server::http {

/// A loan as the API shows it (loans and devices alike).
nlohmann::json loan_json(const Loan& loan);

/// An API token as the API lists it (the caller's own and, for city_admin, a user's); never
/// the token itself.
nlohmann::json api_token_json(const ApiTokenRecord& token);

struct HandlerDeps {
    const ServerConfig& config;
    Store& store;
    LoginThrottle& login_throttle;
    EnrollThrottle& enroll_throttle;  ///< agent enroll secrets: key spaces of their own
    Metrics& metrics;
    std::function<bool()> ready;  ///< database open and migrated, not shutting down
    RateLimiter& checkin_limiter;  ///< per-agent check-in rate
    std::counting_semaphore<>& checkin_parsing;  ///< bounds concurrent report parsing
    const WebAssets& web_assets;                 ///< the web UI's files
    std::string certificate_sha256;  ///< the serving certificate's fingerprint; empty without TLS
    connectors::ConnectorService* connectors = nullptr;  ///< the vendor API connectors
};

void register_ops_routes(Router& router, HandlerDeps& deps);
void register_session_routes(Router& router, HandlerDeps& deps);
void register_user_routes(Router& router, HandlerDeps& deps);
void register_school_routes(Router& router, HandlerDeps& deps);
void register_funding_routes(Router& router, HandlerDeps& deps);
void register_tranche_routes(Router& router, HandlerDeps& deps);
void register_device_routes(Router& router, HandlerDeps& deps);
void register_audit_routes(Router& router, HandlerDeps& deps);
void register_agent_routes(Router& router, HandlerDeps& deps);
void register_report_routes(Router& router, HandlerDeps& deps);
void register_loan_routes(Router& router, HandlerDeps& deps);
void register_web_routes(Router& router, HandlerDeps& deps);
void register_connector_routes(Router& router, HandlerDeps& deps);

/// An audit entry for a mutation made by the caller of `ctx`.
AuditEntry audit_entry(const RequestContext& ctx, std::string action, std::string object_type,
                       std::string object_id, std::optional<std::string> school_number);

/// Reads `limit` (default 50, 1..500) from the query; 400 if not a number, 422 if out of range.
int page_limit(const RequestContext& ctx);

/// Decodes the opaque `cursor` query parameter into the key to continue after ("" if absent);
/// 400 if it was not produced by encode_cursor.
std::string page_after(const RequestContext& ctx);
std::string encode_cursor(const std::string& key);

/// page_after() for lists keyed by a numeric id: 0 if absent, 400 if the cursor does not hold one.
std::int64_t page_after_id(const RequestContext& ctx);

/// Throws 404 if the caller may not see the school, 403 if it may see it but not do `action`.
void require(const RequestContext& ctx, Action action, const std::optional<std::string>& school);

/// RFC 3339 time `days` days before now (the 7-day "seen" and 14-day "stale" windows).
std::string days_ago(int days);

/// Parses a tranche id from a path segment; 404 if it is not a positive integer.
std::int64_t parse_tranche_id(const std::string& text);

}  // namespace pakt::server::http
