// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// What the web UI stands on, over real HTTPS against an in-process paktd: the browser session
// cookie and its Origin check, idle expiry, the own password change, the embedded UI's pages and
// files, the scan endpoint's three input forms, loan lists and agreements, the school summary and
// QR labels.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/gzip.hpp"
#include "server/http/router.hpp"
#include "tests/support/test_server.hpp"

namespace pakt::test {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

class WebApi : public ::testing::Test {
  protected:
    SeededServer s{[](server::ServerConfig& c) { c.organisation_name = "Stadt Essen"; }};
    HttpsClient& http = *s.http;
    std::int64_t grant = 0;
    std::int64_t listed = 0;  // school A, manifest L1..L6 and "S" + L1's serial, 7 expected
    std::int64_t other = 0;   // school A, no manifest
    std::int64_t at_b = 0;    // school B, manifest B1

    void SetUp() override {
        auto g = call(http, "POST", "/api/v1/grants", s.admin,
                      json{{"programme", "DP-SOFORT"},
                           {"reference", "AZ-2023-1"},
                           {"amount_cents", 10'000'000},
                           {"approved_on", "2023-03-01"},
                           {"spend_by", "2024-12-31"}});
        ASSERT_EQ(g.status, 201) << g.body;
        grant = json_of(g)["id"].get<std::int64_t>();
        listed = tranche(SeededServer::kSchoolA, 7);
        other = tranche(SeededServer::kSchoolA, 20);
        at_b = tranche(SeededServer::kSchoolB, 10);
        std::string csv = "serial_number,asset_tag\n";
        for (int i = 1; i <= 6; ++i) csv += l(i) + ",INV-" + std::to_string(i) + "\n";
        csv +=
            "S" + l(1) + ",INV-S\n";  // a serial that starts with S: the box-label reading of L1's
        manifest(listed, csv);
        manifest(at_b, "serial_number\n" + b(1) + "\n");
    }

    static std::string l(int n) { return serial("DMPL", n); }  // 12 characters, Apple's length
    static std::string b(int n) { return serial("DMPB", n); }
    std::string origin() const { return "https://127.0.0.1:" + std::to_string(s.server.port()); }

    std::int64_t tranche(const std::string& school, int expected) {
        auto r = call(http, "POST", "/api/v1/tranches", s.admin,
                      json{{"school_number", school},
                           {"grant_id", grant},
                           {"delivered_on", "2023-08-21"},
                           {"model", "iPad 10.9"},
                           {"unit_price_cents", 44900},
                           {"expected_count", expected}});
        EXPECT_EQ(r.status, 201) << r.body;
        return json_of(r).at("id").get<std::int64_t>();
    }

    void manifest(std::int64_t id, const std::string& csv) {
        auto r =
            http.request("PUT", "/api/v1/tranches/" + std::to_string(id) + "/manifest", csv,
                         {{"Authorization", "Bearer " + s.admin}, {"Content-Type", "text/csv"}});
        ASSERT_EQ(r.status, 200) << r.body;
    }

    // Logs in as the web UI does; returns the Set-Cookie header.
    HttpResponse cookie_login(const std::string& username, const std::string& with_origin) {
        HeaderList headers{{"Content-Type", "application/json"}};
        if (!with_origin.empty()) headers.emplace_back("Origin", with_origin);
        return http.request(
            "POST", "/api/v1/session",
            json{{"username", username}, {"password", SeededServer::kPassword}, {"cookie", true}}
                .dump(),
            headers);
    }

    static std::string cookie_value(const HttpResponse& login) {
        const std::string header = login.header("Set-Cookie");
        const auto eq = header.find('=');
        return header.substr(eq + 1, header.find(';') - eq - 1);
    }

    // A request as a browser sends it with the session cookie.
    HttpResponse browser(const std::string& cookie, std::string_view method,
                         std::string_view target, const std::optional<json>& body = std::nullopt,
                         const std::string& with_origin = {}) {
        HeaderList headers{{"Cookie", "__Host-pakt_session=" + cookie}};
        if (!with_origin.empty()) headers.emplace_back("Origin", with_origin);
        if (body) headers.emplace_back("Content-Type", "application/json");
        return http.request(method, target, body ? body->dump() : "", headers);
    }

    HttpResponse scan(const std::string& token, std::int64_t tranche_id, const std::string& code) {
        return call(http, "POST", "/api/v1/tranches/" + std::to_string(tranche_id) + "/scans",
                    token, json{{"code", code}});
    }

    int count(const std::string& sql, const std::string& value = {}) {
        server::sql::Statement q(s.server.db(), sql);
        if (!value.empty()) q.bind(1, value);
        q.executeStep();
        return q.getColumn(0).getInt();
    }

    void enroll(const std::string& serial_number, std::int64_t tranche_id) {
        auto r = call(http, "POST", "/api/v1/devices", s.it_a,
                      json{{"serial_number", serial_number}, {"tranche_id", tranche_id}});
        ASSERT_EQ(r.status, 201) << r.body;
    }

