// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// Issue 11, the network layer: slow and greedy clients, memory per connection, TCP_NODELAY, the
// bounded handler queue, transfer codings, HEAD, per-route body limits and trusted proxies.
// The flood and the hostile bodies run against the real paktd binary as a child process, so
// /proc/<pid> measures paktd alone; the rest uses the network layer in-process with a handler
// lambda, or the in-process App (TestServer).
#include <arpa/inet.h>
#include <dirent.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <latch>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/tls.hpp"
#include "server/net/http_server.hpp"
#include "server/storage/database.hpp"
#include "server/storage/migrator.hpp"
#include "server/storage/user_repository.hpp"
#include "tests/support/fixture_password.hpp"
#include "tests/support/paktd_process.hpp"
#include "tests/support/process_memory.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_server.hpp"

namespace pakt::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

const std::filesystem::path kPaktd = PAKTD_PATH;
constexpr const char* kPassword = "correct horse battery";

// How long a test waits for the server to do something before it counts as not done (the test
// then fails); never a measure of speed.
constexpr auto kPatience = 20s;

// The test process itself holds thousands of sockets in the flood.
void raise_own_open_file_limit() {
    rlimit limit{};
    ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &limit), 0);
    limit.rlim_cur = limit.rlim_max;
    ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &limit), 0);
}

bool is_closed(const beast::error_code& ec) {
    return ec == asio::error::eof || ec == asio::ssl::error::stream_truncated ||
           ec == asio::error::connection_reset || ec == bhttp::error::end_of_stream ||
           ec == asio::error::broken_pipe;
}

// A TLS connection of the test's own, for what HttpsClient does not do: choose the source
// address, stop in the middle of a request, and see when the server closes. Trusts any
// certificate (the tests are about the server's behaviour, not its identity).
class RawTls {
  public:
    explicit RawTls(std::uint16_t port, const char* local_address = "127.0.0.1")
        : ctx_(asio::ssl::context::tls_client), stream_(ioc_, ctx_) {
        auto& socket = beast::get_lowest_layer(stream_).socket();
        socket.open(tcp::v4());
        socket.bind({asio::ip::make_address(local_address), 0});
        beast::get_lowest_layer(stream_).expires_after(kPatience);
        run([&](auto handler) {
            beast::get_lowest_layer(stream_).async_connect(
                {asio::ip::make_address("127.0.0.1"), port}, std::move(handler));
        });
        check("connect");
        beast::get_lowest_layer(stream_).expires_after(kPatience);
        run([&](auto handler) {
            stream_.async_handshake(asio::ssl::stream_base::client, std::move(handler));
        });
        check("handshake");
    }

    void write(std::string_view bytes) {
        beast::get_lowest_layer(stream_).expires_after(kPatience);
        run([&](auto handler) {
            asio::async_write(stream_, asio::buffer(bytes.data(), bytes.size()),
                              std::move(handler));
        });
        check("write");
    }

    // One HTTP response on this connection.
    bhttp::response<bhttp::string_body> read_response(bool head = false) {
        bhttp::response_parser<bhttp::string_body> parser;
        parser.skip(head);
        beast::get_lowest_layer(stream_).expires_after(kPatience);
        run([&](auto handler) { bhttp::async_read(stream_, buffer_, parser, std::move(handler)); });
        check("read response");
        return parser.release();
    }

    // Everything the server sends until it closes the connection; nullopt if it has not closed
    // it within kPatience.
    std::optional<std::string> read_until_closed() {
        std::string received(static_cast<const char*>(buffer_.data().data()), buffer_.size());
        buffer_.consume(buffer_.size());
        beast::get_lowest_layer(stream_).expires_after(kPatience);
        char piece[4096];
        for (;;) {
            std::size_t n = 0;
            run([&](auto handler) {
                stream_.async_read_some(
                    asio::buffer(piece),
                    [&n, handler](beast::error_code e, std::size_t got) mutable {
                        n = got;
                        handler(e);
                    });
            });
            received.append(piece, n);
            if (is_closed(ec_)) return received;
            if (ec_) return std::nullopt;
        }
    }

  private:
    template <class Initiate>
    void run(Initiate&& initiate) {
        ec_ = asio::error::operation_aborted;
        std::forward<Initiate>(initiate)([this](beast::error_code ec, auto&&...) { ec_ = ec; });
        ioc_.restart();
        ioc_.run();
    }
    void check(const char* what) const {
        if (ec_) throw std::system_error(std::error_code(ec_), what);
    }

