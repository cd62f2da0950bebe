// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// Funding programmes and grants over real HTTPS: the seeded DigitalPakt programmes with their caps
// as data, grants with the earmarking period derived from spend_by, city_admin only, audited.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "tests/support/test_server.hpp"

namespace pakt::test {
namespace {

using nlohmann::json;

class FundingApi : public ::testing::Test {
protected:
    SeededServer s;
    HttpsClient& http = *s.http;

    static json grant_body(const std::string& reference, const std::string& approved_on = "2023-03-01",
                           const std::string& spend_by = "2024-12-31") {
        return {{"programme", "DP-BASIS"},
                {"reference", reference},
                {"title", "Endgeräte Gymnasien"},
                {"amount_cents", 2'250'000},
                {"own_contribution_cents", 250'000},
                {"approved_on", approved_on},
                {"spend_by", spend_by}};
    }

    std::int64_t create_grant(const std::string& reference) {
        auto r = call(http, "POST", "/api/v1/grants", s.admin, grant_body(reference));
        EXPECT_EQ(r.status, 201) << r.body;
        return json_of(r).at("id").get<std::int64_t>();
    }

    int count(const std::string& sql) {
        server::sql::Statement q(s.server.db(), sql);
        q.executeStep();
        return q.getColumn(0).getInt();
    }

    static std::set<std::string> error_fields(const json& problem) {
        std::set<std::string> fields;
        for (const auto& e : problem.at("errors")) fields.insert(e.at("field").get<std::string>());
        return fields;
    }
};

TEST_F(FundingApi, ProgrammesListHoldsTheSevenSeededProgrammesWithCapsAsData) {
    const auto page = json_of(call(http, "GET", "/api/v1/programmes", s.head_a));
    std::map<std::string, json> by_code;
    for (const auto& p : page.at("items")) by_code[p.at("code").get<std::string>()] = p;
    EXPECT_EQ(by_code.size(), 7u);
    for (const char* code : {"DP-BASIS", "DP-SOFORT", "DP-LEHRER", "DP-ADMIN", "REACT-EU", "DP-2", "EIGEN"}) {
        EXPECT_TRUE(by_code.count(code)) << code;
    }
    EXPECT_EQ(by_code["DP-SOFORT"]["max_unit_price_cents"], 50000);
    EXPECT_TRUE(by_code["DP-SOFORT"]["max_per_school_cents"].is_null());
    EXPECT_EQ(by_code["DP-LEHRER"]["max_unit_price_cents"], 50000);
    EXPECT_EQ(by_code["DP-BASIS"]["max_per_school_cents"], 2500000);
    EXPECT_TRUE(by_code["DP-BASIS"]["max_unit_price_cents"].is_null());
    EXPECT_EQ(by_code["DP-BASIS"]["federal_share_pct"], 90);
    EXPECT_EQ(by_code["DP-2"]["federal_share_pct"], 50);
    EXPECT_EQ(by_code["DP-ADMIN"]["funds_devices"], false);
    EXPECT_EQ(by_code["DP-BASIS"]["funds_devices"], true);
}

TEST_F(FundingApi, EveryRoleMayReadProgrammes) {
    for (const auto* token : {&s.admin, &s.it_a, &s.head_a, &s.it_b, &s.head_b}) {
        EXPECT_EQ(call(http, "GET", "/api/v1/programmes", *token).status, 200);
    }
    EXPECT_EQ(call(http, "GET", "/api/v1/programmes").status, 401);
}

TEST_F(FundingApi, CityAdminCreatesProgrammeWhichIsListedAndAudited) {
    json body = {{"code", "KOMM-2027"}, {"name", "Kommunales Sonderprogramm"}, {"federal_share_pct", 0},
                 {"description", "city budget 2027"}, {"max_unit_price_cents", 60000}};
    auto r = call(http, "POST", "/api/v1/programmes", s.admin, body);
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(json_of(r)["code"], "KOMM-2027");
    EXPECT_EQ(json_of(r)["max_unit_price_cents"], 60000);
    const auto page = json_of(call(http, "GET", "/api/v1/programmes", s.it_a));
    EXPECT_EQ(page.at("items").size(), 8u);
    EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action = 'programme.create' AND object_id = 'KOMM-2027'"), 1);
}

TEST_F(FundingApi, DuplicateProgrammeCodeIs409) {
    auto r = call(http, "POST", "/api/v1/programmes", s.admin,
                  json{{"code", "DP-BASIS"}, {"name", "again"}, {"federal_share_pct", 90}});
    EXPECT_EQ(r.status, 409);
    EXPECT_EQ(json_of(r)["errors"][0]["field"], "code");
    EXPECT_EQ(count("SELECT count(*) FROM programmes WHERE name = 'again'"), 0);
}

TEST_F(FundingApi, InvalidProgrammeCodeOrShareIs422) {
    auto bad_code = call(http, "POST", "/api/v1/programmes", s.admin,
                         json{{"code", "dp basis"}, {"name", "x"}, {"federal_share_pct", 50}});
    ASSERT_EQ(bad_code.status, 422);
    EXPECT_EQ(error_fields(json_of(bad_code)), std::set<std::string>{"code"});
    auto bad_share = call(http, "POST", "/api/v1/programmes", s.admin,
                          json{{"code", "NEU"}, {"name", "x"}, {"federal_share_pct", 101}});
    ASSERT_EQ(bad_share.status, 422);
    EXPECT_EQ(error_fields(json_of(bad_share)), std::set<std::string>{"federal_share_pct"});
    EXPECT_EQ(call(http, "POST", "/api/v1/programmes", s.admin, json{{"code", "NEU"}, {"name", "x"}}).status, 422);
    EXPECT_EQ(count("SELECT count(*) FROM programmes"), 7);
}

TEST_F(FundingApi, SchoolRolesMayNotCreateProgrammes) {
    for (const auto* token : {&s.it_a, &s.head_a}) {
        auto r = call(http, "POST", "/api/v1/programmes", *token,
                      json{{"code", "NEU"}, {"name", "x"}, {"federal_share_pct", 50}});
        EXPECT_EQ(r.status, 403);
    }
    EXPECT_EQ(count("SELECT count(*) FROM programmes"), 7);
}

TEST_F(FundingApi, CreateGrantIs201WithEarmarkEndFiveYearsAfterSpendBy) {
    auto r = call(http, "POST", "/api/v1/grants", s.admin, grant_body("AZ 48.01-2023/17"));
    ASSERT_EQ(r.status, 201) << r.body;
    const auto g = json_of(r);
    EXPECT_EQ(g["programme"], "DP-BASIS");
    EXPECT_EQ(g["reference"], "AZ 48.01-2023/17");
    EXPECT_EQ(g["amount_cents"], 2'250'000);
    EXPECT_EQ(g["own_contribution_cents"], 250'000);
    EXPECT_EQ(g["spend_by"], "2024-12-31");
    EXPECT_EQ(g["earmark_end"], "2029-12-31");
    EXPECT_EQ(r.header("Location"), "/api/v1/grants/" + std::to_string(g["id"].get<std::int64_t>()));
}

TEST_F(FundingApi, EarmarkEndIsTheEndOfTheFifthCalendarYearWhateverTheDayOfSpendBy) {
    auto r = call(http, "POST", "/api/v1/grants", s.admin, grant_body("AZ-MID-YEAR", "2020-08-01", "2022-06-30"));
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(json_of(r)["earmark_end"], "2027-12-31");
}

TEST_F(FundingApi, DuplicateGrantReferenceIs409) {
    create_grant("AZ-1");
    auto r = call(http, "POST", "/api/v1/grants", s.admin, grant_body("AZ-1"));
    EXPECT_EQ(r.status, 409);
    EXPECT_EQ(json_of(r)["errors"][0]["field"], "reference");
    EXPECT_EQ(count("SELECT count(*) FROM grants"), 1);
}

TEST_F(FundingApi, GrantOfUnknownProgrammeIs422) {
    json body = grant_body("AZ-2");
    body["programme"] = "DP-NOPE";
    auto r = call(http, "POST", "/api/v1/grants", s.admin, body);
    ASSERT_EQ(r.status, 422);
    EXPECT_EQ(error_fields(json_of(r)), std::set<std::string>{"programme"});
    EXPECT_EQ(count("SELECT count(*) FROM grants"), 0);
}

TEST_F(FundingApi, SpendByBeforeApprovedOnIs422) {
    auto r = call(http, "POST", "/api/v1/grants", s.admin, grant_body("AZ-3", "2024-05-01", "2024-04-30"));
    ASSERT_EQ(r.status, 422);
    EXPECT_EQ(error_fields(json_of(r)), std::set<std::string>{"spend_by"});
    EXPECT_EQ(count("SELECT count(*) FROM grants"), 0);
}

TEST_F(FundingApi, InvalidDateIs422) {
    auto r = call(http, "POST", "/api/v1/grants", s.admin, grant_body("AZ-4", "2024-02-30", "31.12.2024"));
    ASSERT_EQ(r.status, 422);
    EXPECT_EQ(error_fields(json_of(r)), (std::set<std::string>{"approved_on", "spend_by"}));
}

TEST_F(FundingApi, MissingGrantFieldsAre422NamingEachField) {
    auto r = call(http, "POST", "/api/v1/grants", s.admin, json{{"programme", "DP-BASIS"}});
    ASSERT_EQ(r.status, 422);
    EXPECT_EQ(error_fields(json_of(r)), (std::set<std::string>{"reference", "amount_cents", "approved_on", "spend_by"}));
    auto no_programme = call(http, "POST", "/api/v1/grants", s.admin, json{{"reference", "AZ-5"}});
    ASSERT_EQ(no_programme.status, 422);
    EXPECT_TRUE(error_fields(json_of(no_programme)).count("programme"));
    EXPECT_EQ(count("SELECT count(*) FROM grants"), 0);
}

TEST_F(FundingApi, WrongTypesInGrantAre400) {
    json money_as_text = grant_body("AZ-6");
    money_as_text["amount_cents"] = "2250000";
    EXPECT_EQ(call(http, "POST", "/api/v1/grants", s.admin, money_as_text).status, 400);
    json money_as_float = grant_body("AZ-6");
    money_as_float["amount_cents"] = 22500.50;
    EXPECT_EQ(call(http, "POST", "/api/v1/grants", s.admin, money_as_float).status, 400);
    json reference_as_number = grant_body("AZ-6");
    reference_as_number["reference"] = 6;
    EXPECT_EQ(call(http, "POST", "/api/v1/grants", s.admin, reference_as_number).status, 400);
    EXPECT_EQ(count("SELECT count(*) FROM grants"), 0);
}

TEST_F(FundingApi, NegativeAmountIs422) {
    json body = grant_body("AZ-7");
    body["amount_cents"] = -1;
    auto r = call(http, "POST", "/api/v1/grants", s.admin, body);
    ASSERT_EQ(r.status, 422);
    EXPECT_EQ(error_fields(json_of(r)), std::set<std::string>{"amount_cents"});
}

TEST_F(FundingApi, GrantListPagesInIdOrderWithoutDuplicates) {
    std::vector<std::int64_t> created;
    for (int i = 0; i < 7; ++i) created.push_back(create_grant("AZ-LIST-" + std::to_string(i)));
    std::vector<std::int64_t> seen;
    std::string target = "/api/v1/grants?limit=3";
    int pages = 0;
    for (;;) {
        const auto page = json_of(call(http, "GET", target, s.admin));
        ++pages;
        for (const auto& g : page.at("items")) seen.push_back(g.at("id").get<std::int64_t>());
        if (page.at("next_cursor").is_null()) break;
        target = "/api/v1/grants?limit=3&cursor=" + page.at("next_cursor").get<std::string>();
    }
    EXPECT_EQ(pages, 3);
    EXPECT_EQ(seen, created);
}

TEST_F(FundingApi, GrantListFiltersByProgramme) {
    create_grant("AZ-BASIS");
    json sofort = grant_body("AZ-SOFORT");
    sofort["programme"] = "DP-SOFORT";
    ASSERT_EQ(call(http, "POST", "/api/v1/grants", s.admin, sofort).status, 201);
    const auto page = json_of(call(http, "GET", "/api/v1/grants?programme=DP-SOFORT", s.admin));
    ASSERT_EQ(page.at("items").size(), 1u);
    EXPECT_EQ(page["items"][0]["reference"], "AZ-SOFORT");
}

TEST_F(FundingApi, GetGrantReturnsItAndUnknownIdIs404) {
    const auto id = create_grant("AZ-GET");
    auto r = call(http, "GET", "/api/v1/grants/" + std::to_string(id), s.admin);
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(json_of(r)["reference"], "AZ-GET");
    EXPECT_EQ(call(http, "GET", "/api/v1/grants/99999", s.admin).status, 404);
    EXPECT_EQ(call(http, "GET", "/api/v1/grants/not-a-number", s.admin).status, 404);
}

TEST_F(FundingApi, PatchGrantRecomputesEarmarkEnd) {
    const auto id = create_grant("AZ-PATCH");
    const std::string target = "/api/v1/grants/" + std::to_string(id);
    auto r = call(http, "PATCH", target, s.admin, json{{"spend_by", "2026-06-30"}, {"title", "verlängert"}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(json_of(r)["spend_by"], "2026-06-30");
    EXPECT_EQ(json_of(r)["earmark_end"], "2031-12-31");
    EXPECT_EQ(json_of(r)["title"], "verlängert");
    const auto stored = json_of(call(http, "GET", target, s.admin));
    EXPECT_EQ(stored["earmark_end"], "2031-12-31");
    EXPECT_EQ(stored["amount_cents"], 2'250'000);
}

TEST_F(FundingApi, PatchGrantValidatesLikeCreate) {
    const auto id = create_grant("AZ-PATCH-BAD");
    create_grant("AZ-OTHER");
    const std::string target = "/api/v1/grants/" + std::to_string(id);
    EXPECT_EQ(call(http, "PATCH", target, s.admin, json{{"spend_by", "2020-01-01"}}).status, 422);
    EXPECT_EQ(call(http, "PATCH", target, s.admin, json{{"reference", "AZ-OTHER"}}).status, 409);
    EXPECT_EQ(call(http, "PATCH", target, s.admin, json{{"amount_cents", "many"}}).status, 400);
    EXPECT_EQ(call(http, "PATCH", target, s.admin, json{{"programme", "DP-2"}}).status, 422);
    EXPECT_EQ(call(http, "PATCH", "/api/v1/grants/99999", s.admin, json{{"title", "x"}}).status, 404);
    const auto stored = json_of(call(http, "GET", target, s.admin));
    EXPECT_EQ(stored["spend_by"], "2024-12-31");
    EXPECT_EQ(stored["earmark_end"], "2029-12-31");
    EXPECT_EQ(stored["reference"], "AZ-PATCH-BAD");
}

TEST_F(FundingApi, SchoolRolesGet403OnEveryGrantEndpoint) {
    const auto id = create_grant("AZ-SCOPE");
    const std::string target = "/api/v1/grants/" + std::to_string(id);
    for (const auto* token : {&s.it_a, &s.head_a}) {
        EXPECT_EQ(call(http, "GET", "/api/v1/grants", *token).status, 403);
        EXPECT_EQ(call(http, "POST", "/api/v1/grants", *token, grant_body("AZ-BY-SCHOOL")).status, 403);
        EXPECT_EQ(call(http, "GET", target, *token).status, 403);
        EXPECT_EQ(call(http, "PATCH", target, *token, json{{"title", "x"}}).status, 403);
    }
    EXPECT_EQ(count("SELECT count(*) FROM grants WHERE reference = 'AZ-BY-SCHOOL'"), 0);
    EXPECT_EQ(json_of(call(http, "GET", target, s.admin))["title"], "Endgeräte Gymnasien");
}

TEST_F(FundingApi, GrantCreateAndUpdateAreAudited) {
    const auto id = create_grant("AZ-AUDIT");
    ASSERT_EQ(call(http, "PATCH", "/api/v1/grants/" + std::to_string(id), s.admin, json{{"title", "neu"}}).status, 200);
    server::sql::Statement q(s.server.db(),
                             "SELECT action, actor, object_type, detail FROM audit_log "
                             "WHERE object_id = ? AND action LIKE 'grant.%' ORDER BY id");
    q.bind(1, std::to_string(id));
    ASSERT_TRUE(q.executeStep());
    EXPECT_EQ(q.getColumn(0).getString(), "grant.create");
    EXPECT_EQ(q.getColumn(1).getString(), "admin");
    EXPECT_EQ(q.getColumn(2).getString(), "grant");
    EXPECT_EQ(json::parse(q.getColumn(3).getString())["earmark_end"], "2029-12-31");
    ASSERT_TRUE(q.executeStep());
    EXPECT_EQ(q.getColumn(0).getString(), "grant.update");
    EXPECT_EQ(json::parse(q.getColumn(3).getString()),
              (json{{"title", {{"from", "Endgeräte Gymnasien"}, {"to", "neu"}}}}));
    EXPECT_FALSE(q.executeStep());
}

TEST_F(FundingApi, RefusedGrantWritesNoAuditRow) {
    create_grant("AZ-ONCE");
    ASSERT_EQ(call(http, "POST", "/api/v1/grants", s.admin, grant_body("AZ-ONCE")).status, 409);
    ASSERT_EQ(call(http, "POST", "/api/v1/grants", s.it_a, grant_body("AZ-TWICE")).status, 403);
    EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action = 'grant.create'"), 1);
}

}  // namespace
}  // namespace pakt::test
