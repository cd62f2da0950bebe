// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// What municipal IT's pages need from the API (issue 10, part A), over real HTTPS against an
// in-process paktd: one-time passwords and the forced password change, a user's API tokens, the
// audit log's filters and its chain check, and the school search.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <cctype>
#include <memory>
#include <mutex>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "server/storage/audit_repository.hpp"
#include "tests/support/captured_log.hpp"
#include "tests/support/test_server.hpp"

namespace pakt::test {
namespace {

using nlohmann::json;

constexpr const char* kProblemPrefix = "urn:pakt:problem:";

// Percent-encodes a query value (UTF-8 bytes and reserved characters alike).
std::string url_encode(const std::string& text) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : text) {
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 15];
        }
    }
    return out;
}

// The fields of a problem's `errors`, in order.
std::vector<std::string> error_fields(const HttpResponse& r) {
    std::vector<std::string> fields;
    for (const auto& e : json_of(r).value("errors", json::array()))
        fields.push_back(e.at("field").get<std::string>());
    return fields;
}

class AdminApi : public ::testing::Test {
  protected:
    SeededServer s;
    HttpsClient& http = *s.http;

    std::int64_t user_id(const std::string& username) {
        server::sql::Statement q(s.server.db(), "SELECT id FROM users WHERE username = ?");
        q.bind(1, username);
        if (!q.executeStep()) return 0;
        return q.getColumn(0).getInt64();
    }
    std::string user_path(const std::string& username) {
        return "/api/v1/users/" + std::to_string(user_id(username));
    }

    std::int64_t count(const std::string& sql) {
        return server::sql::query_int64(s.server.db(), sql);
    }

    HttpResponse login(const std::string& username, const std::string& password) {
        return call(http, "POST", "/api/v1/session", {},
                    json{{"username", username}, {"password", password}});
    }

    // Creates a school_it of school A without a password; returns the generated one.
    std::string create_without_password(const std::string& username) {
        auto r = call(http, "POST", "/api/v1/users", s.admin,
                      json{{"username", username},
                           {"role", "school_it"},
                           {"schools", {SeededServer::kSchoolA}}});
        EXPECT_EQ(r.status, 201) << r.body;
        return json_of(r).value("one_time_password", "");
    }

    // Ids of the audit entries GET /audit answers for `query` (one page of up to 500).
    std::vector<std::int64_t> audit_ids(const std::string& query, const std::string& token = {}) {
        auto r =
            call(http, "GET", "/api/v1/audit?limit=500&" + query, token.empty() ? s.admin : token);
        EXPECT_EQ(r.status, 200) << query << ": " << r.body;
        std::vector<std::int64_t> ids;
        if (r.status != 200) return ids;
        const auto page = json_of(r);
        for (const auto& e : page["items"]) ids.push_back(e["id"].get<std::int64_t>());
        return ids;
    }
    std::set<std::string> audit_actions(const std::string& query) {
        auto r = call(http, "GET", "/api/v1/audit?limit=500&" + query, s.admin);
        EXPECT_EQ(r.status, 200) << query << ": " << r.body;
        std::set<std::string> actions;
        const auto page = json_of(r);
        for (const auto& e : page["items"]) actions.insert(e["action"].get<std::string>());
        return actions;
    }
    std::vector<std::int64_t> ids_where(const std::string& condition) {
        server::sql::Statement q(
            s.server.db(), "SELECT id FROM audit_log WHERE " + condition + " ORDER BY id DESC");
        std::vector<std::int64_t> ids;
        while (q.executeStep()) ids.push_back(q.getColumn(0).getInt64());
        return ids;
    }

    std::vector<std::string> school_numbers(const std::string& query,
                                            const std::string& token = {}) {
        auto r = call(http, "GET", "/api/v1/schools?limit=500&" + query,
                      token.empty() ? s.admin : token);
        EXPECT_EQ(r.status, 200) << query << ": " << r.body;
        std::vector<std::string> numbers;
        if (r.status != 200) return numbers;
        const auto page = json_of(r);
        for (const auto& item : page["items"])
            numbers.push_back(item["school_number"].get<std::string>());
        return numbers;
    }
};

// --- must_change_password in every user object -----------------------------------------------

TEST_F(AdminApi, EveryUserObjectSaysWhetherThePasswordMustChange) {
    auto list = json_of(call(http, "GET", "/api/v1/users", s.admin));
    ASSERT_FALSE(list["items"].empty());
    for (const auto& u : list["items"]) EXPECT_EQ(u.at("must_change_password"), false) << u.dump();
    EXPECT_EQ(json_of(call(http, "GET", user_path("it-a"), s.admin)).at("must_change_password"),
              false);
    EXPECT_EQ(json_of(call(http, "GET", "/api/v1/me", s.it_a)).at("must_change_password"), false);
    auto session = login("it-a", SeededServer::kPassword);
    ASSERT_EQ(session.status, 201);
    EXPECT_EQ(json_of(session)["user"].at("must_change_password"), false);
}

// --- POST /users without a password -----------------------------------------------------------