    std::int64_t lend(const std::string& serial_number, json extra = json::object()) {
        extra["borrower_ref"] = "7b-03";
        extra["borrower_kind"] = "student";
        extra["agreement_ref"] = "LV-2026-0042";
        auto r = call(http, "POST", "/api/v1/devices/" + serial_number + "/loans", s.it_a, extra);
        EXPECT_EQ(r.status, 201) << r.body;
        return json_of(r)["id"].get<std::int64_t>();
    }
};

// --- browser session ---

// The printed proof of use is headed with the municipality whose proof it is.
TEST_F(WebApi, FundingReportNamesTheOrganisation) {
    auto r =
        call(http, "GET", "/api/v1/reports/funding?grant_id=" + std::to_string(grant), s.admin);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(json_of(r)["organisation"], "Stadt Essen");

    SeededServer unnamed;
    auto plain = call(*unnamed.http, "GET", "/api/v1/reports/funding", unnamed.admin);
    ASSERT_EQ(plain.status, 200) << plain.body;
    EXPECT_TRUE(json_of(plain)["organisation"].is_null()) << plain.body;
}

TEST_F(WebApi, CookieLoginSetsAHostOnlyHttpOnlyStrictCookieAndNoTokenInTheBody) {
    auto r = cookie_login("it-a", origin());
    ASSERT_EQ(r.status, 201) << r.body;
    const std::string cookie = r.header("Set-Cookie");
    EXPECT_THAT(cookie, ::testing::StartsWith("__Host-pakt_session="));
    for (const char* attribute : {"; Path=/", "; Secure", "; HttpOnly", "; SameSite=Strict"}) {
        EXPECT_THAT(cookie, HasSubstr(attribute));
    }
    EXPECT_THAT(cookie, Not(HasSubstr("Domain")));
    auto body = json_of(r);
    EXPECT_FALSE(body.contains("token"));
    EXPECT_EQ(body["user"]["username"], "it-a");
    EXPECT_EQ(cookie_value(r).size(), 43u);
    auto me = browser(cookie_value(r), "GET", "/api/v1/me");
    ASSERT_EQ(me.status, 200) << me.body;
    EXPECT_EQ(json_of(me)["username"], "it-a");
}

TEST_F(WebApi, CookieLoginFromAForeignPageOrWithoutOriginIs403AndOpensNoSession) {
    const int sessions = count("SELECT count(*) FROM sessions");
    for (const std::string& from : {std::string("https://evil.example"), std::string()}) {
        auto r = cookie_login("it-a", from);
        EXPECT_EQ(r.status, 403) << from;
        EXPECT_EQ(json_of(r)["type"], "urn:pakt:problem:forbidden-origin");
        EXPECT_TRUE(r.header("Set-Cookie").empty());
    }
    EXPECT_EQ(count("SELECT count(*) FROM sessions"), sessions);
}

TEST_F(WebApi, CookieChangeFromAForeignOriginOrWithoutOriginIsRefusedAndChangesNothing) {
    enroll(l(1), listed);
    const std::string cookie = cookie_value(cookie_login("it-a", origin()));
    for (const std::string& from :
         {std::string("https://evil.example"), std::string("null"), std::string()}) {
        auto r =
            browser(cookie, "PATCH", "/api/v1/devices/" + l(1), json{{"note", "forged"}}, from);
        EXPECT_EQ(r.status, 403) << from;
        EXPECT_EQ(r.header("Content-Type"), "application/problem+json");
    }
    EXPECT_EQ(count("SELECT count(*) FROM devices WHERE note = 'forged'"), 0);
    auto own = browser(cookie, "PATCH", "/api/v1/devices/" + l(1), json{{"note", "Display-Sprung"}},
                       origin());
    EXPECT_EQ(own.status, 200) << own.body;
    EXPECT_EQ(json_of(own)["note"], "Display-Sprung");
}

TEST_F(WebApi, HeadteachersCookieCannotChangeADeviceEvenFromTheOwnOrigin) {
    enroll(l(1), listed);
    const std::string cookie = cookie_value(cookie_login("head-a", origin()));
    auto r =
        browser(cookie, "PATCH", "/api/v1/devices/" + l(1), json{{"status", "in_use"}}, origin());
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(count("SELECT count(*) FROM devices WHERE status = 'in_use'"), 0);
}

TEST_F(WebApi, CookieLogoutAndPasswordChangeNeedTheOwnOriginToo) {
    const std::string cookie = cookie_value(cookie_login("it-a", origin()));
    EXPECT_EQ(
        browser(cookie, "DELETE", "/api/v1/session", std::nullopt, "https://evil.example").status,
        403);
    auto forged = browser(cookie, "POST", "/api/v1/me/password",
                          json{{"current_password", SeededServer::kPassword},
                               {"new_password", "chosen by the attacker"}});
    EXPECT_EQ(forged.status, 403);
    EXPECT_EQ(browser(cookie, "GET", "/api/v1/me").status,
              200);  // still logged in, password unchanged
    EXPECT_EQ(call(http, "POST", "/api/v1/session", {},
                   json{{"username", "it-a"}, {"password", SeededServer::kPassword}})
                  .status,
              201);
}

TEST_F(WebApi, AnIdleCookieSessionEnds) {
    const std::string cookie = cookie_value(cookie_login("head-a", origin()));
    ASSERT_EQ(browser(cookie, "GET", "/api/v1/me").status, 200);
    server::sql::Statement q(
        s.server.db(),
        "UPDATE sessions SET last_seen_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-61 minutes')");
    ASSERT_GE(q.exec(), 1);
    EXPECT_EQ(browser(cookie, "GET", "/api/v1/me").status, 401);
}

TEST_F(WebApi, LogoutWithTheCookieEndsTheSessionAndClearsTheCookie) {
    const std::string cookie = cookie_value(cookie_login("head-a", origin()));
    auto out = browser(cookie, "DELETE", "/api/v1/session", std::nullopt, origin());
    EXPECT_EQ(out.status, 204);
    EXPECT_THAT(out.header("Set-Cookie"), HasSubstr("Max-Age=0"));
    EXPECT_EQ(browser(cookie, "GET", "/api/v1/me").status, 401);
}

TEST_F(WebApi, ASessionIdleForLongerThanTheIdleTimeEnds) {
    const std::string token = s.server.login("it-a", SeededServer::kPassword);
    EXPECT_EQ(call(http, "GET", "/api/v1/me", token).status, 200);
    // The default idle limit is 60 minutes; pretend the last use was 61 minutes ago.
    server::sql::Statement q(
        s.server.db(),
        "UPDATE sessions SET last_seen_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-61 minutes')");
    ASSERT_GE(q.exec(), 1);
    EXPECT_EQ(call(http, "GET", "/api/v1/me", token).status, 401);
    EXPECT_EQ(call(http, "GET", "/api/v1/me", s.it_a).status, 401);  // also idle now
}

TEST_F(WebApi, UsingASessionRestartsItsIdleClock) {
    const std::string token = s.server.login("it-a", SeededServer::kPassword);
    server::sql::Statement q(
        s.server.db(),
        "UPDATE sessions SET last_seen_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-59 minutes')");
    ASSERT_GE(q.exec(), 1);
    EXPECT_EQ(call(http, "GET", "/api/v1/me", token).status, 200);
    EXPECT_EQ(count("SELECT count(*) FROM sessions WHERE last_seen_at >= "
                    "strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-5 minutes')"),
              1);
}

// --- own password ---

TEST_F(WebApi, PasswordChangeEndsOtherSessionsAndApiTokensButNotTheCurrentOne) {
    const std::string current = s.server.login("it-a", SeededServer::kPassword);
    auto token = call(http, "POST", "/api/v1/tokens", s.it_a, json{{"name", "script"}});
    ASSERT_EQ(token.status, 201);
    const std::string api_token = json_of(token)["token"];
    auto r = call(http, "POST", "/api/v1/me/password", current,
                  json{{"current_password", SeededServer::kPassword},
                       {"new_password", "a new long passphrase"}});
    ASSERT_EQ(r.status, 204) << r.body;
    EXPECT_EQ(call(http, "GET", "/api/v1/me", current).status, 200);
    EXPECT_EQ(call(http, "GET", "/api/v1/me", s.it_a).status, 401);
    EXPECT_EQ(call(http, "GET", "/api/v1/me", api_token).status, 401);
    EXPECT_EQ(call(http, "POST", "/api/v1/session", {},
                   json{{"username", "it-a"}, {"password", SeededServer::kPassword}})
                  .status,
              401);
    EXPECT_EQ(call(http, "POST", "/api/v1/session", {},
                   json{{"username", "it-a"}, {"password", "a new long passphrase"}})
                  .status,
              201);
    EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action = 'user.password'"), 1);
    EXPECT_EQ(call(http, "GET", "/api/v1/me", s.head_a).status, 200);  // other users untouched
}

TEST_F(WebApi, PasswordChangeWithAWrongCurrentPasswordIs422AndChangesNothing) {
    auto r = call(
        http, "POST", "/api/v1/me/password", s.it_a,
        json{{"current_password", "not it at all"}, {"new_password", "a new long passphrase"}});
    EXPECT_EQ(r.status, 422);
    EXPECT_EQ(json_of(r)["errors"][0]["field"], "current_password");
    EXPECT_EQ(call(http, "GET", "/api/v1/me", s.it_a).status, 200);
    EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action = 'user.password'"), 0);
}

TEST_F(WebApi, PasswordChangeRefusesAWeakOrUnchangedNewPasswordNamingTheField) {
    for (const std::string& next : {std::string("short"), std::string(SeededServer::kPassword)}) {
        auto r = call(http, "POST", "/api/v1/me/password", s.it_a,
                      json{{"current_password", SeededServer::kPassword}, {"new_password", next}});
        EXPECT_EQ(r.status, 422) << next;
        EXPECT_EQ(json_of(r)["errors"][0]["field"], "new_password");
    }
    auto missing = call(http, "POST", "/api/v1/me/password", s.it_a,
                        json{{"new_password", "a new long passphrase"}});
    EXPECT_EQ(missing.status, 422);
    EXPECT_EQ(json_of(missing)["errors"][0]["field"], "current_password");
}

TEST_F(WebApi, GuessingTheCurrentPasswordIsThrottledLikeALogin) {
    int status = 0;
    for (int i = 0; i < 6 && status != 429; ++i) {
        status = call(http, "POST", "/api/v1/me/password", s.it_a,
                      json{{"current_password", "guess " + std::to_string(i)},
                           {"new_password", "a new long passphrase"}})
                     .status;
    }
    EXPECT_EQ(status, 429);
}

// --- the web UI's pages and files ---

TEST_F(WebApi, EveryUiAddressAnswersTheEntryPageWithItsSecurityHeaders) {
    for (const char* page : {"/",
                             "/login",
                             "/devices",
                             "/devices/DMPL00000001",
                             "/d/DMPL00000001",
                             "/tranches",
                             "/tranches/1",
                             "/tranches/1/scan",
                             "/tranches/1/labels",
                             "/loans",
                             "/loans/3/agreement",
                             "/schools",
                             "/schools/165432",
                             "/grants",
                             "/grants/1",
                             "/funding",
                             "/agents",
                             "/users",
                             "/audit",
                             "/account"}) {
        SCOPED_TRACE(page);
        auto r = http.request("GET", page);
        ASSERT_EQ(r.status, 200);
        EXPECT_EQ(r.header("Content-Type"), "text/html; charset=utf-8");
        EXPECT_THAT(r.body, HasSubstr("<html lang=\"de\""));
        const std::string csp = r.header("Content-Security-Policy");
        EXPECT_THAT(csp, HasSubstr("script-src 'self'"));
        EXPECT_THAT(csp, HasSubstr("frame-ancestors 'none'"));
        EXPECT_THAT(csp, Not(HasSubstr("unsafe-inline")));
        EXPECT_THAT(csp, Not(HasSubstr("unsafe-eval")));
        EXPECT_EQ(r.header("Referrer-Policy"), "same-origin");
        EXPECT_FALSE(r.header("ETag").empty());
    }
    // The API keeps answering problem+json for what it does not know.
    auto api = http.request("GET", "/api/v1/nothing-here");
    EXPECT_EQ(api.status, 404);
    EXPECT_EQ(api.header("Content-Type"), "application/problem+json");
}

TEST_F(WebApi, AnUnknownPageAddressGetsTheEntryPageWith404OnlyWhenABrowserAsks) {
    auto page = http.request("GET", "/devices/DMPL00000001/nonsense", {},
                             {{"Accept", "text/html,application/xhtml+xml"}});
    EXPECT_EQ(page.status, 404);
    EXPECT_EQ(page.header("Content-Type"), "text/html; charset=utf-8");
    EXPECT_THAT(page.body, HasSubstr("<html lang=\"de\""));
    EXPECT_FALSE(page.header("Content-Security-Policy").empty());
    for (const char* target : {"/api/v1/nothing", "/assets/nothing.js"}) {
        auto r = http.request("GET", target, {}, {{"Accept", "text/html"}});
        EXPECT_EQ(r.status, 404) << target;
        EXPECT_EQ(r.header("Content-Type"), "application/problem+json") << target;
    }
    auto script = http.request("GET", "/nonsense", {}, {{"Accept", "application/json"}});
    EXPECT_EQ(script.header("Content-Type"), "application/problem+json");
    EXPECT_EQ(http.request("POST", "/nonsense", "{}", {{"Accept", "text/html"}}).status, 404);
}

TEST_F(WebApi, AssetsAreRevalidatedWithTheirETagAndCompressedWhenAccepted) {
    auto plain = http.request("GET", "/assets/vendor/kern/kern.min.css");
    ASSERT_EQ(plain.status, 200);
    EXPECT_EQ(plain.header("Content-Type"), "text/css; charset=utf-8");
    EXPECT_EQ(plain.header("Cache-Control"), "no-cache");
    EXPECT_TRUE(plain.header("Content-Encoding").empty());
    const std::string etag = plain.header("ETag");
    ASSERT_FALSE(etag.empty());

    auto again =
        http.request("GET", "/assets/vendor/kern/kern.min.css", {}, {{"If-None-Match", etag}});
    EXPECT_EQ(again.status, 304);
    EXPECT_TRUE(again.body.empty());

    auto packed = http.request("GET", "/assets/vendor/kern/kern.min.css", {},
                               {{"Accept-Encoding", "gzip, deflate, br"}});
    ASSERT_EQ(packed.status, 200);
    EXPECT_EQ(packed.header("Content-Encoding"), "gzip");
    EXPECT_EQ(packed.header("Vary"), "Accept-Encoding");
    EXPECT_LT(packed.body.size(), plain.body.size() / 4);
    auto unpacked = gzip_decompress(packed.body, 16 * 1024 * 1024);
    ASSERT_TRUE(unpacked.data);
    EXPECT_EQ(*unpacked.data, plain.body);

    for (const char* refusing :
         {"gzip;q=0", "gzip; q=0.0, br", "identity", "*;q=0", "br, *;q=0.000"}) {
        auto refused = http.request("GET", "/assets/vendor/kern/kern.min.css", {},
                                    {{"Accept-Encoding", refusing}});
        EXPECT_TRUE(refused.header("Content-Encoding").empty()) << refusing;
        EXPECT_EQ(refused.body, plain.body) << refusing;
    }
    for (const char* accepting : {"*", "GZIP;q=0.5", "br;q=1, gzip;q=0.001"}) {
        auto accepted = http.request("GET", "/assets/vendor/kern/kern.min.css", {},
                                     {{"Accept-Encoding", accepting}});
        EXPECT_EQ(accepted.header("Content-Encoding"), "gzip") << accepting;
    }
    // The compressed representation has its own validator.
    EXPECT_NE(packed.header("ETag"), etag);
    auto packed_again =
        http.request("GET", "/assets/vendor/kern/kern.min.css", {},
                     {{"Accept-Encoding", "gzip"}, {"If-None-Match", packed.header("ETag")}});
    EXPECT_EQ(packed_again.status, 304);

    auto font = http.request("GET", "/assets/vendor/kern/fonts/FiraSans-Regular.woff2", {},
                             {{"Accept-Encoding", "gzip"}});
    EXPECT_EQ(font.status, 200);
    EXPECT_EQ(font.header("Content-Type"), "font/woff2");
    EXPECT_TRUE(font.header("Content-Encoding").empty());  // already compressed
}

TEST_F(WebApi, UnknownAndTraversingAssetPathsAre404) {
    for (const char* target : {"/assets/nothing.js", "/assets/index.html", "/assets/../paktd.toml",
                               "/assets/%2E%2E/x", "/assets/.hidden", "/assets/js/..%2F..%2Fx"}) {
        SCOPED_TRACE(target);
        EXPECT_EQ(http.request("GET", target).status, 404);
    }
}

// --- scanning ---

TEST_F(WebApi, ScanUnderstandsBareBoxLabelAndLabelUrlCodes) {
    auto bare = scan(s.it_a, listed, " " + l(2) + "\r\n");
    ASSERT_EQ(bare.status, 200) << bare.body;
    EXPECT_EQ(json_of(bare)["status"], "enrolled");
    EXPECT_EQ(json_of(bare)["serial_number"], l(2));
    EXPECT_EQ(json_of(bare)["progress"],
              (json{{"enrolled", 1}, {"expected", 7}, {"in_manifest", 7}}));

    auto box = scan(s.it_a, listed, "S" + l(3));  // Apple's box label: S + serial
    EXPECT_EQ(json_of(box)["status"], "enrolled");
    EXPECT_EQ(json_of(box)["serial_number"], l(3));

    auto label = scan(s.it_a, listed, "https://pakt.example.org/d/" + l(4));
    EXPECT_EQ(json_of(label)["status"], "enrolled");
    EXPECT_EQ(json_of(label)["serial_number"], l(4));
    EXPECT_EQ(json_of(label)["progress"]["enrolled"], 3);
    EXPECT_EQ(count("SELECT count(*) FROM devices WHERE tranche_id = " + std::to_string(listed)),
              3);
    // Each enrolled with its asset tag from the delivery list.
    EXPECT_EQ(
        count("SELECT count(*) FROM devices WHERE serial_number = ? AND asset_tag = 'INV-3'", l(3)),
        1);
}

TEST_F(WebApi, ARepeatedScanIsHarmlessAndDoesNotCountTwice) {
    ASSERT_EQ(json_of(scan(s.it_a, listed, l(2)))["status"], "enrolled");
    auto again = scan(s.it_a, listed, "S" + l(2));
    EXPECT_EQ(json_of(again)["status"], "already_enrolled");
    EXPECT_EQ(json_of(again)["progress"]["enrolled"], 1);
    EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action = 'device.enroll'"), 1);
}

TEST_F(WebApi, ACodeThatCouldBeTwoKnownDevicesIsAmbiguousAndEnrollsNothing) {
    // Both "S" + L1 and L1 are on the delivery list: the scan must not pick one.
    auto r = scan(s.it_a, listed, "S" + l(1));
    EXPECT_EQ(json_of(r)["status"], "ambiguous");
    EXPECT_TRUE(json_of(r)["serial_number"].is_null());
    EXPECT_EQ(count("SELECT count(*) FROM devices"), 0);
    EXPECT_EQ(json_of(r)["candidates"], (json{"S" + l(1), l(1)}));
    // The page offers both; the person's choice comes back as exact and is taken as it is.
    auto chosen = call(http, "POST", "/api/v1/tranches/" + std::to_string(listed) + "/scans",
                       s.it_a, json{{"code", "S" + l(1)}, {"exact", true}});
    EXPECT_EQ(json_of(chosen)["status"], "enrolled");
    EXPECT_EQ(json_of(chosen)["serial_number"], "S" + l(1));
    // The bare serial is unambiguous.
    EXPECT_EQ(json_of(scan(s.it_a, listed, l(1)))["status"], "enrolled");
    EXPECT_EQ(count("SELECT count(*) FROM devices"), 2);
}

TEST_F(WebApi, AnSCodeIsReadAsABoxLabelOnlyForThisDeliverysDevice) {
    // "S" + B1 may be an unknown device "SDMPB..." or B1 of school B's delivery: not guessed.
    auto r = scan(s.it_a, listed, "S" + b(1));
    EXPECT_EQ(json_of(r)["status"], "ambiguous");
    EXPECT_EQ(json_of(r)["candidates"], (json{"S" + b(1), b(1)}));
    EXPECT_EQ(count("SELECT count(*) FROM devices"), 0);
    // On this delivery's own list the box label reading is safe.
    EXPECT_EQ(json_of(scan(s.it_a, listed, "S" + l(2)))["serial_number"], l(2));
}

TEST_F(WebApi, ScanOfAnotherSchoolsOrAnotherDeliverysDeviceIsReportedNotMoved) {
    auto foreign = scan(s.it_a, listed, b(1));  // on school B's delivery list
    EXPECT_EQ(json_of(foreign)["status"], "other_school");
    enroll(l(5), listed);
    auto elsewhere = scan(s.it_a, other, l(5));  // enrolled in another delivery of school A
    EXPECT_EQ(json_of(elsewhere)["status"], "other_tranche");
    EXPECT_EQ(count("SELECT count(*) FROM devices WHERE serial_number = ?", b(1)), 0);
    EXPECT_EQ(count("SELECT tranche_id FROM devices WHERE serial_number = ?", l(5)), listed);
}

TEST_F(WebApi, ScanRefusalsAreResults) {
    EXPECT_EQ(json_of(scan(s.it_a, listed, "DMPX00000099"))["status"], "not_on_manifest");
    EXPECT_EQ(json_of(scan(s.it_a, listed, "hello world"))["status"], "invalid");
    EXPECT_EQ(json_of(scan(s.it_a, listed, "https://evil.example/x"))["status"], "invalid");
    const std::int64_t single = tranche(SeededServer::kSchoolA, 1);
    EXPECT_EQ(json_of(scan(s.it_a, single, "DMPF00000001"))["status"], "enrolled");
    auto full = scan(s.it_a, single, "DMPF00000002");
    EXPECT_EQ(json_of(full)["status"], "tranche_full");
    EXPECT_EQ(json_of(full)["progress"],
              (json{{"enrolled", 1}, {"expected", 1}, {"in_manifest", 0}}));
}

TEST_F(WebApi, ScanWithoutADeliveryListPrefersApplesSerialLengthOrAsks) {
    auto box = scan(s.it_a, other, "SDMPN00000001");  // 13 characters: S + a 12-character serial
    EXPECT_EQ(json_of(box)["status"], "enrolled");
    EXPECT_EQ(json_of(box)["serial_number"], "DMPN00000001");
    auto literal =
        scan(s.it_a, other, "SDMPN0000002");  // 12 or 11 characters: the 12 of Apple's length
    EXPECT_EQ(json_of(literal)["status"], "enrolled");
    EXPECT_EQ(json_of(literal)["serial_number"], "SDMPN0000002");
    auto nine = scan(s.it_a, other, "SDMPN00003");  // 10 or 9: the 10-character literal
    EXPECT_EQ(json_of(nine)["serial_number"], "SDMPN00003");
    auto neither = scan(s.it_a, other, "SDMPN000000003");  // 14 or 13: neither is Apple's length
    EXPECT_EQ(json_of(neither)["status"], "ambiguous");
}

TEST_F(WebApi, ScanErrorsAreProblems) {
    EXPECT_EQ(scan(s.head_a, listed, l(2)).status, 403);
    EXPECT_EQ(scan(s.it_b, listed, l(2)).status, 404);
    EXPECT_EQ(scan(s.it_a, 999999, l(2)).status, 404);
    auto missing = call(http, "POST", "/api/v1/tranches/" + std::to_string(listed) + "/scans",
                        s.it_a, json::object());
    EXPECT_EQ(missing.status, 422);
    EXPECT_EQ(json_of(missing)["errors"][0]["field"], "code");
    auto wrong_type = call(http, "POST", "/api/v1/tranches/" + std::to_string(listed) + "/scans",
                           s.it_a, json{{"code", 42}});
    EXPECT_EQ(wrong_type.status, 400);
    auto too_long = scan(s.it_a, listed, std::string(600, 'A'));
    EXPECT_EQ(too_long.status, 422);
    EXPECT_EQ(count("SELECT count(*) FROM devices"), 0);
}

// --- loans ---

TEST_F(WebApi, LoanListsShowCurrentOverdueAndReturnedLoansInScope) {
    for (int i = 1; i <= 3; ++i) enroll(l(i), listed);
    const auto due_past = lend(l(1), json{{"due_on", "2020-07-31"}});
    const auto current = lend(l(2), json{{"due_on", "2099-07-31"}});
    const auto returned = lend(l(3));
    ASSERT_EQ(call(http, "POST", "/api/v1/devices/" + l(3) + "/loans/current/return", s.it_a,
                   json{{"condition", "ok"}})
                  .status,
              200);

    auto ids = [&](const std::string& query, const std::string& token) {
        auto r = call(http, "GET", "/api/v1/loans" + query, token);
        EXPECT_EQ(r.status, 200) << r.body;
        const json body = json_of(r);
        std::vector<std::int64_t> out;
        for (const auto& item : body["items"]) out.push_back(item["id"].get<std::int64_t>());
        return out;
    };
    EXPECT_EQ(ids("", s.it_a), (std::vector<std::int64_t>{current, due_past}));  // newest first
    EXPECT_EQ(ids("?state=overdue", s.head_a), std::vector<std::int64_t>{due_past});
    EXPECT_EQ(ids("?state=returned", s.admin), std::vector<std::int64_t>{returned});
    EXPECT_TRUE(ids("", s.it_b).empty());
    EXPECT_EQ(ids("?limit=1", s.it_a), std::vector<std::int64_t>{current});

    auto page = json_of(call(http, "GET", "/api/v1/loans?limit=1", s.it_a));
    auto next =
        call(http, "GET", "/api/v1/loans?limit=1&cursor=" + page["next_cursor"].get<std::string>(),
             s.it_a);
    EXPECT_EQ(json_of(next)["items"][0]["id"], due_past);
    EXPECT_EQ(json_of(next)["items"][0]["asset_tag"], "INV-1");
    EXPECT_GE(count("SELECT count(*) FROM audit_log WHERE action = 'loan.read' AND object_type = "
                    "'loan_list'"),
              1);
}

TEST_F(WebApi, LoanListErrorsAreProblems) {
    EXPECT_EQ(call(http, "GET", "/api/v1/loans?state=lost", s.it_a).status, 422);
    EXPECT_EQ(call(http, "GET",
                   std::string("/api/v1/loans?school_number=") + SeededServer::kSchoolB, s.it_a)
                  .status,
              404);
    EXPECT_EQ(call(http, "GET", "/api/v1/loans?cursor=zz", s.it_a).status, 400);
    EXPECT_EQ(call(http, "GET", "/api/v1/loans").status, 401);
}

TEST_F(WebApi, LoanAgreementHasDeviceValueSchoolAndLenderButNoName) {
    enroll(l(1), listed);
    const auto id = lend(
        l(1), json{{"accessories", "Hülle, Ladekabel"}, {"pre_existing_damage", "Kratzer links"}});
    auto r = call(http, "GET", "/api/v1/loans/" + std::to_string(id), s.head_a);
    ASSERT_EQ(r.status, 200) << r.body;
    auto a = json_of(r);
    EXPECT_EQ(a["serial_number"], l(1));
    EXPECT_EQ(a["asset_tag"], "INV-1");
    EXPECT_EQ(a["agreement_ref"], "LV-2026-0042");
    EXPECT_EQ(a["borrower_ref"], "7b-03");
    EXPECT_EQ(a["accessories"], "Hülle, Ladekabel");
    EXPECT_EQ(a["pre_existing_damage"], "Kratzer links");
    EXPECT_EQ(a["unit_price_cents"], 44900);
    EXPECT_EQ(a["lender"], "Stadt Essen");
    EXPECT_EQ(a["school_name"], "Gymnasium Essen-Werden");
    EXPECT_EQ(a["tranche_id"], listed);
    EXPECT_EQ(call(http, "GET", "/api/v1/loans/" + std::to_string(id), s.it_b).status, 404);
    EXPECT_EQ(call(http, "GET", "/api/v1/loans/abc", s.it_a).status, 404);
    EXPECT_EQ(call(http, "GET", "/api/v1/loans/999", s.it_a).status, 404);
    EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action = 'loan.read' AND object_type = "
                    "'loan' AND object_id = ?",
                    std::to_string(id)),
              1);
}

