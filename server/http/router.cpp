// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "server/http/router.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstddef>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "server/http/json_input.hpp"
#include "server/domain/store.hpp"

namespace pakt::server::http {
namespace {

std::vector<std::string> split_pattern(std::string_view pattern) {
    std::vector<std::string> segments;
    std::size_t start = 1;  // patterns begin with '/'
    while (start <= pattern.size()) {
        const auto slash = pattern.find('/', start);
        const auto end = slash == std::string_view::npos ? pattern.size() : slash;
        segments.emplace_back(pattern.substr(start, end - start));
        start = end + 1;
    }
    return segments;
}

bool is_placeholder(const std::string& segment) {
    return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

bool is_rest_placeholder(const std::string& segment) {
    return segment.size() > 3 && segment.front() == '{' && segment.ends_with("*}");
}

bool ieq(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
    }
    return true;
}

bool changes_state(const std::string& method) {
    return method != "GET" && method != "HEAD" && method != "OPTIONS";
}

std::optional<std::string> bearer_token(const Request& request) {
    auto auth = request.header("Authorization");
    if (!auth) return std::nullopt;
    std::string_view v = *auth;
    constexpr std::string_view kScheme = "bearer ";
    if (v.size() <= kScheme.size()) return std::nullopt;
    for (std::size_t i = 0; i < kScheme.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(v[i])) != kScheme[i]) return std::nullopt;
    }
    v.remove_prefix(kScheme.size());
    while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
    while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
    if (v.empty() || v.size() > 512) return std::nullopt;
    return std::string(v);
}

Response unavailable(std::string detail) {
    ApiError e(503, "unavailable", "Service unavailable", std::move(detail));
    e.with_retry_after(5);
    return problem_response(e);
}

}  // namespace

std::optional<std::string> RequestContext::query_param(const std::string& name) const {
    auto it = query.find(name);
    if (it == query.end()) return std::nullopt;
    return it->second;
}

Response problem_response(const ApiError& error) {
    nlohmann::json body = {
        {"type", "urn:pakt:problem:" + error.type()},
        {"title", error.title()},
        {"status", error.status()},
        {"detail", error.detail()},
    };
    if (!error.errors().empty()) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& e : error.errors()) {
            nlohmann::json item = {{"field", e.field}, {"message", e.message}};
            if (e.line) item["line"] = *e.line;
            list.push_back(std::move(item));
        }
        body["errors"] = std::move(list);
        if (error.errors().unlisted() > 0) body["more_errors"] = error.errors().unlisted();
    }
    Response r;
    r.status = error.status();
    r.set_header("Content-Type", "application/problem+json");
    if (error.retry_after_s()) r.set_header("Retry-After", std::to_string(*error.retry_after_s()));
    if (error.status() == 401) r.set_header("WWW-Authenticate", "Bearer realm=\"pakt\"");
    r.body = dump(body);
    return r;
}

std::optional<std::string> request_cookie(const Request& request, std::string_view name) {
    auto [first, last] = request.headers.equal_range("Cookie");
    for (auto it = first; it != last; ++it) {
        std::string_view rest = it->second;
        while (!rest.empty()) {
            const auto semi = rest.find(';');
            std::string_view pair = rest.substr(0, semi);
            rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
            while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
            const auto eq = pair.find('=');
            if (eq == std::string_view::npos || pair.substr(0, eq) != name) continue;
            std::string_view value = pair.substr(eq + 1);
            while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
            if (value.empty() || value.size() > 512) return std::nullopt;
            return std::string(value);
        }
    }
    return std::nullopt;
}

bool same_origin(const Request& request, std::string_view scheme, std::string_view public_origin) {
    const auto origin = request.header("Origin");
    if (!origin || origin->empty()) return false;
    if (!public_origin.empty()) return ieq(*origin, public_origin);
    const auto host = request.header("Host");
    if (!host || host->empty()) return false;
    auto matches = [&](std::string_view s) {
        const std::string expected = std::string(s) + "://" + *host;
        return ieq(*origin, expected);
    };
    // Plain HTTP is only configured behind a TLS-terminating proxy: the browser's origin is https.
    return scheme == "http" ? matches("http") || matches("https") : matches(scheme);
}

Router::Router(Authenticator authenticator) : authenticator_(std::move(authenticator)) {}

void Router::set_unmatched_get(Handler handler) { unmatched_get_ = std::move(handler); }

