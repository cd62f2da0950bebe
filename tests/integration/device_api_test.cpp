// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// Devices over real HTTPS: enrollment (single and scanning session), the scoped list, lifecycle
// transitions with the earmarking rule, loans with pseudonymous borrowers, history, and the
// audit trail read in scope.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <set>
#include <tuple>
#include <utility>
#include <vector>

#include "tests/support/test_server.hpp"

namespace pakt::test {
namespace {

using nlohmann::json;

const json kLoan = {{"borrower_ref", "5b-17"}, {"borrower_kind", "student"}, {"agreement_ref", "LV-2026-017"},
                    {"due_on", "2027-07-15"}};

class DeviceApi : public ::testing::Test {
protected:
    SeededServer s;
    HttpsClient& http = *s.http;
    // Its earmarking period runs to 2029-12-31.
    std::int64_t grant = create_grant("AZ-2023-1", "2023-03-01", "2024-12-31");
    // Its earmarking period ended on 2020-12-31.
    std::int64_t old_grant = create_grant("AZ-2015-1", "2015-01-10", "2015-06-30");
    std::int64_t listed = create_tranche(SeededServer::kSchoolA, grant, 10);    // manifest M1..M6
    std::int64_t open = create_tranche(SeededServer::kSchoolA, grant, 20);      // no manifest
    std::int64_t old = create_tranche(SeededServer::kSchoolA, old_grant, 100);  // no manifest
    std::int64_t at_b = create_tranche(SeededServer::kSchoolB, grant, 10);      // no manifest

    void SetUp() override {
        std::string csv = "serial_number\n";
        for (int i = 1; i <= 6; ++i) csv += m(i) + "\n";
        auto r = http.request("PUT", tranche_path(listed) + "/manifest", csv,
                              {{"Authorization", "Bearer " + s.admin}, {"Content-Type", "text/csv"}});
        ASSERT_EQ(r.status, 200) << r.body;
    }

    static std::string m(int n) { return serial("DMPM", n); }
    static std::string tranche_path(std::int64_t id) { return "/api/v1/tranches/" + std::to_string(id); }
    static std::string device_path(const std::string& serial_number) { return "/api/v1/devices/" + serial_number; }

    std::int64_t create_grant(const std::string& reference, const std::string& approved_on, const std::string& spend_by) {
        json body = {{"programme", "DP-SOFORT"}, {"reference", reference}, {"amount_cents", 10'000'000},
                     {"approved_on", approved_on}, {"spend_by", spend_by}};
        auto r = call(http, "POST", "/api/v1/grants", s.admin, body);
        EXPECT_EQ(r.status, 201) << r.body;
        return json_of(r).at("id").get<std::int64_t>();
    }

    std::int64_t create_tranche(const std::string& school, std::int64_t grant_id, int expected_count) {
        json body = {{"school_number", school}, {"grant_id", grant_id}, {"delivered_on", "2023-08-21"},
                     {"model", "iPad 10.9"}, {"unit_price_cents", 44900}, {"expected_count", expected_count}};
        auto r = call(http, "POST", "/api/v1/tranches", s.admin, body);
        EXPECT_EQ(r.status, 201) << r.body;
        return json_of(r).at("id").get<std::int64_t>();
    }

    HttpResponse enroll(const std::string& token, const std::string& serial_number, std::int64_t tranche,
                        json extra = json::object()) {
        extra["serial_number"] = serial_number;
        extra["tranche_id"] = tranche;
        return call(http, "POST", "/api/v1/devices", token, extra);
    }

    void enrolled(const std::string& serial_number, std::int64_t tranche, json extra = json::object()) {
        auto r = enroll(s.it_a, serial_number, tranche, std::move(extra));
        ASSERT_EQ(r.status, 201) << r.body;
    }

    HttpResponse scan(const std::string& token, std::int64_t tranche, const std::vector<std::string>& serials) {
        return call(http, "POST", tranche_path(tranche) + "/enrollments", token, json{{"serial_numbers", serials}});
    }

    HttpResponse patch(const std::string& token, const std::string& serial_number, const json& body) {
        return call(http, "PATCH", device_path(serial_number), token, body);
    }

    std::string stored_status(const std::string& serial_number) {
        server::sql::Statement q(s.server.db(),
                                 "SELECT status FROM devices WHERE serial_number = ?");
        q.bind(1, serial_number);
        return q.executeStep() ? q.getColumn(0).getString() : "<absent>";
    }

    // Puts a device into a status directly, to start a transition from there.
    void force_status(const std::string& serial_number, const std::string& status) {
        server::sql::Statement q(s.server.db(),
                                 "UPDATE devices SET status = ? WHERE serial_number = ?");
        q.bind(1, status);
        q.bind(2, serial_number);
        ASSERT_EQ(q.exec(), 1);
    }

    int count(const std::string& sql) {
        server::sql::Statement q(s.server.db(), sql);
        q.executeStep();
        return q.getColumn(0).getInt();
    }

    // The details of the audit rows with this action about this object, oldest first.
    std::vector<json> audit_details(const std::string& action, const std::string& object_id) {
        server::sql::Statement q(
            s.server.db(),
            "SELECT detail FROM audit_log WHERE action = ? AND object_id = ? ORDER BY id");
        q.bind(1, action);
        q.bind(2, object_id);
        std::vector<json> out;
        while (q.executeStep()) out.push_back(json::parse(q.getColumn(0).getString()));
        return out;
    }