TEST_F(AdminApi, UserCreatedWithoutPasswordGetsAOneTimePasswordShownOnce) {
    auto r = call(http, "POST", "/api/v1/users", s.admin,
                  json{{"username", "neu"},
                       {"display_name", "Frau Neu"},
                       {"role", "headteacher"},
                       {"schools", {SeededServer::kSchoolA}}});
    ASSERT_EQ(r.status, 201) << r.body;
    const auto created = json_of(r);
    const std::string otp = created.at("one_time_password").get<std::string>();
    EXPECT_TRUE(std::regex_match(otp, std::regex("[A-HJ-NP-Z2-9]{4}(-[A-HJ-NP-Z2-9]{4}){3}")))
        << otp;
    EXPECT_EQ(created["must_change_password"], true);
    EXPECT_EQ(created["username"], "neu");
    EXPECT_FALSE(created.contains("password"));

    // Never shown again, stored only as an Argon2id hash, never in the audit log.
    auto again = json_of(call(http, "GET", user_path("neu"), s.admin));
    EXPECT_FALSE(again.contains("one_time_password"));
    EXPECT_EQ(again["must_change_password"], true);
    server::sql::Statement hash(s.server.db(),
                                "SELECT password_hash FROM users WHERE username = 'neu'");
    ASSERT_TRUE(hash.executeStep());
    EXPECT_EQ(hash.getColumn(0).getString().rfind("$argon2id$", 0), 0u);
    server::sql::Statement audit(s.server.db(),
                                 "SELECT detail FROM audit_log WHERE action = 'user.create'");
    ASSERT_TRUE(audit.executeStep());
    const auto detail = json::parse(audit.getColumn(0).getString());
    EXPECT_EQ(detail["password_generated"], true);
    EXPECT_EQ(detail["must_change_password"], true);
    EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE detail LIKE '%" + otp + "%'"), 0);

    // Two generated passwords differ.
    EXPECT_NE(create_without_password("neu-2"), otp);
}

TEST_F(AdminApi, UserCreatedWithPasswordMustChangeItOnlyWhenAsked) {
    auto plain = call(
        http, "POST", "/api/v1/users", s.admin,
        json{
            {"username", "plain"}, {"role", "city_admin"}, {"password", "a long enough password"}});
    ASSERT_EQ(plain.status, 201) << plain.body;
    EXPECT_EQ(json_of(plain)["must_change_password"], false);
    EXPECT_FALSE(json_of(plain).contains("one_time_password"));

    auto asked = call(http, "POST", "/api/v1/users", s.admin,
                      json{{"username", "asked"},
                           {"role", "city_admin"},
                           {"password", "a long enough password"},
                           {"must_change_password", true}});
    ASSERT_EQ(asked.status, 201) << asked.body;
    EXPECT_EQ(json_of(asked)["must_change_password"], true);
    EXPECT_FALSE(json_of(asked).contains("one_time_password"));
    auto session = login("asked", "a long enough password");
    ASSERT_EQ(session.status, 201);
    EXPECT_EQ(json_of(session)["user"]["must_change_password"], true);
}

TEST_F(AdminApi, GeneratedPasswordCannotBeExemptFromTheChange) {
    auto r =
        call(http, "POST", "/api/v1/users", s.admin,
             json{{"username", "exempt"}, {"role", "city_admin"}, {"must_change_password", false}});
    EXPECT_EQ(r.status, 422);
    EXPECT_EQ(error_fields(r), std::vector<std::string>{"must_change_password"});
    auto typed =
        call(http, "POST", "/api/v1/users", s.admin,
             json{{"username", "exempt"}, {"role", "city_admin"}, {"must_change_password", "yes"}});
    EXPECT_EQ(typed.status, 400);
    EXPECT_EQ(user_id("exempt"), 0);
}

// --- the forced password change ---------------------------------------------------------------

TEST_F(AdminApi, SessionThatMustChangeThePasswordMayOnlyReadItselfAndChangeIt) {
    const std::string otp = create_without_password("erstmals");
    auto session = login("erstmals", otp);
    ASSERT_EQ(session.status, 201) << session.body;
    EXPECT_EQ(json_of(session)["user"]["must_change_password"], true);
    const std::string token = json_of(session)["token"].get<std::string>();

    for (const auto& [method, target] : std::vector<std::pair<std::string, std::string>>{
             {"GET", "/api/v1/schools"},
             {"GET", std::string("/api/v1/schools/") + SeededServer::kSchoolA},
             {"GET", "/api/v1/devices"},
             {"GET", "/api/v1/tokens"},
             {"GET", "/api/v1/audit"}}) {
        auto r = call(http, method, target, token);
        EXPECT_EQ(r.status, 403) << target;
        EXPECT_EQ(json_of(r)["type"], std::string(kProblemPrefix) + "password-change-required")
            << target;
    }
    auto new_token = call(http, "POST", "/api/v1/tokens", token, json{{"name", "sneaky"}});
    EXPECT_EQ(new_token.status, 403);
    EXPECT_EQ(count("SELECT count(*) FROM api_tokens"), 0);

    auto me = call(http, "GET", "/api/v1/me", token);
    ASSERT_EQ(me.status, 200);
    EXPECT_EQ(json_of(me)["must_change_password"], true);

    auto changed =
        call(http, "POST", "/api/v1/me/password", token,
             json{{"current_password", otp}, {"new_password", "my very own passphrase"}});
    ASSERT_EQ(changed.status, 204) << changed.body;
    EXPECT_EQ(json_of(call(http, "GET", "/api/v1/me", token))["must_change_password"], false);
    auto schools = call(http, "GET", "/api/v1/schools", token);
    ASSERT_EQ(schools.status, 200) << schools.body;
    EXPECT_EQ(json_of(schools)["items"].size(), 1u);
    EXPECT_EQ(json_of(call(http, "GET", user_path("erstmals"), s.admin))["must_change_password"],
              false);

    server::sql::Statement audit(s.server.db(),
                                 "SELECT detail FROM audit_log WHERE action = 'user.password'");
    ASSERT_TRUE(audit.executeStep());
    EXPECT_EQ(json::parse(audit.getColumn(0).getString())["replaced_generated_password"], true);

    // The one-time password is spent; the own one works.
    EXPECT_EQ(login("erstmals", otp).status, 401);
    EXPECT_EQ(login("erstmals", "my very own passphrase").status, 201);
}

TEST_F(AdminApi, SessionThatMustChangeThePasswordCanLogOut) {
    const std::string otp = create_without_password("abmelden");
    const std::string token = s.server.login("abmelden", otp);
    EXPECT_EQ(call(http, "DELETE", "/api/v1/session", token).status, 204);
    EXPECT_EQ(call(http, "GET", "/api/v1/me", token).status, 401);
}

