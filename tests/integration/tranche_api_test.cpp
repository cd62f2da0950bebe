// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// Tranches (deliveries) over real HTTPS: created by city_admin, read in scope, the rollout funnel,
// all-or-nothing manifest uploads in the formats suppliers send, and reconciliation.
#include <gtest/gtest.h>

#include <cstdio>
#include <set>
#include <vector>

#include "common/time.hpp"
#include "tests/support/test_server.hpp"

namespace pakt::test {
namespace {

using nlohmann::json;

std::string manifest_of(const std::vector<std::string>& serials) {
    std::string text = "serial_number\n";
    for (const auto& s : serials) text += s + "\n";
    return text;
}

class TrancheApi : public ::testing::Test {
protected:
    SeededServer s;
    HttpsClient& http = *s.http;
    std::int64_t grant = create_grant("AZ-SOFORT-1", "DP-SOFORT");

    std::int64_t create_grant(const std::string& reference, const std::string& programme) {
        json body = {{"programme", programme}, {"reference", reference}, {"amount_cents", 10'000'000},
                     {"approved_on", "2023-03-01"}, {"spend_by", "2024-12-31"}};
        auto r = call(http, "POST", "/api/v1/grants", s.admin, body);
        EXPECT_EQ(r.status, 201) << r.body;
        return json_of(r).at("id").get<std::int64_t>();
    }

    json tranche_body(const std::string& school, std::int64_t grant_id, int expected_count) {
        return {{"school_number", school},      {"grant_id", grant_id},
                {"supplier", "Bechtle AG"},     {"order_number", "PO-2023-0815"},
                {"delivery_note", "LS-4711"},   {"delivered_on", "2023-08-21"},
                {"model", "iPad 10.9 (2022)"},  {"unit_price_cents", 44900},
                {"expected_count", expected_count}};
    }

    std::int64_t create_tranche(const std::string& school, int expected_count) {
        auto r = call(http, "POST", "/api/v1/tranches", s.admin, tranche_body(school, grant, expected_count));
        EXPECT_EQ(r.status, 201) << r.body;
        return json_of(r).at("id").get<std::int64_t>();
    }

    static std::string path(std::int64_t tranche) { return "/api/v1/tranches/" + std::to_string(tranche); }

    HttpResponse put_manifest(const std::string& token, std::int64_t tranche, const std::string& csv,
                              const std::string& content_type = "text/csv") {
        return http.request("PUT", path(tranche) + "/manifest", csv,
                            {{"Authorization", "Bearer " + token}, {"Content-Type", content_type}});
    }

    json progress(std::int64_t tranche) {
        auto r = call(http, "GET", path(tranche), s.admin);
        EXPECT_EQ(r.status, 200) << r.body;
        return json_of(r).at("progress");
    }

    void enroll(const std::string& serial_number, std::int64_t tranche, bool off_manifest = false) {
        json body = {{"serial_number", serial_number}, {"tranche_id", tranche}};
        if (off_manifest) body["off_manifest"] = true;
        auto r = call(http, "POST", "/api/v1/devices", s.it_a, body);
        ASSERT_EQ(r.status, 201) << r.body;
    }

    // What an agent would have reported (check-ins are not part of this suite).
    void report(const std::string& serial_number, const std::string& seen_at, bool managed) {
        server::sql::Statement q(s.server.db(),
                                 "INSERT INTO device_reports (school_number, serial_number, "
                                 "agent_id, seen_at, managed, report_id, "
                                 "updated_at) VALUES ((SELECT school_number FROM devices WHERE "
                                 "serial_number = ?1), ?1, 1, ?, ?, "
                                 "'test-report', ?)");
        q.bind(1, serial_number);
        q.bind(2, seen_at);
        q.bind(3, managed ? 1 : 0);
        q.bind(4, seen_at);
        q.exec();
    }

    int count(const std::string& sql) {
        server::sql::Statement q(s.server.db(), sql);
        q.executeStep();
        return q.getColumn(0).getInt();
    }