    asio::io_context ioc_;
    asio::ssl::context ctx_;
    beast::ssl_stream<beast::tcp_stream> stream_;
    beast::flat_buffer buffer_;
    beast::error_code ec_;
};

// The network layer alone, in-process, over TLS on 127.0.0.1 port 0, with a handler lambda.
class NetServer {
  public:
    NetServer(const std::function<void(server::ServerConfig&)>& tweak,
              server::net::RequestHandler handler,
              const std::function<void(server::net::HttpServer&)>& before_start = {})
        : files_{dir_.path() / "cert.pem", dir_.path() / "key.pem"},
          context_(
              (tls::generate_self_signed(files_, "localhost"), tls::make_server_context(files_))) {
        config_.listen_address = "127.0.0.1";
        config_.listen_port = 0;
        config_.io_threads = 1;
        config_.handler_threads = 2;
        if (tweak) tweak(config_);
        http_ = std::make_unique<server::net::HttpServer>(
            config_, &context_, std::move(handler),
            [](const server::http::Request&, const server::http::Response&,
               std::chrono::steady_clock::duration) {});
        if (before_start) before_start(*http_);
        http_->start();
    }
    ~NetServer() { http_->shutdown(1000ms); }

    std::uint16_t port() const { return http_->port(); }
    std::unique_ptr<HttpsClient> client(std::chrono::milliseconds timeout = kPatience) const {
        return std::make_unique<HttpsClient>(
            "127.0.0.1", port(),
            tls::ClientTrust{{}, tls::certificate_fingerprint_sha256(files_.cert_file)}, timeout);
    }
    server::net::HttpServer& http() { return *http_; }

  private:
    TempDir dir_;
    tls::CertificateFiles files_;
    asio::ssl::context context_;
    server::ServerConfig config_;
    std::unique_ptr<server::net::HttpServer> http_;
};

server::http::Response text(std::string body) {
    server::http::Response r;
    r.set_header("Content-Type", "text/plain");
    r.body = std::move(body);
    return r;
}

// Prepares a data directory whose database has a city_admin "admin".
void seed_admin(const std::filesystem::path& data_dir) {
    auto db = server::open_database(data_dir / "pakt.db", server::OpenMode::read_write, 5s);
    server::migrate(*db);
    server::UserRecord admin;
    admin.username = "admin";
    admin.role = server::Role::city_admin;
    admin.password_hash = test::fixture_password_hash(kPassword);
    server::insert_user(*db, admin);
}

// One request over a fresh TLS connection from `local_address`.
bhttp::response<bhttp::string_body> request_from(const char* local_address, std::uint16_t port,
                                                 bhttp::verb method, const std::string& target,
                                                 const std::string& body = {},
                                                 const std::string& token = {}) {
    RawTls connection(port, local_address);
    bhttp::request<bhttp::string_body> req(method, target, 11);
    req.set(bhttp::field::host, "127.0.0.1");
    req.set(bhttp::field::connection, "close");
    if (!token.empty()) req.set(bhttp::field::authorization, "Bearer " + token);
    if (!body.empty()) req.set(bhttp::field::content_type, "application/json");
    req.body() = body;
    req.prepare_payload();
    std::ostringstream wire;
    wire << req;
    connection.write(wire.str());
    return connection.read_response();
}

std::size_t open_sockets(pid_t pid) {
    const auto dir = std::filesystem::path("/proc") / std::to_string(pid) / "fd";
    std::size_t sockets = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        std::error_code ec;
        const auto target = std::filesystem::read_symlink(entry.path(), ec);
        if (!ec && target.string().starts_with("socket:")) ++sockets;
    }
    return sockets;
}

double mib(std::int64_t kib) { return static_cast<double>(kib) / 1024.0; }

// ---------------------------------------------------------------------------------------------
// Flood: 2,200 slow connections from 127.0.0.2 (more than max_connections = 2048). Their
// deadlines are set far out, so that only the per-address limit keeps room for 127.0.0.3.

enum class FloodKind { silent, handshake_only, partial_header };

struct FloodConnection {
    explicit FloodConnection(asio::io_context& ioc, asio::ssl::context& ctx) : stream(ioc, ctx) {}
    beast::ssl_stream<beast::tcp_stream> stream;
    FloodKind kind = FloodKind::silent;
    bool connected = false;
    bool handshaken = false;
    std::string header_part;
};