TEST_F(WebApi, LendingRefusesANameAndOverlongAccessoriesNamingTheField) {
    enroll(l(1), listed);
    auto name = call(http, "POST", "/api/v1/devices/" + l(1) + "/loans", s.it_a,
                     json{{"borrower_ref", "Max Mustermann"},
                          {"borrower_kind", "student"},
                          {"agreement_ref", "LV-1"}});
    EXPECT_EQ(name.status, 422);
    EXPECT_EQ(json_of(name)["errors"][0]["field"], "borrower_ref");
    auto longer = call(http, "POST", "/api/v1/devices/" + l(1) + "/loans", s.it_a,
                       json{{"borrower_ref", "7b-03"},
                            {"borrower_kind", "student"},
                            {"agreement_ref", "LV-1"},
                            {"accessories", std::string(501, 'x')}});
    EXPECT_EQ(longer.status, 422);
    EXPECT_EQ(json_of(longer)["errors"][0]["field"], "accessories");
    EXPECT_EQ(count("SELECT count(*) FROM loans"), 0);
}

// --- school summary, device list and detail, labels ---

TEST_F(WebApi, SchoolSummaryCountsLoansOverdueAndDevicesNotSeen) {
    for (int i = 1; i <= 3; ++i) enroll(l(i), listed);
    lend(l(1), json{{"due_on", "2020-07-31"}});
    lend(l(2));
    auto r = call(http, "GET",
                  std::string("/api/v1/schools/") + SeededServer::kSchoolA + "/summary", s.head_a);
    ASSERT_EQ(r.status, 200) << r.body;
    auto sum = json_of(r);
    EXPECT_EQ(sum["device_counts"]["total"], 3);
    EXPECT_EQ(sum["device_counts"]["by_status"]["in_use"], 2);
    EXPECT_EQ(sum["on_loan"], 2);
    EXPECT_EQ(sum["overdue"], 1);
    EXPECT_EQ(sum["not_seen_14_days"], 3);  // no agent has reported any
    EXPECT_EQ(sum["agents"], json::array());
    EXPECT_EQ(call(http, "GET",
                   std::string("/api/v1/schools/") + SeededServer::kSchoolA + "/summary", s.it_b)
                  .status,
              404);
    EXPECT_EQ(call(http, "GET", "/api/v1/schools/999999/summary", s.admin).status, 404);
}