    static std::vector<std::size_t> error_lines(const json& problem) {
        std::vector<std::size_t> lines;
        for (const auto& e : problem.at("errors")) lines.push_back(e.at("line").get<std::size_t>());
        return lines;
    }
};

TEST_F(TrancheApi, CityAdminCreatesTrancheWithAnEmptyFunnel) {
    auto r = call(http, "POST", "/api/v1/tranches", s.admin, tranche_body(SeededServer::kSchoolA, grant, 250));
    ASSERT_EQ(r.status, 201) << r.body;
    const auto t = json_of(r);
    EXPECT_EQ(t["school_number"], SeededServer::kSchoolA);
    EXPECT_EQ(t["grant_id"], grant);
    EXPECT_EQ(t["expected_count"], 250);
    EXPECT_EQ(t["unit_price_cents"], 44900);
    EXPECT_EQ(t["supplier"], "Bechtle AG");
    EXPECT_EQ(t["progress"], (json{{"expected", 250}, {"in_manifest", 0}, {"enrolled", 0}, {"managed", 0},
                                   {"seen_last_7_days", 0}, {"loaned", 0}, {"missing", 0}}));
    EXPECT_EQ(r.header("Location"), path(t["id"].get<std::int64_t>()));
    EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action = 'tranche.create' AND school_number = '165432'"), 1);
}

TEST_F(TrancheApi, SchoolRolesMayNotCreateTranches) {
    for (const auto* token : {&s.it_a, &s.head_a}) {
        EXPECT_EQ(call(http, "POST", "/api/v1/tranches", *token, tranche_body(SeededServer::kSchoolA, grant, 10)).status, 403);
    }
    EXPECT_EQ(count("SELECT count(*) FROM tranches"), 0);
}

TEST_F(TrancheApi, UnknownSchoolAndUnknownGrantAre422NamingBoth) {
    auto r = call(http, "POST", "/api/v1/tranches", s.admin, tranche_body("999999", 4242, 10));
    ASSERT_EQ(r.status, 422) << r.body;
    const auto problem = json_of(r);
    std::set<std::string> fields;
    for (const auto& e : problem.at("errors")) fields.insert(e.at("field").get<std::string>());
    EXPECT_EQ(fields, (std::set<std::string>{"school_number", "grant_id"}));
    EXPECT_EQ(count("SELECT count(*) FROM tranches"), 0);
}

TEST_F(TrancheApi, GrantOfAProgrammeThatFundsNoDevicesIs422) {
    const auto admin_grant = create_grant("AZ-ADMIN-1", "DP-ADMIN");
    auto r = call(http, "POST", "/api/v1/tranches", s.admin, tranche_body(SeededServer::kSchoolA, admin_grant, 10));
    ASSERT_EQ(r.status, 422);
    EXPECT_EQ(json_of(r)["errors"][0]["field"], "grant_id");
    EXPECT_EQ(count("SELECT count(*) FROM tranches"), 0);
}

TEST_F(TrancheApi, InvalidTrancheFieldsAre422AndWrongTypes400) {
    json zero = tranche_body(SeededServer::kSchoolA, grant, 0);
    EXPECT_EQ(call(http, "POST", "/api/v1/tranches", s.admin, zero).status, 422);
    json bad_date = tranche_body(SeededServer::kSchoolA, grant, 10);
    bad_date["delivered_on"] = "21.08.2023";
    EXPECT_EQ(call(http, "POST", "/api/v1/tranches", s.admin, bad_date).status, 422);
    json text_count = tranche_body(SeededServer::kSchoolA, grant, 10);
    text_count["expected_count"] = "10";
    EXPECT_EQ(call(http, "POST", "/api/v1/tranches", s.admin, text_count).status, 400);
    EXPECT_EQ(count("SELECT count(*) FROM tranches"), 0);
}

TEST_F(TrancheApi, GetReportsTheRolloutFunnel) {
    const auto t = create_tranche(SeededServer::kSchoolA, 10);
    const std::vector<std::string> serials = {serial("DMPF", 1), serial("DMPF", 2), serial("DMPF", 3),
                                              serial("DMPF", 4), serial("DMPF", 5)};
    ASSERT_EQ(put_manifest(s.it_a, t, manifest_of(serials)).status, 200);
    for (int i = 0; i < 3; ++i) enroll(serials[static_cast<std::size_t>(i)], t);
    const std::string now = now_rfc3339();
    report(serials[0], now, true);                                                      // seen, managed
    report(serials[1], format_rfc3339(Clock::now() - std::chrono::hours(24 * 10)), false);  // seen long ago
    auto loan = call(http, "POST", "/api/v1/devices/" + serials[2] + "/loans", s.it_a,
                     json{{"borrower_ref", "5b-17"}, {"borrower_kind", "student"}, {"agreement_ref", "LV-2023-17"}});
    ASSERT_EQ(loan.status, 201) << loan.body;

    EXPECT_EQ(progress(t), (json{{"expected", 10}, {"in_manifest", 5}, {"enrolled", 3}, {"managed", 1},
                                 {"seen_last_7_days", 1}, {"loaned", 1}, {"missing", 2}}));
}

TEST_F(TrancheApi, GetIsScopedToTheTranchesSchool) {
    const auto t = create_tranche(SeededServer::kSchoolA, 10);
    EXPECT_EQ(call(http, "GET", path(t), s.head_a).status, 200);
    EXPECT_EQ(call(http, "GET", path(t), s.it_a).status, 200);
    auto other = call(http, "GET", path(t), s.head_b);
    EXPECT_EQ(other.status, 404);
    EXPECT_EQ(call(http, "GET", path(t), s.it_b).status, 404);
    // Out of scope and absent look the same.
    EXPECT_EQ(json_of(other)["detail"], json_of(call(http, "GET", path(9999), s.head_b))["detail"]);
}

TEST_F(TrancheApi, ListIsScopedPerRole) {
    const auto a = create_tranche(SeededServer::kSchoolA, 10);
    const auto b = create_tranche(SeededServer::kSchoolB, 10);
    auto ids = [&](const std::string& token, const std::string& target = "/api/v1/tranches") {
        auto r = call(http, "GET", target, token);
        EXPECT_EQ(r.status, 200) << r.body;
        const auto page = json_of(r);
        std::vector<std::int64_t> out;
        for (const auto& t : page.at("items")) out.push_back(t.at("id").get<std::int64_t>());
        return out;
    };
    EXPECT_EQ(ids(s.admin), (std::vector<std::int64_t>{a, b}));
    EXPECT_EQ(ids(s.head_b), std::vector<std::int64_t>{b});
    EXPECT_EQ(ids(s.it_b), std::vector<std::int64_t>{b});
    EXPECT_EQ(ids(s.head_a), std::vector<std::int64_t>{a});
    EXPECT_EQ(ids(s.admin, "/api/v1/tranches?school_number=165432"), std::vector<std::int64_t>{a});
    EXPECT_EQ(call(http, "GET", "/api/v1/tranches?school_number=165432", s.it_b).status, 404);
    EXPECT_EQ(call(http, "GET", "/api/v1/tranches?school_number=165432", s.head_b).status, 404);
}

TEST_F(TrancheApi, ListFiltersByGrantAndPages) {
    const auto other_grant = create_grant("AZ-REACT-1", "REACT-EU");
    std::vector<std::int64_t> of_grant;
    for (int i = 0; i < 5; ++i) of_grant.push_back(create_tranche(SeededServer::kSchoolA, 10));
    ASSERT_EQ(call(http, "POST", "/api/v1/tranches", s.admin, tranche_body(SeededServer::kSchoolA, other_grant, 5)).status, 201);
    std::vector<std::int64_t> seen;
    std::string target = "/api/v1/tranches?limit=2&grant_id=" + std::to_string(grant);
    for (;;) {
        const auto page = json_of(call(http, "GET", target, s.it_a));
        for (const auto& t : page.at("items")) seen.push_back(t.at("id").get<std::int64_t>());
        if (page.at("next_cursor").is_null()) break;
        target = "/api/v1/tranches?limit=2&grant_id=" + std::to_string(grant) + "&cursor=" + page.at("next_cursor").get<std::string>();
    }
    EXPECT_EQ(seen, of_grant);
    EXPECT_EQ(call(http, "GET", "/api/v1/tranches?grant_id=abc", s.admin).status, 400);
}

TEST_F(TrancheApi, ManifestAcceptsSupplierFormat_AliasesBomSemicolonCrlfAndQuotes) {
    const auto t = create_tranche(SeededServer::kSchoolA, 10);
    const std::string csv =
        "\xEF\xBB\xBF"
        "Seriennummer;deviceModel;Inventarnummer;imei;orderNumber\r\n"
        "\"dmpf00000001\";\"iPad 10,9\"\" (2022)\";INV-0001;356938035643809;PO-1\r\n"
        "DMPF00000002;iPad 10.9;\"INV-0002\";;PO-1\r\n"
        " DMPF00000003 ;\"iPad; Wi-Fi\";INV-0003;356938035643817;PO-1\r\n";
    auto r = put_manifest(s.it_a, t, csv, "text/csv; charset=utf-8");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(json_of(r), (json{{"rows", 3}, {"added", 3}, {"already_present", 0}}));

    server::sql::Statement q(
        s.server.db(),
        "SELECT serial_number, model, asset_tag, imei FROM manifest_entries WHERE tranche_id = ? "
        "ORDER BY serial_number");
    q.bind(1, t);
    ASSERT_TRUE(q.executeStep());
    EXPECT_EQ(q.getColumn(0).getString(), "DMPF00000001");
    EXPECT_EQ(q.getColumn(1).getString(), "iPad 10,9\" (2022)");
    EXPECT_EQ(q.getColumn(2).getString(), "INV-0001");
    EXPECT_EQ(q.getColumn(3).getString(), "356938035643809");
    ASSERT_TRUE(q.executeStep());
    EXPECT_EQ(q.getColumn(0).getString(), "DMPF00000002");
    EXPECT_EQ(q.getColumn(2).getString(), "INV-0002");
    EXPECT_EQ(q.getColumn(3).getString(), "");
    ASSERT_TRUE(q.executeStep());
    EXPECT_EQ(q.getColumn(0).getString(), "DMPF00000003");
    EXPECT_EQ(q.getColumn(1).getString(), "iPad; Wi-Fi");
    EXPECT_FALSE(q.executeStep());
    EXPECT_EQ(progress(t)["in_manifest"], 3);
}

TEST_F(TrancheApi, ManifestAcceptsAppleSchoolManagerHeaders) {
    const auto t = create_tranche(SeededServer::kSchoolA, 10);
    const std::string csv =
        "serialNumber,deviceModel,orderNumber,Inventarnummer\n"
        "DMPF00000011,iPad (10th generation),MX1234,INV-11\n"
        "DMPF00000012,iPad (10th generation),MX1234,INV-12\n";
    auto r = put_manifest(s.it_a, t, csv);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(json_of(r)["added"], 2);
    EXPECT_EQ(count("SELECT count(*) FROM manifest_entries WHERE asset_tag = 'INV-12' AND model = 'iPad (10th generation)'"), 1);
}

TEST_F(TrancheApi, ReuploadCountsRowsAlreadyPresent) {
    const auto t = create_tranche(SeededServer::kSchoolA, 10);
    const std::vector<std::string> first = {serial("DMPR", 1), serial("DMPR", 2), serial("DMPR", 3)};
    ASSERT_EQ(put_manifest(s.it_a, t, manifest_of(first)).status, 200);
    auto again = put_manifest(s.it_a, t, manifest_of(first));
    ASSERT_EQ(again.status, 200) << again.body;
    EXPECT_EQ(json_of(again), (json{{"rows", 3}, {"added", 0}, {"already_present", 3}}));
    auto more = put_manifest(s.admin, t, manifest_of({serial("DMPR", 1), serial("DMPR", 4)}));
    ASSERT_EQ(more.status, 200) << more.body;
    EXPECT_EQ(json_of(more), (json{{"rows", 2}, {"added", 1}, {"already_present", 1}}));
    EXPECT_EQ(progress(t)["in_manifest"], 4);
}

TEST_F(TrancheApi, ManifestWithOneBadLineAmong250Is422NamingThatLineAndStoresNothing) {
    const auto t = create_tranche(SeededServer::kSchoolA, 250);
    std::string csv = "serial_number,model\n";  // line 1
    for (int line = 2; line <= 250; ++line) {
        csv += (line == 137 ? std::string("DMPX-137") : serial("DMPL", line)) + ",iPad 10.9\n";
    }
    auto r = put_manifest(s.it_a, t, csv);
    ASSERT_EQ(r.status, 422) << r.body;
    const auto problem = json_of(r);
    EXPECT_EQ(error_lines(problem), std::vector<std::size_t>{137});
    EXPECT_EQ(problem["errors"][0]["field"], "serial_number");
    EXPECT_EQ(progress(t)["in_manifest"], 0);
    EXPECT_EQ(count("SELECT count(*) FROM manifest_entries"), 0);
    EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action = 'tranche.manifest'"), 0);
}

TEST_F(TrancheApi, ManifestListsEveryBadLineWithItsNumber) {
    const auto t = create_tranche(SeededServer::kSchoolA, 20);
    const std::string csv =
        "serial_number,imei\n"       // 1
        "DMPB00000001,\n"            // 2
        "ABC,\n"                     // 3: too short
        "DMPB00000002,\n"            // 4
        "DMPB00000003,12345\n"       // 5: IMEI not 15 digits
        "DMPB00000004,\n"            // 6
        "DMPB00000005\n"             // 7: one field, header has two
        ",\n"                        // 8: empty serial
        "DMPB00000006,\n";           // 9
    auto r = put_manifest(s.it_a, t, csv);
    ASSERT_EQ(r.status, 422) << r.body;
    EXPECT_EQ(error_lines(json_of(r)), (std::vector<std::size_t>{3, 5, 7, 8}));
    EXPECT_EQ(progress(t)["in_manifest"], 0);
}

TEST_F(TrancheApi, SerialInAnotherTranchesManifestIsABadLine) {
    const auto first = create_tranche(SeededServer::kSchoolA, 10);
    const auto second = create_tranche(SeededServer::kSchoolB, 10);
    ASSERT_EQ(put_manifest(s.it_a, first, manifest_of({serial("DMPO", 1)})).status, 200);
    auto r = put_manifest(s.it_b, second, manifest_of({serial("DMPO", 2), serial("DMPO", 1), serial("DMPO", 3)}));
    ASSERT_EQ(r.status, 422) << r.body;
    EXPECT_EQ(error_lines(json_of(r)), std::vector<std::size_t>{3});
    EXPECT_EQ(progress(second)["in_manifest"], 0);
    EXPECT_EQ(progress(first)["in_manifest"], 1);
}

TEST_F(TrancheApi, SerialEnrolledIntoAnotherTrancheIsABadLine) {
    const auto first = create_tranche(SeededServer::kSchoolA, 10);
    const auto second = create_tranche(SeededServer::kSchoolA, 10);
    enroll(serial("DMPO", 7), first);  // the first tranche has no manifest
    auto r = put_manifest(s.it_a, second, manifest_of({serial("DMPO", 8), serial("DMPO", 7)}));
    ASSERT_EQ(r.status, 422) << r.body;
    EXPECT_EQ(error_lines(json_of(r)), std::vector<std::size_t>{3});
    EXPECT_EQ(progress(second)["in_manifest"], 0);
}

TEST_F(TrancheApi, SerialEnrolledOffManifestIntoThisTrancheMayJoinItsManifest) {
    const auto t = create_tranche(SeededServer::kSchoolA, 10);
    enroll(serial("DMPO", 9), t);
    auto r = put_manifest(s.it_a, t, manifest_of({serial("DMPO", 9)}));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(json_of(r)["added"], 1);
    const auto rec = json_of(call(http, "GET", path(t) + "/reconciliation", s.it_a));
    EXPECT_EQ(rec["unexpected"], json::array());
    EXPECT_EQ(rec["missing"], json::array());
}

TEST_F(TrancheApi, DuplicateSerialWithinTheFileNamesBothLines) {
    const auto t = create_tranche(SeededServer::kSchoolA, 10);
    const std::string csv = "serial_number\nDMPD00000001\nDMPD00000002\ndmpd00000001\n";
    auto r = put_manifest(s.it_a, t, csv);
    ASSERT_EQ(r.status, 422) << r.body;
    const auto problem = json_of(r);
    ASSERT_EQ(error_lines(problem), std::vector<std::size_t>{4});
    EXPECT_NE(problem["errors"][0]["message"].get<std::string>().find("line 2"), std::string::npos)
        << problem["errors"][0]["message"];
    EXPECT_EQ(progress(t)["in_manifest"], 0);
}

TEST_F(TrancheApi, ManifestLongerThanExpectedCountIs422) {
    const auto t = create_tranche(SeededServer::kSchoolA, 3);
    auto r = put_manifest(s.it_a, t, manifest_of({serial("DMPE", 1), serial("DMPE", 2), serial("DMPE", 3), serial("DMPE", 4)}));
    ASSERT_EQ(r.status, 422) << r.body;
    EXPECT_EQ(error_lines(json_of(r)), std::vector<std::size_t>{5});
    EXPECT_EQ(progress(t)["in_manifest"], 0);
}

TEST_F(TrancheApi, ManifestGrowingBeyondExpectedCountOverUploadsIs422) {
    const auto t = create_tranche(SeededServer::kSchoolA, 3);
    ASSERT_EQ(put_manifest(s.it_a, t, manifest_of({serial("DMPG", 1), serial("DMPG", 2)})).status, 200);
    auto r = put_manifest(s.it_a, t, manifest_of({serial("DMPG", 3), serial("DMPG", 4)}));
    EXPECT_EQ(r.status, 422) << r.body;
    EXPECT_EQ(progress(t)["in_manifest"], 2);
}

TEST_F(TrancheApi, ManifestWithoutSerialColumnOrEmptyIs422) {
    const auto t = create_tranche(SeededServer::kSchoolA, 3);
    auto no_column = put_manifest(s.it_a, t, "model,imei\niPad,\n");
    ASSERT_EQ(no_column.status, 422);
    EXPECT_EQ(error_lines(json_of(no_column)), std::vector<std::size_t>{1});
    EXPECT_EQ(put_manifest(s.it_a, t, "").status, 422);
}

TEST_F(TrancheApi, ManifestInAnotherContentTypeIs415) {
    const auto t = create_tranche(SeededServer::kSchoolA, 3);
    EXPECT_EQ(put_manifest(s.it_a, t, manifest_of({serial("DMPC", 1)}), "application/json").status, 415);
    EXPECT_EQ(put_manifest(s.it_a, t, manifest_of({serial("DMPC", 1)}), "text/plain").status, 415);
    EXPECT_EQ(put_manifest(s.it_a, t, manifest_of({serial("DMPC", 1)}), "text/csvx").status, 415);
    EXPECT_EQ(progress(t)["in_manifest"], 0);
}

TEST_F(TrancheApi, HeadteacherMayNotUploadAManifestAndOtherSchoolSees404) {
    const auto t = create_tranche(SeededServer::kSchoolA, 3);
    EXPECT_EQ(put_manifest(s.head_a, t, manifest_of({serial("DMPS", 1)})).status, 403);
    EXPECT_EQ(put_manifest(s.it_b, t, manifest_of({serial("DMPS", 1)})).status, 404);
    EXPECT_EQ(put_manifest(s.head_b, t, manifest_of({serial("DMPS", 1)})).status, 404);
    EXPECT_EQ(put_manifest(s.it_a, 9999, manifest_of({serial("DMPS", 1)})).status, 404);
    EXPECT_EQ(progress(t)["in_manifest"], 0);
}

TEST_F(TrancheApi, ManifestUploadIsAudited) {
    const auto t = create_tranche(SeededServer::kSchoolA, 3);
    ASSERT_EQ(put_manifest(s.it_a, t, manifest_of({serial("DMPU", 1), serial("DMPU", 2)})).status, 200);
    server::sql::Statement q(
        s.server.db(),
        "SELECT actor, school_number, detail FROM audit_log WHERE action = 'tranche.manifest'");
    ASSERT_TRUE(q.executeStep());
    EXPECT_EQ(q.getColumn(0).getString(), "it-a");
    EXPECT_EQ(q.getColumn(1).getString(), SeededServer::kSchoolA);
    EXPECT_EQ(json::parse(q.getColumn(2).getString())["added"], 2);
}

TEST_F(TrancheApi, ReconciliationListsMissingUnexpectedAndNotSeen) {
    const auto t = create_tranche(SeededServer::kSchoolA, 10);
    const std::vector<std::string> listed = {serial("DMPM", 1), serial("DMPM", 2), serial("DMPM", 3), serial("DMPM", 4)};
    ASSERT_EQ(put_manifest(s.it_a, t, manifest_of(listed)).status, 200);
    enroll(listed[0], t);
    enroll(listed[1], t);
    const std::string stray = serial("DMPZ", 9);
    enroll(stray, t, /*off_manifest=*/true);
    report(listed[0], now_rfc3339(), true);
    report(listed[1], format_rfc3339(Clock::now() - std::chrono::hours(24 * 20)), true);

    auto r = call(http, "GET", path(t) + "/reconciliation", s.head_a);
    ASSERT_EQ(r.status, 200) << r.body;
    const auto rec = json_of(r);
    EXPECT_EQ(rec["missing"], (json::array({listed[2], listed[3]})));
    EXPECT_EQ(rec["unexpected"], json::array({stray}));
    EXPECT_EQ(rec["not_seen"], (json::array({listed[1], stray})));
    EXPECT_EQ(call(http, "GET", path(t) + "/reconciliation", s.it_b).status, 404);
}

}  // namespace
}  // namespace pakt::test
