// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "tests/support/test_server.hpp"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <stdexcept>

#include "server/http/router.hpp"
#include "server/storage/database.hpp"
#include "server/storage/school_repository.hpp"
#include "server/storage/user_repository.hpp"
#include "tests/support/fixture_password.hpp"

namespace pakt::test {

TestServer::TestServer(std::function<void(server::ServerConfig&)> tweak)
    : database_(dir_.path() / "pakt.db") {
    config_.listen_address = "127.0.0.1";
    config_.listen_port = 0;
    config_.data_dir = dir_.path();
    config_.io_threads = 2;
    config_.handler_threads = 8;
    config_.log_level = "warn";
    database_.apply(config_);
    if (tweak) tweak(config_);
    // Request logs of passing tests are noise; failures are asserted on, not read from logs.
    spdlog::set_level(spdlog::level::from_str(config_.log_level));
    app_ = std::make_unique<server::App>(config_);
    app_->start();
}

TestServer::~TestServer() {
    db_.reset();
    app_->stop();
}

std::unique_ptr<HttpsClient> TestServer::client() const {
    return std::make_unique<HttpsClient>("127.0.0.1", port(), tls::ClientTrust{{}, fingerprint()});
}

server::sql::Db TestServer::db() {
    if (!db_) {
        if (database_.postgres()) {
            db_ = std::make_unique<server::sql::Connection>(database_.connect());
        } else {
            db_ = std::make_unique<server::sql::Connection>(
                server::open_database(config_.effective_database_file(),
                                      server::OpenMode::read_write, std::chrono::seconds(10)));
        }
    }
    return db_->db();
}

void TestServer::add_school(const std::string& number, const std::string& name) {
    server::School s;
    s.school_number = number;
    s.name = name;
    s.school_type = "Gymnasium";
    server::insert_school(db(), s);
}

std::int64_t TestServer::add_user(const std::string& username, server::Role role,
                                  const std::vector<std::string>& schools, const std::string& password) {
    server::UserRecord u;
    u.username = username;
    u.display_name = username;
    u.role = role;
    u.schools = schools;
    std::sort(u.schools.begin(), u.schools.end());
    u.password_hash = test::fixture_password_hash(password);
    return server::insert_user(db(), u);
}

std::string TestServer::login(const std::string& username, const std::string& password) {
    auto c = client();
    auto r = call(*c, "POST", "/api/v1/session", {}, nlohmann::json{{"username", username}, {"password", password}});
    if (r.status != 201) throw std::runtime_error("login of " + username + " failed: " + r.body);
    return json_of(r).at("token").get<std::string>();
}

server::http::Response TestServer::dispatch(const std::string& method, const std::string& target,
                                            const std::string& token, const nlohmann::json& body,
                                            const std::string& host) {
    server::http::Request r;
    r.method = method;
    r.target = target;
    r.remote_address = "127.0.0.1";
    r.headers.emplace("Host", host);
    if (!token.empty()) r.headers.emplace("Authorization", "Bearer " + token);
    if (!body.is_null()) {
        r.headers.emplace("Content-Type", "application/json");
        r.body = body.dump();
    }
    return app().router().dispatch(r);
}

HttpResponse call(HttpsClient& client, std::string_view method, std::string_view target,
                  const std::string& token, const std::optional<nlohmann::json>& body) {
    HeaderList headers;
    if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
    std::string text;
    if (body) {
        text = body->dump();
        headers.emplace_back("Content-Type", "application/json");
    }
    return client.request(method, target, text, headers);
}

nlohmann::json json_of(const HttpResponse& response) {
    auto j = nlohmann::json::parse(response.body, nullptr, false);
    if (j.is_discarded()) throw std::runtime_error("response is not JSON: " + response.body);
    return j;
}

SeededServer::SeededServer(std::function<void(server::ServerConfig&)> tweak) : server(std::move(tweak)) {
    server.add_school(kSchoolA, "Gymnasium Essen-Werden");
    server.add_school(kSchoolB, "Freie Waldorfschule");
    server.add_user("admin", server::Role::city_admin, {}, kPassword);
    server.add_user("it-a", server::Role::school_it, {kSchoolA}, kPassword);
    server.add_user("head-a", server::Role::headteacher, {kSchoolA}, kPassword);
    server.add_user("it-b", server::Role::school_it, {kSchoolB}, kPassword);
    server.add_user("head-b", server::Role::headteacher, {kSchoolB}, kPassword);
    http = server.client();
    admin = server.login("admin", kPassword);
    it_a = server.login("it-a", kPassword);
    head_a = server.login("head-a", kPassword);
    it_b = server.login("it-b", kPassword);
    head_b = server.login("head-b", kPassword);
}

std::string serial(const char* prefix, int n) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%s%08d", prefix, n);
    return buffer;
}

}  // namespace pakt::test