    std::vector<std::string> list_serials(const std::string& token, const std::string& query) {
        auto r = call(http, "GET", "/api/v1/devices" + query, token);
        EXPECT_EQ(r.status, 200) << query << ": " << r.body;
        const auto page = json_of(r);
        std::vector<std::string> out;
        for (const auto& d : page.at("items")) out.push_back(d.at("serial_number").get<std::string>());
        return out;
    }
};

// --- Enrollment ---

TEST_F(DeviceApi, EnrollIs201AndStoresTheSerialNormalised) {
    auto r = enroll(s.it_a, " dmpxk0qhjf8l ", open, json{{"asset_tag", "INV-0001"}});
    ASSERT_EQ(r.status, 201) << r.body;
    const auto d = json_of(r);
    EXPECT_EQ(d["serial_number"], "DMPXK0QHJF8L");
    EXPECT_EQ(d["status"], "in_storage");
    EXPECT_EQ(d["school_number"], SeededServer::kSchoolA);
    EXPECT_EQ(d["tranche_id"], open);
    EXPECT_EQ(d["asset_tag"], "INV-0001");
    EXPECT_EQ(d["model"], "iPad 10.9");
    EXPECT_EQ(d["enrolled_by"], "it-a");
    EXPECT_EQ(d["off_manifest"], false);
    EXPECT_EQ(r.header("Location"), "/api/v1/devices/DMPXK0QHJF8L");
    EXPECT_EQ(stored_status("DMPXK0QHJF8L"), "in_storage");
    EXPECT_EQ(audit_details("device.enroll", "DMPXK0QHJF8L").size(), 1u);
}

TEST_F(DeviceApi, EnrollingAnEnrolledSerialIs409) {
    enrolled(m(1), listed);
    EXPECT_EQ(enroll(s.it_a, m(1), listed).status, 409);
    EXPECT_EQ(enroll(s.it_a, serial("DMPN", 1), open).status, 201);
    EXPECT_EQ(enroll(s.admin, serial("DMPN", 1), at_b).status, 409);
    EXPECT_EQ(count("SELECT count(*) FROM devices"), 2);
}

TEST_F(DeviceApi, SerialNotOnTheManifestIs422) {
    auto r = enroll(s.it_a, serial("DMPQ", 1), listed);
    ASSERT_EQ(r.status, 422) << r.body;
    EXPECT_EQ(json_of(r)["errors"][0]["field"], "serial_number");
    EXPECT_EQ(stored_status(serial("DMPQ", 1)), "<absent>");
}

TEST_F(DeviceApi, OffManifestEnrollmentIs201AndRecordedInTheAuditLog) {
    auto r = enroll(s.it_a, serial("DMPQ", 2), listed, json{{"off_manifest", true}});
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(json_of(r)["off_manifest"], true);
    const auto details = audit_details("device.enroll", serial("DMPQ", 2));
    ASSERT_EQ(details.size(), 1u);
    EXPECT_EQ(details[0]["off_manifest"], true);
    EXPECT_EQ(details[0]["tranche_id"], listed);
}

TEST_F(DeviceApi, OffManifestDoesNotTakeASerialFromAnotherTranchesManifest) {
    const auto other = create_tranche(SeededServer::kSchoolA, grant, 5);
    auto r = enroll(s.it_a, m(1), other, json{{"off_manifest", true}});
    EXPECT_EQ(r.status, 422) << r.body;
    EXPECT_EQ(stored_status(m(1)), "<absent>");
}

TEST_F(DeviceApi, EnrollIntoAFullTrancheIs409) {
    const auto tiny = create_tranche(SeededServer::kSchoolA, grant, 2);
    enrolled(serial("DMPT", 1), tiny);
    enrolled(serial("DMPT", 2), tiny);
    auto r = enroll(s.it_a, serial("DMPT", 3), tiny);
    EXPECT_EQ(r.status, 409) << r.body;
    EXPECT_EQ(stored_status(serial("DMPT", 3)), "<absent>");
}

TEST_F(DeviceApi, InvalidEnrollmentFieldsAre422AndWrongTypes400) {
    EXPECT_EQ(enroll(s.it_a, "ABC123", open).status, 422);
    EXPECT_EQ(enroll(s.it_a, "DMPX-K0QH-JF8L", open).status, 422);
    EXPECT_EQ(enroll(s.it_a, "DMPXK0QHJF8LXYZ", open).status, 422);  // 15 characters
    EXPECT_EQ(call(http, "POST", "/api/v1/devices", s.it_a, json{{"serial_number", serial("DMPI", 1)}}).status, 422);
    EXPECT_EQ(call(http, "POST", "/api/v1/devices", s.it_a,
                   json{{"serial_number", serial("DMPI", 1)}, {"tranche_id", std::to_string(open)}}).status, 400);
    EXPECT_EQ(enroll(s.it_a, serial("DMPI", 1), 99999).status, 404);
    EXPECT_EQ(count("SELECT count(*) FROM devices"), 0);
}

TEST_F(DeviceApi, HeadteacherMayNotEnrollAndOtherSchoolSees404) {
    EXPECT_EQ(enroll(s.head_a, serial("DMPH", 1), open).status, 403);
    EXPECT_EQ(enroll(s.it_b, serial("DMPH", 1), open).status, 404);
    EXPECT_EQ(enroll(s.head_b, serial("DMPH", 1), open).status, 404);
    EXPECT_EQ(count("SELECT count(*) FROM devices"), 0);
}

// --- Scanning session ---

TEST_F(DeviceApi, ScanningSessionAnswersEachSerialOnItsOwn) {
    const auto other = create_tranche(SeededServer::kSchoolA, grant, 5);
    const std::string in_other = serial("DMPO", 1);
    ASSERT_EQ(http.request("PUT", tranche_path(other) + "/manifest", "serial_number\n" + in_other + "\n",
                           {{"Authorization", "Bearer " + s.it_a}, {"Content-Type", "text/csv"}}).status, 200);
    const std::string elsewhere = serial("DMPE", 1);
    enrolled(elsewhere, open);

    auto r = scan(s.it_a, listed, {"dmpm00000001", " DMPM00000002 ", "DMPM00000001", serial("DMPQ", 1), "AB12",
                                   in_other, elsewhere});
    ASSERT_EQ(r.status, 200) << r.body;
    const auto results = json_of(r).at("results");
    ASSERT_EQ(results.size(), 7u);
    const std::vector<std::tuple<std::string, std::string, std::string>> expected = {
        {m(1), "enrolled", ""},
        {m(2), "enrolled", ""},
        {m(1), "already_enrolled", ""},
        {serial("DMPQ", 1), "rejected", "not_on_manifest"},
        {"AB12", "rejected", "invalid_serial"},
        {in_other, "rejected", "in_other_manifest"},
        {elsewhere, "rejected", "enrolled_elsewhere"}};
    for (std::size_t i = 0; i < expected.size(); ++i) {
        const auto& [serial_number, status, reason] = expected[i];
        EXPECT_EQ(results[i]["serial_number"], serial_number) << i;
        EXPECT_EQ(results[i]["status"], status) << i;
        if (reason.empty()) {
            EXPECT_FALSE(results[i].contains("reason")) << i;
        } else {
            EXPECT_EQ(results[i]["reason"], reason) << i;
        }
    }
    EXPECT_EQ(count("SELECT count(*) FROM devices WHERE tranche_id = " + std::to_string(listed)), 2);
}

TEST_F(DeviceApi, ScanningTheSameSerialAgainLaterIsAlreadyEnrolled) {
    ASSERT_EQ(scan(s.it_a, listed, {m(1), m(2)}).status, 200);
    auto again = scan(s.it_a, listed, {m(2), m(3)});
    ASSERT_EQ(again.status, 200) << again.body;
    const auto results = json_of(again).at("results");
    EXPECT_EQ(results[0]["status"], "already_enrolled");
    EXPECT_EQ(results[1]["status"], "enrolled");
    EXPECT_EQ(count("SELECT count(*) FROM devices WHERE tranche_id = " + std::to_string(listed)), 3);
    EXPECT_EQ(audit_details("device.enroll", m(2)).size(), 1u);
}

TEST_F(DeviceApi, ScanningBeyondTheExpectedCountIsRejectedAsTrancheFull) {
    const auto tiny = create_tranche(SeededServer::kSchoolA, grant, 1);
    auto r = scan(s.it_a, tiny, {serial("DMPT", 1), serial("DMPT", 2)});
    ASSERT_EQ(r.status, 200) << r.body;
    const auto results = json_of(r).at("results");
    EXPECT_EQ(results[0]["status"], "enrolled");
    EXPECT_EQ(results[1]["status"], "rejected");
    EXPECT_EQ(results[1]["reason"], "tranche_full");
}

TEST_F(DeviceApi, ScanningIsForTheSchoolsItHelperOnly) {
    EXPECT_EQ(scan(s.head_a, listed, {m(1)}).status, 403);
    EXPECT_EQ(scan(s.it_b, listed, {m(1)}).status, 404);
    EXPECT_EQ(scan(s.it_a, 99999, {m(1)}).status, 404);
    EXPECT_EQ(call(http, "POST", tranche_path(listed) + "/enrollments", s.it_a, json{{"serial_numbers", m(1)}}).status, 400);
    EXPECT_EQ(count("SELECT count(*) FROM devices"), 0);
}

// --- List and detail ---

class DeviceList : public DeviceApi {
protected:
    void SetUp() override {
        DeviceApi::SetUp();
        enrolled(m(1), listed, json{{"asset_tag", "INV-7001"}});
        enrolled(m(2), listed, json{{"asset_tag", "INV-7002"}});
        enrolled(m(3), listed, json{{"asset_tag", "LAG-0003"}});
        enrolled(serial("DMPN", 1), open, json{{"asset_tag", "INV-8001"}});
        auto b = enroll(s.it_b, serial("DMPB", 1), at_b, json{{"asset_tag", "INV-7003"}});
        ASSERT_EQ(b.status, 201) << b.body;
        ASSERT_EQ(patch(s.it_a, m(2), json{{"status", "in_repair"}}).status, 200);
    }
    using V = std::vector<std::string>;
};

TEST_F(DeviceList, CityAdminSeesEveryDeviceInSerialOrder) {
    EXPECT_EQ(list_serials(s.admin, ""), (V{serial("DMPB", 1), m(1), m(2), m(3), serial("DMPN", 1)}));
}

TEST_F(DeviceList, SchoolRolesSeeOnlyTheirSchoolsDevices) {
    EXPECT_EQ(list_serials(s.it_a, ""), (V{m(1), m(2), m(3), serial("DMPN", 1)}));
    EXPECT_EQ(list_serials(s.head_a, ""), (V{m(1), m(2), m(3), serial("DMPN", 1)}));
    EXPECT_EQ(list_serials(s.it_b, ""), V{serial("DMPB", 1)});
    EXPECT_EQ(list_serials(s.it_b, "?tranche_id=" + std::to_string(listed)), V{});
    EXPECT_EQ(call(http, "GET", "/api/v1/devices?school_number=165432", s.head_b).status, 404);
    EXPECT_EQ(call(http, "GET", "/api/v1/devices?school_number=165432", s.it_b).status, 404);
}

TEST_F(DeviceList, FiltersBySchoolTrancheAndStatus) {
    EXPECT_EQ(list_serials(s.admin, "?school_number=165432"), (V{m(1), m(2), m(3), serial("DMPN", 1)}));
    EXPECT_EQ(list_serials(s.admin, "?school_number=100018"), V{serial("DMPB", 1)});
    EXPECT_EQ(list_serials(s.admin, "?tranche_id=" + std::to_string(listed)), (V{m(1), m(2), m(3)}));
    EXPECT_EQ(list_serials(s.admin, "?status=in_repair"), V{m(2)});
    EXPECT_EQ(list_serials(s.head_a, "?school_number=165432&status=in_storage"), (V{m(1), m(3), serial("DMPN", 1)}));
    EXPECT_EQ(list_serials(s.admin, "?tranche_id=" + std::to_string(listed) + "&status=in_storage"), (V{m(1), m(3)}));
}

TEST_F(DeviceList, QMatchesSerialPrefixesInAnyCase) {
    EXPECT_EQ(list_serials(s.it_a, "?q=DMPM"), (V{m(1), m(2), m(3)}));
    EXPECT_EQ(list_serials(s.it_a, "?q=dmpm"), (V{m(1), m(2), m(3)}));
    EXPECT_EQ(list_serials(s.it_a, "?q=dmpm00000002"), V{m(2)});
    EXPECT_EQ(list_serials(s.it_a, "?q=MPM"), V{});
}

TEST_F(DeviceList, QMatchesAssetTagPrefixesWithinScope) {
    EXPECT_EQ(list_serials(s.admin, "?q=INV-70"), (V{serial("DMPB", 1), m(1), m(2)}));
    EXPECT_EQ(list_serials(s.it_a, "?q=INV-70"), (V{m(1), m(2)}));
    EXPECT_EQ(list_serials(s.it_a, "?q=INV"), (V{m(1), m(2), serial("DMPN", 1)}));
    EXPECT_EQ(list_serials(s.it_a, "?q=LAG"), V{m(3)});
    EXPECT_EQ(list_serials(s.it_a, "?q=INV-70&status=in_repair"), V{m(2)});
}

TEST_F(DeviceList, PagesWithACursor) {
    std::vector<std::string> seen;
    std::string target = "/api/v1/devices?limit=2";
    int pages = 0;
    for (;;) {
        const auto page = json_of(call(http, "GET", target, s.admin));
        ++pages;
        for (const auto& d : page.at("items")) seen.push_back(d.at("serial_number").get<std::string>());
        if (page.at("next_cursor").is_null()) break;
        target = "/api/v1/devices?limit=2&cursor=" + page.at("next_cursor").get<std::string>();
    }
    EXPECT_EQ(pages, 3);
    EXPECT_EQ(seen, (V{serial("DMPB", 1), m(1), m(2), m(3), serial("DMPN", 1)}));
}

TEST_F(DeviceList, InvalidFiltersAreRefused) {
    EXPECT_EQ(call(http, "GET", "/api/v1/devices?status=broken", s.admin).status, 422);
    EXPECT_EQ(call(http, "GET", "/api/v1/devices?tranche_id=abc", s.admin).status, 400);
    EXPECT_EQ(call(http, "GET", "/api/v1/devices?limit=501", s.admin).status, 422);
    EXPECT_EQ(call(http, "GET", "/api/v1/devices?cursor=nonsense", s.admin).status, 400);
}

TEST_F(DeviceList, GetReturnsTheDeviceWithItsApiFields) {
    auto r = call(http, "GET", device_path("dmpm00000001"), s.head_a);
    ASSERT_EQ(r.status, 200) << r.body;
    const auto d = json_of(r);
    for (const char* field : {"serial_number", "asset_tag", "model", "school_number", "tranche_id", "status",
                              "enrolled_at", "enrolled_by", "last_report", "current_loan"}) {
        EXPECT_TRUE(d.contains(field)) << field;
    }
    EXPECT_EQ(d["serial_number"], m(1));
    EXPECT_EQ(d["asset_tag"], "INV-7001");
    EXPECT_TRUE(d["last_report"].is_null());
    EXPECT_TRUE(d["current_loan"].is_null());
}

TEST_F(DeviceList, GetOfAnotherSchoolsDeviceIs404LikeAnAbsentOne) {
    auto other = call(http, "GET", device_path(serial("DMPB", 1)), s.it_a);
    EXPECT_EQ(other.status, 404);
    auto absent = call(http, "GET", device_path(serial("DMPZ", 1)), s.it_a);
    EXPECT_EQ(absent.status, 404);
    EXPECT_EQ(json_of(other)["detail"], json_of(absent)["detail"]);
    EXPECT_EQ(call(http, "GET", device_path(m(1)), s.head_b).status, 404);
    EXPECT_EQ(call(http, "GET", device_path(serial("DMPB", 1)), s.head_b).status, 200);
}

// --- Lifecycle ---

TEST_F(DeviceApi, EveryLegalTransitionSucceeds) {
    // API.md: in_storage <-> in_use, either -> in_repair -> back, any -> lost | stolen,
    // any but retired -> retired. The grant's earmarking period is over, so retiring needs no reason.
    const std::vector<std::pair<std::string, std::string>> legal = {
        {"in_storage", "in_use"},  {"in_storage", "in_repair"}, {"in_storage", "lost"}, {"in_storage", "stolen"},
        {"in_storage", "retired"}, {"in_use", "in_storage"},    {"in_use", "in_repair"}, {"in_use", "lost"},
        {"in_use", "stolen"},      {"in_use", "retired"},       {"in_repair", "in_storage"}, {"in_repair", "in_use"},
        {"in_repair", "lost"},     {"in_repair", "stolen"},     {"in_repair", "retired"}, {"lost", "stolen"},
        {"lost", "retired"},       {"stolen", "lost"},          {"stolen", "retired"}};
    std::vector<std::string> serials;
    for (std::size_t i = 0; i < legal.size(); ++i) serials.push_back(serial("DMPL", static_cast<int>(i)));
    ASSERT_EQ(scan(s.it_a, old, serials).status, 200);
    for (std::size_t i = 0; i < legal.size(); ++i) {
        const auto& [from, to] = legal[i];
        force_status(serials[i], from);
        auto r = patch(s.it_a, serials[i], json{{"status", to}});
        EXPECT_EQ(r.status, 200) << from << " -> " << to << ": " << r.body;
        EXPECT_EQ(stored_status(serials[i]), to) << from << " -> " << to;
    }
}

TEST_F(DeviceApi, IllegalTransitionsAre409AndChangeNothing) {
    const std::vector<std::pair<std::string, std::string>> illegal = {
        {"retired", "in_use"}, {"retired", "in_storage"}, {"retired", "in_repair"}, {"retired", "lost"},
        {"retired", "stolen"}, {"lost", "in_repair"},     {"lost", "in_use"},       {"stolen", "in_repair"},
        {"stolen", "in_use"}};
    std::vector<std::string> serials;
    for (std::size_t i = 0; i < illegal.size(); ++i) serials.push_back(serial("DMPX", static_cast<int>(i)));
    ASSERT_EQ(scan(s.it_a, old, serials).status, 200);
    for (std::size_t i = 0; i < illegal.size(); ++i) {
        const auto& [from, to] = illegal[i];
        force_status(serials[i], from);
        auto r = patch(s.it_a, serials[i], json{{"status", to}});
        EXPECT_EQ(r.status, 409) << from << " -> " << to << ": " << r.body;
        EXPECT_EQ(stored_status(serials[i]), from) << from << " -> " << to;
    }
    EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action = 'device.status'"), 0);
}

TEST_F(DeviceApi, InvalidPatchFieldsAre422) {
    enrolled(serial("DMPP", 1), old);
    EXPECT_EQ(patch(s.it_a, serial("DMPP", 1), json{{"status", "broken"}}).status, 422);
    EXPECT_EQ(patch(s.it_a, serial("DMPP", 1), json{{"status", "in_use"}, {"retired_reason", "lost"}}).status, 422);
    EXPECT_EQ(patch(s.it_a, serial("DMPP", 1), json{{"status", "retired"}, {"retired_reason", "bored"}}).status, 422);
    EXPECT_EQ(patch(s.it_a, serial("DMPP", 1), json{{"colour", "blue"}}).status, 422);
    EXPECT_EQ(patch(s.it_a, serial("DMPP", 1), json{{"status", 3}}).status, 400);
    EXPECT_EQ(patch(s.it_a, serial("DMPZ", 1), json{{"status", "in_use"}}).status, 404);
    EXPECT_EQ(stored_status(serial("DMPP", 1)), "in_storage");
}

TEST_F(DeviceApi, PatchUpdatesAssetTagLocationAndNote) {
    enrolled(serial("DMPP", 2), open);
    auto r = patch(s.it_a, serial("DMPP", 2), json{{"asset_tag", "INV-9"}, {"location", "Raum 204"}, {"note", "Hülle fehlt"}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(json_of(r)["asset_tag"], "INV-9");
    EXPECT_EQ(json_of(r)["location"], "Raum 204");
    EXPECT_EQ(json_of(r)["note"], "Hülle fehlt");
    EXPECT_EQ(audit_details("device.update", serial("DMPP", 2)).size(), 1u);
}

TEST_F(DeviceApi, RetiringWithinTheEarmarkingPeriodWithoutReasonAndNoteIs409) {
    const std::string d = serial("DMPR", 1);
    enrolled(d, open);
    EXPECT_EQ(patch(s.it_a, d, json{{"status", "retired"}}).status, 409);
    EXPECT_EQ(patch(s.it_a, d, json{{"status", "retired"}, {"retired_reason", "damaged_beyond_repair"}}).status, 409);
    EXPECT_EQ(patch(s.it_a, d, json{{"status", "retired"}, {"note", "Display gebrochen"}}).status, 409);
    EXPECT_EQ(patch(s.it_a, d, json{{"status", "retired"}, {"retired_reason", "damaged_beyond_repair"}, {"note", "  "}}).status, 409);
    EXPECT_EQ(stored_status(d), "in_storage");
}

TEST_F(DeviceApi, RetiringWithinTheEarmarkingPeriodWithReasonAndNoteIsAuditedAsException) {
    const std::string d = serial("DMPR", 2);
    enrolled(d, open);
    auto r = patch(s.it_a, d, json{{"status", "retired"}, {"retired_reason", "damaged_beyond_repair"},
                                   {"note", "Wasserschaden, Gutachten 2026-11"}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(json_of(r)["status"], "retired");
    EXPECT_EQ(json_of(r)["retired_reason"], "damaged_beyond_repair");
    const auto details = audit_details("device.status", d);
    ASSERT_EQ(details.size(), 1u);
    EXPECT_EQ(details[0]["earmark_exception"], true);
    EXPECT_EQ(details[0]["to"], "retired");
    EXPECT_EQ(details[0]["retired_reason"], "damaged_beyond_repair");
}

TEST_F(DeviceApi, RetiringAfterTheEarmarkingPeriodNeedsNoReason) {
    const std::string d = serial("DMPR", 3);
    enrolled(d, old);
    auto r = patch(s.it_a, d, json{{"status", "retired"}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(stored_status(d), "retired");
    const auto details = audit_details("device.status", d);
    ASSERT_EQ(details.size(), 1u);
    EXPECT_FALSE(details[0].contains("earmark_exception"));
}

// --- Loans ---

TEST_F(DeviceApi, LendingIs201AndPutsTheDeviceInUse) {
    const std::string d = serial("DMPK", 1);
    enrolled(d, open);
    auto r = call(http, "POST", device_path(d) + "/loans", s.it_a, kLoan);
    ASSERT_EQ(r.status, 201) << r.body;
    const auto loan = json_of(r);
    EXPECT_EQ(loan["serial_number"], d);
    EXPECT_EQ(loan["borrower_ref"], "5b-17");
    EXPECT_EQ(loan["borrower_kind"], "student");
    EXPECT_EQ(loan["agreement_ref"], "LV-2026-017");
    EXPECT_EQ(loan["due_on"], "2027-07-15");
    EXPECT_EQ(loan["started_by"], "it-a");
    EXPECT_TRUE(loan["returned_at"].is_null());
    EXPECT_EQ(stored_status(d), "in_use");
    EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action = 'loan.create'"), 1);
}

TEST_F(DeviceApi, LendingADeviceAlreadyOnLoanIs409) {
    const std::string d = serial("DMPK", 2);
    enrolled(d, open);
    ASSERT_EQ(call(http, "POST", device_path(d) + "/loans", s.it_a, kLoan).status, 201);
    json second = kLoan;
    second["borrower_ref"] = "7a-03";
    EXPECT_EQ(call(http, "POST", device_path(d) + "/loans", s.it_a, second).status, 409);
    EXPECT_EQ(count("SELECT count(*) FROM loans"), 1);
}

TEST_F(DeviceApi, LendingADeviceInRepairIs409) {
    const std::string d = serial("DMPK", 3);
    enrolled(d, open);
    ASSERT_EQ(patch(s.it_a, d, json{{"status", "in_repair"}}).status, 200);
    EXPECT_EQ(call(http, "POST", device_path(d) + "/loans", s.it_a, kLoan).status, 409);
    EXPECT_EQ(count("SELECT count(*) FROM loans"), 0);
}

TEST_F(DeviceApi, RetiringADeviceOnLoanIs409) {
    const std::string d = serial("DMPK", 4);
    enrolled(d, old);
    ASSERT_EQ(call(http, "POST", device_path(d) + "/loans", s.it_a, kLoan).status, 201);
    EXPECT_EQ(patch(s.it_a, d, json{{"status", "retired"}}).status, 409);
    EXPECT_EQ(stored_status(d), "in_use");
}

TEST_F(DeviceApi, PuttingADeviceOnLoanIntoStorageIs409UntilItIsReturned) {
    const std::string d = serial("DMPK", 12);
    enrolled(d, open);
    ASSERT_EQ(call(http, "POST", device_path(d) + "/loans", s.it_a, kLoan).status, 201);
    EXPECT_EQ(patch(s.it_a, d, json{{"status", "in_storage"}}).status, 409);
    EXPECT_EQ(stored_status(d), "in_use");
    EXPECT_EQ(patch(s.it_a, d, json{{"status", "in_repair"}}).status, 200);  // the borrower's device is repaired
    EXPECT_EQ(patch(s.it_a, d, json{{"status", "in_storage"}}).status, 409);
    ASSERT_EQ(call(http, "POST", device_path(d) + "/loans/current/return", s.it_a, json::object()).status, 200);
    EXPECT_EQ(patch(s.it_a, d, json{{"status", "in_storage"}}).status, 200);
}

TEST_F(DeviceApi, BorrowerRefThatLooksLikeANameIs422) {
    const std::string d = serial("DMPK", 5);
    enrolled(d, open);
    for (const char* name : {"Anna Müller", "Anna", "Mueller"}) {
        json body = kLoan;
        body["borrower_ref"] = name;
        auto r = call(http, "POST", device_path(d) + "/loans", s.it_a, body);
        ASSERT_EQ(r.status, 422) << name << ": " << r.body;
        EXPECT_EQ(json_of(r)["errors"][0]["field"], "borrower_ref") << name;
    }
    EXPECT_EQ(count("SELECT count(*) FROM loans"), 0);
    EXPECT_EQ(stored_status(d), "in_storage");
}

TEST_F(DeviceApi, InvalidBorrowerKindOrMissingAgreementIs422) {
    const std::string d = serial("DMPK", 6);
    enrolled(d, open);
    json parent = kLoan;
    parent["borrower_kind"] = "parent";
    auto r = call(http, "POST", device_path(d) + "/loans", s.it_a, parent);
    ASSERT_EQ(r.status, 422) << r.body;
    EXPECT_EQ(json_of(r)["errors"][0]["field"], "borrower_kind");
    json no_agreement = kLoan;
    no_agreement.erase("agreement_ref");
    EXPECT_EQ(call(http, "POST", device_path(d) + "/loans", s.it_a, no_agreement).status, 422);
    json bad_due = kLoan;
    bad_due["due_on"] = "Sommerferien";
    EXPECT_EQ(call(http, "POST", device_path(d) + "/loans", s.it_a, bad_due).status, 422);
    EXPECT_EQ(count("SELECT count(*) FROM loans"), 0);
}

TEST_F(DeviceApi, ReturningDamagedIs200AndRecordsTheCondition) {
    const std::string d = serial("DMPK", 7);
    enrolled(d, open);
    ASSERT_EQ(call(http, "POST", device_path(d) + "/loans", s.it_a, kLoan).status, 201);
    auto r = call(http, "POST", device_path(d) + "/loans/current/return", s.it_a,
                  json{{"condition", "damaged"}, {"note", "Displayriss links oben"}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(json_of(r)["return_condition"], "damaged");
    EXPECT_FALSE(json_of(r)["returned_at"].is_null());
    EXPECT_EQ(stored_status(d), "in_storage");
    server::sql::Statement q(
        s.server.db(), "SELECT return_condition, return_note, returned_by, returned_at FROM loans");
    ASSERT_TRUE(q.executeStep());
    EXPECT_EQ(q.getColumn(0).getString(), "damaged");
    EXPECT_EQ(q.getColumn(1).getString(), "Displayriss links oben");
    EXPECT_EQ(q.getColumn(2).getString(), "it-a");
    EXPECT_FALSE(q.getColumn(3).isNull());
}

TEST_F(DeviceApi, ReturningADeviceNotOnLoanIs409) {
    const std::string d = serial("DMPK", 8);
    enrolled(d, open);
    EXPECT_EQ(call(http, "POST", device_path(d) + "/loans/current/return", s.it_a, json::object()).status, 409);
    ASSERT_EQ(call(http, "POST", device_path(d) + "/loans", s.it_a, kLoan).status, 201);
    ASSERT_EQ(call(http, "POST", device_path(d) + "/loans/current/return", s.it_a, json{{"condition", "ok"}}).status, 200);
    EXPECT_EQ(call(http, "POST", device_path(d) + "/loans/current/return", s.it_a, json{{"condition", "ok"}}).status, 409);
    EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action = 'loan.return'"), 1);
}

TEST_F(DeviceApi, InvalidReturnConditionIs422) {
    const std::string d = serial("DMPK", 9);
    enrolled(d, open);
    ASSERT_EQ(call(http, "POST", device_path(d) + "/loans", s.it_a, kLoan).status, 201);
    EXPECT_EQ(call(http, "POST", device_path(d) + "/loans/current/return", s.it_a, json{{"condition", "broken"}}).status, 422);
    EXPECT_EQ(stored_status(d), "in_use");
}

TEST_F(DeviceApi, ReadingADeviceOnLoanReturnsTheLoanAndAuditsTheRead) {
    const std::string d = serial("DMPK", 10);
    const std::string idle = serial("DMPK", 11);
    enrolled(d, open);
    enrolled(idle, open);
    ASSERT_EQ(call(http, "POST", device_path(d) + "/loans", s.it_a, kLoan).status, 201);
    EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action = 'loan.read'"), 0);

    auto r = call(http, "GET", device_path(d), s.head_a);
    ASSERT_EQ(r.status, 200) << r.body;
    const auto device = json_of(r);
    ASSERT_TRUE(device["current_loan"].is_object());
    EXPECT_EQ(device["current_loan"]["borrower_ref"], "5b-17");
    EXPECT_EQ(device["current_loan"]["agreement_ref"], "LV-2026-017");
    server::sql::Statement q(
        s.server.db(),
        "SELECT actor, school_number, detail FROM audit_log WHERE action = 'loan.read'");
    ASSERT_TRUE(q.executeStep());
    EXPECT_EQ(q.getColumn(0).getString(), "head-a");
    EXPECT_EQ(q.getColumn(1).getString(), SeededServer::kSchoolA);
    EXPECT_EQ(json::parse(q.getColumn(2).getString())["serial_number"], d);
    EXPECT_FALSE(q.executeStep());

    ASSERT_EQ(call(http, "GET", device_path(idle), s.head_a).status, 200);
    EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action = 'loan.read'"), 1);
}

// --- History ---

TEST_F(DeviceApi, EventsAreNewestFirstAndPaged) {
    const std::string d = serial("DMPV", 1);
    enrolled(d, open);
    ASSERT_EQ(patch(s.it_a, d, json{{"status", "in_repair"}}).status, 200);
    ASSERT_EQ(patch(s.it_a, d, json{{"status", "in_storage"}}).status, 200);
    ASSERT_EQ(call(http, "POST", device_path(d) + "/loans", s.it_a, kLoan).status, 201);
    ASSERT_EQ(call(http, "POST", device_path(d) + "/loans/current/return", s.it_a, json{{"condition", "ok"}}).status, 200);

    auto r = call(http, "GET", device_path(d) + "/events", s.head_a);
    ASSERT_EQ(r.status, 200) << r.body;
    const auto all = json_of(r);
    std::vector<std::string> kinds;
    std::vector<std::int64_t> ids;
    for (const auto& e : all.at("items")) {
        kinds.push_back(e.at("kind").get<std::string>());
        ids.push_back(e.at("id").get<std::int64_t>());
    }
    EXPECT_EQ(kinds, (std::vector<std::string>{"returned", "loaned", "status_changed", "status_changed", "enrolled"}));
    EXPECT_TRUE(std::is_sorted(ids.rbegin(), ids.rend()));
    EXPECT_EQ(all.at("items")[2]["detail"]["to"], "in_storage");
    EXPECT_EQ(all.at("items")[3]["detail"]["from"], "in_storage");
    EXPECT_TRUE(all.at("next_cursor").is_null());

    std::vector<std::int64_t> paged;
    std::string target = device_path(d) + "/events?limit=2";
    int pages = 0;
    for (;;) {
        const auto page = json_of(call(http, "GET", target, s.it_a));
        ++pages;
        for (const auto& e : page.at("items")) paged.push_back(e.at("id").get<std::int64_t>());
        if (page.at("next_cursor").is_null()) break;
        target = device_path(d) + "/events?limit=2&cursor=" + page.at("next_cursor").get<std::string>();
    }
    EXPECT_EQ(pages, 3);
    EXPECT_EQ(paged, ids);
    EXPECT_EQ(call(http, "GET", device_path(d) + "/events", s.it_b).status, 404);
}

// --- Roles ---

TEST_F(DeviceApi, HeadteacherMayReadButEveryMutationIs403) {
    const std::string d = serial("DMPW", 1);
    enrolled(d, open);
    EXPECT_EQ(call(http, "GET", "/api/v1/devices", s.head_a).status, 200);
    EXPECT_EQ(call(http, "GET", device_path(d), s.head_a).status, 200);
    EXPECT_EQ(call(http, "GET", device_path(d) + "/events", s.head_a).status, 200);
    EXPECT_EQ(call(http, "GET", tranche_path(open) + "/reconciliation", s.head_a).status, 200);

    EXPECT_EQ(enroll(s.head_a, serial("DMPW", 2), open).status, 403);
    EXPECT_EQ(scan(s.head_a, open, {serial("DMPW", 3)}).status, 403);
    EXPECT_EQ(patch(s.head_a, d, json{{"status", "in_use"}}).status, 403);
    EXPECT_EQ(patch(s.head_a, d, json{{"note", "x"}}).status, 403);
    EXPECT_EQ(call(http, "POST", device_path(d) + "/loans", s.head_a, kLoan).status, 403);
    EXPECT_EQ(call(http, "POST", device_path(d) + "/loans/current/return", s.head_a, json::object()).status, 403);
    EXPECT_EQ(http.request("PUT", tranche_path(open) + "/manifest", "serial_number\n" + serial("DMPW", 4) + "\n",
                           {{"Authorization", "Bearer " + s.head_a}, {"Content-Type", "text/csv"}}).status, 403);
    EXPECT_EQ(count("SELECT count(*) FROM devices"), 1);
    EXPECT_EQ(count("SELECT count(*) FROM loans"), 0);
    EXPECT_EQ(count("SELECT count(*) FROM manifest_entries WHERE tranche_id = " + std::to_string(open)), 0);
    EXPECT_EQ(stored_status(d), "in_storage");
}

TEST_F(DeviceApi, AnotherSchoolsHelperGets404OnEveryDeviceEndpoint) {
    const std::string d = serial("DMPW", 5);
    enrolled(d, open);
    ASSERT_EQ(call(http, "POST", device_path(d) + "/loans", s.it_a, kLoan).status, 201);
    EXPECT_EQ(call(http, "GET", device_path(d), s.it_b).status, 404);
    EXPECT_EQ(call(http, "GET", device_path(d) + "/events", s.it_b).status, 404);
    EXPECT_EQ(patch(s.it_b, d, json{{"status", "lost"}}).status, 404);
    EXPECT_EQ(call(http, "POST", device_path(d) + "/loans", s.it_b, kLoan).status, 404);
    EXPECT_EQ(call(http, "POST", device_path(d) + "/loans/current/return", s.it_b, json::object()).status, 404);
    EXPECT_EQ(stored_status(d), "in_use");
    EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action = 'loan.read'"), 0);
}

// --- Audit trail ---

class AuditRead : public DeviceApi {
protected:
    void SetUp() override {
        DeviceApi::SetUp();
        enrolled(m(1), listed);
        auto b = enroll(s.it_b, serial("DMPB", 1), at_b);
        ASSERT_EQ(b.status, 201) << b.body;
        ASSERT_EQ(patch(s.it_a, m(1), json{{"status", "in_use"}}).status, 200);
    }

    std::vector<json> all_items(const std::string& token, const std::string& query, int limit) {
        std::vector<json> out;
        std::string target = "/api/v1/audit?limit=" + std::to_string(limit) + query;
        for (;;) {
            auto r = call(http, "GET", target, token);
            EXPECT_EQ(r.status, 200) << r.body;
            if (r.status != 200) break;
            const auto page = json_of(r);
            for (const auto& item : page.at("items")) out.push_back(item);
            if (page.at("next_cursor").is_null()) break;
            target = "/api/v1/audit?limit=" + std::to_string(limit) + query + "&cursor=" + page.at("next_cursor").get<std::string>();
        }
        return out;
    }
};

TEST_F(AuditRead, HeadteacherSeesOnlyTheirSchoolsEntries) {
    const auto items = all_items(s.head_a, "", 50);
    ASSERT_FALSE(items.empty());
    std::set<std::string> actions;
    for (const auto& item : items) {
        EXPECT_EQ(item["school_number"], SeededServer::kSchoolA) << item.dump();
        EXPECT_NE(item["object_id"], serial("DMPB", 1));
        actions.insert(item["action"].get<std::string>());
    }
    EXPECT_TRUE(actions.count("device.enroll"));
    EXPECT_TRUE(actions.count("device.status"));
    EXPECT_FALSE(actions.count("grant.create"));
}

TEST_F(AuditRead, AskingForAnotherSchoolIs404) {
    EXPECT_EQ(call(http, "GET", "/api/v1/audit?school_number=100018", s.head_a).status, 404);
    EXPECT_EQ(call(http, "GET", "/api/v1/audit?school_number=100018", s.it_a).status, 404);
    auto own = call(http, "GET", "/api/v1/audit?school_number=165432", s.head_a);
    EXPECT_EQ(own.status, 200);
}

TEST_F(AuditRead, CityAdminSeesEveryEntryNewestFirstAcrossPages) {
    const auto items = all_items(s.admin, "", 3);
    EXPECT_EQ(static_cast<int>(items.size()), count("SELECT count(*) FROM audit_log"));
    std::vector<std::int64_t> ids;
    std::set<std::string> schools;
    for (const auto& item : items) {
        ids.push_back(item.at("id").get<std::int64_t>());
        schools.insert(item["school_number"].is_null() ? "<city>" : item["school_number"].get<std::string>());
    }
    EXPECT_TRUE(std::adjacent_find(ids.begin(), ids.end(), std::less_equal<>()) == ids.end()) << "not strictly newest first";
    EXPECT_EQ(schools, (std::set<std::string>{"<city>", SeededServer::kSchoolA, SeededServer::kSchoolB}));
    EXPECT_EQ(items.front()["action"], "device.status");
}

TEST_F(AuditRead, CityAdminFiltersBySchool) {
    const auto items = all_items(s.admin, "&school_number=100018", 50);
    ASSERT_FALSE(items.empty());
    for (const auto& item : items) EXPECT_EQ(item["school_number"], SeededServer::kSchoolB);
}

}  // namespace
}  // namespace pakt::test
