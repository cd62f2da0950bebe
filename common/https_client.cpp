// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "common/https_client.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <optional>
#include <stdexcept>
#include <system_error>
#include <vector>

namespace pakt {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using Stream = beast::ssl_stream<beast::tcp_stream>;

// Large enough for any manifest or export the API serves, small enough that a misbehaving
// server cannot make the agent allocate without bound.
constexpr std::uint64_t kDefaultBodyLimit = 64ull * 1024 * 1024;

// Answering a TLS close_notify is quick; a peer that never does must not stall close() (and so
// the destructor) for the full request timeout.
constexpr std::chrono::milliseconds kShutdownTimeout{2000};

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool is_ip_address(const std::string& host) {
    boost::system::error_code ec;
    net::ip::make_address(host, ec);
    return !ec;
}

// Errors that mean "the peer closed the connection", as opposed to a timeout or a TLS failure.
bool is_connection_closed(const beast::error_code& ec) {
    return ec == http::error::end_of_stream || ec == net::error::eof ||
           ec == net::error::connection_reset || ec == net::error::connection_aborted ||
           ec == net::error::broken_pipe || ec == ssl::error::stream_truncated;
}

template <class Header>
HttpResponse status_and_headers(const Header& res) {
    HttpResponse out;
    out.status = static_cast<int>(res.result_int());
    for (const auto& field : res) {
        const std::string_view name = field.name_string();
        const std::string_view value = field.value();
        // A repeated header is equivalent to one with the values joined by commas (RFC 9110
        // 5.3); the map holds one value per name.
        auto [it, inserted] = out.headers.try_emplace(std::string(name), value);
        if (!inserted) {
            it->second += ", ";
            it->second += value;
        }
    }
    return out;
}

HttpResponse to_response(http::response<http::string_body>&& res) {
    HttpResponse out = status_and_headers(res.base());
    out.body = std::move(res.body());
    return out;
}

}  // namespace

bool CaseInsensitiveLess::operator()(std::string_view a, std::string_view b) const {
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
        return ascii_lower(x) < ascii_lower(y);
    });
}

std::string HttpResponse::header(std::string_view name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? std::string{} : it->second;
}

struct HttpsClient::Impl {
    Impl(std::string host_name, std::uint16_t port_number, const tls::ClientTrust& trust,
         std::chrono::milliseconds op_timeout)
        : host(std::move(host_name)),
          port(port_number),
          timeout(op_timeout),
          verify_host_name(!trust.ca_file.empty() || trust.system_store),
          pinned(!trust.pin_sha256.empty()),
          ctx(tls::make_client_context(trust)) {}

    // Runs one asynchronous operation to completion on the client's own io_context. The client
    // is synchronous to its callers; it uses asynchronous operations internally only because
    // tcp_stream's timeouts (expires_after) apply to them and not to blocking calls.
    template <class Initiate>
    beast::error_code run(Initiate&& initiate) {
        beast::error_code result = net::error::operation_aborted;
        std::forward<Initiate>(initiate)(
            [&result](beast::error_code ec, auto&&...) { result = ec; });
        ioc.restart();
        ioc.run();
        return result;
    }

    [[noreturn]] void fail(const beast::error_code& ec, const std::string& what,
                           Stream* failed_stream = nullptr) const {
        std::string message = "https://" + host + ":" + std::to_string(port) + ": " + what;
        if (failed_stream != nullptr && ec.category() == net::error::get_ssl_category()) {
            // "certificate verify failed" alone does not say which check failed.
            const long result = SSL_get_verify_result(failed_stream->native_handle());
            if (pinned && result == X509_V_ERR_APPLICATION_VERIFICATION) {
                message += " (certificate does not match the pinned SHA-256 fingerprint)";
            } else if (result != X509_V_OK) {
                message += std::string(" (") + X509_verify_cert_error_string(result) + ")";
            }
        }
        throw std::system_error(std::error_code(ec), message);
    }

