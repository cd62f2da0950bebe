// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// User management over real HTTPS: city_admin only; validation, conflicts, audit.
#include <gtest/gtest.h>

#include "tests/support/test_server.hpp"

namespace pakt::test {
namespace {

using nlohmann::json;

class UserApi : public ::testing::Test {
protected:
    SeededServer s;
    HttpsClient& http = *s.http;

    json new_user(const std::string& username) {
        return {{"username", username},
                {"display_name", "Frau Müller"},
                {"role", "school_it"},
                {"schools", {SeededServer::kSchoolA}},
                {"password", "a long enough password"}};
    }
    std::int64_t user_id(const std::string& username) {
        server::sql::Statement q(s.server.db(), "SELECT id FROM users WHERE username = ?");
        q.bind(1, username);
        if (!q.executeStep()) return 0;
        return q.getColumn(0).getInt64();
    }
};

TEST_F(UserApi, AdminCreatesUserWhoCanLogIn) {
    auto r = call(http, "POST", "/api/v1/users", s.admin, new_user("mueller"));
    ASSERT_EQ(r.status, 201) << r.body;
    auto u = json_of(r);
    EXPECT_EQ(u["username"], "mueller");
    EXPECT_EQ(u["display_name"], "Frau Müller");
    EXPECT_EQ(u["role"], "school_it");
    EXPECT_EQ(u["schools"], json::array({SeededServer::kSchoolA}));
    EXPECT_EQ(u["disabled"], false);
    EXPECT_FALSE(u.contains("password"));
    EXPECT_FALSE(u.contains("password_hash"));
    EXPECT_EQ(r.header("Location"), "/api/v1/users/" + std::to_string(u["id"].get<std::int64_t>()));
    EXPECT_FALSE(s.server.login("mueller", "a long enough password").empty());

    server::sql::Statement q(s.server.db(),
                             "SELECT password_hash FROM users WHERE username = 'mueller'");
    ASSERT_TRUE(q.executeStep());
    EXPECT_EQ(q.getColumn(0).getString().rfind("$argon2id$v=19$m=19456,t=2,p=1$", 0), 0u);
    server::sql::Statement audit(
        s.server.db(), "SELECT actor, object_id FROM audit_log WHERE action = 'user.create'");
    ASSERT_TRUE(audit.executeStep());
    EXPECT_EQ(audit.getColumn(0).getString(), "admin");
}

TEST_F(UserApi, SchoolRolesMayNotManageUsers) {
    for (const auto* token : {&s.it_a, &s.head_a}) {
        EXPECT_EQ(call(http, "GET", "/api/v1/users", *token).status, 403);
        EXPECT_EQ(call(http, "POST", "/api/v1/users", *token, new_user("x-user")).status, 403);
        EXPECT_EQ(call(http, "PATCH", "/api/v1/users/1", *token, json{{"display_name", "x"}}).status, 403);
        EXPECT_EQ(call(http, "GET", "/api/v1/users/1", *token).status, 403);
    }
    EXPECT_EQ(user_id("x-user"), 0);
    EXPECT_EQ(call(http, "GET", "/api/v1/users").status, 401);
}

TEST_F(UserApi, DuplicateUsernameIsAConflictIgnoringCase) {
    ASSERT_EQ(call(http, "POST", "/api/v1/users", s.admin, new_user("mueller")).status, 201);
    auto r = call(http, "POST", "/api/v1/users", s.admin, new_user("MUELLER"));
    EXPECT_EQ(r.status, 409);
    EXPECT_EQ(json_of(r)["errors"][0]["field"], "username");
}

TEST_F(UserApi, InvalidFieldsAre422NamingEachField) {
    json bad = {{"username", "x"}, {"role", "janitor"}, {"schools", json::array()}, {"password", "short"}};
    auto r = call(http, "POST", "/api/v1/users", s.admin, bad);
    ASSERT_EQ(r.status, 422);
    const auto problem = json_of(r);
    std::set<std::string> fields;
    for (const auto& e : problem["errors"]) fields.insert(e["field"].get<std::string>());
    EXPECT_EQ(fields, (std::set<std::string>{"username", "role", "password"}));
}

TEST_F(UserApi, SchoolRoleNeedsExistingSchools) {
    auto none = new_user("a-user");
    none["schools"] = json::array();
    EXPECT_EQ(call(http, "POST", "/api/v1/users", s.admin, none).status, 422);
    auto unknown = new_user("b-user");
    unknown["schools"] = {"999999"};
    auto r = call(http, "POST", "/api/v1/users", s.admin, unknown);
    EXPECT_EQ(r.status, 422);
    EXPECT_EQ(json_of(r)["errors"][0]["field"], "schools");
    auto admin_with_school = new_user("c-user");
    admin_with_school["role"] = "city_admin";
    EXPECT_EQ(call(http, "POST", "/api/v1/users", s.admin, admin_with_school).status, 422);
    EXPECT_EQ(user_id("b-user"), 0);
}

TEST_F(UserApi, WrongTypesAre400) {
    auto u = new_user("typed");
    u["schools"] = "165432";
    auto r = call(http, "POST", "/api/v1/users", s.admin, u);
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(json_of(r)["errors"][0]["field"], "schools");
}

TEST_F(UserApi, ListIsPagedWithCursor) {
    for (int i = 0; i < 4; ++i) {
        ASSERT_EQ(call(http, "POST", "/api/v1/users", s.admin, new_user("user" + std::to_string(i))).status, 201);
    }
    std::set<std::string> seen;
    std::string target = "/api/v1/users?limit=3";
    int pages = 0;
    for (;;) {
        auto r = call(http, "GET", target, s.admin);
        ASSERT_EQ(r.status, 200) << r.body;
        auto page = json_of(r);
        ASSERT_LE(page["items"].size(), 3u);
        for (const auto& u : page["items"]) EXPECT_TRUE(seen.insert(u["username"].get<std::string>()).second);
        ++pages;
        if (page["next_cursor"].is_null()) break;
        target = "/api/v1/users?limit=3&cursor=" + page["next_cursor"].get<std::string>();
    }
    EXPECT_EQ(seen.size(), 9u);
    EXPECT_EQ(pages, 3);
    EXPECT_EQ(call(http, "GET", "/api/v1/users?limit=0", s.admin).status, 422);
    EXPECT_EQ(call(http, "GET", "/api/v1/users?limit=501", s.admin).status, 422);
    EXPECT_EQ(call(http, "GET", "/api/v1/users?limit=ten", s.admin).status, 400);
    EXPECT_EQ(call(http, "GET", "/api/v1/users?cursor=garbage", s.admin).status, 400);
}

TEST_F(UserApi, GetUnknownUserIs404) {
    EXPECT_EQ(call(http, "GET", "/api/v1/users/424242", s.admin).status, 404);
    EXPECT_EQ(call(http, "PATCH", "/api/v1/users/424242", s.admin, json{{"display_name", "x"}}).status, 404);
    EXPECT_EQ(call(http, "GET", "/api/v1/users/abc", s.admin).status, 404);
}

TEST_F(UserApi, PatchChangesScopeAndEndsSessions) {
    const auto id = std::to_string(user_id("it-a"));
    auto r = call(http, "PATCH", "/api/v1/users/" + id, s.admin,
                  json{{"role", "headteacher"}, {"schools", {SeededServer::kSchoolB}}, {"display_name", "Herr Özdemir"}});
    ASSERT_EQ(r.status, 200) << r.body;
    auto u = json_of(r);
    EXPECT_EQ(u["role"], "headteacher");
    EXPECT_EQ(u["schools"], json::array({SeededServer::kSchoolB}));
    EXPECT_EQ(u["display_name"], "Herr Özdemir");
    EXPECT_EQ(call(http, "GET", "/api/v1/me", s.it_a).status, 401);
    const auto token = s.server.login("it-a", SeededServer::kPassword);
    auto schools = json_of(call(http, "GET", "/api/v1/schools", token))["items"];
    ASSERT_EQ(schools.size(), 1u);
    EXPECT_EQ(schools[0]["school_number"], SeededServer::kSchoolB);
}

TEST_F(UserApi, DisablingAUserRevokesAccess) {
    const auto id = std::to_string(user_id("head-a"));
    ASSERT_EQ(call(http, "PATCH", "/api/v1/users/" + id, s.admin, json{{"disabled", true}}).status, 200);
    EXPECT_EQ(call(http, "GET", "/api/v1/me", s.head_a).status, 401);
    auto login = call(http, "POST", "/api/v1/session", {}, json{{"username", "head-a"}, {"password", SeededServer::kPassword}});
    EXPECT_EQ(login.status, 401);
}

TEST_F(UserApi, DisablingAUserDeletesItsApiTokensForGood) {
    auto created = call(http, "POST", "/api/v1/tokens", s.head_a, json{{"name", "inventory script"}});
    ASSERT_EQ(created.status, 201) << created.body;
    const auto token = json_of(created)["token"].get<std::string>();
    ASSERT_EQ(call(http, "GET", "/api/v1/me", token).status, 200);
    const auto id = std::to_string(user_id("head-a"));
    ASSERT_EQ(call(http, "PATCH", "/api/v1/users/" + id, s.admin, json{{"disabled", true}}).status, 200);
    EXPECT_EQ(call(http, "GET", "/api/v1/me", token).status, 401);
    EXPECT_EQ(server::sql::query_int64(s.server.db(),
                                       "SELECT count(*) FROM api_tokens WHERE user_id = " + id),
              0);
    // Enabled again, the user logs in anew; the old token stays gone (as after paktctl user disable).
    ASSERT_EQ(call(http, "PATCH", "/api/v1/users/" + id, s.admin, json{{"disabled", false}}).status, 200);
    EXPECT_EQ(call(http, "GET", "/api/v1/me", token).status, 401);
    EXPECT_FALSE(s.server.login("head-a", SeededServer::kPassword).empty());
}

TEST_F(UserApi, PasswordChangeTakesEffect) {
    const auto id = std::to_string(user_id("it-b"));
    ASSERT_EQ(call(http, "PATCH", "/api/v1/users/" + id, s.admin, json{{"password", "a brand new passphrase"}}).status, 200);
    EXPECT_EQ(call(http, "GET", "/api/v1/me", s.it_b).status, 401);
    EXPECT_FALSE(s.server.login("it-b", "a brand new passphrase").empty());
    EXPECT_EQ(call(http, "PATCH", "/api/v1/users/" + id, s.admin, json{{"password", "short"}}).status, 422);
}

TEST_F(UserApi, LastCityAdminCannotBeDisabledOrDemoted) {
    const auto id = std::to_string(user_id("admin"));
    EXPECT_EQ(call(http, "PATCH", "/api/v1/users/" + id, s.admin, json{{"disabled", true}}).status, 409);
    EXPECT_EQ(call(http, "PATCH", "/api/v1/users/" + id, s.admin,
                   json{{"role", "headteacher"}, {"schools", {SeededServer::kSchoolA}}}).status, 409);
    EXPECT_EQ(call(http, "GET", "/api/v1/me", s.admin).status, 200);
}

TEST_F(UserApi, PatchRejectsInconsistentScope) {
    const auto id = std::to_string(user_id("it-a"));
    EXPECT_EQ(call(http, "PATCH", "/api/v1/users/" + id, s.admin, json{{"schools", json::array()}}).status, 422);
    EXPECT_EQ(call(http, "PATCH", "/api/v1/users/" + id, s.admin, json{{"schools", {"999999"}}}).status, 422);
    EXPECT_EQ(call(http, "PATCH", "/api/v1/users/" + id, s.admin, json{{"role", "boss"}}).status, 422);
    EXPECT_EQ(call(http, "PATCH", "/api/v1/users/" + id, s.admin, json{{"disabled", "yes"}}).status, 400);
    EXPECT_EQ(call(http, "PATCH", "/api/v1/users/" + id, s.admin, json{{"username", "renamed"}}).status, 422);
    EXPECT_EQ(call(http, "GET", "/api/v1/me", s.it_a).status, 200);
}

}  // namespace
}  // namespace pakt::test
