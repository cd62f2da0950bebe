// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// The HTTP server as a client meets it: operations endpoints, TLS versions and certificate,
// request limits, and robustness against garbage on every route.
#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <random>

#include "common/tls.hpp"
#include "server/http/router.hpp"
#include "server/net/http_server.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_server.hpp"

namespace pakt::test {
namespace {

using nlohmann::json;
namespace asio = boost::asio;

// Performs only a TLS handshake with exactly protocol `version`; true if it succeeds.
bool handshake_succeeds(std::uint16_t port, int version) {
    asio::io_context ioc;
    asio::ssl::context ctx(asio::ssl::context::tls_client);
    SSL_CTX_set_min_proto_version(ctx.native_handle(), version);
    SSL_CTX_set_max_proto_version(ctx.native_handle(), version);
    if (version < TLS1_2_VERSION) {
        // Let the client offer the old protocol at all; the server must be the one refusing.
        SSL_CTX_set_security_level(ctx.native_handle(), 0);
        SSL_CTX_set_cipher_list(ctx.native_handle(), "DEFAULT:@SECLEVEL=0");
    }
    ctx.set_verify_mode(asio::ssl::verify_none);
    asio::ssl::stream<asio::ip::tcp::socket> stream(ioc, ctx);
    stream.lowest_layer().connect({asio::ip::make_address("127.0.0.1"), port});
    boost::system::error_code ec;
    stream.handshake(asio::ssl::stream_base::client, ec);
    if (!ec) {
        stream.shutdown(ec);
        return true;
    }
    return false;
}

class Server : public ::testing::Test {
protected:
    SeededServer s{[](server::ServerConfig& c) { c.body_limit_bytes = 1024 * 1024; }};
    HttpsClient& http = *s.http;
};

TEST_F(Server, HealthAndReadiness) {
    auto health = call(http, "GET", "/healthz");
    EXPECT_EQ(health.status, 200);
    auto ready = call(http, "GET", "/readyz");
    EXPECT_EQ(ready.status, 200);
    EXPECT_EQ(ready.body, "ready\n");
}

// Several instances on one PostgreSQL sit behind a load balancer that asks /readyz: the instance
// that cannot reach the database says so and is taken out, and is back once the database is.
TEST_F(Server, ReadinessFollowsTheDatabase) {
    if (!s.server.postgres())
        GTEST_SKIP() << "an embedded SQLite database cannot become unreachable";
    s.server.database().allow_connections(false);
    const auto down = call(http, "GET", "/readyz");
    EXPECT_EQ(down.status, 503);
    EXPECT_EQ(down.body, "not ready: the database does not answer\n");
    EXPECT_EQ(call(http, "GET", "/healthz").status, 200);  // alive, only not ready

    s.server.database().allow_connections(true);
    const auto up = call(http, "GET", "/readyz");
    EXPECT_EQ(up.status, 200);
    EXPECT_EQ(up.body, "ready\n");
    // And the instance serves again, its writer reconnected too.
    EXPECT_EQ(call(http, "POST", "/api/v1/schools", s.admin,
                   nlohmann::json{{"school_number", "100020"},
                                  {"name", "Schule am Park"},
                                  {"school_type", "Grundschule"}})
                  .status,
              201);
}

TEST_F(Server, MetricsCountRequestsByRouteAndStatus) {
    call(http, "GET", "/api/v1/schools/999999", s.admin);
    call(http, "GET", "/api/v1/me", s.admin);
    auto r = call(http, "GET", "/metrics");
    ASSERT_EQ(r.status, 200);
    EXPECT_NE(r.header("Content-Type").find("text/plain"), std::string::npos);
    EXPECT_NE(r.body.find("pakt_build_info{version=\""), std::string::npos);
    EXPECT_NE(r.body.find("pakt_http_requests_total{route=\"/api/v1/schools/{school_number}\",method=\"GET\",status=\"404\"} 1"),
              std::string::npos) << r.body;
    EXPECT_NE(r.body.find("pakt_http_requests_total{route=\"/api/v1/session\",method=\"POST\",status=\"201\"} 5"),
              std::string::npos);
    EXPECT_NE(r.body.find("pakt_http_request_duration_seconds_bucket{route=\"/api/v1/me\",le=\"+Inf\"} 1"),
              std::string::npos);
    EXPECT_NE(r.body.find("pakt_db_write_groups_total"), std::string::npos);
}

TEST_F(Server, RequestIdIsEchoedOrGenerated) {
    auto echoed = http.request("GET", "/healthz", {}, {{"X-Request-Id", "trace-42"}});
    EXPECT_EQ(echoed.header("X-Request-Id"), "trace-42");
    auto generated = http.request("GET", "/healthz", {}, {{"X-Request-Id", "bad id with spaces"}});
    EXPECT_EQ(generated.header("X-Request-Id").size(), 16u);
    EXPECT_NE(generated.header("X-Request-Id"), call(http, "GET", "/healthz").header("X-Request-Id"));
}

TEST_F(Server, UnknownPathIs404AndWrongMethodIs405) {
    auto missing = call(http, "GET", "/api/v1/nothing-here", s.admin);
    EXPECT_EQ(missing.status, 404);
    EXPECT_EQ(missing.header("Content-Type"), "application/problem+json");
    auto wrong = call(http, "PUT", "/api/v1/schools", s.admin, json::object());
    EXPECT_EQ(wrong.status, 405);
    EXPECT_NE(wrong.header("Allow").find("GET"), std::string::npos);
    EXPECT_EQ(call(http, "GET", "/api/v1/schools/%zz", s.admin).status, 400);
}

TEST_F(Server, TlsOneOneIsRefusedOneTwoAndOneThreeSucceed) {
    EXPECT_FALSE(handshake_succeeds(s.server.port(), TLS1_1_VERSION));
    EXPECT_TRUE(handshake_succeeds(s.server.port(), TLS1_2_VERSION));
    EXPECT_TRUE(handshake_succeeds(s.server.port(), TLS1_3_VERSION));
}

TEST_F(Server, GeneratedCertificateIsEcdsaP256AndPinned) {
    const auto cert = s.server.data_dir() / "tls" / "cert.pem";
    EXPECT_EQ(tls::certificate_key_description(cert), "EC P-256");
    EXPECT_EQ(tls::certificate_fingerprint_sha256(cert), s.server.fingerprint());
    // A client pinned to another certificate refuses to talk to this server.
    HttpsClient stranger("127.0.0.1", s.server.port(),
                         tls::ClientTrust{{}, std::string(64, 'A')});
    EXPECT_THROW(stranger.request("GET", "/healthz"), std::system_error);
}

TEST_F(Server, OversizedBodyIs413AndConnectionRecovers) {
    const std::string big(2 * 1024 * 1024, 'x');
    auto r = http.request("POST", "/api/v1/schools", big,
                          {{"Authorization", "Bearer " + s.admin}, {"Content-Type", "application/json"}});
    EXPECT_EQ(r.status, 413);
    EXPECT_EQ(r.header("Content-Type"), "application/problem+json");
    EXPECT_EQ(call(http, "GET", "/healthz").status, 200);
}

TEST_F(Server, OversizedHeaderIs431) {
    auto r = http.request("GET", "/healthz", {}, {{"X-Padding", std::string(20000, 'p')}});
    EXPECT_EQ(r.status, 431);
    EXPECT_EQ(call(http, "GET", "/healthz").status, 200);
}

TEST_F(Server, GarbageInsteadOfHttpIs400) {
    auto r = http.send_raw("\x16\x03\x01 this is not HTTP at all\r\n\r\n");
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->status, 400);
    EXPECT_EQ(call(http, "GET", "/healthz").status, 200);
}

TEST_F(Server, BodyOnGetIs400) {
    auto r = http.request("GET", "/api/v1/me", "{}", {{"Authorization", "Bearer " + s.admin}, {"Content-Type", "application/json"}});
    EXPECT_EQ(r.status, 400);
}

// Every route of the router, with placeholders filled in, gets random bytes, truncated JSON,
// deeply nested JSON and a 10 MB body: each answer is a 4xx, and the server keeps serving.
TEST_F(Server, GarbageOnEveryRouteIsA4xxAndServerKeepsServing) {
    std::mt19937 random(20261127);
    std::string random_bytes(4096, '\0');
    for (auto& c : random_bytes) c = static_cast<char>(random() & 0xff);
    const std::string truncated = R"({"username": "admin", "password": "corr)";
    const std::string nested_arrays = std::string(100000, '[');
    std::string nested_objects;
    for (int i = 0; i < 5000; ++i) nested_objects += "{\"a\":";
    const std::string ten_mb(10 * 1024 * 1024, '{');

