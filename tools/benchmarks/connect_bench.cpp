// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// The new-connection benchmark (issue 11, "TCP_NODELAY"; run it with `tools/bench connect`).
//
// A browser opening a page and an agent sending its check-in both pay for a new TLS connection
// before their first answer. This measures, per fresh connection, the time from connect() to the
// first byte of the answer to GET /healthz, and to the whole answer, for
//   - paktd: the real App in-process on 127.0.0.1 port 0 over TLS, and
//   - the baseline: a bare Beast TLS server in the same process, with the same certificate and
//     TLS context, answering a fixed body (TCP_NODELAY set, one thread, nothing else),
// for TLS 1.3 and TLS 1.2, interleaved (one paktd connection, one baseline connection, ...) so
// both see the same machine. The ratio of the medians is the line to watch: before TCP_NODELAY,
// paktd's first answer on a TLS 1.3 connection waited ~45 ms for a delayed ACK.
// Exits non-zero on errors only (a refused connection, a wrong answer).
#include <fmt/format.h>
#include <openssl/ssl.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/logging.hpp"
#include "common/tls.hpp"
#include "server/app.hpp"
#include "server/config.hpp"
#include "tests/support/temp_dir.hpp"
#include "tools/benchmarks/fresh_connection.hpp"

namespace pakt::bench {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

struct Options {
    unsigned connections = 200;  ///< per server and TLS version
};

/// The baseline: accepts one connection at a time, TLS handshake, reads one request, answers a
/// fixed 200 and closes. What any Beast server costs at the least.
class BareServer {
  public:
    explicit BareServer(asio::ssl::context& tls)
        : tls_(tls), acceptor_(ioc_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
        thread_ = std::thread([this] { serve(); });
    }
    ~BareServer() {
        stopping_ = true;
        // Wake the blocking accept with a connection of our own.
        beast::error_code ignored;
        tcp::socket wake(ioc_);
        wake.connect(acceptor_.local_endpoint(), ignored);
        thread_.join();
    }
    std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

  private:
    void serve() {
        while (!stopping_) {
            beast::error_code ec;
            tcp::socket socket(ioc_);
            acceptor_.accept(socket, ec);
            if (ec || stopping_) continue;
            socket.set_option(tcp::no_delay(true), ec);
            asio::ssl::stream<tcp::socket> stream(std::move(socket), tls_);
            stream.handshake(asio::ssl::stream_base::server, ec);
            if (ec) continue;
            beast::flat_buffer buffer;
            bhttp::request<bhttp::string_body> request;
            bhttp::read(stream, buffer, request, ec);
            if (ec) continue;
            bhttp::response<bhttp::string_body> response{bhttp::status::ok, request.version()};
            response.set(bhttp::field::content_type, "application/json");
            response.body() = R"({"status":"ok"})";
            response.keep_alive(false);
            response.prepare_payload();
            bhttp::write(stream, response, ec);
            stream.shutdown(ec);
        }
    }

    asio::ssl::context& tls_;
    asio::io_context ioc_;
    tcp::acceptor acceptor_;
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

double percentile(std::vector<double> values, double p) {
    std::sort(values.begin(), values.end());
    const auto index = static_cast<std::size_t>(p * static_cast<double>(values.size() - 1));
    return values[index];
}

int run(const Options& options) {
    if (options.connections == 0) throw std::invalid_argument("--connections must be positive");
    test::TempDir dir;
    server::ServerConfig config;
    config.listen_address = "127.0.0.1";
    config.listen_port = 0;
    config.data_dir = dir.path() / "paktd";
    config.log_level = "warn";
    server::App app(config);
    app.start();

    asio::ssl::context server_tls =
        tls::make_server_context({config.effective_cert_file(), config.effective_key_file()});
    BareServer bare(server_tls);

    fmt::print(
        "New-connection benchmark: GET /healthz over a fresh TLS connection, {} connections per "
        "server and TLS version, interleaved; client sets TCP_NODELAY\n",
        options.connections);
    fmt::print(
        "  machine: nproc {}; paktd in-process (App); baseline: bare Beast TLS server, "
        "same certificate and TLS context, TCP_NODELAY\n",
        std::thread::hardware_concurrency());
    fmt::print("  {:<8} {:<9} {:>16} {:>16} {:>16} {:>16}\n", "TLS", "server", "first byte p50",
               "first byte p90", "answer p50", "answer p90");

    asio::io_context ioc;
    for (const int version : {TLS1_3_VERSION, TLS1_2_VERSION}) {
        asio::ssl::context client_tls =
            tls::make_client_context({{}, app.certificate_fingerprint()});
        SSL_CTX_set_min_proto_version(client_tls.native_handle(), version);
        SSL_CTX_set_max_proto_version(client_tls.native_handle(), version);
        // Session resumption would hide the handshake; every connection is a full one.
        SSL_CTX_set_session_cache_mode(client_tls.native_handle(), SSL_SESS_CACHE_OFF);
        std::vector<double> paktd_first, paktd_answer, bare_first, bare_answer;
        for (unsigned i = 0; i < options.connections; ++i) {
            const FirstAnswerTiming p = time_fresh_connection(ioc, client_tls, app.port());
            paktd_first.push_back(p.first_byte_ms);
            paktd_answer.push_back(p.answer_ms);
            const FirstAnswerTiming b = time_fresh_connection(ioc, client_tls, bare.port());
            bare_first.push_back(b.first_byte_ms);
            bare_answer.push_back(b.answer_ms);
        }
        const std::string name = version == TLS1_3_VERSION ? "1.3" : "1.2";
        const auto line = [&](const char* server, const std::vector<double>& first,
                              const std::vector<double>& answer) {
            fmt::print("  {:<8} {:<9} {:>13.2f} ms {:>13.2f} ms {:>13.2f} ms {:>13.2f} ms\n", name,
                       server, median(first), percentile(first, 0.9), median(answer),
                       percentile(answer, 0.9));
        };
        line("baseline", bare_first, bare_answer);
        line("paktd", paktd_first, paktd_answer);
        fmt::print("  {:<8} {:<9} {:>16} ratio paktd/baseline of the first-byte medians: {:.2f}\n",
                   name, "", "", median(paktd_first) / median(bare_first));
    }
    app.stop();
    return 0;
}

}  // namespace
}  // namespace pakt::bench

int main(int argc, char** argv) {
    CLI::App cli{
        "New-connection benchmark: time to first answer on a fresh TLS connection, paktd "
        "vs. a bare Beast TLS server"};
    pakt::bench::Options options;
    cli.add_option("--connections", options.connections,
                   "fresh connections per server and TLS version")
        ->capture_default_str();
    CLI11_PARSE(cli, argc, argv);
    try {
        pakt::setup_logging("warn");
        return pakt::bench::run(options);
    } catch (const std::exception& e) {
        std::cerr << "connect bench: " << e.what() << '\n';
        return 2;
    }
}
