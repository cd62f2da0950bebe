// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// Input hardening (issue 11) over real HTTPS: capped error lists, per-route body limits, the one
// text rule for stored strings, the one date range, check-in times and gzip bodies, and HEAD.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "common/checkin_report.hpp"
#include "common/gzip.hpp"
#include "common/time.hpp"
#include "server/http/router.hpp"
#include "tests/support/test_server.hpp"

namespace pakt::test {
namespace {

using nlohmann::json;

// A JSON object of `count` unknown keys ("k0": 0, ...) on top of `base`, as raw text.
std::string with_unknown_keys(const json& base, int count) {
    std::string text = base.dump();
    text.pop_back();  // the closing '}'
    for (int i = 0; i < count; ++i) {
        text += fmt::format("{}\"k{}\":0", text.size() > 1 ? "," : "", i);
    }
    return text + "}";
}

class HardeningInput : public ::testing::Test {
  protected:
    SeededServer s{[](server::ServerConfig& c) { c.checkin_burst = 1000; }};
    HttpsClient& http = *s.http;
    std::int64_t grant_id = 0;
    std::int64_t tranche_id = 0;
    std::string node_key;
    const std::string ours = "DMPH00000001";

    void SetUp() override {
        auto grant =
            call(http, "POST", "/api/v1/grants", s.admin, grant_body("G-HARD", "2030-12-31"));
        ASSERT_EQ(grant.status, 201) << grant.body;
        grant_id = json_of(grant)["id"].get<std::int64_t>();
        auto t = call(http, "POST", "/api/v1/tranches", s.admin,
                      json{{"school_number", SeededServer::kSchoolA},
                           {"grant_id", grant_id},
                           {"delivered_on", "2022-08-01"},
                           {"unit_price_cents", 40000},
                           {"expected_count", 10}});
        ASSERT_EQ(t.status, 201) << t.body;
        tranche_id = json_of(t)["id"].get<std::int64_t>();
        auto r = call(http, "POST", tranche_path() + "/enrollments", s.admin,
                      json{{"serial_numbers", {ours}}});
        ASSERT_EQ(r.status, 200) << r.body;
        auto secret = call(
            http, "POST",
            std::string("/api/v1/schools/") + SeededServer::kSchoolA + "/agent-secrets", s.it_a);
        ASSERT_EQ(secret.status, 201) << secret.body;
        auto enrolled = call(http, "POST", "/api/v1/agent/enroll", {},
                             json{{"enroll_secret", json_of(secret)["secret"]},
                                  {"hostname", "pakt-box-1"},
                                  {"agent_version", "0.1.0"}});
        ASSERT_EQ(enrolled.status, 201) << enrolled.body;
        node_key = json_of(enrolled)["node_key"].get<std::string>();
    }

    static json grant_body(const std::string& reference, const std::string& spend_by) {
        return {{"programme", "DP-BASIS"},
                {"reference", reference},
                {"amount_cents", 1'000'000},
                {"approved_on", "2021-01-01"},
                {"spend_by", spend_by}};
    }

    std::string tranche_path() const { return "/api/v1/tranches/" + std::to_string(tranche_id); }

    CheckinReport report() const {
        CheckinReport r;
        r.report_id = make_uuid();
        r.generated_at = now_rfc3339();
        r.agent_version = "0.1.0";
        DeviceObservation d;
        d.serial_number = ours;
        d.seen_at = now_rfc3339();
        d.os_version = "17.5.1";
        d.ip_address = "10.20.30.40";
        r.devices.push_back(d);
        return r;
    }

    HttpResponse send_checkin(const std::string& body, bool gzip) {
        HeaderList headers = {{"Authorization", "Bearer " + node_key},
                              {"Content-Type", "application/json"}};
        if (gzip) headers.emplace_back("Content-Encoding", "gzip");
        return http.request("POST", "/api/v1/agent/checkin", body, headers);
    }