TEST_F(AdminApi, WrongCurrentPasswordDoesNotLiftTheDuty) {
    const std::string otp = create_without_password("vertippt");
    const std::string token = s.server.login("vertippt", otp);
    auto wrong = call(http, "POST", "/api/v1/me/password", token,
                      json{{"current_password", "not the one-time password"},
                           {"new_password", "my very own passphrase"}});
    EXPECT_EQ(wrong.status, 422);
    EXPECT_EQ(error_fields(wrong), std::vector<std::string>{"current_password"});
    EXPECT_EQ(call(http, "GET", "/api/v1/schools", token).status, 403);
}

TEST_F(AdminApi, DutyToChangeSetByPatchHoldsForOpenSessionsAndApiTokens) {
    auto created = call(http, "POST", "/api/v1/tokens", s.it_a, json{{"name", "inventory script"}});
    ASSERT_EQ(created.status, 201);
    const std::string api_token = json_of(created)["token"].get<std::string>();
    auto patched =
        call(http, "PATCH", user_path("it-a"), s.admin, json{{"must_change_password", true}});
    ASSERT_EQ(patched.status, 200) << patched.body;
    EXPECT_EQ(json_of(patched)["must_change_password"], true);

    for (const std::string& token : {s.it_a, api_token}) {
        auto r = call(http, "GET", "/api/v1/devices", token);
        EXPECT_EQ(r.status, 403);
        EXPECT_EQ(json_of(r)["type"], std::string(kProblemPrefix) + "password-change-required");
        EXPECT_EQ(call(http, "GET", "/api/v1/me", token).status, 200);
    }
    ASSERT_EQ(call(http, "PATCH", user_path("it-a"), s.admin, json{{"must_change_password", false}})
                  .status,
              200);
    EXPECT_EQ(call(http, "GET", "/api/v1/devices", s.it_a).status, 200);
    server::sql::Statement audit(
        s.server.db(), "SELECT detail FROM audit_log WHERE action = 'user.update' ORDER BY id");
    ASSERT_TRUE(audit.executeStep());
    EXPECT_EQ(json::parse(audit.getColumn(0).getString())["must_change_password"], true);
}

// --- POST /users/{id}/one-time-password -------------------------------------------------------

TEST_F(AdminApi, OneTimePasswordReplacesTheOldPasswordAndEndsEveryAccess) {
    auto created = call(http, "POST", "/api/v1/tokens", s.it_a, json{{"name", "inventory script"}});
    ASSERT_EQ(created.status, 201);
    const std::string api_token = json_of(created)["token"].get<std::string>();
    const std::string second_session = s.server.login("it-a", SeededServer::kPassword);

    auto r = call(http, "POST", user_path("it-a") + "/one-time-password", s.admin);
    ASSERT_EQ(r.status, 201) << r.body;
    const auto body = json_of(r);
    const std::string otp = body.at("one_time_password").get<std::string>();
    EXPECT_TRUE(std::regex_match(otp, std::regex("[A-HJ-NP-Z2-9]{4}(-[A-HJ-NP-Z2-9]{4}){3}")))
        << otp;
    EXPECT_EQ(body["user"]["username"], "it-a");
    EXPECT_EQ(body["user"]["must_change_password"], true);

    // Whoever held the old password or its sessions and tokens is out.
    for (const std::string& token : {s.it_a, second_session, api_token}) {
        EXPECT_EQ(call(http, "GET", "/api/v1/me", token).status, 401);
    }
    const auto id = std::to_string(user_id("it-a"));
    EXPECT_EQ(count("SELECT count(*) FROM api_tokens WHERE user_id = " + id), 0);
    EXPECT_EQ(count("SELECT count(*) FROM sessions WHERE user_id = " + id), 0);
    EXPECT_EQ(login("it-a", SeededServer::kPassword).status, 401);

    // The one-time password logs in, to change it.
    auto session = login("it-a", otp);
    ASSERT_EQ(session.status, 201) << session.body;
    EXPECT_EQ(json_of(session)["user"]["must_change_password"], true);

    server::sql::Statement audit(
        s.server.db(),
        "SELECT actor, object_type, object_id, detail FROM audit_log WHERE "
        "action = 'user.password_reset'");
    ASSERT_TRUE(audit.executeStep());
    EXPECT_EQ(audit.getColumn(0).getString(), "admin");
    EXPECT_EQ(audit.getColumn(1).getString(), "user");
    EXPECT_EQ(audit.getColumn(2).getString(), id);
    const auto detail = json::parse(audit.getColumn(3).getString());
    EXPECT_EQ(detail["sessions_ended"], 2);
    EXPECT_EQ(detail["api_tokens_deleted"], 1);
    EXPECT_EQ(audit.getColumn(3).getString().find(otp), std::string::npos);
}

TEST_F(AdminApi, EachOneTimePasswordReplacesThePreviousOne) {
    auto first = json_of(
        call(http, "POST", user_path("head-b") + "/one-time-password", s.admin, json::object()));
    auto second = call(http, "POST", user_path("head-b") + "/one-time-password", s.admin);
    ASSERT_EQ(second.status, 201);
    const std::string otp = json_of(second)["one_time_password"].get<std::string>();
    EXPECT_NE(first["one_time_password"].get<std::string>(), otp);
    EXPECT_EQ(login("head-b", first["one_time_password"].get<std::string>()).status, 401);
    EXPECT_EQ(login("head-b", otp).status, 201);
}

