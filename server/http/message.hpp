// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// HTTP messages as the handlers see them: plain structs without Beast, so the router and every
// handler can be compiled and tested without the network layer (which converts at its edge).
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/https_client.hpp"  // CaseInsensitiveLess

namespace pakt::server::http {

using HeaderMap = std::multimap<std::string, std::string, CaseInsensitiveLess>;

struct Request {
    std::string method;  ///< "GET", "POST", ...
    std::string target;  ///< as received, with the query string
    HeaderMap headers;
    std::string body;
    std::string remote_address;  ///< client IP as text
    std::string request_id;      ///< set by the network layer (echoed or generated)

    /// First value of a header, or nullopt.
    std::optional<std::string> header(std::string_view name) const;
    /// The path part of the target, percent-decoded segment by segment by the router.
    std::string_view path() const;
    /// The raw query string (after '?'), possibly empty.
    std::string_view query_string() const;
};

struct Response {
    int status = 200;
    HeaderMap headers;
    std::string body;
    std::string route = "unmatched";  ///< the matched route pattern, for logs and metrics
    /// The answer to a HEAD request (set by the router): the network layer sends the status and
    /// headers of the GET answer (Content-Length that of `body`) but no body and no stream.
    bool omit_body = false;

    /// A streamed body (exports): when set, `body` is ignored and the answer is sent with chunked
    /// transfer encoding. The network layer calls it repeatedly on a handler-pool thread (never
    /// concurrently); each call appends the next piece to `chunk` (empty is allowed) and returns
    /// false after the last. It owns whatever it reads from (e.g. a read connection) until it
    /// is destroyed. If it throws, the connection is closed mid-answer, which the client sees as
    /// a truncated transfer.
    std::function<bool(std::string& chunk)> stream;

    void set_header(std::string name, std::string value);
    std::optional<std::string> header(std::string_view name) const;
};

/// A JSON response with `Content-Type: application/json; charset=utf-8`.
Response json_response(int status, const std::string& json_text);

/// 204 No Content.
Response no_content();

/// Whether the request's Accept-Encoding admits gzip (and does not refuse it with q=0).
bool accepts_gzip(const Request& request);

/// Decodes %XX escapes; returns nullopt for malformed escapes. '+' is decoded as a space only if
/// `plus_as_space` (query strings).
std::optional<std::string> percent_decode(std::string_view text, bool plus_as_space);

/// Parses a query string into name -> value (last one wins). Malformed escapes yield nullopt.
std::optional<std::map<std::string, std::string>> parse_query(std::string_view query);

}  // namespace pakt::server::http
