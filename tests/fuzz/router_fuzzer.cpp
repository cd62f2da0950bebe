// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// Raw bytes through the request path of paktd: Beast's request_parser with the server's limits,
// as the network layer reads a connection, then, for a complete request, the real Router with
// every route and handler of App over a temporary SQLite database (no TLS, no connection: the
// router is called as the network layer's handler pool calls it).
//
// The database is seeded once with two schools, a city_admin and a school_it user with API tokens,
// an enrolled agent, a grant, a tranche and a device; the credentials are fixed so that seeds and
// the dictionary can carry them (tests/fuzz/router.dict). To keep each input independent of the
// ones before it, a request that may have changed state (any method but GET/HEAD/OPTIONS answered
// below 400) is followed by a restart of App on a fresh copy of the seeded database; rate limits
// and the login throttle are set beyond what a run reaches.
//
// Properties: dispatch never throws and always answers with a valid status, never 500 (bad input
// is the client's error: 4xx); no response header carries CR, LF or NUL (response splitting); a
// streamed body ends.
#include <SQLiteCpp/Database.h>
#include <spdlog/spdlog.h>

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "common/crypto.hpp"
#include "common/time.hpp"
#include "server/app.hpp"
#include "server/config.hpp"
#include "server/domain/password.hpp"
#include "server/http/router.hpp"
#include "server/storage/agent_repository.hpp"
#include "server/storage/database.hpp"
#include "server/storage/school_repository.hpp"
#include "server/storage/session_repository.hpp"
#include "server/storage/user_repository.hpp"
#include "tests/fuzz/fuzz_check.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

namespace bhttp = boost::beast::http;
using pakt::fuzz::require;

// The fixed credentials of the seeded database (also in the seeds and the dictionary).
constexpr const char* kAdminToken = "fuzz-admin-token-0000000000000000";
constexpr const char* kSchoolItToken = "fuzz-school-it-token-000000000000";
constexpr const char* kNodeKey = "fuzz-node-key-00000000000000000000";

class FuzzServer {
  public:
    FuzzServer() {
        // Errors only: the router logs what made a request fail with 500 just before the finding.
        spdlog::set_level(spdlog::level::err);
        config_.listen_address = "127.0.0.1";
        config_.listen_port = 0;
        config_.tls_enabled = false;
        config_.io_threads = 1;
        config_.handler_threads = 1;
        config_.read_connections = 1;
        config_.login_free_failures = 1000000000;
        config_.login_address_free_failures = 1000000000;
        config_.checkin_burst = 1000000000;
        config_.checkin_per_minute = 1000000000;
        config_.log_level = "error";
        config_.data_dir = dir_.path() / "live";
        seed_template();
        start();
    }

    ~FuzzServer() { app_.reset(); }

    const pakt::server::ServerConfig& config() const { return config_; }
    const pakt::server::http::Router& router() const { return app_->router(); }

    // Back to the seeded database: stop, copy the template over the live data directory, start.
    void reset() {
        app_.reset();
        start();
    }

  private:
    std::filesystem::path template_db() const { return dir_.path() / "template" / "pakt.db"; }

    void start() {
        std::filesystem::remove_all(config_.data_dir);
        std::filesystem::create_directories(config_.data_dir);
        std::filesystem::copy_file(template_db(), config_.data_dir / "pakt.db");
        app_ = std::make_unique<pakt::server::App>(config_);
        app_->start();
    }

    // Seeds the template database: migrated by a short-lived App, users, tokens and the agent
    // written directly (as TestServer does), then a grant, a tranche and a device created through
    // the router, so that seeds can reach the routes below them (ids 1, serial DMPXK0QHJF8L).
    void seed_template() {
        auto config = config_;
        config.data_dir = template_db().parent_path();
        pakt::server::App app(config);
        app.start();
        {
            auto db = pakt::server::open_database(template_db(), pakt::server::OpenMode::read_write,
                                                  std::chrono::seconds(10));
            seed_directly(*db);
        }
        const auto post = [&](const std::string& target, const std::string& body) {
            pakt::server::http::Request request;
            request.method = "POST";
            request.target = target;
            request.headers.emplace("Host", "127.0.0.1");
            request.headers.emplace("Authorization", std::string("Bearer ") + kAdminToken);
            request.headers.emplace("Content-Type", "application/json");
            request.body = body;
            const auto response = app.router().dispatch(request);
            if (response.status != 201) {
                std::fprintf(stderr, "router_fuzzer: seeding %s failed: %d %s\n", target.c_str(),
                             response.status, response.body.c_str());
                std::abort();
            }
        };
        post("/api/v1/grants",
             R"({"programme":"DP-BASIS","reference":"BR-D-48.01-2021-117","title":"Essen Basis",)"
             R"("amount_cents":100000000,"own_contribution_cents":10000000,)"
             R"("approved_on":"2021-03-01","spend_by":"2030-12-31"})");
        post("/api/v1/tranches",
             R"({"school_number":"165432","grant_id":1,"supplier":"Bechtle",)"
             R"("delivered_on":"2022-08-15","model":"iPad 9","unit_price_cents":39900,)"
             R"("expected_count":10})");
        post("/api/v1/devices", R"({"serial_number":"DMPXK0QHJF8L","tranche_id":1})");
        app.stop();
        std::filesystem::remove(template_db().parent_path() / "pakt.db-wal");
        std::filesystem::remove(template_db().parent_path() / "pakt.db-shm");
    }

