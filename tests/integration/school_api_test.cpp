// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// Schools over real HTTPS: scope per role, 404 across schools, 403 for roles that may not change.
#include <gtest/gtest.h>

#include "tests/support/test_server.hpp"

namespace pakt::test {
namespace {

using nlohmann::json;

class SchoolApi : public ::testing::Test {
protected:
    SeededServer s;
    HttpsClient& http = *s.http;
    const std::string a = std::string("/api/v1/schools/") + SeededServer::kSchoolA;
    const std::string b = std::string("/api/v1/schools/") + SeededServer::kSchoolB;

    std::string name_of(const std::string& number) {
        server::sql::Statement q(s.server.db(), "SELECT name FROM schools WHERE school_number = ?");
        q.bind(1, number);
        return q.executeStep() ? q.getColumn(0).getString() : "<missing>";
    }
};

TEST_F(SchoolApi, CityAdminSeesEverySchoolInOrder) {
    auto r = call(http, "GET", "/api/v1/schools", s.admin);
    ASSERT_EQ(r.status, 200);
    auto items = json_of(r)["items"];
    ASSERT_EQ(items.size(), 2u);
    EXPECT_EQ(items[0]["school_number"], SeededServer::kSchoolB);  // "100018" < "165432"
    EXPECT_EQ(items[1]["school_number"], SeededServer::kSchoolA);
    EXPECT_EQ(items[1]["device_counts"]["total"], 0);
    EXPECT_TRUE(items[1]["device_counts"]["by_status"].is_object());
    EXPECT_TRUE(json_of(r)["next_cursor"].is_null());
}

TEST_F(SchoolApi, SchoolRolesSeeExactlyTheirSchools) {
    for (const auto* token : {&s.it_a, &s.head_a}) {
        auto items = json_of(call(http, "GET", "/api/v1/schools", *token))["items"];
        ASSERT_EQ(items.size(), 1u);
        EXPECT_EQ(items[0]["school_number"], SeededServer::kSchoolA);
    }
}

TEST_F(SchoolApi, ReadingAnotherSchoolIs404) {
    EXPECT_EQ(call(http, "GET", a, s.head_a).status, 200);
    EXPECT_EQ(call(http, "GET", a, s.it_a).status, 200);
    auto other = call(http, "GET", b, s.head_a);
    EXPECT_EQ(other.status, 404);
    auto missing = call(http, "GET", "/api/v1/schools/999999", s.head_a);
    // Out of scope and absent look the same.
    EXPECT_EQ(json_of(other)["detail"], json_of(missing)["detail"]);
    EXPECT_EQ(call(http, "GET", b, s.it_a).status, 404);
    EXPECT_EQ(call(http, "GET", "/api/v1/schools/999999", s.admin).status, 404);
    EXPECT_EQ(call(http, "GET", a).status, 401);
}

TEST_F(SchoolApi, ReadReturnsTheApiFields) {
    auto school = json_of(call(http, "GET", a, s.admin));
    for (const char* field : {"school_number", "name", "school_type", "district", "address", "device_counts"}) {
        EXPECT_TRUE(school.contains(field)) << field;
    }
    EXPECT_EQ(school["name"], "Gymnasium Essen-Werden");
}

TEST_F(SchoolApi, CityAdminCreatesSchool) {
    json body = {{"school_number", "187654"}, {"name", "Gesamtschule Süd"}, {"school_type", "Gesamtschule"},
                 {"district", "Rüttenscheid"}, {"address", "Töpferstr. 1, 45130"}, {"latitude", 51.43}, {"longitude", 7.0}};
    auto r = call(http, "POST", "/api/v1/schools", s.admin, body);
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(json_of(r)["name"], "Gesamtschule Süd");
    EXPECT_EQ(r.header("Location"), "/api/v1/schools/187654");
    EXPECT_EQ(name_of("187654"), "Gesamtschule Süd");
    server::sql::Statement q(
        s.server.db(),
        "SELECT count(*) FROM audit_log WHERE action = 'school.create' AND object_id = '187654'");
    q.executeStep();
    EXPECT_EQ(q.getColumn(0).getInt(), 1);
}

TEST_F(SchoolApi, CreateErrors) {
    auto dup = call(http, "POST", "/api/v1/schools", s.admin, json{{"school_number", SeededServer::kSchoolA}, {"name", "x"}});
    EXPECT_EQ(dup.status, 409);
    EXPECT_EQ(name_of(SeededServer::kSchoolA), "Gymnasium Essen-Werden");
    auto bad = call(http, "POST", "/api/v1/schools", s.admin, json{{"school_number", "12345"}, {"name", "x"}});
    EXPECT_EQ(bad.status, 422);
    EXPECT_EQ(json_of(bad)["errors"][0]["field"], "school_number");
    EXPECT_EQ(call(http, "POST", "/api/v1/schools", s.admin, json{{"school_number", 123456}}).status, 400);
    EXPECT_EQ(call(http, "POST", "/api/v1/schools", s.admin, json{{"school_number", "123456"}, {"latitude", 123}}).status, 422);
    EXPECT_EQ(call(http, "POST", "/api/v1/schools", s.admin, json{{"school_number", "123456"}, {"colour", "red"}}).status, 422);
    EXPECT_EQ(call(http, "POST", "/api/v1/schools", s.admin, json{{"name", "no number"}}).status, 422);
    EXPECT_EQ(name_of("123456"), "<missing>");
}

TEST_F(SchoolApi, SchoolRolesMayNotCreateSchools) {
    EXPECT_EQ(call(http, "POST", "/api/v1/schools", s.it_a, json{{"school_number", "187655"}}).status, 403);
    EXPECT_EQ(call(http, "POST", "/api/v1/schools", s.head_a, json{{"school_number", "187655"}}).status, 403);
    EXPECT_EQ(name_of("187655"), "<missing>");
}

TEST_F(SchoolApi, CityAdminUpdatesSchool) {
    auto r = call(http, "PATCH", a, s.admin, json{{"name", "Gymnasium Werden"}, {"district", "Werden"}, {"latitude", nullptr}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(json_of(r)["district"], "Werden");
    EXPECT_TRUE(json_of(r)["latitude"].is_null());
    EXPECT_EQ(name_of(SeededServer::kSchoolA), "Gymnasium Werden");
}

TEST_F(SchoolApi, UpdateIs403ForOwnSchoolAnd404ForOthers) {
    EXPECT_EQ(call(http, "PATCH", a, s.it_a, json{{"name", "x"}}).status, 403);
    EXPECT_EQ(call(http, "PATCH", a, s.head_a, json{{"name", "x"}}).status, 403);
    EXPECT_EQ(call(http, "PATCH", b, s.it_a, json{{"name", "x"}}).status, 404);
    EXPECT_EQ(call(http, "PATCH", b, s.head_a, json{{"name", "x"}}).status, 404);
    EXPECT_EQ(call(http, "PATCH", "/api/v1/schools/999999", s.admin, json{{"name", "x"}}).status, 404);
    EXPECT_EQ(name_of(SeededServer::kSchoolA), "Gymnasium Essen-Werden");
    EXPECT_EQ(name_of(SeededServer::kSchoolB), "Freie Waldorfschule");
}

TEST_F(SchoolApi, UpdateValidation) {
    EXPECT_EQ(call(http, "PATCH", a, s.admin, json{{"school_number", "111111"}}).status, 422);
    EXPECT_EQ(call(http, "PATCH", a, s.admin, json{{"name", 5}}).status, 400);
    EXPECT_EQ(call(http, "PATCH", a, s.admin, json{{"name", std::string("bad\x01name")}}).status, 422);
    EXPECT_EQ(http.request("PATCH", a, "name=x", {{"Authorization", "Bearer " + s.admin}, {"Content-Type", "text/plain"}}).status, 415);
    EXPECT_EQ(name_of(SeededServer::kSchoolA), "Gymnasium Essen-Werden");
}

TEST_F(SchoolApi, ListPagesWithCursor) {
    for (int i = 0; i < 5; ++i) s.server.add_school("2000" + std::to_string(10 + i), "Schule " + std::to_string(i));
    std::vector<std::string> numbers;
    std::string target = "/api/v1/schools?limit=2";
    for (;;) {
        auto page = json_of(call(http, "GET", target, s.admin));
        for (const auto& item : page["items"]) numbers.push_back(item["school_number"].get<std::string>());
        if (page["next_cursor"].is_null()) break;
        target = "/api/v1/schools?limit=2&cursor=" + page["next_cursor"].get<std::string>();
    }
    ASSERT_EQ(numbers.size(), 7u);
    EXPECT_TRUE(std::is_sorted(numbers.begin(), numbers.end()));
    EXPECT_EQ(std::set<std::string>(numbers.begin(), numbers.end()).size(), 7u);
}

}  // namespace
}  // namespace pakt::test