    std::unique_ptr<Stream> connect() {
        // Name resolution is blocking and not covered by the timeout: getaddrinfo cannot be
        // cancelled, and the hosts Pakt talks to are configured names or addresses.
        tcp::resolver resolver(ioc);
        beast::error_code ec;
        const auto endpoints = resolver.resolve(host, std::to_string(port), ec);
        if (ec) fail(ec, "cannot resolve host");

        auto fresh = std::make_unique<Stream>(ioc, ctx);
        SSL* native = fresh->native_handle();
        const bool host_is_ip = is_ip_address(host);
        // SNI must not carry an IP address (RFC 6066 section 3).
        if (!host_is_ip && !SSL_set_tlsext_host_name(native, host.c_str())) {
            fail(beast::error_code(static_cast<int>(::ERR_get_error()),
                                   net::error::get_ssl_category()),
                 "cannot set SNI");
        }
        if (verify_host_name) {
            // Checked by OpenSSL during the chain verification, so a mismatch is reported as
            // "hostname mismatch" / "IP address mismatch" in the handshake error.
            X509_VERIFY_PARAM* param = SSL_get0_param(native);
            X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
            const int ok = host_is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str())
                                      : X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
            if (ok != 1) {
                fail(beast::error_code(static_cast<int>(::ERR_get_error()),
                                       net::error::get_ssl_category()),
                     "cannot set host name verification");
            }
        }

        auto& tcp_layer = beast::get_lowest_layer(*fresh);
        tcp_layer.expires_after(timeout);
        if (local_address) {
            // Bound before connecting; the range connect would reopen (and so unbind) the socket
            // for each endpoint, so the first endpoint of the local address's family is used.
            auto it = std::find_if(endpoints.begin(), endpoints.end(), [&](const auto& entry) {
                return entry.endpoint().protocol() == local_address->protocol();
            });
            if (it == endpoints.end()) {
                fail(net::error::address_family_not_supported,
                     "no address of the local address's family");
            }
            tcp_layer.socket().open(local_address->protocol(), ec);
            if (!ec) tcp_layer.socket().bind(*local_address, ec);
            if (ec) fail(ec, "cannot bind the local address");
            const tcp::endpoint remote = it->endpoint();
            ec = run([&](auto handler) { tcp_layer.async_connect(remote, std::move(handler)); });
        } else {
            ec = run([&](auto handler) { tcp_layer.async_connect(endpoints, std::move(handler)); });
        }
        if (ec) fail(ec, "cannot connect");
        // A request is written in more than one piece (TLS records, header and body); with
        // Nagle's algorithm the last piece waits for the server's delayed ACK, about 40 ms.
        tcp_layer.socket().set_option(tcp::no_delay(true), ec);
        if (ec) fail(ec, "cannot set TCP_NODELAY");

