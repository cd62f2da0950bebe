#pragma once
// A small synchronous HTTPS/1.1 client with keep-alive, used by pakt-agent, paktctl and the
// tests. Not thread-safe: use one client per thread.
#include <chrono>
#include <cstdint>
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

    /// Writes `bytes` verbatim on a fresh connection (after the TLS handshake) and reads one HTTP
    /// response; nullopt if the server closed the connection without answering. For tests of
    /// malformed requests.
    std::optional<HttpResponse> send_raw(std::string_view bytes);

    /// Closes the connection (TLS close_notify, tolerant of a peer that already left).
    void close();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace pakt