TEST_F(AdminApi, OneTimePasswordForAnUnknownUserOrWithABodyIsRefused) {
    EXPECT_EQ(call(http, "POST", "/api/v1/users/424242/one-time-password", s.admin).status, 404);
    EXPECT_EQ(call(http, "POST", "/api/v1/users/abc/one-time-password", s.admin).status, 404);
    auto unknown_field = call(http, "POST", user_path("it-a") + "/one-time-password", s.admin,
                              json{{"password", "chosen by the admin"}});
    EXPECT_EQ(unknown_field.status, 422);
    EXPECT_EQ(error_fields(unknown_field), std::vector<std::string>{"password"});
    EXPECT_EQ(
        http.request("POST", user_path("it-a") + "/one-time-password", "[]",
                     {{"Authorization", "Bearer " + s.admin}, {"Content-Type", "application/json"}})
            .status,
        400);
    for (const std::string* token : {&s.it_a, &s.head_a}) {
        EXPECT_EQ(call(http, "POST", user_path("it-b") + "/one-time-password", *token).status, 403);
    }
    // Nothing changed: it-a and it-b still work with their passwords.
    EXPECT_EQ(call(http, "GET", "/api/v1/me", s.it_a).status, 200);
    EXPECT_EQ(call(http, "GET", "/api/v1/me", s.it_b).status, 200);
    EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action = 'user.password_reset'"), 0);
}

// Secrets go to the person who asked for them and nowhere else: not into paktd's log (at its
// most talkative level) and not into the audit log.
TEST(AdminApiLog, PasswordsAndOneTimePasswordsStayOutOfTheLogs) {
    CapturedLog captured;
    std::string otp;
    std::string reset;
    {
        SeededServer s([](server::ServerConfig& config) { config.log_level = "trace"; });
        auto created = call(*s.http, "POST", "/api/v1/users", s.admin,
                            json{{"username", "geheim"}, {"role", "city_admin"}});
        otp = json_of(created).value("one_time_password", "");
        const std::string token = s.server.login("geheim", otp);
        EXPECT_EQ(call(*s.http, "POST", "/api/v1/me/password", token,
                       json{{"current_password", otp}, {"new_password", "the secret passphrase"}})
                      .status,
                  204);
        auto r =
            call(*s.http, "POST",
                 "/api/v1/users/" + std::to_string(json_of(created)["id"].get<std::int64_t>()) +
                     "/one-time-password",
                 s.admin);
        reset = json_of(r).value("one_time_password", "");
        server::sql::Statement audit(
            s.server.db(), s.server.db().pick("SELECT group_concat(detail, ' ') FROM audit_log",
                                              "SELECT string_agg(detail, ' ') FROM audit_log"));
        ASSERT_TRUE(audit.executeStep());
        const std::string all_details = audit.getColumn(0).getString();
        for (const std::string& secret : {otp, reset, std::string("the secret passphrase")}) {
            EXPECT_EQ(all_details.find(secret), std::string::npos) << secret;
        }
    }
    ASSERT_FALSE(otp.empty());
    ASSERT_FALSE(reset.empty());
    const std::string log = captured.text();
    EXPECT_NE(log.find("route=/api/v1/users/{id}/one-time-password"), std::string::npos)
        << "nothing was logged";
    for (const std::string& secret : {otp, reset, std::string("the secret passphrase")}) {
        EXPECT_EQ(log.find(secret), std::string::npos) << secret << " is in the log";
    }
}

// --- a user's API tokens ----------------------------------------------------------------------

TEST_F(AdminApi, CityAdminListsAUsersApiTokensWithoutTheirValues) {
    auto used = call(http, "POST", "/api/v1/tokens", s.it_a, json{{"name", "inventory script"}});
    auto unused = call(http, "POST", "/api/v1/tokens", s.it_a,
                       json{{"name", "backup"}, {"expires_on", "2099-12-31"}});
    ASSERT_EQ(used.status, 201);
    ASSERT_EQ(unused.status, 201);
    ASSERT_EQ(call(http, "POST", "/api/v1/tokens", s.it_b, json{{"name", "of it-b"}}).status, 201);
    const std::string value = json_of(used)["token"].get<std::string>();
    ASSERT_EQ(call(http, "GET", "/api/v1/me", value).status, 200);

    auto r = call(http, "GET", user_path("it-a") + "/tokens", s.admin);
    ASSERT_EQ(r.status, 200) << r.body;
    const auto page = json_of(r);
    ASSERT_EQ(page["items"].size(), 2u);
    EXPECT_TRUE(page["next_cursor"].is_null());
    const auto& first = page["items"][0];
    const auto& second = page["items"][1];
    EXPECT_EQ(first["id"], json_of(used)["id"]);
    EXPECT_EQ(first["name"], "inventory script");
    EXPECT_TRUE(first["expires_on"].is_null());
    EXPECT_EQ(first["last_used_at"].get<std::string>().size(), 20u);
    EXPECT_EQ(second["name"], "backup");
    EXPECT_EQ(second["expires_on"], "2099-12-31");
    EXPECT_TRUE(second["last_used_at"].is_null());
    EXPECT_EQ(second["created_at"].get<std::string>().size(), 20u);
    EXPECT_EQ(r.body.find(value), std::string::npos);
    EXPECT_FALSE(first.contains("token"));

    // The caller's own list has the same shape.
    auto own = json_of(call(http, "GET", "/api/v1/tokens", s.it_a));
    EXPECT_EQ(own["items"], page["items"]);

    // Paged like every list.
    auto one = json_of(call(http, "GET", user_path("it-a") + "/tokens?limit=1", s.admin));
    ASSERT_EQ(one["items"].size(), 1u);
    ASSERT_TRUE(one["next_cursor"].is_string());
    auto rest = json_of(
        call(http, "GET",
             user_path("it-a") + "/tokens?limit=1&cursor=" + one["next_cursor"].get<std::string>(),
             s.admin));
    ASSERT_EQ(rest["items"].size(), 1u);
    EXPECT_EQ(rest["items"][0]["name"], "backup");
    EXPECT_TRUE(rest["next_cursor"].is_null());

    EXPECT_EQ(json_of(call(http, "GET", user_path("head-a") + "/tokens", s.admin))["items"].size(),
              0u);
    EXPECT_EQ(call(http, "GET", "/api/v1/users/424242/tokens", s.admin).status, 404);
    EXPECT_EQ(call(http, "GET", user_path("it-a") + "/tokens?limit=0", s.admin).status, 422);
    EXPECT_EQ(call(http, "GET", user_path("it-a") + "/tokens?cursor=nonsense", s.admin).status,
              400);
    EXPECT_EQ(call(http, "GET", user_path("it-a") + "/tokens", s.it_a).status, 403);
}