    const std::vector<std::string> bodies = {random_bytes, truncated, nested_arrays, nested_objects, ten_mb};
    int checked = 0;
    for (const auto& route : s.server.app().router().routes()) {
        std::string target = route.pattern;
        for (const auto& [placeholder, value] : std::vector<std::pair<std::string, std::string>>{
                 {"{school_number}", SeededServer::kSchoolA}, {"{id}", "1"}, {"{serial}", "DMPXK0QHJF8L"}}) {
            if (auto pos = target.find(placeholder); pos != std::string::npos) target.replace(pos, placeholder.size(), value);
        }
        for (const auto& body : bodies) {
            HttpsClient client("127.0.0.1", s.server.port(), tls::ClientTrust{{}, s.server.fingerprint()});
            auto r = client.request(route.method, target, body,
                                    {{"Authorization", "Bearer " + s.admin}, {"Content-Type", "application/json"}});
            EXPECT_GE(r.status, 400) << route.method << ' ' << target << " body of " << body.size() << " bytes";
            EXPECT_LT(r.status, 500) << route.method << ' ' << target << ": " << r.body;
            ++checked;
        }
        auto raw = http.send_raw(random_bytes);
        if (raw) {
            EXPECT_EQ(raw->status, 400);
        }
    }
    EXPECT_GE(checked, 5 * 17);
    EXPECT_EQ(call(http, "GET", "/readyz").status, 200);
    EXPECT_EQ(call(http, "GET", "/api/v1/me", s.admin).status, 200);
}

