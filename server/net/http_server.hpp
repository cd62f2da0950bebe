#pragma once
// The network layer: the only place that touches sockets. Accepts TLS (or, when configured,
// plain) connections, reads HTTP/1.1 requests with limits on header size, body size and time,
// runs each request's handler on a separate handler pool (handlers may block on the database
// writer's group commit without stalling the network threads), and writes the answer.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

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

class HttpServer {
public:
    /// `tls` may be null for plain HTTP; it must outlive the server.
    HttpServer(const ServerConfig& config, boost::asio::ssl::context* tls, RequestHandler handler,
               CompletionObserver observer);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

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