TEST(HardeningNet, FloodFromOneAddressLeavesRoomForOthersAndItsMemoryIsReturned) {
    raise_own_open_file_limit();
    TempDir dir;
    seed_admin(dir.path());
    PaktdProcess paktd(kPaktd, dir.path(),
                       "[limits]\n"
                       "handshake_timeout_ms = 600000\n"
                       "header_timeout_ms = 600000\n"
                       "read_timeout_ms = 600000\n"
                       "[log]\nlevel = \"info\"\n");
    // One-off costs (the first login, the first statements) are paid before the baseline.
    const auto login = request_from("127.0.0.3", paktd.port(), bhttp::verb::post, "/api/v1/session",
                                    json{{"username", "admin"}, {"password", kPassword}}.dump());
    ASSERT_EQ(login.result_int(), 201u) << login.body();
    const std::string token = json::parse(login.body()).at("token").get<std::string>();
    const auto first_me =
        request_from("127.0.0.3", paktd.port(), bhttp::verb::get, "/api/v1/me", {}, token);
    ASSERT_EQ(first_me.result_int(), 200u) << first_me.body() << paktd.output();
    const std::size_t sockets_before = open_sockets(paktd.pid());
    const ProcessMemory start = read_process_memory(paktd.pid());
    const bool peak_reset = reset_peak_rss(paktd.pid());

    constexpr int kFlood = 2200;
    asio::io_context ioc;
    asio::ssl::context ctx(asio::ssl::context::tls_client);
    std::vector<std::unique_ptr<FloodConnection>> flood;
    const tcp::endpoint server{asio::ip::make_address("127.0.0.1"), paktd.port()};
    for (int i = 0; i < kFlood; ++i) {
        auto c = std::make_unique<FloodConnection>(ioc, ctx);
        c->kind = static_cast<FloodKind>(i % 3);
        auto& socket = beast::get_lowest_layer(c->stream).socket();
        socket.open(tcp::v4());
        socket.bind({asio::ip::make_address("127.0.0.2"), 0});
        FloodConnection* raw = c.get();
        beast::get_lowest_layer(c->stream).expires_after(kPatience);
        beast::get_lowest_layer(c->stream).async_connect(server, [raw](beast::error_code ec) {
            if (ec) return;
            raw->connected = true;
            if (raw->kind == FloodKind::silent) return;
            raw->stream.async_handshake(asio::ssl::stream_base::client, [raw](beast::error_code e) {
                if (e) return;
                raw->handshaken = true;
                if (raw->kind != FloodKind::partial_header) return;
                // The start of a header, never finished.
                raw->header_part = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
                asio::async_write(raw->stream, asio::buffer(raw->header_part),
                                  [](beast::error_code, std::size_t) {});
            });
        });
        flood.push_back(std::move(c));
    }
    ioc.run();
    int connected = 0;
    int handshaken = 0;
    for (const auto& c : flood) {
        connected += c->connected ? 1 : 0;
        handshaken += c->handshaken ? 1 : 0;
    }
    // The kernel completes every TCP handshake; paktd admits only max_connections_per_address
    // (256 by default) of them and closes the rest, so only those can finish a TLS handshake.
    EXPECT_EQ(connected, kFlood);
    EXPECT_GT(handshaken, 0);
    EXPECT_LE(handshaken, 256);

    // More of the slow header, on the connections paktd still holds.
    std::string more = "a";
    for (auto& c : flood) {
        if (c->kind != FloodKind::partial_header || !c->handshaken) continue;
        asio::async_write(c->stream, asio::buffer(more), [](beast::error_code, std::size_t) {});
    }
    ioc.restart();
    ioc.run();

    // Everyone else is served while the flood holds its connections.
    const auto health = request_from("127.0.0.3", paktd.port(), bhttp::verb::get, "/healthz");
    EXPECT_EQ(health.result_int(), 200u);
    const auto me =
        request_from("127.0.0.3", paktd.port(), bhttp::verb::get, "/api/v1/me", {}, token);
    EXPECT_EQ(me.result_int(), 200u) << me.body();
    const ProcessMemory during = read_process_memory(paktd.pid());

    // The flood goes away; paktd notices every close and hands the memory back.
    const std::size_t output_before_close = paktd.output().size();
    for (auto& c : flood) {
        beast::error_code ignored;
        beast::get_lowest_layer(c->stream).socket().close(ignored);
    }
    flood.clear();
    const auto trimmed = paktd.process().wait_for_output(
        " to 0: freed memory returned to the system", output_before_close, kPatience);
    ASSERT_TRUE(trimmed) << "paktd did not return to 0 open connections:\n" << paktd.output();
    EXPECT_LE(open_sockets(paktd.pid()), sockets_before);
    const ProcessMemory after = read_process_memory(paktd.pid());

    std::printf(
        "[ flood ] %d connections from 127.0.0.2, %d TLS handshakes admitted; paktd RSS start "
        "%.1f MiB, peak %.1f MiB (%s), during %.1f MiB, after %.1f MiB\n",
        kFlood, handshaken, mib(start.rss_kib), mib(during.peak_rss_kib),
        peak_reset ? "VmHWM after a reset" : "VmHWM since start", mib(during.rss_kib),
        mib(after.rss_kib));
#ifdef PAKT_SANITIZED
    std::printf("[ flood ] a sanitizer build: the RSS bound is not checked\n");
#else
    EXPECT_LT((after.rss_kib - start.rss_kib) * 1024, 32'000'000)
        << "paktd kept " << after.rss_kib - start.rss_kib << " KiB after the flood";
#endif
    EXPECT_TRUE(paktd.process().running()) << paktd.output();
}