// A TLS connection in the middle of a request (half its header sent): busy, so the server never
// closes it to make room for another.
struct HalfSentRequest {
    explicit HalfSentRequest(std::uint16_t port) {
        stream.lowest_layer().connect({asio::ip::make_address("127.0.0.1"), port});
        stream.handshake(asio::ssl::stream_base::client);
        asio::write(stream, asio::buffer(std::string_view("GET /healthz HTTP/1.1\r\nHost: a\r\n")));
    }
    // Sends the rest of the header and returns what the server answers until it closes.
    std::string finish() {
        asio::write(stream, asio::buffer(std::string_view("Connection: close\r\n\r\n")));
        std::string answer;
        boost::system::error_code ec;
        asio::read(stream, asio::dynamic_buffer(answer), ec);
        return answer;
    }
    asio::io_context ioc;
    asio::ssl::context ctx{asio::ssl::context::tls_client};
    asio::ssl::stream<asio::ip::tcp::socket> stream{ioc, ctx};
};

TEST(ServerLimits, ConnectionsBeyondTheCapAreClosedWhenNoneIsIdle) {
    TestServer server([](server::ServerConfig& c) { c.max_connections = 2; });
    HalfSentRequest first(server.port());
    HalfSentRequest second(server.port());
    auto third = server.client();
    EXPECT_THROW(call(*third, "GET", "/healthz"), std::system_error);
    // The connections within the cap keep working.
    EXPECT_TRUE(first.finish().starts_with("HTTP/1.1 200 OK\r\n"));
}

TEST(ServerLimits, SilentClientIsDisconnectedAfterHandshakeTimeout) {
    TestServer server([](server::ServerConfig& c) { c.handshake_timeout = std::chrono::milliseconds(100); });
    asio::io_context ioc;
    asio::ip::tcp::socket socket(ioc);
    socket.connect({asio::ip::make_address("127.0.0.1"), server.port()});
    // Send nothing: the server must give up on the handshake and close; read returns EOF.
    char byte = 0;
    boost::system::error_code ec;
    socket.read_some(asio::buffer(&byte, 1), ec);
    EXPECT_TRUE(ec == asio::error::eof || ec == asio::error::connection_reset) << ec.message();
    auto client = server.client();
    EXPECT_EQ(call(*client, "GET", "/healthz").status, 200);
}

TEST(ServerWithoutUsers, ReadyzAnswersOnAFreshDatabase) {
    TestServer server;
    auto client = server.client();
    EXPECT_EQ(call(*client, "GET", "/readyz").status, 200);
    EXPECT_EQ(call(*client, "GET", "/api/v1/schools").status, 401);
}

}  // namespace
}  // namespace pakt::test