TEST_F(WebApi, DeviceListFiltersDevicesOnLoan) {
    for (int i = 1; i <= 3; ++i) enroll(l(i), listed);
    lend(l(2));
    auto r = call(http, "GET", "/api/v1/devices?on_loan=true", s.head_a);
    ASSERT_EQ(r.status, 200);
    ASSERT_EQ(json_of(r)["items"].size(), 1u);
    EXPECT_EQ(json_of(r)["items"][0]["serial_number"], l(2));
    EXPECT_EQ(json_of(call(http, "GET", "/api/v1/devices?on_loan=false", s.head_a))["items"].size(),
              3u);
    auto bad = call(http, "GET", "/api/v1/devices?on_loan=yes", s.head_a);
    EXPECT_EQ(bad.status, 422);
    EXPECT_EQ(json_of(bad)["errors"][0]["field"], "on_loan");
}

TEST_F(WebApi, DeviceDetailOffersTheLifecyclesNextStatuses) {
    enroll(l(1), listed);
    auto fresh = json_of(call(http, "GET", "/api/v1/devices/" + l(1), s.head_a));
    EXPECT_EQ(fresh["allowed_status_changes"],
              (json{"in_use", "in_repair", "lost", "stolen", "retired"}));
    ASSERT_EQ(
        call(http, "PATCH", "/api/v1/devices/" + l(1), s.it_a, json{{"status", "lost"}}).status,
        200);
    auto lost = json_of(call(http, "GET", "/api/v1/devices/" + l(1), s.head_a));
    EXPECT_EQ(lost["allowed_status_changes"], (json{"in_storage", "stolen", "retired"}));
}