// 32 connections at once each POST a 1 MB JSON object of ~100,000 unknown keys to the login.
TEST(HardeningNet, ThirtyTwoHostileOneMegabyteBodiesRaisePeakRssByLessThan128MB) {
    TempDir dir;
    seed_admin(dir.path());
    PaktdProcess paktd(kPaktd, dir.path(), "[log]\nlevel = \"warn\"\n");
    std::string body = "{";
    for (int i = 0; i < 100'000; ++i) {
        if (i > 0) body += ',';
        body += "\"k" + std::to_string(i) + "\":1";
    }
    body += '}';
    ASSERT_GT(body.size(), 1'000'000u);
    ASSERT_LT(body.size(), 1'100'000u);

    constexpr int kClients = 32;
    std::vector<std::unique_ptr<HttpsClient>> clients;
    for (int i = 0; i < kClients; ++i) {
        clients.push_back(paktd.client(60s));
        // Connected and handshaken before the measurement starts.
        ASSERT_EQ(clients.back()->request("GET", "/healthz").status, 200);
    }
    // The login's one-off costs are paid before the baseline.
    ASSERT_EQ(
        clients[0]->request("POST", "/api/v1/session", R"({"username":"x","password":"y"})").status,
        401);
    const ProcessMemory before = read_process_memory(paktd.pid());
    const bool peak_reset = reset_peak_rss(paktd.pid());

    std::vector<HttpResponse> answers(kClients);
    std::latch go(kClients);
    std::vector<std::thread> threads;
    for (int i = 0; i < kClients; ++i) {
        threads.emplace_back([&, i] {
            go.arrive_and_wait();
            try {
                answers[static_cast<std::size_t>(i)] =
                    clients[static_cast<std::size_t>(i)]->request("POST", "/api/v1/session", body);
            } catch (const std::exception& e) {
                ADD_FAILURE() << "client " << i << ": " << e.what();
            }
        });
    }
    for (auto& t : threads) t.join();
    const ProcessMemory after = read_process_memory(paktd.pid());

    for (const auto& r : answers) {
        EXPECT_GE(r.status, 400);
        EXPECT_LT(r.status, 500) << r.body.substr(0, 200);
        EXPECT_EQ(r.header("Content-Type"), "application/problem+json");
    }
    const std::int64_t rise_kib = after.peak_rss_kib - before.rss_kib;
    std::printf(
        "[ bodies ] %d x %zu bytes, answered %d; paktd RSS before %.1f MiB, peak %.1f MiB (%s), "
        "rise %.1f MiB\n",
        kClients, body.size(), answers[0].status, mib(before.rss_kib), mib(after.peak_rss_kib),
        peak_reset ? "VmHWM after a reset" : "VmHWM since start", mib(rise_kib));
#ifdef PAKT_SANITIZED
    std::printf("[ bodies ] a sanitizer build: the RSS bound is not checked\n");
#else
    EXPECT_LT(rise_kib * 1024, 128'000'000) << "paktd's peak RSS rose by " << rise_kib << " KiB";
#endif
    EXPECT_TRUE(paktd.process().running()) << paktd.output();
}

// ---------------------------------------------------------------------------------------------
// Deadlines