namespace pakt::test {
namespace {

// The network layer alone, with a handler that streams its answer in many chunks: the client
// gets every byte in order, and the connection stays usable afterwards.
TEST(HttpServerStreaming, StreamedAnswerArrivesCompleteInChunks) {
    TempDir dir;
    const tls::CertificateFiles files{dir.path() / "cert.pem", dir.path() / "key.pem"};
    tls::generate_self_signed(files, "localhost");
    auto context = tls::make_server_context(files);
    server::ServerConfig config;
    config.listen_address = "127.0.0.1";
    config.listen_port = 0;
    config.io_threads = 1;
    config.handler_threads = 2;
    std::atomic<int> chunks_produced{0};
    server::net::HttpServer http_server(
        config, &context,
        [&](const server::http::Request& request) {
            server::http::Response r;
            r.set_header("Content-Type", "text/plain");
            if (request.target != "/stream") {
                r.body = "plain";
                return r;
            }
            auto next = std::make_shared<int>(0);
            r.stream = [next, &chunks_produced](std::string& chunk) {
                chunk = "line " + std::to_string(*next) + "\n";
                ++chunks_produced;
                return ++*next < 1000;
            };
            return r;
        },
        [](const server::http::Request&, const server::http::Response&, std::chrono::steady_clock::duration) {});
    http_server.start();
    HttpsClient client("127.0.0.1", http_server.port(), tls::ClientTrust{{}, tls::certificate_fingerprint_sha256(files.cert_file)});
    auto r = client.request("GET", "/stream");
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.header("Transfer-Encoding"), "chunked");
    std::string expected;
    for (int i = 0; i < 1000; ++i) expected += "line " + std::to_string(i) + "\n";
    EXPECT_EQ(r.body, expected);
    EXPECT_EQ(chunks_produced.load(), 1000);
    EXPECT_EQ(client.request("GET", "/plain").body, "plain");
    http_server.shutdown(std::chrono::milliseconds(1000));
}

// HttpsClient::request_streamed: the same bytes as a buffered read, in pieces no larger than
// asked for; abandoning an answer midway leaves the client usable.
TEST(HttpServerStreaming, ClientReadsAStreamedAnswerPieceByPieceAndMayAbandonIt) {
    TempDir dir;
    const tls::CertificateFiles files{dir.path() / "cert.pem", dir.path() / "key.pem"};
    tls::generate_self_signed(files, "localhost");
    auto context = tls::make_server_context(files);
    server::ServerConfig config;
    config.listen_address = "127.0.0.1";
    config.listen_port = 0;
    config.io_threads = 1;
    config.handler_threads = 2;
    server::net::HttpServer http_server(
        config, &context,
        [](const server::http::Request& request) {
            server::http::Response r;
            r.set_header("Content-Type", "text/plain");
            if (request.target != "/stream") {
                r.body = "plain";
                return r;
            }
            auto next = std::make_shared<int>(0);
            r.stream = [next](std::string& chunk) {
                chunk = "line " + std::to_string(*next) + "\n";
                return ++*next < 1000;
            };
            return r;
        },
        [](const server::http::Request&, const server::http::Response&, std::chrono::steady_clock::duration) {});
    http_server.start();
    HttpsClient client("127.0.0.1", http_server.port(), tls::ClientTrust{{}, tls::certificate_fingerprint_sha256(files.cert_file)});
    std::string expected;
    for (int i = 0; i < 1000; ++i) expected += "line " + std::to_string(i) + "\n";

    std::string received;
    std::size_t pieces = 0;
    auto r = client.request_streamed("GET", "/stream", {}, [&](std::string_view piece) {
        EXPECT_LE(piece.size(), 100u);
        received += piece;
        ++pieces;
        return true;
    }, 100);
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.header("Transfer-Encoding"), "chunked");
    EXPECT_TRUE(r.body.empty());
    EXPECT_EQ(received, expected);
    EXPECT_GE(pieces, expected.size() / 100);
    EXPECT_EQ(client.request("GET", "/plain").body, "plain") << "the connection is reused after the last chunk";

    std::size_t pieces_before_abandoning = 0;
    r = client.request_streamed("GET", "/stream", {}, [&](std::string_view) {
        ++pieces_before_abandoning;
        return false;
    }, 100);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(pieces_before_abandoning, 1u);
    EXPECT_EQ(client.request("GET", "/plain").body, "plain") << "a fresh connection after abandoning";
    http_server.shutdown(std::chrono::milliseconds(1000));
}

}  // namespace
}  // namespace pakt::test
