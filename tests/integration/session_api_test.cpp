// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// Session, /me and API tokens over real HTTPS against an in-process paktd.
#include <gtest/gtest.h>

#include "tests/support/test_server.hpp"

namespace pakt::test {
namespace {

using nlohmann::json;

class SessionApi : public ::testing::Test {
protected:
  // Login delays long enough that no test outlasts one: a 429 never depends on test speed.
  SeededServer s{[](server::ServerConfig& c) {
      c.login_first_delay = std::chrono::seconds(600);
      c.login_max_delay = std::chrono::seconds(600);
      c.login_forget = std::chrono::seconds(1200);
  }};
  HttpsClient& http = *s.http;

  int audit_count(const std::string& action) {
      server::sql::Statement q(s.server.db(), "SELECT count(*) FROM audit_log WHERE action = ?");
      q.bind(1, action);
      q.executeStep();
      return q.getColumn(0).getInt();
    }
};

TEST_F(SessionApi, LoginReturnsTokenExpiryAndUser) {
    auto r = call(http, "POST", "/api/v1/session", {}, json{{"username", "it-a"}, {"password", SeededServer::kPassword}});
    ASSERT_EQ(r.status, 201) << r.body;
    auto body = json_of(r);
    EXPECT_EQ(body["token"].get<std::string>().size(), 43u);  // 256 bits, base64url
    EXPECT_EQ(body["expires_at"].get<std::string>().size(), 20u);
    EXPECT_EQ(body["user"]["username"], "it-a");
    EXPECT_EQ(body["user"]["role"], "school_it");
    EXPECT_EQ(body["user"]["schools"], json::array({SeededServer::kSchoolA}));
    EXPECT_FALSE(r.header("X-Request-Id").empty());
}

TEST_F(SessionApi, SessionTokenIsStoredOnlyAsHash) {
    const std::string token = s.server.login("it-a", SeededServer::kPassword);
    server::sql::Statement q(s.server.db(), "SELECT count(*) FROM sessions WHERE token_hash = ?");
    q.bind(1, token);
    q.executeStep();
    EXPECT_EQ(q.getColumn(0).getInt(), 0);
    EXPECT_GE(audit_count("session.create"), 6);
}

TEST_F(SessionApi, WrongPasswordAndUnknownUserGetTheSame401) {
    auto wrong = call(http, "POST", "/api/v1/session", {}, json{{"username", "it-a"}, {"password", "not the password"}});
    auto unknown = call(http, "POST", "/api/v1/session", {}, json{{"username", "nobody"}, {"password", "not the password"}});
    EXPECT_EQ(wrong.status, 401);
    EXPECT_EQ(unknown.status, 401);
    EXPECT_EQ(json_of(wrong)["detail"], json_of(unknown)["detail"]);
    EXPECT_EQ(wrong.header("Content-Type"), "application/problem+json");
}

TEST_F(SessionApi, DisabledUserCannotLogIn) {
    server::sql::Statement q(s.server.db(),
                             "UPDATE users SET disabled = 1 WHERE username = 'head-b'");
    q.exec();
    auto r = call(http, "POST", "/api/v1/session", {}, json{{"username", "head-b"}, {"password", SeededServer::kPassword}});
    EXPECT_EQ(r.status, 401);
    // Their existing session stops working too.
    EXPECT_EQ(call(http, "GET", "/api/v1/me", s.head_b).status, 401);
}

TEST_F(SessionApi, RepeatedFailuresForOneUsernameAre429WithRetryAfter) {
    for (int i = 0; i < 5; ++i) {
        auto r = call(http, "POST", "/api/v1/session", {}, json{{"username", "it-b"}, {"password", "wrong password"}});
        ASSERT_EQ(r.status, 401);
    }
    auto r = call(http, "POST", "/api/v1/session", {}, json{{"username", "it-b"}, {"password", SeededServer::kPassword}});
    EXPECT_EQ(r.status, 429);
    EXPECT_GT(std::stoi(r.header("Retry-After")), 0);
}

TEST_F(SessionApi, RepeatedFailuresFromOneAddressAre429AcrossUsernames) {
    // login_address_free_failures (20) failures for different usernames, then every username
    // from this address waits.
    for (int i = 0; i < 20; ++i) {
        auto r = call(http, "POST", "/api/v1/session", {},
                      json{{"username", "guess" + std::to_string(i)}, {"password", "wrong password"}});
        ASSERT_EQ(r.status, 401);
    }
    auto r = call(http, "POST", "/api/v1/session", {}, json{{"username", "admin"}, {"password", SeededServer::kPassword}});
    EXPECT_EQ(r.status, 429);
    EXPECT_FALSE(r.header("Retry-After").empty());
}

TEST_F(SessionApi, LoginBodyErrorsHaveTheirOwnStatus) {
    EXPECT_EQ(http.request("POST", "/api/v1/session", "{\"username\": \"a\"", {{"Content-Type", "application/json"}}).status, 400);
    EXPECT_EQ(http.request("POST", "/api/v1/session", "username=a", {{"Content-Type", "application/x-www-form-urlencoded"}}).status, 415);
    auto wrong_type = call(http, "POST", "/api/v1/session", {}, json{{"username", 5}, {"password", "x"}});
    EXPECT_EQ(wrong_type.status, 400);
    EXPECT_EQ(json_of(wrong_type)["errors"][0]["field"], "username");
    auto missing = call(http, "POST", "/api/v1/session", {}, json{{"username", "it-a"}});
    EXPECT_EQ(missing.status, 422);
    EXPECT_EQ(json_of(missing)["errors"][0]["field"], "password");
    auto unknown = call(http, "POST", "/api/v1/session", {},
                        json{{"username", "it-a"}, {"password", SeededServer::kPassword}, {"remember", true}});
    EXPECT_EQ(unknown.status, 422);
    EXPECT_EQ(json_of(unknown)["errors"][0]["field"], "remember");
}

TEST_F(SessionApi, MeDescribesTheCaller) {
    auto r = call(http, "GET", "/api/v1/me", s.head_a);
    ASSERT_EQ(r.status, 200);
    auto me = json_of(r);
    EXPECT_EQ(me["username"], "head-a");
    EXPECT_EQ(me["role"], "headteacher");
    EXPECT_EQ(me["schools"], json::array({SeededServer::kSchoolA}));
    EXPECT_TRUE(me.contains("display_name"));
    EXPECT_TRUE(me.contains("id"));
}

TEST_F(SessionApi, MissingOrUnknownTokenIs401) {
    auto none = call(http, "GET", "/api/v1/me");
    EXPECT_EQ(none.status, 401);
    EXPECT_FALSE(none.header("WWW-Authenticate").empty());
    EXPECT_EQ(call(http, "GET", "/api/v1/me", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").status, 401);
    EXPECT_EQ(http.request("GET", "/api/v1/me", {}, {{"Authorization", "Basic YWRtaW46eA=="}}).status, 401);
}

TEST_F(SessionApi, LogoutRevokesTheToken) {
    EXPECT_EQ(call(http, "DELETE", "/api/v1/session", s.it_a).status, 204);
    EXPECT_EQ(call(http, "GET", "/api/v1/me", s.it_a).status, 401);
    EXPECT_EQ(call(http, "DELETE", "/api/v1/session", s.it_a).status, 401);
    EXPECT_EQ(audit_count("session.delete"), 1);
}

TEST_F(SessionApi, ApiTokenIsShownOnceAndAuthenticates) {
    auto created = call(http, "POST", "/api/v1/tokens", s.it_a, json{{"name", "inventory script"}, {"expires_on", "2099-12-31"}});
    ASSERT_EQ(created.status, 201) << created.body;
    const auto token = json_of(created)["token"].get<std::string>();
    auto me = call(http, "GET", "/api/v1/me", token);
    ASSERT_EQ(me.status, 200);
    EXPECT_EQ(json_of(me)["username"], "it-a");

    auto list = call(http, "GET", "/api/v1/tokens", s.it_a);
    ASSERT_EQ(list.status, 200);
    auto items = json_of(list)["items"];
    ASSERT_EQ(items.size(), 1u);
    EXPECT_EQ(items[0]["name"], "inventory script");
    EXPECT_FALSE(items[0].contains("token"));
    EXPECT_EQ(list.body.find(token), std::string::npos);
    // Other users do not see it.
    EXPECT_EQ(json_of(call(http, "GET", "/api/v1/tokens", s.it_b))["items"].size(), 0u);
}

TEST_F(SessionApi, RevokedApiTokenStopsWorking) {
    auto created = json_of(call(http, "POST", "/api/v1/tokens", s.it_a, json{{"name", "t"}}));
    const auto id = created["id"].get<std::int64_t>();
    const auto token = created["token"].get<std::string>();
    EXPECT_EQ(call(http, "DELETE", "/api/v1/tokens/" + std::to_string(id), s.it_a).status, 204);
    EXPECT_EQ(call(http, "GET", "/api/v1/me", token).status, 401);
    EXPECT_EQ(call(http, "DELETE", "/api/v1/tokens/" + std::to_string(id), s.it_a).status, 404);
}

TEST_F(SessionApi, AnotherUsersTokenCannotBeRevoked) {
    auto created = json_of(call(http, "POST", "/api/v1/tokens", s.it_a, json{{"name", "t"}}));
    const auto id = std::to_string(created["id"].get<std::int64_t>());
    EXPECT_EQ(call(http, "DELETE", "/api/v1/tokens/" + id, s.it_b).status, 404);
    EXPECT_EQ(call(http, "GET", "/api/v1/me", created["token"].get<std::string>()).status, 200);
}

TEST_F(SessionApi, ExpiredApiTokenIsRejected) {
    auto created = json_of(call(http, "POST", "/api/v1/tokens", s.it_a, json{{"name", "t"}, {"expires_on", "2099-01-01"}}));
    server::sql::Statement q(s.server.db(), "UPDATE api_tokens SET expires_on = '2020-01-01'");
    q.exec();
    EXPECT_EQ(call(http, "GET", "/api/v1/me", created["token"].get<std::string>()).status, 401);
}

TEST_F(SessionApi, TokenRequestValidation) {
    auto past = call(http, "POST", "/api/v1/tokens", s.it_a, json{{"name", "t"}, {"expires_on", "2020-01-01"}});
    EXPECT_EQ(past.status, 422);
    EXPECT_EQ(json_of(past)["errors"][0]["field"], "expires_on");
    EXPECT_EQ(call(http, "POST", "/api/v1/tokens", s.it_a, json{{"name", "t"}, {"expires_on", "2026-02-30"}}).status, 422);
    EXPECT_EQ(call(http, "POST", "/api/v1/tokens", s.it_a, json{{"name", ""}}).status, 422);
    EXPECT_EQ(call(http, "POST", "/api/v1/tokens", s.it_a, json{{"name", 7}}).status, 400);
    EXPECT_EQ(call(http, "POST", "/api/v1/tokens", {}, json{{"name", "t"}}).status, 401);
    EXPECT_EQ(call(http, "DELETE", "/api/v1/tokens/abc", s.it_a).status, 404);
}

TEST_F(SessionApi, LogoutWithApiTokenIsAConflict) {
    auto token = json_of(call(http, "POST", "/api/v1/tokens", s.it_a, json{{"name", "t"}}))["token"].get<std::string>();
    EXPECT_EQ(call(http, "DELETE", "/api/v1/session", token).status, 409);
    EXPECT_EQ(call(http, "GET", "/api/v1/me", token).status, 200);
}

}  // namespace
}  // namespace pakt::test