    static void seed_directly(SQLite::Database& db) {
        for (const auto& [number, name] : {std::pair{"165432", "Gymnasium Essen-Werden"},
                                           std::pair{"100018", "Freie Waldorfschule"}}) {
            pakt::server::School school;
            school.school_number = number;
            school.name = name;
            school.school_type = "Gymnasium";
            pakt::server::insert_school(db, school);
        }
        const auto add_user = [&](const std::string& username, pakt::server::Role role,
                                  std::vector<std::string> schools, const std::string& token) {
            pakt::server::UserRecord user;
            user.username = username;
            user.display_name = username;
            user.role = role;
            user.schools = std::move(schools);
            user.password_hash = pakt::server::hash_password("correct horse battery");
            const auto id = pakt::server::insert_user(db, user);
            pakt::server::insert_api_token(db, id, "fuzz", pakt::sha256_hex(token), std::nullopt);
        };
        add_user("admin", pakt::server::Role::city_admin, {}, kAdminToken);
        add_user("it-a", pakt::server::Role::school_it, {"165432"}, kSchoolItToken);
        const auto expires =
            pakt::format_rfc3339(pakt::Clock::now() + std::chrono::hours(24 * 365));
        const auto secret_id = pakt::server::insert_agent_secret(
            db, "165432", pakt::sha256_hex("fuzz-enroll-secret"), "admin", expires);
        pakt::server::Agent agent;
        agent.school_number = "165432";
        agent.hostname = "fuzz-agent";
        agent.agent_version = "1.0.0";
        pakt::server::insert_agent(db, agent, pakt::sha256_hex(kNodeKey), secret_id);
    }

    pakt::test::TempDir dir_;
    pakt::server::ServerConfig config_;
    std::unique_ptr<pakt::server::App> app_;
};

bool has_control_character(std::string_view text) {
    return text.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

bool changes_state(std::string_view method) {
    return method != "GET" && method != "HEAD" && method != "OPTIONS";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static FuzzServer server;

    bhttp::request_parser<bhttp::string_body> parser;
    parser.eager(true);
    parser.body_limit(server.config().body_limit_bytes);
    parser.header_limit(static_cast<std::uint32_t>(server.config().header_limit_bytes));
    boost::beast::error_code ec;
    std::size_t offset = 0;
    while (offset < size && !parser.is_done()) {
        const std::size_t used = parser.put(boost::asio::buffer(data + offset, size - offset), ec);
        if (ec == bhttp::error::need_more) return 0;  // the connection would wait for more bytes
        if (ec) return 0;  // the network layer answers 400, 413 or 431 without the router
        if (used == 0) break;
        offset += used;
    }
    if (!parser.is_done()) {
        // End of input: a body delimited by the end of the connection ends here.
        parser.put_eof(ec);
        if (ec || !parser.is_done()) return 0;
    }

    auto message = parser.release();
    pakt::server::http::Request request;
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    for (const auto& field : message) {
        request.headers.emplace(std::string(field.name_string()), std::string(field.value()));
    }
    request.body = std::move(message.body());
    request.remote_address = "127.0.0.1";
    request.request_id = "fuzz";

    pakt::server::http::Response response = server.router().dispatch(request);
    // PAKT_FUZZ_VERBOSE=1 shows what each input reached (for writing seeds).
    static const bool verbose = std::getenv("PAKT_FUZZ_VERBOSE") != nullptr;
    if (verbose) {
        std::fprintf(stderr, "%s %s -> %d %s\n", request.method.c_str(), request.target.c_str(),
                     response.status, response.body.substr(0, 200).c_str());
    }
    require(response.status >= 100 && response.status <= 599, "a valid status");
    for (const auto& [name, value] : response.headers) {
        require(!name.empty() && !has_control_character(name), "a clean header name");
        require(!has_control_character(value), "no CR, LF or NUL in a header value");
    }
    // Whatever a client sends is answered with a 4xx; a 500 means a handler let an exception
    // escape (the router logged it just before this).
    require(response.status != 500, "no input makes a handler fail with 500");
    if (response.stream) {
        std::string chunk;
        int calls = 0;
        while (response.stream(chunk)) {
            require(++calls < 1000000, "a streamed body ends");
            chunk.clear();
        }
    }
    if (changes_state(request.method) && response.status < 400) server.reset();
    return 0;
}