void Router::set_origin_policy(std::string scheme, std::string public_origin) {
    scheme_ = std::move(scheme);
    public_origin_ = std::move(public_origin);
    while (!public_origin_.empty() && public_origin_.back() == '/') public_origin_.pop_back();
}

void Router::add(std::string method, std::string pattern, Auth auth, Handler handler,
                 std::size_t body_limit) {
    auto segments = split_pattern(pattern);
    // The rest placeholder {name*} is listed (OpenAPI, metrics, logs) as a plain {name}.
    std::string shown = pattern;
    if (!segments.empty() && is_rest_placeholder(segments.back())) shown.erase(shown.size() - 2, 1);
    Route route{RouteInfo{std::move(method), std::move(shown), auth, body_limit},
                std::move(segments), std::move(handler)};
    routes_.push_back(std::move(route));
}

RouteTraits Router::traits(std::string_view method, std::string_view target) const {
    const RouteTraits unmatched{kUnmatchedBodyLimit, false};
    try {
        const std::string_view path = target.substr(0, target.find('?'));
        if (path.empty() || path.front() != '/') return unmatched;
        std::vector<std::string> segments;
        for (const auto& raw : split_pattern(path)) {
            auto decoded = percent_decode(raw, false);
            if (!decoded) return unmatched;
            segments.push_back(std::move(*decoded));
        }
        const Route* route = find(method, segments, nullptr, nullptr);
        return route ? RouteTraits{route->info.body_limit, route->info.runs_inline} : unmatched;
    } catch (const std::exception&) {  // out of memory: the smallest limit is the safe answer
        return unmatched;
    }
}

std::size_t Router::body_limit(std::string_view method, std::string_view target) const {
    return traits(method, target).body_limit;
}

void Router::run_inline(std::string_view method, std::string_view pattern) {
    for (Route& route : routes_) {
        if (route.info.method == method && route.info.pattern == pattern) {
            route.info.runs_inline = true;
            return;
        }
    }
    throw std::invalid_argument("no route " + std::string(method) + " " + std::string(pattern));
}

std::vector<RouteInfo> Router::routes() const {
    std::vector<RouteInfo> out;
    for (const auto& r : routes_) out.push_back(r.info);
    return out;
}

Response Router::dispatch(const Request& request) const {
    std::string route = "unmatched";
    Response response;
    try {
        response = dispatch_unchecked(request, route);
    } catch (const ApiError& e) {
        response = problem_response(e);
    } catch (const StoreStopped&) {
        response = unavailable("the server is shutting down; retry shortly");
    } catch (const StoreBusy& e) {
        spdlog::warn("request_id={} database busy: {}", request.request_id, e.what());
        response = unavailable("the database is busy; retry shortly");
    } catch (const StoreError& e) {
        spdlog::error("request_id={} database error {}: {}", request.request_id, e.code(),
                      e.what());
        response = problem_response(ApiError(500, "internal", "Internal server error",
                                             "the request failed; the error was logged"));
    } catch (const std::exception& e) {
        spdlog::error("request_id={} unexpected error: {}", request.request_id, e.what());
        response = problem_response(ApiError(500, "internal", "Internal server error",
                                             "the request failed; the error was logged"));
    }
    response.route = route;
    // Whatever the answer to a HEAD (also an error's), it carries no body.
    if (request.method == "HEAD") response.omit_body = true;
    return response;
}

const Router::Route* Router::find(std::string_view method, const std::vector<std::string>& segments,
                                  std::map<std::string, std::string>* params_out,
                                  std::vector<std::string>* allowed) const {
    for (const Route& route : routes_) {
        const bool rest = !route.segments.empty() && is_rest_placeholder(route.segments.back());
        if (rest ? segments.size() < route.segments.size() : route.segments.size() != segments.size()) continue;
        std::map<std::string, std::string> params;
        bool match = true;
        const std::size_t fixed = rest ? route.segments.size() - 1 : route.segments.size();
        for (std::size_t i = 0; i < fixed && match; ++i) {
            const std::string& want = route.segments[i];
            if (is_placeholder(want)) {
                if (segments[i].empty()) match = false;
                else params[want.substr(1, want.size() - 2)] = segments[i];
            } else if (want != segments[i]) {
                match = false;
            }
        }
        if (match && rest) {
            std::string joined;
            for (std::size_t i = fixed; i < segments.size() && match; ++i) {
                const std::string& s = segments[i];
                if (s.empty() || s.front() == '.' || s.find('/') != std::string::npos ||
                    s.find('\\') != std::string::npos) {
                    match = false;
                }
                joined += (joined.empty() ? "" : "/") + s;
            }
            const std::string& want = route.segments.back();
            params[want.substr(1, want.size() - 3)] = std::move(joined);
        }
        if (!match) continue;
        // HEAD is answered by the GET route: the same headers, without the body (RFC 9110 9.3.2).
        if (route.info.method != method && !(method == "HEAD" && route.info.method == "GET")) {
            if (allowed) {
                allowed->push_back(route.info.method);
                if (route.info.method == "GET") allowed->push_back("HEAD");
            }
            continue;
        }
        if (params_out) *params_out = std::move(params);
        return &route;
    }
    return nullptr;
}