        tcp_layer.expires_after(timeout);
        ec = run([&](auto handler) {
            fresh->async_handshake(ssl::stream_base::client, std::move(handler));
        });
        if (ec) fail(ec, "TLS handshake failed", fresh.get());
        return fresh;
    }

    // Drops the connection without a TLS goodbye: used when it is already broken.
    void discard() {
        if (connection) {
            beast::error_code ignored;
            beast::get_lowest_layer(*connection).socket().close(ignored);
        }
        connection.reset();
        buffer.clear();
    }

    void shutdown(Stream& s) {
        beast::get_lowest_layer(s).expires_after(std::min(timeout, kShutdownTimeout));
        // eof, stream_truncated, reset or timeout all mean the peer is gone already, which is
        // the state we want; none of them is worth reporting.
        run([&](auto handler) { s.async_shutdown(std::move(handler)); });
        beast::error_code ignored;
        beast::get_lowest_layer(s).socket().close(ignored);
    }

    void close() {
        if (connection) shutdown(*connection);
        connection.reset();
        buffer.clear();
    }

    http::request<http::string_body> build_request(std::string_view method, std::string_view target,
                                                   std::string_view body,
                                                   const HeaderList& headers) const {
        http::request<http::string_body> req;
        const http::verb verb = http::string_to_verb(method);
        if (verb == http::verb::unknown) {
            req.method_string(method);
        } else {
            req.method(verb);
        }
        req.target(target);
        req.version(11);
        const bool ipv6 = host.find(':') != std::string::npos;
        std::string host_header = ipv6 ? "[" + host + "]" : host;
        if (port != 443) host_header += ":" + std::to_string(port);
        req.set(http::field::host, host_header);
        req.set(http::field::user_agent, "pakt/" PAKT_VERSION);
        for (const auto& [name, value] : headers) req.set(name, value);
        if (!body.empty() && req.find(http::field::content_type) == req.end()) {
            req.set(http::field::content_type, "application/json");
        }
        req.body() = std::string(body);
        req.prepare_payload();
        return req;
    }

    std::string host;
    std::uint16_t port;
    std::optional<tcp::endpoint> local_address;
    std::chrono::milliseconds timeout;
    std::uint64_t body_limit = kDefaultBodyLimit;
    bool verify_host_name;
    bool pinned;
    net::io_context ioc{1};
    ssl::context ctx;
    // Declared after ioc and ctx, which it refers to, so that it is destroyed first.
    std::unique_ptr<Stream> connection;
    beast::flat_buffer buffer;
};

HttpsClient::HttpsClient(std::string host, std::uint16_t port, tls::ClientTrust trust,
                         std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>(std::move(host), port, trust, timeout)) {}

HttpsClient::~HttpsClient() {
    try {
        close();
    } catch (...) {
        // A destructor must not throw; the connection is gone either way.
    }
}

HttpResponse HttpsClient::request(std::string_view method, std::string_view target,
                                  std::string_view body, const HeaderList& headers) {
    Impl& impl = *impl_;
    const auto req = impl.build_request(method, target, body, headers);
    for (int attempt = 0;; ++attempt) {
        const bool reused = impl.connection != nullptr;
        if (!reused) {
            impl.buffer.clear();
            impl.connection = impl.connect();
        }
        Stream& stream = *impl.connection;

        beast::get_lowest_layer(stream).expires_after(impl.timeout);
        beast::error_code ec =
            impl.run([&](auto handler) { http::async_write(stream, req, std::move(handler)); });
        const char* step = "cannot send request";
        bool nothing_received = true;
        if (!ec) {
            http::response_parser<http::string_body> parser;
            parser.body_limit(impl.body_limit);
            // Without this the parser would wait for a body that a HEAD response never has.
            parser.skip(req.method() == http::verb::head);
            beast::get_lowest_layer(stream).expires_after(impl.timeout);
            ec = impl.run([&](auto handler) {
                http::async_read(stream, impl.buffer, parser, std::move(handler));
            });
            if (!ec) {
                auto res = parser.release();
                const bool keep_alive = res.keep_alive();
                HttpResponse out = to_response(std::move(res));
                if (!keep_alive) impl.close();
                return out;
            }
            step = "cannot read response";
            nothing_received = !parser.got_some() && impl.buffer.size() == 0;
        }
        impl.discard();
        // A server closes idle keep-alive connections whenever it likes; if that happened before
        // it saw this request, sending it again on a fresh connection is safe. A timeout is not
        // such a case: the server may be working on the request.
        if (reused && attempt == 0 && nothing_received && ec != beast::error::timeout) continue;
        impl.fail(ec, step);
    }
}

