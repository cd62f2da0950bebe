// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// The web UI: its entry page at every address of UI.md (the page's JavaScript renders the rest
// from the API) and its static files under /assets/, with validators, compression and the
// security headers a browser needs to keep injected script out.
#include <string_view>

#include "server/http/handlers.hpp"
#include "server/http/web_assets.hpp"

namespace pakt::server::http {
namespace {

// No inline script or style anywhere, nothing from another origin, never framed.
constexpr std::string_view kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'";

// UI.md's address table: each of these is a page of the UI, bookmarked, linked, printed in QR
// labels, and must survive a reload.
constexpr std::string_view kPagePaths[] = {
    "/",
    "/login",
    "/devices",
    "/devices/{serial}",
    "/d/{serial}",
    "/tranches",
    "/tranches/{id}",
    "/tranches/{id}/scan",
    "/tranches/{id}/labels",
    "/loans",
    "/loans/{id}/agreement",
    "/schools",
    "/schools/{school_number}",
    "/grants",
    "/grants/{id}",
    "/funding",
    "/agents",
    "/users",
    "/users/{id}",
    "/audit",
    "/account",
};

bool etag_matches(const Request& request, const std::string& etag) {
    auto header = request.header("If-None-Match");
    if (!header) return false;
    std::string_view v = *header;
    if (v == "*") return true;
    // A comma-separated list; weak comparison (W/ prefixes, which proxies add after recompressing).
    std::size_t start = 0;
    while (start < v.size()) {
        auto end = v.find(',', start);
        if (end == std::string_view::npos) end = v.size();
        std::string_view tag = v.substr(start, end - start);
        while (!tag.empty() && tag.front() == ' ') tag.remove_prefix(1);
        while (!tag.empty() && tag.back() == ' ') tag.remove_suffix(1);
        if (tag.starts_with("W/")) tag.remove_prefix(2);
        if (tag == etag) return true;
        start = end + 1;
    }
    return false;
}

void set_page_headers(Response& r) {
    r.set_header("Content-Security-Policy", std::string(kContentSecurityPolicy));
    r.set_header("Referrer-Policy", "same-origin");
    r.set_header("X-Frame-Options", "DENY");
    r.set_header("Cross-Origin-Opener-Policy", "same-origin");
}

Response serve(const Request& request, const WebAsset& asset) {
    Response r;
    set_page_headers(r);
    // Revalidate on every use: cheap with the ETag (a 304 without a body), and a new paktd's UI
    // is never mixed with an old cached module.
    r.set_header("Cache-Control", "no-cache");
    // Each encoding is its own representation with its own validator (RFC 9110, 8.8.3).
    const bool packed = !asset.gzip.empty() && accepts_gzip(request);
    const std::string etag =
        packed ? asset.etag.substr(0, asset.etag.size() - 1) + "-gz\"" : asset.etag;
    r.set_header("ETag", etag);
    if (!asset.gzip.empty()) r.set_header("Vary", "Accept-Encoding");
    if (etag_matches(request, etag)) {
        r.status = 304;
        return r;
    }
    r.set_header("Content-Type", asset.content_type);
    if (packed) {
        r.set_header("Content-Encoding", "gzip");
        r.body = asset.gzip;
    } else {
        r.body = asset.body;
    }
    return r;
}

}  // namespace

void register_web_routes(Router& router, HandlerDeps& deps) {
    for (std::string_view path : kPagePaths) {
        router.add("GET", std::string(path), Auth::none, [&deps](RequestContext& ctx) {
            auto page = deps.web_assets.find("index.html");
            if (!page) throw ApiError::not_found("this paktd was built without its web UI");
            return serve(ctx.request, *page);
        });
    }
    // A page address that does not exist (a typo, an old bookmark) gets the entry page with 404,
    // so a person sees the UI's own "not found" page; programs asking for anything but HTML, and
    // everything under /api/ and /assets/, keep getting the problem+json 404.
    router.set_unmatched_get([&deps](RequestContext& ctx) {
        const std::string_view path = ctx.request.path();
        const auto accept = ctx.request.header("Accept");
        if (path.starts_with("/api/") || path.starts_with("/assets/") || !accept ||
            accept->find("text/html") == std::string::npos) {
            throw ApiError::not_found("no resource at this path");
        }
        auto page = deps.web_assets.find("index.html");
        if (!page) throw ApiError::not_found("no resource at this path");
        Response r = serve(ctx.request, *page);
        if (r.status == 200) r.status = 404;
        return r;
    });
    router.add("GET", "/assets/{path*}", Auth::none, [&deps](RequestContext& ctx) {
        const std::string& path = ctx.param("path");
        auto asset = path == "index.html" ? nullptr : deps.web_assets.find(path);
        if (!asset) throw ApiError::not_found("no such file");
        return serve(ctx.request, *asset);
    });
}

}  // namespace pakt::server::http