    HttpResponse post_raw(const std::string& target, const std::string& token,
                          const std::string& body, const std::string& type = "application/json") {
        HeaderList headers = {{"Content-Type", type}};
        if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
        return http.request("POST", target, body, headers);
    }

    std::int64_t count(const std::string& sql) {
        return server::sql::query_int64(s.server.db(), sql);
    }

    // Nothing of a check-in was stored: no report, no device state, no checkin record.
    void expect_nothing_stored() {
        EXPECT_EQ(count("SELECT count(*) FROM device_reports"), 0);
        EXPECT_EQ(count("SELECT count(*) FROM unknown_sightings"), 0);
        EXPECT_EQ(count("SELECT count(*) FROM checkin_reports"), 0);
    }

    static std::vector<std::string> fields_of(const json& problem) {
        std::vector<std::string> fields;
        for (const auto& e : problem.value("errors", json::array())) fields.push_back(e["field"]);
        return fields;
    }
};

// --- Capped error lists ------------------------------------------------------------------------

TEST_F(HardeningInput, Login_HundredThousandUnknownKeysIs413WithASmallAnswer) {
    const std::string body = with_unknown_keys(json::object(), 100'000);
    ASSERT_GT(body.size(), 1'000'000u);
    auto r = post_raw("/api/v1/session", {}, body);
    EXPECT_EQ(r.status, 413) << r.body.substr(0, 500);
    EXPECT_LT(r.body.size(), 2'000u);
}

TEST_F(HardeningInput, Grant_ThousandsOfUnknownKeysListFiftyAndCountTheRest) {
    const std::string body = with_unknown_keys(grant_body("G-KEYS", "2030-12-31"), 5'000);
    ASSERT_LT(body.size(), server::http::kDefaultBodyLimit);
    auto r = post_raw("/api/v1/grants", s.admin, body);
    ASSERT_EQ(r.status, 422) << r.body.substr(0, 500);
    EXPECT_LT(r.body.size(), 8'000u);
    const json problem = json_of(r);
    EXPECT_EQ(problem["errors"].size(), kMaxListedProblems);
    EXPECT_EQ(problem["more_errors"], 5'000 - 50);
    EXPECT_EQ(problem["errors"][0]["message"], "unknown field");
    EXPECT_EQ(count("SELECT count(*) FROM grants WHERE reference = 'G-KEYS'"), 0);
    // A list that was not cut has no count.
    auto short_list =
        call(http, "POST", "/api/v1/grants", s.admin, json{{"programme", "DP-BASIS"}});
    ASSERT_EQ(short_list.status, 422) << short_list.body;
    EXPECT_FALSE(json_of(short_list).contains("more_errors")) << short_list.body;
}

TEST_F(HardeningInput, Checkin_HundredThousandUnknownKeysListFiftyAndCountTheRest) {
    json base = to_json(report());
    const std::string body = with_unknown_keys(base, 100'000);
    auto r = send_checkin(body, false);
    ASSERT_EQ(r.status, 422) << r.body.substr(0, 500);
    EXPECT_LT(r.body.size(), 8'000u);
    const json problem = json_of(r);
    EXPECT_EQ(problem["errors"].size(), kMaxListedProblems);
    EXPECT_EQ(problem["more_errors"], 100'000 - 50);
    expect_nothing_stored();
}

TEST_F(HardeningInput, Manifest_ThousandBadLinesListTheFirstFiftyAndCountTheRest) {
    std::string csv = "serial_number\n";
    for (int i = 0; i < 1'000; ++i) csv += "bad!\n";
    HeaderList headers = {{"Content-Type", "text/csv"}, {"Authorization", "Bearer " + s.admin}};
    auto r = http.request("PUT", tranche_path() + "/manifest", csv, headers);
    ASSERT_EQ(r.status, 422) << r.body.substr(0, 500);
    const json problem = json_of(r);
    ASSERT_EQ(problem["errors"].size(), kMaxListedProblems);
    EXPECT_EQ(problem["more_errors"], 1'000 - 50);
    EXPECT_EQ(problem["errors"][0]["line"], 2);
    EXPECT_EQ(problem["errors"][49]["line"], 51);
    EXPECT_EQ(count("SELECT count(*) FROM manifest_entries"), 0);
}

// --- Per-route body limits ---------------------------------------------------------------------

TEST_F(HardeningInput, BodyLimit_EachRouteHasItsOwn) {
    const auto& router = s.server.app().router();
    EXPECT_EQ(router.body_limit("POST", "/api/v1/session"), server::http::kAnonymousBodyLimit);
    EXPECT_EQ(router.body_limit("POST", "/api/v1/agent/enroll"), server::http::kAnonymousBodyLimit);
    EXPECT_EQ(router.body_limit("POST", "/api/v1/grants"), server::http::kDefaultBodyLimit);
    EXPECT_EQ(router.body_limit("PATCH", "/api/v1/devices/DMPH00000001"),
              server::http::kDefaultBodyLimit);
    const auto configured = server::ServerConfig{}.body_limit_bytes;
    EXPECT_EQ(router.body_limit("POST", "/api/v1/agent/checkin"), configured);
    EXPECT_EQ(router.body_limit("PUT", "/api/v1/tranches/7/manifest?x=1"), configured);
    EXPECT_EQ(router.body_limit("POST", "/api/v1/nothing-here"), server::http::kUnmatchedBodyLimit);
    EXPECT_EQ(router.body_limit("DELETE", "/api/v1/grants"), server::http::kUnmatchedBodyLimit);
}

TEST_F(HardeningInput, BodyLimit_LoginLargerThanFourKibIs413AndSmallerIsRead) {
    json login = {{"username", "admin"}, {"password", std::string(5'000, 'x')}};
    auto big = call(http, "POST", "/api/v1/session", {}, login);
    EXPECT_EQ(big.status, 413) << big.body;
    EXPECT_EQ(json_of(big)["type"], "urn:pakt:problem:payload-too-large");
    login["password"] = std::string(1'000, 'x');
    EXPECT_EQ(call(http, "POST", "/api/v1/session", {}, login).status, 401);
}

TEST_F(HardeningInput, BodyLimit_JsonEndpointRefusesMoreThanSixtyFourKib) {
    json body = grant_body("G-BIG", "2030-12-31");
    body["title"] = std::string(70 * 1024, 'x');
    auto r = call(http, "POST", "/api/v1/grants", s.admin, body);
    EXPECT_EQ(r.status, 413) << r.body.substr(0, 300);
    EXPECT_EQ(count("SELECT count(*) FROM grants WHERE reference = 'G-BIG'"), 0);
}

// --- One text rule -----------------------------------------------------------------------------

TEST_F(HardeningInput, Checkin_ControlCharactersInStringsAreRefusedAndNothingStored) {
    for (const std::string& bad : {std::string("17.5\x1b[31m", 9), std::string("a\0b", 3),
                                   std::string("ring\x07"), std::string("next\xc2\x85line")}) {
        {
            CheckinReport r = report();
            r.agent_version = bad;
            auto answer = send_checkin(gzip_compress(to_json(r).dump()), true);
            EXPECT_EQ(answer.status, 422) << answer.body;
            EXPECT_EQ(fields_of(json_of(answer)), std::vector<std::string>{"agent_version"});
        }
        {
            CheckinReport r = report();
            r.devices[0].os_version = bad;
            auto answer = send_checkin(to_json(r).dump(), false);
            EXPECT_EQ(answer.status, 422) << answer.body;
            EXPECT_EQ(fields_of(json_of(answer)),
                      std::vector<std::string>{"devices[0].os_version"});
        }
        {
            CheckinReport r = report();
            r.devices[0].ip_address = bad;
            auto answer = send_checkin(to_json(r).dump(), false);
            EXPECT_EQ(answer.status, 422) << answer.body;
            EXPECT_EQ(fields_of(json_of(answer)),
                      std::vector<std::string>{"devices[0].ip_address"});
        }
    }
    expect_nothing_stored();
    EXPECT_EQ(send_checkin(to_json(report()).dump(), false).status, 200);
}

TEST_F(HardeningInput, Json_FreeTextKeepsLineBreaksAndTabs) {
    auto r = call(http, "PATCH", "/api/v1/devices/" + ours, s.it_a,
                  json{{"note", "Display gesprungen.\r\nHülle fehlt.\n\tBitte tauschen."}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(json_of(r)["note"], "Display gesprungen.\r\nHülle fehlt.\n\tBitte tauschen.");
    auto bell = call(http, "PATCH", "/api/v1/devices/" + ours, s.it_a, json{{"note", "ding\x07"}});
    EXPECT_EQ(bell.status, 422) << bell.body;
}

// --- One date range ----------------------------------------------------------------------------

TEST_F(HardeningInput, Grant_SpendByInTheYear9999Is422NamingTheField) {
    auto r = call(http, "POST", "/api/v1/grants", s.admin, grant_body("G-9999", "9999-12-31"));
    ASSERT_EQ(r.status, 422) << r.body;
    EXPECT_EQ(fields_of(json_of(r)), std::vector<std::string>{"spend_by"});
    EXPECT_EQ(count("SELECT count(*) FROM grants WHERE reference = 'G-9999'"), 0);

    auto patch = call(http, "PATCH", "/api/v1/grants/" + std::to_string(grant_id), s.admin,
                      json{{"spend_by", "9999-12-31"}});
    ASSERT_EQ(patch.status, 422) << patch.body;
    EXPECT_EQ(fields_of(json_of(patch)), std::vector<std::string>{"spend_by"});
    const json grant =
        json_of(call(http, "GET", "/api/v1/grants/" + std::to_string(grant_id), s.admin));
    EXPECT_EQ(grant["spend_by"], "2030-12-31");
    EXPECT_EQ(grant["earmark_end"], "2035-12-31");
}

TEST_F(HardeningInput, Dates_OutsideTheYears2000To2100AreRefusedEverywhere) {
    auto approved = call(http, "POST", "/api/v1/grants", s.admin,
                         json{{"programme", "DP-BASIS"},
                              {"reference", "G-OLD"},
                              {"amount_cents", 1},
                              {"approved_on", "1999-12-31"},
                              {"spend_by", "2100-12-31"}});
    EXPECT_EQ(fields_of(json_of(approved)), std::vector<std::string>{"approved_on"})
        << approved.body;
    auto delivered =
        call(http, "PATCH", tranche_path(), s.admin, json{{"delivered_on", "2101-01-01"}});
    EXPECT_EQ(delivered.status, 422);
    EXPECT_EQ(fields_of(json_of(delivered)), std::vector<std::string>{"delivered_on"});
    auto loan = call(http, "POST", "/api/v1/devices/" + ours + "/loans", s.it_a,
                     json{{"borrower_ref", "7b-12"},
                          {"borrower_kind", "student"},
                          {"agreement_ref", "LV-1"},
                          {"due_on", "3000-01-01"}});
    EXPECT_EQ(loan.status, 422);
    EXPECT_EQ(fields_of(json_of(loan)), std::vector<std::string>{"due_on"});
    auto token = call(http, "POST", "/api/v1/tokens", s.admin,
                      json{{"name", "script"}, {"expires_on", "2200-01-01"}});
    EXPECT_EQ(token.status, 422);
    EXPECT_EQ(fields_of(json_of(token)), std::vector<std::string>{"expires_on"});
    auto audit = call(http, "GET", "/api/v1/audit?from=9999-01-01", s.admin);
    EXPECT_EQ(audit.status, 422);
    EXPECT_EQ(fields_of(json_of(audit)), std::vector<std::string>{"from"});
    auto audit_to = call(http, "GET", "/api/v1/audit?to=1970-01-01T00:00:00Z", s.admin);
    EXPECT_EQ(audit_to.status, 422);
    EXPECT_EQ(fields_of(json_of(audit_to)), std::vector<std::string>{"to"});
}

// --- Check-in times and bodies -----------------------------------------------------------------

TEST_F(HardeningInput, Checkin_SeenAtFarInTheFutureIs422AndNothingStored) {
    for (const std::string& seen : {std::string("2099-01-01T00:00:00Z"),
                                    format_rfc3339(Clock::now() + std::chrono::hours(1))}) {
        CheckinReport r = report();
        r.devices[0].seen_at = seen;
        auto answer = send_checkin(gzip_compress(to_json(r).dump()), true);
        ASSERT_EQ(answer.status, 422) << answer.body;
        EXPECT_EQ(fields_of(json_of(answer)), std::vector<std::string>{"devices[0].seen_at"});
    }
    expect_nothing_stored();
    // Within the tolerance for a fast agent clock (10 minutes) it is accepted.
    CheckinReport r = report();
    r.devices[0].seen_at = format_rfc3339(Clock::now() + std::chrono::minutes(5));
    auto answer = send_checkin(to_json(r).dump(), false);
    ASSERT_EQ(answer.status, 200) << answer.body;
    EXPECT_EQ(json_of(answer)["accepted"], 1);
}

TEST_F(HardeningInput, Checkin_GzipWithTrailingGarbageIs400AndNothingStored) {
    const std::string packed = gzip_compress(to_json(report()).dump());
    for (const std::string& tail : {std::string("garbage"), std::string(1, '\0'), packed}) {
        auto answer = send_checkin(packed + tail, true);
        ASSERT_EQ(answer.status, 400) << answer.body;
        EXPECT_NE(
            json_of(answer)["detail"].get<std::string>().find("after the end of the gzip stream"),
            std::string::npos)
            << answer.body;
    }
    expect_nothing_stored();
    EXPECT_EQ(send_checkin(packed, true).status, 200);
}

// --- HEAD ---------------------------------------------------------------------------------------

TEST_F(HardeningInput, Head_OnAGetResourceIsAnsweredLikeTheGetWithoutBody) {
    const std::string target = "/api/v1/grants/" + std::to_string(grant_id);
    const auto get = s.server.dispatch("GET", target, s.admin, nullptr);
    const auto head = s.server.dispatch("HEAD", target, s.admin, nullptr);
    ASSERT_EQ(get.status, 200) << get.body;
    EXPECT_EQ(head.status, 200) << head.body;
    EXPECT_TRUE(head.omit_body);
    EXPECT_FALSE(get.omit_body);
    EXPECT_EQ(head.header("Content-Type"), get.header("Content-Type"));
    EXPECT_EQ(head.body.size(), get.body.size());  // for the Content-Length the GET would send
    EXPECT_EQ(head.route, "/api/v1/grants/{id}");
    // The same authorization as the GET: a school role may not read grants.
    EXPECT_EQ(s.server.dispatch("HEAD", target, s.it_a, nullptr).status, 403);
    EXPECT_EQ(s.server.dispatch("HEAD", target, {}, nullptr).status, 401);
}

TEST_F(HardeningInput, Head_OnUnknownOrNonGetResourcesIs404Or405AsBefore) {
    EXPECT_EQ(s.server.dispatch("HEAD", "/api/v1/nothing-here", s.admin, nullptr).status, 404);
    const auto post_only = s.server.dispatch("HEAD", "/api/v1/agent/checkin", {}, nullptr);
    EXPECT_EQ(post_only.status, 405);
    EXPECT_EQ(post_only.header("Allow"), "POST");
    const auto get_and_patch = s.server.dispatch("PUT", "/api/v1/grants/1", s.admin, nullptr);
    EXPECT_EQ(get_and_patch.status, 405);
    EXPECT_EQ(get_and_patch.header("Allow"), "GET, HEAD, PATCH");
}

}  // namespace
}  // namespace pakt::test