HttpResponse HttpsClient::request_streamed(std::string_view method, std::string_view target,
                                           const HeaderList& headers, const BodyPiece& on_body,
                                           std::size_t max_piece) {
    Impl& impl = *impl_;
    const auto req = impl.build_request(method, target, {}, headers);
    if (!impl.connection) {
        impl.buffer.clear();
        impl.connection = impl.connect();
    }
    Stream& stream = *impl.connection;
    beast::get_lowest_layer(stream).expires_after(impl.timeout);
    beast::error_code ec =
        impl.run([&](auto handler) { http::async_write(stream, req, std::move(handler)); });
    if (ec) {
        impl.discard();
        impl.fail(ec, "cannot send request");
    }

    http::response_parser<http::buffer_body> parser;
    parser.body_limit(boost::none);
    parser.skip(req.method() == http::verb::head);
    beast::get_lowest_layer(stream).expires_after(impl.timeout);
    ec = impl.run([&](auto handler) {
        http::async_read_header(stream, impl.buffer, parser, std::move(handler));
    });
    if (ec) {
        impl.discard();
        impl.fail(ec, "cannot read response header");
    }
    HttpResponse out = status_and_headers(parser.get().base());

    // The parser fills `piece` and stops with need_buffer when it is full (Beast's documented
    // way to read a body incrementally); each filled stretch goes to the caller.
    std::vector<char> piece(std::max<std::size_t>(max_piece, 1));
    try {
        while (!parser.is_done()) {
            parser.get().body().data = piece.data();
            parser.get().body().size = piece.size();
            beast::get_lowest_layer(stream).expires_after(impl.timeout);
            ec = impl.run([&](auto handler) {
                http::async_read(stream, impl.buffer, parser, std::move(handler));
            });
            if (ec == http::error::need_buffer) ec = {};
            if (ec) {
                impl.discard();
                impl.fail(ec, "cannot read response body");
            }
            const std::size_t filled = piece.size() - parser.get().body().size;
            if (filled > 0 && !on_body(std::string_view(piece.data(), filled))) {
                impl.discard();
                return out;
            }
        }
    } catch (...) {
        impl.discard();
        throw;
    }
    if (!parser.get().keep_alive()) impl.close();
    return out;
}

std::optional<HttpResponse> HttpsClient::send_raw(std::string_view bytes) {
    Impl& impl = *impl_;
    auto stream = impl.connect();
    auto& tcp_layer = beast::get_lowest_layer(*stream);

    tcp_layer.expires_after(impl.timeout);
    beast::error_code ec = impl.run([&](auto handler) {
        net::async_write(*stream, net::buffer(bytes.data(), bytes.size()), std::move(handler));
    });
    // A server may answer and close before it has read everything we sent (e.g. 431 for an
    // oversized header), which shows up here as a reset or broken pipe; its answer is still
    // worth reading.
    if (ec && !is_connection_closed(ec)) impl.fail(ec, "cannot send raw bytes");

    http::response_parser<http::string_body> parser;
    parser.body_limit(impl.body_limit);
    beast::flat_buffer buffer;
    tcp_layer.expires_after(impl.timeout);
    ec = impl.run(
        [&](auto handler) { http::async_read(*stream, buffer, parser, std::move(handler)); });
    if (ec) {
        const bool nothing_received = !parser.got_some() && buffer.size() == 0;
        beast::error_code ignored;
        tcp_layer.socket().close(ignored);
        if (nothing_received && is_connection_closed(ec)) return std::nullopt;
        impl.fail(ec, "cannot read response to raw bytes");
    }
    HttpResponse out = to_response(parser.release());
    impl.shutdown(*stream);
    return out;
}

void HttpsClient::close() { impl_->close(); }

void HttpsClient::set_body_limit(std::uint64_t bytes) { impl_->body_limit = bytes; }

void HttpsClient::set_local_address(const std::string& address) {
    impl_->close();
    if (address.empty()) {
        impl_->local_address.reset();
        return;
    }
    beast::error_code ec;
    const auto ip = net::ip::make_address(address, ec);
    if (ec) throw std::invalid_argument("not an IP address: '" + address + "'");
    impl_->local_address = tcp::endpoint(ip, 0);
}

}  // namespace pakt