TEST_F(AdminApi, CityAdminRevokesAUsersApiToken) {
    auto created = call(http, "POST", "/api/v1/tokens", s.it_a, json{{"name", "forgotten script"}});
    auto other = call(http, "POST", "/api/v1/tokens", s.it_b, json{{"name", "of it-b"}});
    ASSERT_EQ(created.status, 201);
    ASSERT_EQ(other.status, 201);
    const std::string value = json_of(created)["token"].get<std::string>();
    const std::string id = std::to_string(json_of(created)["id"].get<std::int64_t>());
    const std::string other_id = std::to_string(json_of(other)["id"].get<std::int64_t>());

    // A token is addressed under its own user only.
    EXPECT_EQ(call(http, "DELETE", user_path("it-a") + "/tokens/" + other_id, s.admin).status, 404);
    EXPECT_EQ(call(http, "GET", "/api/v1/me", json_of(other)["token"].get<std::string>()).status,
              200);
    EXPECT_EQ(call(http, "DELETE", "/api/v1/users/424242/tokens/" + id, s.admin).status, 404);
    EXPECT_EQ(call(http, "DELETE", user_path("it-a") + "/tokens/abc", s.admin).status, 404);
    EXPECT_EQ(call(http, "DELETE", user_path("it-a") + "/tokens/" + id, s.it_a).status, 403);
    EXPECT_EQ(call(http, "GET", "/api/v1/me", value).status, 200);

    EXPECT_EQ(call(http, "DELETE", user_path("it-a") + "/tokens/" + id, s.admin).status, 204);
    EXPECT_EQ(call(http, "GET", "/api/v1/me", value).status, 401);
    EXPECT_EQ(call(http, "DELETE", user_path("it-a") + "/tokens/" + id, s.admin).status, 404);
    EXPECT_EQ(call(http, "GET", "/api/v1/me", s.it_a).status, 200);  // the sessions stay

    server::sql::Statement audit(
        s.server.db(),
        "SELECT actor, object_type, object_id, detail FROM audit_log WHERE "
        "action = 'token.revoke'");
    ASSERT_TRUE(audit.executeStep());
    EXPECT_EQ(audit.getColumn(0).getString(), "admin");
    EXPECT_EQ(audit.getColumn(1).getString(), "api_token");
    EXPECT_EQ(audit.getColumn(2).getString(), id);
    const auto detail = json::parse(audit.getColumn(3).getString());
    EXPECT_EQ(detail["user_id"], user_id("it-a"));
    EXPECT_EQ(detail["name"], "forgotten script");
    EXPECT_FALSE(audit.executeStep());
}

// --- GET /audit filters -----------------------------------------------------------------------

TEST_F(AdminApi, AuditFiltersByActorIgnoringCase) {
    ASSERT_EQ(call(http, "POST", "/api/v1/tokens", s.it_a, json{{"name", "a"}}).status, 201);
    ASSERT_EQ(call(http, "POST", "/api/v1/tokens", s.it_b, json{{"name", "b"}}).status, 201);
    const auto expected = ids_where("actor = 'it-a'");
    ASSERT_GE(expected.size(), 2u);  // the login and the token
    EXPECT_EQ(audit_ids("actor=it-a"), expected);
    EXPECT_EQ(audit_ids("actor=IT-A"), expected);
    EXPECT_TRUE(audit_ids("actor=nobody").empty());
}

TEST_F(AdminApi, AuditFiltersByExactActionOrByPrefix) {
    ASSERT_EQ(call(http, "POST", "/api/v1/users", s.admin,
                   json{{"username", "neu"},
                        {"role", "city_admin"},
                        {"password", "a long enough password"}})
                  .status,
              201);
    ASSERT_EQ(
        call(http, "PATCH", user_path("neu"), s.admin, json{{"display_name", "Herr Neu"}}).status,
        200);
    ASSERT_EQ(call(http, "POST", user_path("neu") + "/one-time-password", s.admin).status, 201);
    ASSERT_EQ(call(http, "POST", "/api/v1/tokens", s.it_a, json{{"name", "a"}}).status, 201);

    EXPECT_EQ(audit_actions("action=user.update"), std::set<std::string>{"user.update"});
    EXPECT_EQ(audit_ids("action=user.update"), ids_where("action = 'user.update'"));
    EXPECT_EQ(audit_actions("action=user."),
              (std::set<std::string>{"user.create", "user.update", "user.password_reset"}));
    EXPECT_EQ(audit_ids("action=user."), ids_where("action LIKE 'user.%'"));
    EXPECT_EQ(audit_actions("action=session."), std::set<std::string>{"session.create"});
    // "user" without the dot is an action of its own (none), not a prefix; so is "user.upd".
    EXPECT_TRUE(audit_ids("action=user").empty());
    EXPECT_TRUE(audit_ids("action=user.upd").empty());
    EXPECT_TRUE(audit_ids("action=grant.").empty());
}

