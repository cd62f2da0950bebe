// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// The baseline of `tools/bench http`: a bare Beast HTTPS server, run as a process of its own so
// that the CPU time and the memory the benchmark reads from /proc/<pid> are the server's alone.
//
// It is what any Beast server costs at the least, written as Beast's own asynchronous SSL server
// example: one io_context run by --threads threads (like paktd's network threads), a strand per
// connection, ssl_stream<tcp_stream> with a deadline on the handshake and on every read, one
// flat_buffer per connection, keep-alive, TCP_NODELAY. The TLS context is paktd's own
// (tls::make_server_context) with the certificate and key given, so both servers negotiate the
// same protocol, cipher and signature. No router, no handler threads, no database, no logging:
//   GET /healthz     200 "ok\n" as text/plain, like paktd;
//   GET /api/v1/me   200 with the bytes of --me-body-file as application/json, if the request
//                    has an Authorization header (401 otherwise): the fixed equivalent of
//                    paktd's answer to a small authenticated GET;
//   anything else    404.
// Once listening it prints "listening on 127.0.0.1:<port>" on stdout; it stops on SIGTERM or
// SIGINT.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/tls.hpp"

namespace pakt::bench {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

struct Options {
    std::filesystem::path cert_file;
    std::filesystem::path key_file;
    std::filesystem::path me_body_file;
    unsigned threads = 0;  ///< 0: half the hardware threads, at least one: paktd's io_threads default
    unsigned handshake_timeout_s = 10;
    unsigned idle_timeout_s = 30;  ///< a kept-alive connection's wait for its next request
};

/// What every connection shares: the answers' fixed parts and the timeouts.
struct Site {
    std::string me_body;
    std::chrono::seconds handshake_timeout;
    std::chrono::seconds idle_timeout;
};

bhttp::response<bhttp::string_body> answer(const Site& site,
                                           const bhttp::request<bhttp::string_body>& request) {
    bhttp::response<bhttp::string_body> response{bhttp::status::ok, request.version()};
    response.keep_alive(request.keep_alive());
    if (request.method() == bhttp::verb::get && request.target() == "/healthz") {
        response.set(bhttp::field::content_type, "text/plain; charset=utf-8");
        response.body() = "ok\n";
    } else if (request.method() == bhttp::verb::get && request.target() == "/api/v1/me") {
        if (request.find(bhttp::field::authorization) == request.end()) {
            response.result(bhttp::status::unauthorized);
        } else {
            response.set(bhttp::field::content_type, "application/json");
            response.body() = site.me_body;
        }
    } else {
        response.result(bhttp::status::not_found);
    }
    response.prepare_payload();
    return response;
}

class Session : public std::enable_shared_from_this<Session> {
  public:
    Session(tcp::socket&& socket, asio::ssl::context& tls, const Site& site)
        : stream_(std::move(socket), tls), site_(site) {}

    void run() {
        // The socket's executor is this connection's strand.
        asio::dispatch(stream_.get_executor(),
                       beast::bind_front_handler(&Session::on_run, shared_from_this()));
    }

  private:
    void on_run() {
        beast::get_lowest_layer(stream_).expires_after(site_.handshake_timeout);
        stream_.async_handshake(
            asio::ssl::stream_base::server,
            beast::bind_front_handler(&Session::on_handshake, shared_from_this()));
    }

    void on_handshake(beast::error_code ec) {
        if (ec) return;  // the socket closes with the session
        read_request();
    }

    void read_request() {
        request_ = {};
        beast::get_lowest_layer(stream_).expires_after(site_.idle_timeout);
        bhttp::async_read(stream_, buffer_, request_,
                          beast::bind_front_handler(&Session::on_read, shared_from_this()));
    }

    void on_read(beast::error_code ec, std::size_t) {
        if (ec == bhttp::error::end_of_stream) return close();
        if (ec) return;  // reset, truncated, timed out: nothing to answer
        response_ = answer(site_, request_);
        bhttp::async_write(stream_, response_,
                           beast::bind_front_handler(&Session::on_write, shared_from_this()));
    }

    void on_write(beast::error_code ec, std::size_t) {
        if (ec) return;
        if (!response_.keep_alive()) return close();
        read_request();
    }

    void close() {
        beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(2));
        stream_.async_shutdown([self = shared_from_this()](beast::error_code) {});
    }

    beast::ssl_stream<beast::tcp_stream> stream_;
    const Site& site_;
    beast::flat_buffer buffer_;
    bhttp::request<bhttp::string_body> request_;
    bhttp::response<bhttp::string_body> response_;
};

class Listener : public std::enable_shared_from_this<Listener> {
  public:
    Listener(asio::io_context& ioc, asio::ssl::context& tls, const Site& site)
        : ioc_(ioc),
          tls_(tls),
          site_(site),
          acceptor_(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {}

    std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

    void accept() {
        acceptor_.async_accept(asio::make_strand(ioc_),
                               beast::bind_front_handler(&Listener::on_accept, shared_from_this()));
    }

    void stop() {
        beast::error_code ignored;
        acceptor_.close(ignored);
    }

  private:
    void on_accept(beast::error_code ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted) return;
        if (!ec) {
            socket.set_option(tcp::no_delay(true), ec);
            std::make_shared<Session>(std::move(socket), tls_, site_)->run();
        }
        accept();
    }

    asio::io_context& ioc_;
    asio::ssl::context& tls_;
    const Site& site_;
    tcp::acceptor acceptor_;
};

std::string read_file(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + file.string());
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

int serve(const Options& options) {
    Site site{read_file(options.me_body_file), std::chrono::seconds(options.handshake_timeout_s),
              std::chrono::seconds(options.idle_timeout_s)};
    asio::ssl::context tls = tls::make_server_context({options.cert_file, options.key_file});
    const unsigned threads =
        options.threads > 0 ? options.threads : std::max(1u, std::thread::hardware_concurrency() / 2);
    asio::io_context ioc(static_cast<int>(threads));
    auto listener = std::make_shared<Listener>(ioc, tls, site);
    listener->accept();
    asio::signal_set signals(ioc, SIGTERM, SIGINT);
    signals.async_wait([&](beast::error_code, int) {
        listener->stop();
        ioc.stop();
    });
    std::cout << "listening on 127.0.0.1:" << listener->port() << std::endl;
    std::vector<std::thread> pool;
    for (unsigned i = 1; i < threads; ++i) pool.emplace_back([&ioc] { ioc.run(); });
    ioc.run();
    for (auto& t : pool) t.join();
    return 0;
}

}  // namespace
}  // namespace pakt::bench

int main(int argc, char** argv) {
    CLI::App cli{"Bare Beast HTTPS server: the baseline of tools/bench http"};
    pakt::bench::Options options;
    cli.add_option("--cert", options.cert_file, "PEM certificate (paktd's)")->required();
    cli.add_option("--key", options.key_file, "PEM private key (paktd's)")->required();
    cli.add_option("--me-body-file", options.me_body_file, "body of GET /api/v1/me")->required();
    cli.add_option("--threads", options.threads, "network threads (0: half the hardware threads, as paktd)")
        ->capture_default_str();
    cli.add_option("--handshake-timeout-s", options.handshake_timeout_s, "TLS handshake deadline")
        ->capture_default_str();
    cli.add_option("--idle-timeout-s", options.idle_timeout_s,
                   "how long a kept-alive connection may wait for its next request")
        ->capture_default_str();
    CLI11_PARSE(cli, argc, argv);
    try {
        return pakt::bench::serve(options);
    } catch (const std::exception& e) {
        std::cerr << "baseline server: " << e.what() << '\n';
        return 2;
    }
}