TEST_F(WebApi, ADeliveryNamesItsGrantToSchoolRolesWhoMayNotReadGrants) {
    auto r = call(http, "GET", "/api/v1/tranches/" + std::to_string(listed), s.head_a);
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(json_of(r)["grant_reference"], "AZ-2023-1");
    EXPECT_EQ(json_of(r)["programme"], "DP-SOFORT");
    EXPECT_EQ(call(http, "GET", "/api/v1/grants/" + std::to_string(grant), s.head_a).status, 403);
    auto list = json_of(call(http, "GET", "/api/v1/tranches", s.it_a));
    EXPECT_EQ(list["items"][0]["grant_reference"], "AZ-2023-1");
}

TEST_F(WebApi, QrLabelEncodesTheDevicesShortAddress) {
    enroll(l(1), listed);
    auto r = call(http, "GET", "/api/v1/devices/" + l(1) + "/qr.svg", s.head_a);
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.header("Content-Type"), "image/svg+xml");
    EXPECT_THAT(r.body, ::testing::StartsWith("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    EXPECT_THAT(r.body, HasSubstr("<title>https://127.0.0.1:" + std::to_string(s.server.port()) +
                                  "/d/" + l(1) + "</title>"));
    EXPECT_EQ(call(http, "GET", "/api/v1/devices/" + l(1) + "/qr.svg", s.it_b).status, 404);
    auto packed =
        http.request("GET", "/api/v1/devices/" + l(1) + "/qr.svg", {},
                     {{"Authorization", "Bearer " + s.head_a}, {"Accept-Encoding", "gzip"}});
    EXPECT_EQ(packed.header("Content-Encoding"), "gzip");
    auto unpacked = gzip_decompress(packed.body, 1024 * 1024);
    ASSERT_TRUE(unpacked.data);
    EXPECT_EQ(*unpacked.data, r.body);
}