TEST_F(AdminApi, AuditFiltersByObject) {
    ASSERT_EQ(call(http, "PATCH", user_path("it-a"), s.admin, json{{"display_name", "x"}}).status,
              200);
    ASSERT_EQ(call(http, "PATCH", user_path("it-b"), s.admin, json{{"display_name", "y"}}).status,
              200);
    const auto id = std::to_string(user_id("it-a"));
    const auto expected = ids_where("object_type = 'user' AND object_id = '" + id + "'");
    ASSERT_GE(expected.size(), 2u);  // the login and the change
    EXPECT_EQ(audit_ids("object_type=user&object_id=" + id), expected);
    EXPECT_EQ(audit_ids("object_type=user"), ids_where("object_type = 'user'"));
    EXPECT_TRUE(audit_ids("object_type=api_token&object_id=" + id).empty());
    EXPECT_EQ(audit_ids("object_type=user&object_id=" + id + "&action=user.update").size(), 1u);
}

TEST_F(AdminApi, AuditFiltersByTimeWithGermanDaysAndExclusiveTimes) {
    // Entries at known times around midnight in Germany, appended after everything the fixture
    // wrote (and later than it, so the log stays in time order). The filters do not check hashes.
    const std::vector<std::string> times = {
        "2099-03-28T22:59:59Z",  // 28 March 23:59:59 CET
        "2099-03-28T23:00:00Z",  // 29 March 00:00 CET (summer time starts that night)
        "2099-06-30T21:59:59Z",  // 30 June 23:59:59 CEST
        "2099-06-30T22:00:00Z",  // 1 July 00:00 CEST
    };
    std::vector<std::int64_t> ids;
    const std::int64_t last = count("SELECT max(id) FROM audit_log");
    for (std::size_t i = 0; i < times.size(); ++i) {
        const std::int64_t id = last + 1 + static_cast<std::int64_t>(i);
        server::sql::Statement insert(s.server.db(),
                                      "INSERT INTO audit_log (id, at, actor, action, object_type, "
                                      "object_id, prev_hash, hash) "
                                      "VALUES (?, ?, 'paktctl', 'test.mark', 'test', ?, '', '')");
        insert.bind(1, id);
        insert.bind(2, times[i]);
        insert.bind(3, std::to_string(i));
        insert.exec();
        ids.push_back(id);
    }
    using Ids = std::vector<std::int64_t>;
    EXPECT_EQ(audit_ids("action=test.mark&to=2099-03-28"), (Ids{ids[0]}));
    EXPECT_EQ(audit_ids("action=test.mark&from=2099-03-29&to=2099-06-30"), (Ids{ids[2], ids[1]}));
    EXPECT_EQ(audit_ids("action=test.mark&from=2099-07-01"), (Ids{ids[3]}));
    EXPECT_EQ(audit_ids("action=test.mark&from=2099-03-29&to=2099-03-29"), (Ids{ids[1]}));
    // A time: `from` includes it, `to` excludes it; offsets are understood.
    EXPECT_EQ(audit_ids("action=test.mark&from=2099-03-28T23:00:00Z&to=2099-06-30T22:00:00Z"),
              (Ids{ids[2], ids[1]}));
    EXPECT_EQ(audit_ids("action=test.mark&from=" + url_encode("2099-07-01T00:00:00+02:00")),
              (Ids{ids[3]}));
    EXPECT_EQ(audit_ids("action=test.mark&to=2099-03-28T22:59:59.5Z"), (Ids{ids[0]}));
    // Without an action filter the range holds alike: the fixture's entries are all of today.
    EXPECT_EQ(audit_ids("from=2099-01-01"), (Ids{ids[3], ids[2], ids[1], ids[0]}));
    EXPECT_EQ(audit_ids("to=2000-01-01"), Ids{});
    EXPECT_EQ(audit_ids("to=2099-01-01"), ids_where("at < '2099'"));
    EXPECT_EQ(audit_ids("from=2100-01-01"), Ids{});
}

TEST_F(AdminApi, AuditFilterValuesThatAreNotUsableAre422NamingTheParameter) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"from=2026-13-01", "from"},
        {"from=yesterday", "from"},
        {"from=9999-12-31", "from"},
        {"to=2026-09-01T25:00:00Z", "to"},
        {"to=2026-09-01T07:30:00", "to"},  // no zone
        {"action=.enroll", "action"},
        {"action=Device.Enroll", "action"},
        {"action=" + std::string(101, 'a'), "action"},
        {"object_type=", "object_type"},
        {"object_id=7", "object_id"},  // without object_type
        {"actor=", "actor"},
        {"actor=" + std::string(101, 'a'), "actor"},
        {"actor=%01admin", "actor"},
        {"from=2026-09-02&to=2026-09-01", "to"},
        {"from=2026-09-01T10:00:00Z&to=2026-09-01T10:00:00Z", "to"},
    };
    for (const auto& [query, field] : cases) {
        auto r = call(http, "GET", "/api/v1/audit?" + query, s.admin);
        EXPECT_EQ(r.status, 422) << query;
        EXPECT_EQ(error_fields(r), std::vector<std::string>{field}) << query;
    }
    // Every bad parameter is listed at once.
    auto all = call(http, "GET", "/api/v1/audit?from=x&to=y&action=.&object_id=1", s.admin);
    EXPECT_EQ(all.status, 422);
    const auto fields = error_fields(all);
    EXPECT_EQ(std::set<std::string>(fields.begin(), fields.end()),
              (std::set<std::string>{"from", "to", "action", "object_id"}));
    EXPECT_EQ(call(http, "GET", "/api/v1/audit?action=user.&limit=0", s.admin).status, 422);
}

