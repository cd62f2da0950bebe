// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// A small synchronous HTTPS/1.1 client with keep-alive, used by pakt-agent, paktctl and the
// tests. Not thread-safe: use one client per thread.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/tls.hpp"

namespace pakt {

struct CaseInsensitiveLess {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const;
};

struct HttpResponse {
    int status = 0;
    std::map<std::string, std::string, CaseInsensitiveLess> headers;
    std::string body;

    /// The header's value, or "" if absent.
    std::string header(std::string_view name) const;
};

using HeaderList = std::vector<std::pair<std::string, std::string>>;

class HttpsClient {
  public:
    /// Does not connect yet; the first request does. `host` is used for SNI and the Host header.
    HttpsClient(std::string host, std::uint16_t port, tls::ClientTrust trust,
                std::chrono::milliseconds timeout = std::chrono::seconds(30));
    ~HttpsClient();
    HttpsClient(const HttpsClient&) = delete;
    HttpsClient& operator=(const HttpsClient&) = delete;

    /// Sends one request and reads the answer. Reuses the connection while the server keeps it
    /// open and reconnects once if a reused connection turns out to be closed. Adds Host,
    /// Content-Length and, when `body` is non-empty and no Content-Type is given,
    /// "application/json". Throws std::system_error on network or TLS failure (including a
    /// certificate that does not match the trust settings) and on timeout.
    HttpResponse request(std::string_view method, std::string_view target,
                         std::string_view body = {}, const HeaderList& headers = {});

    /// Receives one piece of a response body; returns false to abandon the rest of the answer.
    using BodyPiece = std::function<bool(std::string_view piece)>;

    /// Like request(), but hands the response body to `on_body` piece by piece (at most
    /// `max_piece` bytes each, as they arrive) instead of collecting it, so an answer of any size
    /// can be read in constant memory, and as slowly as the caller likes: nothing more is read
    /// from the connection while `on_body` runs. The returned response has the status and
    /// headers and an empty body. There is no body size limit. If `on_body` returns false the
    /// connection is closed and the response is returned as far as it was read. Never resends
    /// the request (the caller may have seen part of the answer). Throws as request() does, also
    /// when the connection breaks before the body is complete; exceptions from `on_body`
    /// propagate (the connection is closed).
    HttpResponse request_streamed(std::string_view method, std::string_view target,
                                  const HeaderList& headers, const BodyPiece& on_body,
                                  std::size_t max_piece = 64 * 1024);

    /// Writes `bytes` verbatim on a fresh connection (after the TLS handshake) and reads one HTTP
    /// response; nullopt if the server closed the connection without answering. For tests of
    /// malformed requests.
    std::optional<HttpResponse> send_raw(std::string_view bytes);

    /// The largest response body request() and send_raw() accept (default 64 MiB); a larger
    /// one throws std::system_error ("body limit exceeded").
    void set_body_limit(std::uint64_t bytes);

    /// Closes the connection (TLS close_notify, tolerant of a peer that already left).
    void close();

    /// Connections made from now on leave from `address` (an IP address of this machine, e.g.
    /// 127.0.0.2 for tests that need distinct client addresses on loopback); empty: whatever the
    /// system picks. Closes the current connection. Throws std::invalid_argument if `address`
    /// is not an IP address.
    void set_local_address(const std::string& address);

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace pakt