TEST(WebApiPublicUrl, QrLabelUsesTheConfiguredPublicUrl) {
    SeededServer s{[](server::ServerConfig& c) { c.public_url = "https://pakt.essen.de"; }};
    auto g = call(*s.http, "POST", "/api/v1/grants", s.admin,
                  json{{"programme", "EIGEN"},
                       {"reference", "E-1"},
                       {"amount_cents", 1000},
                       {"approved_on", "2026-01-01"},
                       {"spend_by", "2026-12-31"}});
    auto t = call(*s.http, "POST", "/api/v1/tranches", s.admin,
                  json{{"school_number", SeededServer::kSchoolA},
                       {"grant_id", json_of(g)["id"]},
                       {"delivered_on", "2026-02-01"},
                       {"unit_price_cents", 1},
                       {"expected_count", 1}});
    ASSERT_EQ(call(*s.http, "POST", "/api/v1/devices", s.it_a,
                   json{{"serial_number", "DMPQ00000001"}, {"tranche_id", json_of(t)["id"]}})
                  .status,
              201);
    auto r = call(*s.http, "GET", "/api/v1/devices/DMPQ00000001/qr.svg", s.it_a);
    EXPECT_THAT(r.body, HasSubstr("<title>https://pakt.essen.de/d/DMPQ00000001</title>"));
}

