// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// The network layer: the only place that touches sockets. Accepts TLS (or, when configured,
// plain) connections, reads HTTP/1.1 requests with limits on header size, body size and time,
// runs each request's handler on a separate handler pool (handlers may block on the database
// writer's group commit without stalling the network threads), and writes the answer.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include "server/config.hpp"
#include "server/http/message.hpp"

namespace boost::asio::ssl {
class context;
}

namespace pakt::server::net {

/// Runs on a handler-pool thread; must not throw (the router never does).
using RequestHandler = std::function<http::Response(const http::Request&)>;

/// Called once per answered request (including those the network layer answers itself: 400 for
/// unparseable requests, 413, 431) with the time from the request being read to the response
/// being ready. Runs on a network thread; must be cheap and must not throw.
using CompletionObserver =
    std::function<void(const http::Request&, const http::Response&, std::chrono::steady_clock::duration)>;

/// The largest request body accepted for a method and target (as received, with the query);
/// called on a network thread once a request's header is read: must be cheap, thread-safe and
/// must not throw.
using BodyLimit = std::function<std::size_t(std::string_view method, std::string_view target)>;

/// What the server does with a request, known once its header is read.
struct RequestTraits {
    std::size_t body_limit = 0;  ///< the largest body accepted; beyond it, 413
    /// Handle it on the network thread that read it instead of the handler pool: for handlers
    /// that answer from memory and never block (a health check), it saves two thread switches.
    bool run_inline = false;
};
/// Called as BodyLimit is (on a network thread, cheap, thread-safe, never throws).
using RequestTraitsLookup = std::function<RequestTraits(std::string_view method, std::string_view target)>;

/// What the network layer guarantees against slow and greedy clients (see ServerConfig's
/// [limits] for the numbers): a deadline for the TLS handshake, for each request header and for
/// each idle keep-alive wait; a minimum body rate; a cap on connections overall (the longest-idle
/// keep-alive connection is closed to make room) and per client address (trusted proxies
/// exempt); a cap on requests queued for the handler pool (503 with Retry-After beyond it);
/// Transfer-Encoding other than "chunked" refused with 501; HEAD answered with the header only.
class HttpServer {
public:
    /// `tls` may be null for plain HTTP; it must outlive the server.
    HttpServer(const ServerConfig& config, boost::asio::ssl::context* tls, RequestHandler handler,
               CompletionObserver observer);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    /// Per-route body limits; unset: config.body_limit_bytes for every request. A body beyond
    /// the limit is answered 413. Call before start().
    void set_body_limit(BodyLimit limit);

    /// Per-route body limits and inline handling (replaces set_body_limit). Call before start().
    void set_request_traits(RequestTraitsLookup lookup);

    /// Binds, listens and starts the network and handler threads. Throws std::system_error if
    /// the address cannot be bound.
    void start();

    /// The bound port (useful with port 0).
    std::uint16_t port() const;

    /// Graceful stop: stops accepting, closes idle connections, lets requests in flight finish and
    /// their answers be written (connections close after that answer), then stops the threads.
    /// Connections still busy after `grace` are cut. Idempotent; blocks until done.
    void shutdown(std::chrono::milliseconds grace);

    /// Open connections right now.
    std::size_t connections() const;

    struct Impl;  ///< defined in the .cpp; public only so the session template can name it

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace pakt::server::net
