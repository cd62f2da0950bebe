// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// Request target and query parsing (server/http/message and the router's path matching): the
// request line's target as the client sent it. The input's first line is the target; the rest
// is one value given to the Cookie, Origin, Host and Accept-Encoding headers. The target is
// dispatched through a Router with fixed, plain, placeholder and rest ({name*}) routes whose
// handlers only check what they were given, so matching and decoding are fuzzed without a
// database. Properties: nothing throws but ApiError (a 4xx); a {name*} value keeps its contract
// (segments neither empty nor starting with '.', no '\'); path() and query_string() split the
// target at the first '?'; decoded names and values never come from a malformed escape.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "server/http/router.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace {

namespace http = pakt::server::http;
using pakt::fuzz::require;

http::Response echo(http::RequestContext& ctx) {
    std::string body;
    for (const auto& [name, value] : ctx.path_params) body += name + "=" + value + "\n";
    for (const auto& [name, value] : ctx.query) body += name + "=" + value + "\n";
    http::Response response;
    response.body = std::move(body);
    return response;
}

http::Response check_rest(http::RequestContext& ctx) {
    const std::string& rest = ctx.param("path");
    require(!rest.empty(), "a rest parameter is not empty");
    std::size_t start = 0;
    for (;;) {
        const auto slash = rest.find('/', start);
        const std::string_view segment = std::string_view(rest).substr(
            start, slash == std::string::npos ? slash : slash - start);
        require(!segment.empty(), "no empty segment in a rest parameter");
        require(segment.front() != '.', "no segment of a rest parameter starts with '.'");
        require(segment.find('\\') == std::string_view::npos, "no '\\' in a rest parameter");
        if (slash == std::string::npos) break;
        start = slash + 1;
    }
    return echo(ctx);
}

const http::Router& router() {
    static const http::Router instance = [] {
        http::Router r([](const std::string& token) -> std::optional<pakt::server::Principal> {
            if (token != "valid") return std::nullopt;
            pakt::server::Principal principal;
            principal.user_id = 1;
            principal.username = "fuzz";
            return principal;
        });
        r.add("GET", "/api/v1/schools", http::Auth::none, echo);
        r.add("GET", "/api/v1/schools/{school_number}", http::Auth::none, echo);
        r.add("PATCH", "/api/v1/schools/{school_number}", http::Auth::user, echo);
        r.add("GET", "/api/v1/schools/{school_number}/devices/{serial}", http::Auth::user, echo);
        r.add("POST", "/api/v1/me/password", http::Auth::own_account, echo);
        r.add("GET", "/assets/{path*}", http::Auth::none, check_rest);
        r.set_unmatched_get([](http::RequestContext&) -> http::Response {
            throw http::ApiError::not_found("unmatched");
        });
        return r;
    }();
    return instance;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const auto newline = input.find('\n');
    http::Request request;
    request.target = std::string(input.substr(0, newline));
    const std::string header =
        newline == std::string_view::npos ? std::string() : std::string(input.substr(newline + 1));

    const std::string_view path = request.path();
    const std::string_view query = request.query_string();
    require(query.empty() || path.size() + 1 + query.size() == request.target.size(),
            "path and query string split the target");
    require(path.find('?') == std::string_view::npos, "the path has no '?'");

    const auto decoded = http::percent_decode(path, false);
    if (decoded) require(decoded->size() <= path.size(), "decoding never grows the text");
    const auto params = http::parse_query(query);
    (void)params;

    request.headers.emplace("Cookie", header);
    request.headers.emplace("Origin", header);
    request.headers.emplace("Host", header);
    request.headers.emplace("Accept-Encoding", header);
    (void)http::request_cookie(request, http::kSessionCookie);
    (void)http::same_origin(request, "https", "");
    (void)http::same_origin(request, "https", "https://pakt.example.org");
    (void)http::accepts_gzip(request);

    for (const char* method : {"GET", "PATCH", "POST"}) {
        request.method = method;
        const http::Response response = router().dispatch(request);
        require(response.status != 500, "only ApiError escapes a handler here");
    }
    request.headers.emplace("Authorization", "Bearer valid");
    request.method = "PATCH";
    const http::Response response = router().dispatch(request);
    require(response.status != 500, "only ApiError escapes a handler here");
    return 0;
}