Response Router::dispatch_unchecked(const Request& request, std::string& route_out) const {
    const std::string_view path = request.path();
    if (path.empty() || path.front() != '/')
        throw ApiError::bad_request("the request target must be an absolute path");
    std::vector<std::string> segments;
    for (const auto& raw : split_pattern(path)) {
        auto decoded = percent_decode(raw, false);
        if (!decoded) throw ApiError::bad_request("the request path has a malformed %-escape");
        segments.push_back(std::move(*decoded));
    }

    std::vector<std::string> allowed_methods;
    std::map<std::string, std::string> params;
    if (const Route* found = find(request.method, segments, &params, &allowed_methods)) {
        const Route& route = *found;
        route_out = route.info.pattern;
        if (request.body.size() > route.info.body_limit) {
            throw ApiError(413, "payload-too-large", "Payload too large",
                           "the request body exceeds " + std::to_string(route.info.body_limit) +
                               " bytes, the limit of this endpoint");
        }
        if (!request.body.empty() &&
            (request.method == "GET" || request.method == "HEAD" || request.method == "DELETE")) {
            throw ApiError::bad_request(request.method + " takes no request body");
        }
        auto query = parse_query(request.query_string());
        if (!query) throw ApiError::bad_request("the query string has a malformed %-escape");
        RequestContext ctx{request, std::move(params), std::move(*query), std::nullopt, {}};
        if (route.info.auth != Auth::none) {
            auto token = bearer_token(request);
            if (!token) {
                token = request_cookie(request, kSessionCookie);
                if (!token) throw ApiError::unauthorized();
                ctx.cookie_session = true;
            }
            ctx.principal = authenticator_(*token);
            if (!ctx.principal) throw ApiError::unauthorized("the token is unknown, expired or revoked");
            ctx.bearer_token = std::move(*token);
            // A browser sends the cookie along with any request, also one a foreign page makes
            // it send; only the Origin tells them apart (SameSite=Strict is the second wall).
            if (ctx.cookie_session && changes_state(request.method) &&
                !same_origin(request, scheme_, public_origin_)) {
                throw ApiError(403, "forbidden-origin", "Forbidden",
                               "a change made with the browser session must come from this server's own "
                               "pages (the Origin header does not match)");
            }
            // A password the server generated was seen by someone else (city_admin): until the
            // user has replaced it, its credentials open nothing but the way to replace it.
            if (ctx.principal->must_change_password && route.info.auth != Auth::own_account) {
                throw ApiError(403, "password-change-required", "Password change required",
                               "set your own password first (POST /api/v1/me/password): the one "
                               "you logged in with was generated for one use");
            }
        }
        return route.handler(ctx);
    }
    if (!allowed_methods.empty()) {
        std::string allow;
        for (std::size_t i = 0; i < allowed_methods.size(); ++i) {
            const auto& m = allowed_methods[i];
            if (std::find(allowed_methods.begin(),
                          allowed_methods.begin() + static_cast<std::ptrdiff_t>(i),
                          m) != allowed_methods.begin() + static_cast<std::ptrdiff_t>(i)) {
                continue;  // two routes of the path take the same method
            }
            allow += (allow.empty() ? "" : ", ") + m;
        }
        Response r = problem_response(ApiError(405, "method-not-allowed", "Method not allowed",
                                               "this resource supports: " + allow));
        r.set_header("Allow", allow);
        return r;
    }
    if (unmatched_get_ && (request.method == "GET" || request.method == "HEAD")) {
        RequestContext ctx{request, {}, {}, std::nullopt, {}};
        return unmatched_get_(ctx);
    }
    throw ApiError::not_found("no resource at this path");
}

}  // namespace pakt::server::http
