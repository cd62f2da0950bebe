#pragma once
// The router: matches method and path to a handler, authenticates the caller for routes that
// need it, and is the one catch site that maps errors to RFC 9457 problem+json. Usable without a
// socket: Response dispatch(Request).
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
    user,  ///< a user's session or API token
};

struct RequestContext {
    const Request& request;
    std::map<std::string, std::string> path_params;  ///< decoded {name} segments
    std::map<std::string, std::string> query;        ///< decoded query parameters
    std::optional<Principal> principal;              ///< set for Auth::user routes
    std::string bearer_token;                        ///< the raw token of an authenticated call

    /// The authenticated user; only valid on Auth::user routes.
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
};

class Router {
public:
    explicit Router(Authenticator authenticator);

    /// Registers a route. Patterns are literal segments and {name} placeholders. Not thread-safe:
    /// register everything before dispatching.
    void add(std::string method, std::string pattern, Auth auth, Handler handler);

    /// Routes `request` and always returns a response: 404 for unknown paths, 405 (with Allow) for
    /// a known path with another method, 401 for missing or invalid credentials, problem+json for
    /// every ApiError, and a logged 500 without internal detail for anything unexpected. Sets
    /// Response::route to the matched pattern. Thread-safe once registration is over.
    Response dispatch(const Request& request) const;

    /// Every registered route, in registration order (for the OpenAPI and authorization tests).
    std::vector<RouteInfo> routes() const;

private:
    struct Route {
        RouteInfo info;
        std::vector<std::string> segments;
        Handler handler;
    };

    Response dispatch_unchecked(const Request& request, std::string& route_out) const;

    Authenticator authenticator_;
    std::vector<Route> routes_;
};

/// The problem+json response for an error.
Response problem_response(const ApiError& error);

}  // namespace pakt::server::http