TEST_F(AdminApi, AuditFiltersKeepTheCallersScope) {
    ASSERT_EQ(call(http, "PATCH", std::string("/api/v1/schools/") + SeededServer::kSchoolA, s.admin,
                   json{{"name", "Gymnasium Werden"}})
                  .status,
              200);
    ASSERT_EQ(call(http, "PATCH", std::string("/api/v1/schools/") + SeededServer::kSchoolB, s.admin,
                   json{{"name", "Waldorfschule"}})
                  .status,
              200);
    EXPECT_EQ(audit_ids("action=school.", s.it_b),
              ids_where("action = 'school.update' AND school_number = '100018'"));
    EXPECT_EQ(audit_ids("actor=admin&object_type=school", s.head_b).size(), 1u);
    // City-wide entries (users, sessions) are not the school roles'.
    EXPECT_TRUE(audit_ids("action=session.", s.it_a).empty());
    EXPECT_EQ(
        call(http, "GET",
             std::string("/api/v1/audit?action=school.&school_number=") + SeededServer::kSchoolA,
             s.it_b)
            .status,
        404);
}

TEST_F(AdminApi, FilteredAuditIsPagedNewestFirst) {
    for (int i = 0; i < 5; ++i) {
        ASSERT_EQ(call(http, "PATCH", user_path("head-a"), s.admin,
                       json{{"display_name", "Name " + std::to_string(i)}})
                      .status,
                  200);
    }
    std::vector<std::int64_t> seen;
    std::string target = "/api/v1/audit?action=user.&limit=2";
    int pages = 0;
    for (;;) {
        auto page = json_of(call(http, "GET", target, s.admin));
        for (const auto& e : page["items"]) seen.push_back(e["id"].get<std::int64_t>());
        ++pages;
        if (page["next_cursor"].is_null()) break;
        target =
            "/api/v1/audit?action=user.&limit=2&cursor=" + page["next_cursor"].get<std::string>();
    }
    EXPECT_EQ(pages, 3);
    EXPECT_EQ(seen, ids_where("action = 'user.update'"));
}

// Each filter reads its own index newest first and stops when the page is full: no scan of the
// whole log and no sort of everything a filter matches (a list of actions is searched action by
// action, which SQLite's plan shows as a sort of at most a page per action).
TEST_F(AdminApi, EveryAuditFilterIsServedByItsIndex) {
    if (testing_postgres())
        GTEST_SKIP() << "SQLite's query planner; PostgreSQL plans by its statistics";
    struct Case {
        const char* name;
        server::AuditFilter filter;
        std::size_t actions;
        const char* index;  ///< what the plan must search with
    };
    auto with = [](auto set) {
        server::AuditFilter f;
        set(f);
        return f;
    };
    const std::vector<Case> cases = {
        {"none", {}, 0, "USING INTEGER PRIMARY KEY"},
        {"time", with([](auto& f) {
             f.from_at = "2026-09-01T00:00:00Z";
             f.to_at = "2026-10-01T00:00:00Z";
         }),
         0, "USING INTEGER PRIMARY KEY"},
        {"actor", with([](auto& f) { f.actor = "it-a"; }), 0, "INDEX audit_log_by_actor ("},
        {"action", with([](auto& f) { f.action = "device.enroll"; }), 1,
         "INDEX audit_log_by_action ("},
        {"action prefix", with([](auto& f) { f.action = "device."; }), 4,
         "INDEX audit_log_by_action ("},
        {"object", with([](auto& f) {
             f.object_type = "device";
             f.object_id = "DMPXK0QHJF8L";
         }),
         0, "INDEX audit_log_by_object ("},
        {"object type", with([](auto& f) { f.object_type = "device"; }), 0,
         "INDEX audit_log_by_object_type ("},
        {"school", with([](auto& f) { f.school_number = "165432"; }), 0,
         "INDEX audit_log_by_school ("},
        {"scope", with([](auto& f) {
             f.schools = std::vector<std::string>{"100018", "165432"};
         }),
         0, "INDEX audit_log_by_school ("},
        {"object and actor", with([](auto& f) {
             f.object_type = "user";
             f.object_id = "7";
             f.actor = "admin";
         }),
         0, "INDEX audit_log_by_object ("},
        {"actor and action", with([](auto& f) {
             f.actor = "admin";
             f.action = "device.";
         }),
         4, "INDEX audit_log_by_actor ("},
        {"scope and action", with([](auto& f) {
             f.schools = std::vector<std::string>{"165432"};
             f.action = "device.";
         }),
         4, "INDEX audit_log_by_school ("},
        {"scope and type", with([](auto& f) {
             f.schools = std::vector<std::string>{"165432"};
             f.object_type = "device";
         }),
         0, "INDEX audit_log_by_school ("},
        {"action and type", with([](auto& f) {
             f.action = "device.";
             f.object_type = "device";
         }),
         4, "INDEX audit_log_by_action ("},
    };
    for (const auto& c : cases) {
        server::sql::Statement q(
            s.server.db(), "EXPLAIN QUERY PLAN " + server::audit_list_sql(c.filter, c.actions));
        std::string plan;
        while (q.executeStep()) plan += q.getColumn(3).getString() + "\n";
        EXPECT_NE(plan.find(c.index), std::string::npos) << c.name << ":\n" << plan;
        EXPECT_EQ(plan.find("SCAN audit_log"), std::string::npos) << c.name << ":\n" << plan;
        if (c.actions <= 1 && std::string(c.name).find("scope") == std::string::npos) {
            EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << c.name << ":\n" << plan;
        }
    }
}

// --- GET /audit/verify ------------------------------------------------------------------------

TEST_F(AdminApi, AuditVerifyReportsAnIntactChain) {
    auto r = call(http, "GET", "/api/v1/audit/verify", s.admin);
    ASSERT_EQ(r.status, 200) << r.body;
    const auto result = json_of(r);
    EXPECT_EQ(result["intact"], true);
    EXPECT_EQ(result["entries"], count("SELECT count(*) FROM audit_log"));
    EXPECT_EQ(result["last_id"], count("SELECT max(id) FROM audit_log"));
    EXPECT_TRUE(result["first_broken"].is_null());
    EXPECT_GE(result["entries"].get<std::int64_t>(), 5);  // the fixture's logins
}

