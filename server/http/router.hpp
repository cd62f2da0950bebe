// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// The router: matches method and path to a handler, authenticates the caller for routes that
// need it, and is the one catch site that maps errors to RFC 9457 problem+json. Usable without a
// socket: Response dispatch(Request).
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/domain/principal.hpp"
#include "server/http/api_error.hpp"
#include "server/http/message.hpp"

namespace pakt::server::http {

enum class Auth {
    none,  ///< public (operations endpoints, login)
    user,  ///< a user's session or API token; 403 while the user must change its password
    /// Like `user`, and also open to a user who must change its password first: only what it
    /// needs for that (read itself, change the password, log out).
    own_account,
};

struct RequestContext {
    const Request& request;
    std::map<std::string, std::string> path_params;  ///< decoded {name} segments
    std::map<std::string, std::string> query;        ///< decoded query parameters
    std::optional<Principal> principal;              ///< set for authenticated routes
    std::string bearer_token;                        ///< the raw token of an authenticated call
    bool cookie_session = false;  ///< authenticated by the browser's session cookie, not a header

    /// The authenticated user; only valid on authenticated routes (Auth::user, own_account).
    const Principal& user() const { return *principal; }
    const std::string& param(const std::string& name) const { return path_params.at(name); }
    std::optional<std::string> query_param(const std::string& name) const;
};

using Handler = std::function<Response(RequestContext&)>;

/// Resolves a bearer token to the user it belongs to, or nullopt if unknown, expired or disabled.
using Authenticator = std::function<std::optional<Principal>(const std::string& token)>;

struct RouteInfo {
    std::string method;
    std::string pattern;  ///< e.g. "/api/v1/schools/{school_number}"
    Auth auth;
    std::size_t body_limit = 0;  ///< the largest request body the route takes, in bytes
    /// Answered on the network thread that read the request, without the hop to the handler pool
    /// and back: for handlers that only compute a tiny answer from memory (liveness, readiness).
    bool runs_inline = false;
};

/// What the network layer needs to know of a request's route once its header is read.
struct RouteTraits {
    std::size_t body_limit = 0;
    bool runs_inline = false;
};

/// The largest request body of a route that declares nothing else: a JSON object of a signed-in
/// user (the largest real one, a scanning session of 1,000 serial numbers, is about 20 KiB).
inline constexpr std::size_t kDefaultBodyLimit = 64 * 1024;
/// For routes anyone may call (login, agent enrollment): a few small fields.
inline constexpr std::size_t kAnonymousBodyLimit = 4 * 1024;
/// For a method and path no route takes: the answer is 404 or 405 whatever the body holds.
inline constexpr std::size_t kUnmatchedBodyLimit = 4 * 1024;

/// The browser session cookie (host-only: Secure, Path=/, no Domain).
inline constexpr std::string_view kSessionCookie = "__Host-pakt_session";

/// The value of cookie `name` in the request's Cookie headers, or nullopt.
std::optional<std::string> request_cookie(const Request& request, std::string_view name);

/// Whether the request's Origin header names this server: `public_origin` if configured, else
/// the scheme and the Host header the request came with. A missing Origin does not match.
bool same_origin(const Request& request, std::string_view scheme, std::string_view public_origin);

class Router {
public:
    explicit Router(Authenticator authenticator);

    /// How state-changing requests authenticated by the session cookie are checked against
    /// cross-site request forgery: their Origin must be `public_origin` (e.g.
    /// "https://pakt.example.org") or, if that is empty, `scheme`://<Host header>. With TLS off
    /// behind a proxy, both http and https match the Host. Default: "https", no public origin.
    void set_origin_policy(std::string scheme, std::string public_origin);
    const std::string& scheme() const { return scheme_; }
    const std::string& public_origin() const { return public_origin_; }

    /// Registers a route. Patterns are literal segments and {name} placeholders; a last segment
    /// {name*} takes the rest of the path (one or more segments, joined by '/', none of them
    /// empty, "." or "..", or starting with '.'). Not thread-safe: register everything before
    /// dispatching. `body_limit` is the largest request body the route takes (see
    /// body_limit()); uploads pass the configured limits.body_limit_bytes.
    void add(std::string method, std::string pattern, Auth auth, Handler handler,
             std::size_t body_limit = kDefaultBodyLimit);

    /// The largest request body the route that `method` and `target` (the request target, with
    /// or without a query string) reach takes: what it was registered with; for HEAD that of
    /// the GET route; kUnmatchedBodyLimit if no route takes the method and path (or the path is
    /// malformed). The network layer asks this once the header is read, before it reads the
    /// body. Never throws; thread-safe once registration is over.
    std::size_t body_limit(std::string_view method, std::string_view target) const;

    /// body_limit() and whether the route runs inline (see run_inline()), from one lookup.
    RouteTraits traits(std::string_view method, std::string_view target) const;

    /// Marks the registered route `method` `pattern` to be answered on the network thread. Only
    /// for handlers that never block: no database, no lock held for long, no I/O. Throws
    /// std::invalid_argument if no such route is registered.
    void run_inline(std::string_view method, std::string_view pattern);

    /// Routes `request` and always returns a response: 404 for unknown paths, 405 (with Allow,
    /// which names HEAD wherever GET is allowed) for a known path with another method, 413 for a
    /// body larger than the route's body_limit (before authentication), 401 for missing or invalid
    /// credentials (a bearer token, else the session cookie), 403 for a state-changing request
    /// authenticated by the cookie without this server's Origin, 403 `password-change-required` on
    /// an Auth::user route for a user who must change its password, problem+json for every
    /// ApiError, and a logged 500 without internal detail for anything unexpected. A HEAD request
    /// is answered by the GET route of its path (same authentication and authorization), with
    /// Response::omit_body set, as is every answer to HEAD. Sets Response::route to the matched
    /// pattern. Thread-safe once registration is over.
    Response dispatch(const Request& request) const;

    /// Called for a GET that no route matches, instead of the 404 problem; it may throw ApiError
    /// itself (e.g. a 404 for API paths). The web UI uses it to answer a mistyped or outdated
    /// page address with its entry page (status 404), whose script shows a "not found" page.
    void set_unmatched_get(Handler handler);

    /// Every registered route, in registration order (for the OpenAPI and authorization tests).
    std::vector<RouteInfo> routes() const;

private:
    struct Route {
        RouteInfo info;
        std::vector<std::string> segments;
        Handler handler;
    };

    Response dispatch_unchecked(const Request& request, std::string& route_out) const;
    /// The route that takes `method` on the decoded path `segments`, with its path parameters;
    /// else nullptr, and the methods the path takes (if any) in `allowed`.
    const Route* find(std::string_view method, const std::vector<std::string>& segments,
                      std::map<std::string, std::string>* params,
                      std::vector<std::string>* allowed) const;

    Authenticator authenticator_;
    std::vector<Route> routes_;
    Handler unmatched_get_;
    std::string scheme_ = "https";
    std::string public_origin_;
};

/// The problem+json response for an error.
Response problem_response(const ApiError& error);

}  // namespace pakt::server::http