TEST(HardeningNet, HalfAHeaderIsClosedAfterTheHeaderTimeout) {
    NetServer server(
        [](server::ServerConfig& c) {
            c.header_timeout = 200ms;
            c.read_timeout = 600s;  // the keep-alive idle time is not what closes it
        },
        [](const server::http::Request&) { return text("never"); });
    RawTls connection(server.port());
    connection.write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ");
    const auto received = connection.read_until_closed();
    ASSERT_TRUE(received) << "the server did not close the connection";
    EXPECT_EQ(*received, "") << "no answer to half a request";
}

TEST(HardeningNet, ABodyTrickledBelowTheMinimumRateIsCut) {
    std::atomic<int> handled{0};
    NetServer server(
        [](server::ServerConfig& c) {
            c.min_body_bytes_per_second = 1000;
            c.min_body_rate_grace = 100ms;
            c.header_timeout = 600s;
            c.read_timeout = 600s;
        },
        [&](const server::http::Request&) {
            ++handled;
            return text("never");
        });
    RawTls connection(server.port());
    connection.write(
        "POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n"
        "Content-Length: 100000\r\n\r\n0123456789");
    const auto received = connection.read_until_closed();
    ASSERT_TRUE(received) << "the server did not cut the slow body";
    EXPECT_EQ(*received, "");
    EXPECT_EQ(handled.load(), 0);
}

// ---------------------------------------------------------------------------------------------
// Connection limits

TEST(HardeningNet, WhenFullTheLongestIdleKeepAliveConnectionMakesRoom) {
    NetServer server([](server::ServerConfig& c) { c.max_connections = 2; },
                     [](const server::http::Request&) { return text("ok"); });
    auto first = server.client();
    auto second = server.client();
    ASSERT_EQ(first->request("GET", "/").status, 200);
    ASSERT_EQ(second->request("GET", "/").status, 200);
    // Both connections are open and idle; a third client is served all the same.
    auto third = server.client();
    EXPECT_EQ(third->request("GET", "/").status, 200);
    // The client whose connection was closed simply reconnects.
    EXPECT_EQ(first->request("GET", "/").status, 200);
}

TEST(HardeningNet, ConnectionsBeyondThePerAddressLimitAreClosed) {
    NetServer server([](server::ServerConfig& c) { c.max_connections_per_address = 2; },
                     [](const server::http::Request&) { return text("ok"); });
    auto first = server.client();
    auto second = server.client();
    ASSERT_EQ(first->request("GET", "/").status, 200);
    ASSERT_EQ(second->request("GET", "/").status, 200);
    auto third = server.client();
    EXPECT_THROW(third->request("GET", "/"), std::system_error);
    EXPECT_EQ(first->request("GET", "/").status, 200) << "the connections within the limit work";
    second->close();
    // Room again once one of them has gone; the server notices the close asynchronously, so
    // the new connection is tried until it is admitted (each refusal is immediate).
    bool admitted = false;
    for (int attempt = 0; attempt < 1000 && !admitted; ++attempt) {
        try {
            admitted = server.client()->request("GET", "/").status == 200;
        } catch (const std::system_error&) {
        }
    }
    EXPECT_TRUE(admitted);
}

TEST(HardeningNet, TrustedProxiesAreExemptFromThePerAddressLimit) {
    NetServer server(
        [](server::ServerConfig& c) {
            c.max_connections_per_address = 1;
            c.trusted_proxies = {"127.0.0.0/8"};
        },
        [](const server::http::Request&) { return text("ok"); });
    std::vector<std::unique_ptr<HttpsClient>> clients;
    for (int i = 0; i < 4; ++i) {
        clients.push_back(server.client());
        EXPECT_EQ(clients.back()->request("GET", "/").status, 200);
    }
}

// ---------------------------------------------------------------------------------------------
// TCP_NODELAY. Both ends of a loopback connection live in this process (the in-process server
// and HttpsClient), so the test finds both sockets among its own file descriptors and asks the
// kernel for the option on each: on paktd's accepted socket and on the client's.

struct Endpoints {
    sockaddr_in local{};
    sockaddr_in peer{};
};

std::optional<Endpoints> tcp_endpoints(int fd) {
    Endpoints e;
    socklen_t length = sizeof e.local;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&e.local), &length) != 0 ||
        e.local.sin_family != AF_INET) {
        return std::nullopt;
    }
    length = sizeof e.peer;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&e.peer), &length) != 0) return std::nullopt;
    return e;
}