TEST_F(AdminApi, AuditVerifyFindsAnEntryChangedInTheDatabaseFile) {
    // Someone with access to the file edits what entry 3 says, leaving its hash.
    s.server.db().exec("UPDATE audit_log SET actor = 'someone else' WHERE id = 3");
    auto r = call(http, "GET", "/api/v1/audit/verify", s.admin);
    ASSERT_EQ(r.status, 200) << r.body;
    const auto result = json_of(r);
    EXPECT_EQ(result["intact"], false);
    EXPECT_EQ(result["entries"], 2);
    EXPECT_EQ(result["last_id"], 2);
    ASSERT_TRUE(result["first_broken"].is_object());
    EXPECT_EQ(result["first_broken"]["id"], 3);
    EXPECT_EQ(result["first_broken"]["reason"], "hash does not match the entry's content");
}

TEST_F(AdminApi, AuditVerifyFindsADeletedEntry) {
    s.server.db().exec("DELETE FROM audit_log WHERE id = 2");
    const auto result = json_of(call(http, "GET", "/api/v1/audit/verify", s.admin));
    EXPECT_EQ(result["intact"], false);
    EXPECT_EQ(result["entries"], 1);
    EXPECT_EQ(result["last_id"], 1);
    EXPECT_EQ(result["first_broken"]["id"], 2);
    EXPECT_EQ(result["first_broken"]["reason"], "entry 2 is missing");
}

TEST_F(AdminApi, AuditVerifyIsForCityAdminOnly) {
    for (const std::string* token : {&s.it_a, &s.head_a, &s.it_b, &s.head_b}) {
        EXPECT_EQ(call(http, "GET", "/api/v1/audit/verify", *token).status, 403);
    }
    EXPECT_EQ(call(http, "GET", "/api/v1/audit/verify").status, 401);
}

// --- GET /schools?q= --------------------------------------------------------------------------

class SchoolSearch : public AdminApi {
  protected:
    void SetUp() override {
        const std::vector<json> schools = {
            {{"school_number", "165500"},
             {"name", "Grundschule Überruhr"},
             {"district", "Essen"},
             {"address", "Langenberger Str. 12"}},
            {{"school_number", "170011"},
             {"name", "Städtisches Gymnasium"},
             {"district", "Mülheim an der Ruhr"},
             {"address", "Essener Straße 5"}},
            {{"school_number", "188020"},
             {"name", "Realschule Am Wasserturm"},
             {"district", "Bochum"},
             {"address", "Turmstr. 1654"}},
        };
        for (const auto& school : schools)
            ASSERT_EQ(call(http, "POST", "/api/v1/schools", s.admin, school).status, 201);
    }
};

TEST_F(SchoolSearch, MatchesNumberPrefixOrTextIgnoringCase) {
    using Numbers = std::vector<std::string>;
    EXPECT_EQ(school_numbers("q=" + url_encode("über")), Numbers{"165500"});
    EXPECT_EQ(school_numbers("q=" + url_encode("ÜBERRUHR")), Numbers{"165500"});
    EXPECT_EQ(school_numbers("q=" + url_encode("städtisches")), Numbers{"170011"});
    EXPECT_EQ(school_numbers("q=essen"),
              (Numbers{"165432", "165500", "170011"}));  // name, district, address
    EXPECT_EQ(school_numbers("q=" + url_encode("MÜLHEIM")), Numbers{"170011"});
    EXPECT_EQ(school_numbers("q=1655"), Numbers{"165500"});
    // Digits inside a school number do not match it; inside an address they do.
    EXPECT_EQ(school_numbers("q=5432"), Numbers{});
    EXPECT_EQ(school_numbers("q=1654"), (Numbers{"165432", "188020"}));
    EXPECT_EQ(school_numbers("q=" + url_encode("  wasserturm ")), Numbers{"188020"});
    EXPECT_EQ(school_numbers("q=").size(), 5u);
    EXPECT_EQ(school_numbers("q=" + url_encode("   ")).size(), 5u);
    EXPECT_EQ(school_numbers("q=nirgendwo"), Numbers{});
}

TEST_F(SchoolSearch, IsPagedWithTheCursor) {
    std::vector<std::string> seen;
    std::string target = "/api/v1/schools?q=s&limit=2";
    int pages = 0;
    for (;;) {
        auto r = call(http, "GET", target, s.admin);
        ASSERT_EQ(r.status, 200) << r.body;
        auto page = json_of(r);
        EXPECT_LE(page["items"].size(), 2u);
        for (const auto& item : page["items"])
            seen.push_back(item["school_number"].get<std::string>());
        ++pages;
        if (page["next_cursor"].is_null()) break;
        target = "/api/v1/schools?q=s&limit=2&cursor=" + page["next_cursor"].get<std::string>();
    }
    // Each of the five has an "s" in its name.
    EXPECT_EQ(seen, (std::vector<std::string>{"100018", "165432", "165500", "170011", "188020"}));
    EXPECT_EQ(pages, 3);
}

TEST_F(SchoolSearch, StaysInTheCallersScope) {
    EXPECT_EQ(school_numbers("q=essen", s.it_a), std::vector<std::string>{"165432"});
    EXPECT_EQ(school_numbers("q=essen", s.it_b), std::vector<std::string>{});
    EXPECT_EQ(school_numbers("q=waldorf", s.head_b), std::vector<std::string>{"100018"});
}

TEST_F(SchoolSearch, UnusableSearchTextIs422NamingQ) {
    for (const std::string& q : {std::string(101, 'a'), std::string("%01"), std::string("%FF")}) {
        auto r = call(http, "GET", "/api/v1/schools?q=" + q, s.admin);
        EXPECT_EQ(r.status, 422) << q;
        EXPECT_EQ(error_fields(r), std::vector<std::string>{"q"}) << q;
    }
}

}  // namespace
}  // namespace pakt::test
