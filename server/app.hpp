// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// The composition root of paktd: owns the configuration, the database (writer and readers), the
// router with every handler, the TLS context and the network server, and wires them together.
// No singletons: everything below App gets references from here.
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "server/config.hpp"
#include "server/http/message.hpp"

namespace pakt::server {

namespace http {
class Router;
}

class App {
  public:
    explicit App(ServerConfig config);
    ~App();
    App(const App&) = delete;
    App& operator=(const App&) = delete;

    /// Creates the data directory, the TLS certificate (if none is configured and none exists),
    /// opens and migrates the database, and starts serving. Writes the ready file if configured.
    /// Throws on any failure (configuration, certificate, database, bind) with a message for the
    /// operator; SchemaTooNewError if the database is from a newer Pakt.
    void start();

    /// Graceful stop (see HttpServer::shutdown), then drains the writer. Idempotent.
    void stop();

    std::uint16_t port() const;
    /// SHA-256 fingerprint of the serving certificate ("AB:CD:..."), empty without TLS.
    const std::string& certificate_fingerprint() const;
    const ServerConfig& config() const { return config_; }
    /// The router, for tests that dispatch requests without a socket (after start()).
    const http::Router& router() const;

  private:
    struct Parts;
    ServerConfig config_;
    std::string fingerprint_;
    std::atomic<bool> ready_{false};
    std::unique_ptr<Parts> parts_;
};

}  // namespace pakt::server