bool no_delay(int fd) {
    int value = 0;
    socklen_t length = sizeof value;
    return getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &value, &length) == 0 && value != 0;
}

TEST(HardeningNet, AcceptedAndClientSocketsHaveTcpNoDelay) {
    NetServer server({}, [](const server::http::Request&) { return text("ok"); });
    auto client = server.client();
    ASSERT_EQ(client->request("GET", "/").status, 200);  // the connection stays open
    int accepted = 0;
    int outgoing = 0;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
        const int fd = std::stoi(entry.path().filename().string());
        const auto e = tcp_endpoints(fd);
        if (!e) continue;
        if (ntohs(e->local.sin_port) == server.port()) {
            ++accepted;
            EXPECT_TRUE(no_delay(fd)) << "the server's accepted socket";
        } else if (ntohs(e->peer.sin_port) == server.port()) {
            ++outgoing;
            EXPECT_TRUE(no_delay(fd)) << "HttpsClient's socket";
        }
    }
    EXPECT_EQ(accepted, 1);
    EXPECT_EQ(outgoing, 1);
}

// ---------------------------------------------------------------------------------------------
// The handler queue

TEST(HardeningNet, AFullHandlerQueueIsAnswered503WithRetryAfterWithoutRunningTheHandler) {
    std::mutex mutex;
    std::condition_variable changed;
    int entered = 0;
    bool release = false;
    std::atomic<int> fast_handled{0};
    NetServer server(
        [](server::ServerConfig& c) {
            c.handler_threads = 2;
            c.max_queued_requests = 2;
        },
        [&](const server::http::Request& request) {
            if (request.target == "/block") {
                std::unique_lock lock(mutex);
                ++entered;
                changed.notify_all();
                changed.wait(lock, [&] { return release; });
                return text("released");
            }
            ++fast_handled;
            return text("fast");
        });
    std::vector<std::thread> blocked;
    std::vector<int> blocked_status(2, 0);
    for (int i = 0; i < 2; ++i) {
        blocked.emplace_back([&, i] {
            auto client = server.client();
            blocked_status[static_cast<std::size_t>(i)] = client->request("GET", "/block").status;
        });
    }
    {
        std::unique_lock lock(mutex);
        ASSERT_TRUE(changed.wait_for(lock, kPatience, [&] { return entered == 2; }));
    }
    // Two requests are running: the queue is full.
    auto client = server.client(10s);
    HttpResponse overloaded;
    try {
        overloaded = client->request("GET", "/fast");
    } catch (const std::exception& e) {
        ADD_FAILURE() << "no answer while the queue was full: " << e.what();
    }
    {
        std::lock_guard lock(mutex);
        release = true;
    }
    changed.notify_all();
    for (auto& t : blocked) t.join();

    EXPECT_EQ(overloaded.status, 503);
    EXPECT_EQ(overloaded.header("Retry-After"), "5");
    EXPECT_EQ(overloaded.header("Content-Type"), "application/problem+json");
    if (overloaded.status == 503) {
        EXPECT_EQ(json::parse(overloaded.body).at("type"), "urn:pakt:problem:overloaded");
    }
    EXPECT_EQ(fast_handled.load(), 0);
    EXPECT_EQ(blocked_status, (std::vector<int>{200, 200}));
    // The queue has drained: the same connection is served again.
    EXPECT_EQ(client->request("GET", "/fast").status, 200);
}

// ---------------------------------------------------------------------------------------------
// Transfer codings

TEST(HardeningNet, TransferCodingsOtherThanChunkedAre501AndCloseTheConnection) {
    std::atomic<int> handled{0};
    NetServer server({}, [&](const server::http::Request& request) {
        ++handled;
        return text(request.body);
    });
    auto client = server.client();
    const std::string chunked_body = "5\r\nhello\r\n0\r\n\r\n";
    for (const char* coding :
         {"gzip, chunked", "chunked, chunked", "identity", "gzip", "x-custom, chunked"}) {
        SCOPED_TRACE(coding);
        const auto r = client->send_raw(std::string("POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\n") +
                                        "Transfer-Encoding: " + coding + "\r\n\r\n" + chunked_body);
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 501);
        EXPECT_EQ(r->header("Connection"), "close");
        EXPECT_EQ(r->header("Content-Type"), "application/problem+json");
        EXPECT_EQ(json::parse(r->body).at("type"), "urn:pakt:problem:unsupported-transfer-coding");
    }
    // Two fields that together say "gzip, chunked".
    const auto split = client->send_raw(
        "POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: gzip\r\n"
        "Transfer-Encoding: chunked\r\n\r\n" +
        chunked_body);
    ASSERT_TRUE(split);
    EXPECT_EQ(split->status, 501);
    EXPECT_EQ(handled.load(), 0);

    const auto plain = client->send_raw(
        "POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: Chunked\r\n\r\n" +
        chunked_body);
    ASSERT_TRUE(plain);
    EXPECT_EQ(plain->status, 200);
    EXPECT_EQ(plain->body, "hello");
}