// Behind a TLS-terminating proxy paktd cannot know the address people use: a label must not
// print a guess. Driven through the router in-process (the test client speaks only TLS).
TEST(WebApiPlainHttp, QrLabelWithoutPublicUrlBehindAProxyIsRefused) {
    TestServer server([](server::ServerConfig& c) { c.tls_enabled = false; });
    server.add_school("165432", "Gymnasium Essen-Werden");
    server.add_user("admin", server::Role::city_admin, {}, "correct horse battery");
    auto dispatch = [&](const std::string& method, const std::string& target,
                        const std::string& token, const json& body) {
        return server.dispatch(method, target, token, body, "127.0.0.1:8080");
    };
    auto login = dispatch("POST", "/api/v1/session", "",
                          json{{"username", "admin"}, {"password", "correct horse battery"}});
    ASSERT_EQ(login.status, 201) << login.body;
    const std::string token = json::parse(login.body)["token"];
    auto g = dispatch("POST", "/api/v1/grants", token,
                      json{{"programme", "EIGEN"},
                           {"reference", "E-1"},
                           {"amount_cents", 1000},
                           {"approved_on", "2026-01-01"},
                           {"spend_by", "2026-12-31"}});
    auto t = dispatch("POST", "/api/v1/tranches", token,
                      json{{"school_number", "165432"},
                           {"grant_id", json::parse(g.body)["id"]},
                           {"delivered_on", "2026-02-01"},
                           {"unit_price_cents", 1},
                           {"expected_count", 1}});
    auto d = dispatch(
        "POST", "/api/v1/devices", token,
        json{{"serial_number", "DMPQ00000001"}, {"tranche_id", json::parse(t.body)["id"]}});
    ASSERT_EQ(d.status, 201) << d.body;
    auto qr = dispatch("GET", "/api/v1/devices/DMPQ00000001/qr.svg", token, json());
    EXPECT_EQ(qr.status, 409);
    EXPECT_THAT(qr.body, HasSubstr("server.public_url"));
}

}  // namespace
}  // namespace pakt::test