// ---------------------------------------------------------------------------------------------
// HEAD

TEST(HardeningNet, HeadGetsTheHeaderWithTheBodysContentLengthButNoBody) {
    std::atomic<int> produced{0};
    NetServer server({}, [&](const server::http::Request& request) {
        if (request.target != "/stream") return text("hello world");
        server::http::Response r = text({});
        auto left = std::make_shared<int>(3);
        r.stream = [left, &produced](std::string& chunk) {
            ++produced;
            chunk = "piece\n";
            return --*left > 0;
        };
        return r;
    });

    RawTls plain(server.port());
    plain.write("HEAD /plain HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    const auto plain_bytes = plain.read_until_closed();
    ASSERT_TRUE(plain_bytes);
    const auto plain_end = plain_bytes->find("\r\n\r\n");
    ASSERT_NE(plain_end, std::string::npos) << *plain_bytes;
    EXPECT_NE(plain_bytes->find("\r\nContent-Length: 11\r\n"), std::string::npos) << *plain_bytes;
    EXPECT_EQ(plain_bytes->substr(plain_end + 4), "") << "HEAD must not send a body";

    RawTls streamed(server.port());
    streamed.write("HEAD /stream HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    const auto streamed_bytes = streamed.read_until_closed();
    ASSERT_TRUE(streamed_bytes);
    const auto streamed_end = streamed_bytes->find("\r\n\r\n");
    ASSERT_NE(streamed_end, std::string::npos) << *streamed_bytes;
    EXPECT_NE(streamed_bytes->find("\r\nTransfer-Encoding: chunked\r\n"), std::string::npos)
        << *streamed_bytes;
    EXPECT_EQ(streamed_bytes->substr(streamed_end + 4), "") << "HEAD must not send a body";
    EXPECT_EQ(produced.load(), 0) << "the producer of a streamed answer is never called for HEAD";

    // On a kept-alive connection the next answer follows the header directly.
    auto client = server.client();
    const auto head = client->request("HEAD", "/plain");
    EXPECT_EQ(head.status, 200);
    EXPECT_EQ(head.header("Content-Length"), "11");
    EXPECT_EQ(client->request("HEAD", "/stream").status, 200);
    EXPECT_EQ(client->request("GET", "/plain").body, "hello world");
    EXPECT_EQ(client->request("GET", "/stream").body, "piece\npiece\npiece\n");
}

// ---------------------------------------------------------------------------------------------
// Inline routes

// A route marked to run inline is answered on the network thread, so a liveness probe is answered
// while every handler thread is busy; any other request waits for a handler thread.
TEST(HardeningNet, AnInlineRouteIsAnsweredWhileEveryHandlerThreadIsBusy) {
    std::mutex mutex;
    std::condition_variable changed;
    int blocked = 0;
    bool release = false;
    std::atomic<int> inline_calls{0};
    NetServer server([](server::ServerConfig& c) { c.handler_threads = 2; },
                     [&](const server::http::Request& request) {
                         if (request.target == "/healthz") {
                             ++inline_calls;
                             return text("ok");
                         }
                         std::unique_lock lock(mutex);
                         ++blocked;
                         changed.notify_all();
                         changed.wait(lock, [&] { return release; });
                         return text("slow");
                     },
                     [](server::net::HttpServer& http) {
                         http.set_request_traits([](std::string_view, std::string_view target) {
                             return server::net::RequestTraits{64 * 1024, target == "/healthz"};
                         });
                     });
    // Both handler threads wait for `release`.
    std::vector<std::thread> slow;
    for (int i = 0; i < 2; ++i) {
        slow.emplace_back([&] { EXPECT_EQ(server.client()->request("GET", "/slow").body, "slow"); });
    }
    {
        std::unique_lock lock(mutex);
        ASSERT_TRUE(changed.wait_for(lock, kPatience, [&] { return blocked == 2; }));
    }
    auto probe = server.client();
    EXPECT_EQ(probe->request("GET", "/healthz").body, "ok");
    EXPECT_EQ(inline_calls.load(), 1);
    {
        std::lock_guard lock(mutex);
        release = true;
    }
    changed.notify_all();
    for (auto& t : slow) t.join();
}

// ---------------------------------------------------------------------------------------------
// Per-route body limits

TEST(HardeningNet, BodyLimitComesFromThePerRouteFunction) {
    std::atomic<int> handled{0};
    NetServer server([](server::ServerConfig& c) { c.body_limit_bytes = 1024 * 1024; },
                     [&](const server::http::Request& request) {
                         ++handled;
                         return text(std::to_string(request.body.size()));
                     },
                     [](server::net::HttpServer& http) {
                         http.set_body_limit([](std::string_view method, std::string_view target) {
                             return method == "POST" && target.starts_with("/small")
                                        ? std::size_t{16}
                                        : std::size_t{1024 * 1024};
                         });
                     });
    auto client = server.client();
    const std::string seventeen(17, 'x');
    const auto too_large =
        client->request("POST", "/small", seventeen, {{"Content-Type", "text/plain"}});
    EXPECT_EQ(too_large.status, 413);
    EXPECT_NE(json::parse(too_large.body).at("detail").get<std::string>().find("16 bytes"),
              std::string::npos)
        << too_large.body;
    EXPECT_EQ(handled.load(), 0);

    auto again = server.client();
    EXPECT_EQ(again->request("POST", "/small", std::string(16, 'x')).body, "16");
    EXPECT_EQ(again->request("POST", "/other", seventeen).body, "17");

    // A chunked body is counted as it arrives.
    const auto chunked = again->send_raw(
        "POST /small HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
        "11\r\n" +
        seventeen + "\r\n0\r\n\r\n");
    ASSERT_TRUE(chunked);
    EXPECT_EQ(chunked->status, 413);
    EXPECT_EQ(handled.load(), 2);
}

// ---------------------------------------------------------------------------------------------
// Trusted proxies

TEST(HardeningNet, ForwardedForIsBelievedOnlyFromATrustedProxy) {
    const auto echo = [](const server::http::Request& request) {
        return text(request.remote_address);
    };
    const HeaderList forwarded = {{"X-Forwarded-For", "198.51.100.7, 203.0.113.9"}};
    {
        NetServer untrusted({}, echo);
        EXPECT_EQ(untrusted.client()->request("GET", "/", {}, forwarded).body, "127.0.0.1");
    }
    NetServer behind_proxy([](server::ServerConfig& c) { c.trusted_proxies = {"127.0.0.1"}; },
                           echo);
    auto client = behind_proxy.client();
    EXPECT_EQ(client->request("GET", "/", {}, forwarded).body, "203.0.113.9");
    EXPECT_EQ(client->request("GET", "/").body, "127.0.0.1");
}

TEST(HardeningNet, LoginsThroughATrustedProxyAreThrottledByTheForwardedAddress) {
    TestServer server([](server::ServerConfig& c) {
        c.trusted_proxies = {"127.0.0.1"};
        c.login_address_free_failures = 2;
        // A first delay no request can outlast: the third attempt meets it however slow.
        c.login_first_delay = std::chrono::seconds(600);
        c.login_max_delay = std::chrono::seconds(900);
    });
    server.add_user("admin", server::Role::city_admin, {}, kPassword);
    auto client = server.client();
    const auto login = [&](const std::string& username, const std::string& password,
                           const std::string& from) {
        return client->request("POST", "/api/v1/session",
                               json{{"username", username}, {"password", password}}.dump(),
                               {{"X-Forwarded-For", from}});
    };
    // Two failures (for different usernames) make the address they came from wait...
    EXPECT_EQ(login("u1", "wrong", "203.0.113.7").status, 401);
    EXPECT_EQ(login("u2", "wrong", "203.0.113.7").status, 401);
    EXPECT_EQ(login("u3", "wrong", "203.0.113.7").status, 429);
    EXPECT_EQ(login("admin", kPassword, "203.0.113.7").status, 429);
    // ...and not the proxy, through which another client still logs in.
    const auto other = login("admin", kPassword, "198.51.100.20");
    EXPECT_EQ(other.status, 201) << other.body;
}

}  // namespace
}  // namespace pakt::test
