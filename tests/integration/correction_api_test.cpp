// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// Corrections that real rollouts need, over real HTTPS: a delivery's details corrected (audited
// field by field, figures of the proof of use frozen after spend_by), a mistaken enrollment
// undone (and refused where it would falsify the proof of use); agents' intervals and states and
// the state filter; the enroll secret's server URL, fingerprint and the command line that
// enrolls the real pakt-agent; the earmark report and the device list filters behind it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "common/checkin_report.hpp"
#include "common/time.hpp"
#include "server/domain/agent_enrollment.hpp"
#include "server/http/router.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_server.hpp"

namespace pakt::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

const fs::path kAgent = PAKT_AGENT_PATH;

class CorrectionApi : public ::testing::Test {
  protected:
    SeededServer s;
    HttpsClient& http = *s.http;
    // Grant dates relative to today, so the tests mean the same in every year.
    const int year = std::stoi(german_date(Clock::now()).substr(0, 4));

    std::string mid_year(int years_from_now) const {
        return std::to_string(year + years_from_now) + "-06-30";
    }

    // A DP-BASIS grant whose implementation period ends mid-year `spend_by_years` from now
    // (negative: it has ended; from -5 on, its earmarking period has ended too).
    std::int64_t create_grant(const std::string& reference, int spend_by_years) {
        auto r = call(http, "POST", "/api/v1/grants", s.admin,
                      json{{"programme", "DP-BASIS"},
                           {"reference", reference},
                           {"title", "Title " + reference},
                           {"amount_cents", 100'000'000},
                           {"approved_on", std::to_string(year - 9) + "-01-01"},
                           {"spend_by", mid_year(spend_by_years)}});
        EXPECT_EQ(r.status, 201) << r.body;
        return json_of(r).at("id").get<std::int64_t>();
    }

    json tranche_body(const std::string& school, std::int64_t grant, int expected) const {
        return {{"school_number", school},     {"grant_id", grant},
                {"supplier", "Bechtle AG"},    {"order_number", "PO-0815"},
                {"delivery_note", "LS-4711"},  {"delivered_on", "2023-08-21"},
                {"model", "iPad 10.9 (2022)"}, {"unit_price_cents", 44900},
                {"expected_count", expected}};
    }

    std::int64_t create_tranche(const std::string& school, std::int64_t grant, int expected = 10) {
        auto r =
            call(http, "POST", "/api/v1/tranches", s.admin, tranche_body(school, grant, expected));
        EXPECT_EQ(r.status, 201) << r.body;
        return json_of(r).at("id").get<std::int64_t>();
    }

    static std::string tranche_path(std::int64_t id) {
        return "/api/v1/tranches/" + std::to_string(id);
    }

    void enroll(const std::string& serial_number, std::int64_t tranche,
                const std::string& asset_tag = "") {
        json body = {{"serial_number", serial_number}, {"tranche_id", tranche}};
        if (!asset_tag.empty()) body["asset_tag"] = asset_tag;
        auto r = call(http, "POST", "/api/v1/devices", s.admin, body);
        ASSERT_EQ(r.status, 201) << r.body;
    }

    HttpResponse set_status(const std::string& serial_number, const json& change) {
        return call(http, "PATCH", "/api/v1/devices/" + serial_number, s.admin, change);
    }

    HttpResponse unenroll(const std::string& serial_number, const std::string& token,
                          const json& body = json{{"reason", "scanned into the wrong delivery"}}) {
        return call(http, "POST", "/api/v1/devices/" + serial_number + "/unenroll", token, body);
    }

    // What an agent last reported about a device, written as a check-in would.
    void reported(const std::string& serial_number, Clock::time_point seen_at) {
        server::sql::Statement q(
            s.server.db(),
            "INSERT INTO device_reports (school_number, serial_number, agent_id, seen_at, "
            "os_version, managed, report_id, updated_at) VALUES ((SELECT school_number FROM "
            "devices "
            "WHERE serial_number = ?1), ?1, 1, ?2, '17.5', 1, 'test-report', ?3) "
            "ON CONFLICT (school_number, serial_number) DO UPDATE SET seen_at = excluded.seen_at, "
            "updated_at = excluded.updated_at");
        q.bind(1, serial_number);
        q.bind(2, format_rfc3339(seen_at));
        q.bind(3, format_rfc3339(seen_at));
        q.exec();
    }

    int count(const std::string& sql) {
        server::sql::Statement q(s.server.db(), sql);
        q.executeStep();
        return q.getColumn(0).getInt();
    }

    // The detail of the newest audit entry of `action` on `object_id`; null if there is none.
    json audit_detail(const std::string& action, const std::string& object_id) {
        server::sql::Statement q(
            s.server.db(),
            "SELECT detail FROM audit_log WHERE action = ? AND object_id = ? ORDER "
            "BY id DESC LIMIT 1");
        q.bind(1, action);
        q.bind(2, object_id);
        if (!q.executeStep()) return nullptr;
        return json::parse(q.getColumn(0).getString());
    }

    static std::set<std::string> error_fields(const HttpResponse& r) {
        std::set<std::string> fields;
        const json problem = json_of(r);
        for (const auto& e : problem.at("errors")) fields.insert(e.at("field").get<std::string>());
        return fields;
    }

    // Every item of a paged list, following next_cursor with `limit` per page; each page but
    // the last must be full.
    std::vector<json> all_pages(const std::string& target, const std::string& token, int limit) {
        std::vector<json> items;
        std::string cursor;
        for (int page = 0; page < 100; ++page) {
            const std::string sep = target.find('?') == std::string::npos ? "?" : "&";
            auto r = call(http, "GET",
                          target + sep + "limit=" + std::to_string(limit) +
                              (cursor.empty() ? "" : "&cursor=" + cursor),
                          token);
            EXPECT_EQ(r.status, 200) << r.body;
            const json body = json_of(r);
            for (const auto& item : body.at("items")) items.push_back(item);
            if (body.at("next_cursor").is_null()) return items;
            EXPECT_EQ(body.at("items").size(), static_cast<std::size_t>(limit))
                << "a page before the last is full";
            cursor = body.at("next_cursor").get<std::string>();
        }
        ADD_FAILURE() << "more than 100 pages of " << target;
        return items;
    }

    static std::vector<std::string> serials_of(const std::vector<json>& devices) {
        std::vector<std::string> out;
        for (const auto& d : devices) out.push_back(d.at("serial_number").get<std::string>());
        return out;
    }
};

// --- PATCH /tranches/{id} ---------------------------------------------------------------------

TEST_F(CorrectionApi, PatchTranche_ChangesDetailsAndAuditsFromAndToOfEachChangedField) {
    const auto grant = create_grant("AZ-RUNNING", 1);
    const auto tranche = create_tranche(SeededServer::kSchoolA, grant);
    auto r = call(http, "PATCH", tranche_path(tranche), s.admin,
                  json{{"supplier", "Cancom GmbH"},
                       {"order_number", "PO-0815"},
                       {"unit_price_cents", 42900},
                       {"expected_count", 12},
                       {"delivered_on", "2023-08-22"}});
    ASSERT_EQ(r.status, 200) << r.body;
    const json t = json_of(r);
    EXPECT_EQ(t["supplier"], "Cancom GmbH");
    EXPECT_EQ(t["unit_price_cents"], 42900);
    EXPECT_EQ(t["expected_count"], 12);
    EXPECT_EQ(t["delivered_on"], "2023-08-22");
    EXPECT_EQ(t["order_number"], "PO-0815");
    EXPECT_EQ(t["progress"]["expected"], 12);
    EXPECT_EQ(json_of(call(http, "GET", tranche_path(tranche), s.it_a)), t);
    // The order number was sent unchanged: no entry for it.
    EXPECT_EQ(audit_detail("tranche.update", std::to_string(tranche)),
              (json{{"supplier", {{"from", "Bechtle AG"}, {"to", "Cancom GmbH"}}},
                    {"unit_price_cents", {{"from", 44900}, {"to", 42900}}},
                    {"expected_count", {{"from", 10}, {"to", 12}}},
                    {"delivered_on", {{"from", "2023-08-21"}, {"to", "2023-08-22"}}}}));
    EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action = 'tranche.update' AND "
                    "school_number = '165432' "
                    "AND actor = 'admin'"),
              1);
}

TEST_F(CorrectionApi, PatchTranche_ThatChangesNothingAnswersTheTrancheAndWritesNothing) {
    const auto tranche = create_tranche(SeededServer::kSchoolA, create_grant("AZ-RUNNING", 1));
    const json before = json_of(call(http, "GET", tranche_path(tranche), s.admin));
    for (const json& body :
         {json::object(), json{{"supplier", "Bechtle AG"}, {"expected_count", 10}}}) {
        auto r = call(http, "PATCH", tranche_path(tranche), s.admin, body);
        ASSERT_EQ(r.status, 200) << r.body;
        EXPECT_EQ(json_of(r), before);
    }
    EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action = 'tranche.update'"), 0);
}

TEST_F(CorrectionApi, PatchTranche_ExpectedCountBelowTheEnrolledDevicesIs409) {
    const auto tranche = create_tranche(SeededServer::kSchoolA, create_grant("AZ-RUNNING", 1));
    for (int i = 1; i <= 3; ++i) enroll(serial("DMPE", i), tranche);
    auto refused = call(http, "PATCH", tranche_path(tranche), s.admin, json{{"expected_count", 2}});
    ASSERT_EQ(refused.status, 409) << refused.body;
    EXPECT_EQ(json_of(refused)["type"], "urn:pakt:problem:conflict");
    EXPECT_EQ(error_fields(refused), std::set<std::string>{"expected_count"});
    EXPECT_EQ(json_of(call(http, "GET", tranche_path(tranche), s.admin))["expected_count"], 10);
    auto exact = call(http, "PATCH", tranche_path(tranche), s.admin, json{{"expected_count", 3}});
    ASSERT_EQ(exact.status, 200) << exact.body;
    EXPECT_EQ(json_of(exact)["expected_count"], 3);
}

TEST_F(CorrectionApi, PatchTranche_PriceAndCountAreFrozenOnceSpendByHasPassed) {
    const auto grant = create_grant("AZ-ENDED", -1);
    const auto tranche = create_tranche(SeededServer::kSchoolA, grant);
    auto price = call(http, "PATCH", tranche_path(tranche), s.admin, json{{"unit_price_cents", 1}});
    ASSERT_EQ(price.status, 409) << price.body;
    EXPECT_EQ(json_of(price)["type"], "urn:pakt:problem:proof-of-use-frozen");
    EXPECT_EQ(error_fields(price), std::set<std::string>{"unit_price_cents"});
    EXPECT_THAT(json_of(price)["detail"].get<std::string>(), HasSubstr(mid_year(-1)));

    auto both = call(http, "PATCH", tranche_path(tranche), s.admin,
                     json{{"unit_price_cents", 1}, {"expected_count", 11}, {"supplier", "Cancom"}});
    ASSERT_EQ(both.status, 409) << both.body;
    EXPECT_EQ(error_fields(both), (std::set<std::string>{"unit_price_cents", "expected_count"}));

    // Nothing of a refused change is stored, not even its correctable part.
    const json t = json_of(call(http, "GET", tranche_path(tranche), s.admin));
    EXPECT_EQ(t["unit_price_cents"], 44900);
    EXPECT_EQ(t["expected_count"], 10);
    EXPECT_EQ(t["supplier"], "Bechtle AG");
    EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action = 'tranche.update'"), 0);

    // The current figures sent again and the text details are accepted.
    auto text = call(
        http, "PATCH", tranche_path(tranche), s.admin,
        json{{"unit_price_cents", 44900}, {"expected_count", 10}, {"delivery_note", "LS-4712"}});
    ASSERT_EQ(text.status, 200) << text.body;
    EXPECT_EQ(json_of(text)["delivery_note"], "LS-4712");
    EXPECT_EQ(audit_detail("tranche.update", std::to_string(tranche)),
              (json{{"delivery_note", {{"from", "LS-4711"}, {"to", "LS-4712"}}}}));
}

TEST_F(CorrectionApi, PatchTranche_IsForCityAdminOnlyAndHidesOtherSchools) {
    const auto tranche = create_tranche(SeededServer::kSchoolA, create_grant("AZ-RUNNING", 1));
    const json change = {{"supplier", "Cancom"}};
    EXPECT_EQ(call(http, "PATCH", tranche_path(tranche), s.it_a, change).status, 403);
    EXPECT_EQ(call(http, "PATCH", tranche_path(tranche), s.head_a, change).status, 403);
    EXPECT_EQ(call(http, "PATCH", tranche_path(tranche), s.it_b, change).status, 404);
    EXPECT_EQ(call(http, "PATCH", tranche_path(tranche), "", change).status, 401);
    EXPECT_EQ(call(http, "PATCH", tranche_path(tranche + 100), s.admin, change).status, 404);
    EXPECT_EQ(call(http, "PATCH", "/api/v1/tranches/abc", s.admin, change).status, 404);
    EXPECT_EQ(json_of(call(http, "GET", tranche_path(tranche), s.admin))["supplier"], "Bechtle AG");
}

TEST_F(CorrectionApi, PatchTranche_IsValidatedLikeCreation) {
    const auto tranche = create_tranche(SeededServer::kSchoolA, create_grant("AZ-RUNNING", 1));
    const std::vector<std::pair<json, std::string>> invalid = {
        {{{"expected_count", 0}}, "expected_count"},
        {{{"expected_count", 100'001}}, "expected_count"},
        {{{"unit_price_cents", -1}}, "unit_price_cents"},
        {{{"unit_price_cents", 10'000'001}}, "unit_price_cents"},
        {{{"delivered_on", "2023-02-30"}}, "delivered_on"},
        {{{"supplier", std::string(201, 'x')}}, "supplier"},
        {{{"order_number", "PO\x01"}}, "order_number"},
        {{{"model", std::string(101, 'x')}}, "model"},
        {{{"school_number", SeededServer::kSchoolB}}, "school_number"},
        {{{"grant_id", 1}}, "grant_id"},
    };
    for (const auto& [body, field] : invalid) {
        auto r = call(http, "PATCH", tranche_path(tranche), s.admin, body);
        EXPECT_EQ(r.status, 422) << body.dump();
        if (r.status == 422) {
            EXPECT_EQ(error_fields(r), std::set<std::string>{field}) << body.dump();
        }
    }
    for (const json& body : {json{{"unit_price_cents", "12"}}, json{{"expected_count", nullptr}},
                             json{{"supplier", 7}}, json::array()}) {
        EXPECT_EQ(call(http, "PATCH", tranche_path(tranche), s.admin, body).status, 400)
            << body.dump();
    }
    auto text =
        http.request("PATCH", tranche_path(tranche), "supplier=x",
                     {{"Authorization", "Bearer " + s.admin}, {"Content-Type", "text/plain"}});
    EXPECT_EQ(text.status, 415);
    EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action = 'tranche.update'"), 0);
}

// --- POST /devices/{serial}/unenroll ----------------------------------------------------------

TEST_F(CorrectionApi, Unenroll_RemovesDeviceHistoryAndReportAndTheAuditEntryKeepsThem) {
    const auto grant = create_grant("AZ-RUNNING", 1);
    const auto tranche = create_tranche(SeededServer::kSchoolA, grant);
    const std::string d = serial("DMPU", 1);
    enroll(d, tranche, "INV-0042");
    ASSERT_EQ(set_status(d, json{{"location", "Schrank 3"}}).status, 200);
    reported(d, Clock::now() - 1h);

    auto r = unenroll(d, s.it_a, json{{"reason", "  belongs to the delivery of Realschule Süd  "}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(json_of(r), (json{{"serial_number", d},
                                {"tranche_id", tranche},
                                {"school_number", SeededServer::kSchoolA}}));

    EXPECT_EQ(call(http, "GET", "/api/v1/devices/" + d, s.admin).status, 404);
    for (const char* table : {"devices", "device_events", "device_reports"}) {
        EXPECT_EQ(count(std::string("SELECT count(*) FROM ") + table + " WHERE serial_number = '" +
                        d + "'"),
                  0)
            << table;
    }
    EXPECT_EQ(json_of(call(http, "GET", tranche_path(tranche), s.admin))["progress"]["enrolled"],
              0);

    const json detail = audit_detail("device.unenroll", d);
    ASSERT_TRUE(detail.is_object());
    EXPECT_EQ(detail["reason"], "belongs to the delivery of Realschule Süd");
    EXPECT_EQ(detail["tranche_id"], tranche);
    EXPECT_EQ(detail["grant_id"], grant);
    EXPECT_EQ(detail["school_number"], SeededServer::kSchoolA);
    EXPECT_EQ(detail["asset_tag"], "INV-0042");
    EXPECT_EQ(detail["location"], "Schrank 3");
    EXPECT_EQ(detail["status"], "in_storage");
    EXPECT_EQ(detail["enrolled_by"], "admin");
    EXPECT_FALSE(detail["enrolled_at"].get<std::string>().empty());
    EXPECT_EQ(detail["last_report"]["os_version"], "17.5");
    std::vector<std::string> kinds;
    for (const auto& e : detail["events"]) kinds.push_back(e["kind"].get<std::string>());
    EXPECT_EQ(kinds, (std::vector<std::string>{"enrolled", "updated"}));
    EXPECT_EQ(
        count("SELECT count(*) FROM audit_log WHERE action = 'device.unenroll' AND actor = 'it-a' "
              "AND school_number = '165432'"),
        1);
}

TEST_F(CorrectionApi, Unenroll_LetsTheSerialBeEnrolledAgainIntoTheRightDelivery) {
    const auto grant = create_grant("AZ-RUNNING", 1);
    const auto wrong = create_tranche(SeededServer::kSchoolA, grant);
    const auto right = create_tranche(SeededServer::kSchoolB, grant);
    const std::string d = serial("DMPU", 2);
    enroll(d, wrong);
    auto twice = call(http, "POST", "/api/v1/devices", s.admin,
                      json{{"serial_number", d}, {"tranche_id", right}});
    ASSERT_EQ(twice.status, 409) << "enrolled once, a serial is taken";
    ASSERT_EQ(unenroll(d, s.admin).status, 200);
    auto again = call(http, "POST", "/api/v1/devices", s.it_b,
                      json{{"serial_number", d}, {"tranche_id", right}});
    ASSERT_EQ(again.status, 201) << again.body;
    EXPECT_EQ(json_of(again)["school_number"], SeededServer::kSchoolB);
    EXPECT_EQ(json_of(again)["tranche_id"], right);
    EXPECT_EQ(call(http, "GET", "/api/v1/devices/" + d, s.it_a).status, 404);
    std::vector<std::string> kinds;
    const json events = json_of(call(http, "GET", "/api/v1/devices/" + d + "/events", s.it_b));
    for (const auto& e : events["items"]) {
        kinds.push_back(e["kind"].get<std::string>());
    }
    EXPECT_EQ(kinds, std::vector<std::string>{"enrolled"})
        << "the new enrollment starts a new history";
}

TEST_F(CorrectionApi, Unenroll_OfADeviceNotInStorageIs409NamingItsStatus) {
    const auto tranche = create_tranche(SeededServer::kSchoolA, create_grant("AZ-RUNNING", 1));
    const std::string d = serial("DMPU", 3);
    enroll(d, tranche);
    for (const char* status : {"in_use", "in_repair", "lost"}) {
        ASSERT_EQ(set_status(d, json{{"status", status}}).status, 200) << status;
        auto r = unenroll(d, s.it_a);
        ASSERT_EQ(r.status, 409) << status;
        EXPECT_EQ(error_fields(r), std::set<std::string>{"status"});
        EXPECT_THAT(r.body, HasSubstr(status));
        ASSERT_EQ(set_status(d, json{{"status", "in_storage"}}).status, 200);
    }
    EXPECT_EQ(count("SELECT count(*) FROM devices WHERE serial_number = '" + d + "'"), 1);
    EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action = 'device.unenroll'"), 0);
}

TEST_F(CorrectionApi, Unenroll_OfADeviceThatWasEverLentIs409NamingTheLoans) {
    const auto tranche = create_tranche(SeededServer::kSchoolA, create_grant("AZ-RUNNING", 1));
    const std::string d = serial("DMPU", 4);
    enroll(d, tranche);
    auto loan = call(
        http, "POST", "/api/v1/devices/" + d + "/loans", s.it_a,
        json{{"borrower_ref", "5b-17"}, {"borrower_kind", "student"}, {"agreement_ref", "LV-1"}});
    ASSERT_EQ(loan.status, 201) << loan.body;
    ASSERT_EQ(
        call(http, "POST", "/api/v1/devices/" + d + "/loans/current/return", s.it_a, json::object())
            .status,
        200);
    ASSERT_EQ(json_of(call(http, "GET", "/api/v1/devices/" + d, s.admin))["status"], "in_storage");
    auto r = unenroll(d, s.it_a);
    ASSERT_EQ(r.status, 409) << r.body;
    EXPECT_EQ(error_fields(r), std::set<std::string>{"loans"});
    EXPECT_EQ(count("SELECT count(*) FROM loans WHERE serial_number = '" + d + "'"), 1);
}

TEST_F(CorrectionApi, Unenroll_AfterTheGrantsSpendByIs409AndListsEveryReason) {
    const auto tranche = create_tranche(SeededServer::kSchoolA, create_grant("AZ-ENDED", -1));
    const std::string stored = serial("DMPU", 5);
    const std::string used = serial("DMPU", 6);
    enroll(stored, tranche);
    enroll(used, tranche);
    ASSERT_EQ(set_status(used, json{{"status", "in_use"}}).status, 200);
    auto r = unenroll(stored, s.admin);
    ASSERT_EQ(r.status, 409) << r.body;
    EXPECT_EQ(error_fields(r), std::set<std::string>{"spend_by"});
    EXPECT_THAT(r.body, HasSubstr(mid_year(-1)));
    auto both = unenroll(used, s.admin);
    ASSERT_EQ(both.status, 409);
    EXPECT_EQ(error_fields(both), (std::set<std::string>{"status", "spend_by"}));
    EXPECT_EQ(count("SELECT count(*) FROM devices"), 2);
}

TEST_F(CorrectionApi, Unenroll_ScopeIsCheckedOnTheDevice) {
    const auto tranche = create_tranche(SeededServer::kSchoolA, create_grant("AZ-RUNNING", 1));
    const std::string d = serial("DMPU", 7);
    enroll(d, tranche);
    EXPECT_EQ(unenroll(d, s.it_b).status, 404);
    EXPECT_EQ(unenroll(d, s.head_b).status, 404);
    EXPECT_EQ(unenroll(d, s.head_a).status, 403);
    EXPECT_EQ(unenroll(d, "").status, 401);
    EXPECT_EQ(unenroll(serial("DMPU", 99), s.admin).status, 404);
    EXPECT_EQ(count("SELECT count(*) FROM devices"), 1);
    // The path's serial is normalised like everywhere else.
    std::string lower = d;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    EXPECT_EQ(unenroll(lower, s.it_a).status, 200);
}

TEST_F(CorrectionApi, Unenroll_NeedsAReasonOfOneTo500Characters) {
    const auto tranche = create_tranche(SeededServer::kSchoolA, create_grant("AZ-RUNNING", 1));
    const std::string d = serial("DMPU", 8);
    enroll(d, tranche);
    for (const json& body :
         {json::object(), json{{"reason", ""}}, json{{"reason", "   "}},
          json{{"reason", std::string(501, 'x')}}, json{{"reason", "ok"}, {"force", true}}}) {
        auto r = unenroll(d, s.it_a, body);
        EXPECT_EQ(r.status, 422) << body.dump();
        if (r.status == 422) {
            EXPECT_EQ(error_fields(r).count(body.contains("force") ? "force" : "reason"), 1u);
        }
    }
    EXPECT_EQ(unenroll(d, s.it_a, json{{"reason", 5}}).status, 400);
    EXPECT_EQ(count("SELECT count(*) FROM devices"), 1);
    EXPECT_EQ(unenroll(d, s.it_a, json{{"reason", std::string(500, 'x')}}).status, 200);
}

// --- Agents: interval, state and the state filter ---------------------------------------------

class AgentCorrectionApi : public CorrectionApi {
  protected:
    // `uses`: agents the secret may enroll (0: the server's default, single use).
    json create_secret(const std::string& token, const HeaderList& extra = {}, int uses = 0) {
        HeaderList headers = {{"Authorization", "Bearer " + token}};
        for (const auto& h : extra) headers.push_back(h);
        auto r = http.request(
            "POST", std::string("/api/v1/schools/") + SeededServer::kSchoolA + "/agent-secrets",
            uses > 0 ? json{{"uses", uses}}.dump() : std::string(), headers);
        EXPECT_EQ(r.status, 201) << r.body;
        return json_of(r);
    }

    // Enrolls an agent through the API; returns the answer (agent_id, node_key,
    // checkin_interval_s).
    json enroll_agent(const std::string& secret, const std::string& hostname) {
        auto r = call(
            http, "POST", "/api/v1/agent/enroll", {},
            json{{"enroll_secret", secret}, {"hostname", hostname}, {"agent_version", "0.1.0"}});
        EXPECT_EQ(r.status, 201) << r.body;
        return json_of(r);
    }

    void last_checkin(std::int64_t agent, Clock::time_point at) {
        server::sql::Statement q(s.server.db(),
                                 "UPDATE agents SET last_checkin_at = ? WHERE id = ?");
        q.bind(1, format_rfc3339(at));
        q.bind(2, agent);
        q.exec();
    }

    std::map<std::int64_t, json> agents_by_id(const std::string& target) {
        std::map<std::int64_t, json> out;
        for (const auto& a : all_pages(target, s.admin, 500))
            out[a.at("agent_id").get<std::int64_t>()] = a;
        return out;
    }
};

TEST_F(AgentCorrectionApi, Agents_ShowTheIntervalTheyAreToldAndTheirState) {
    const std::string secret = create_secret(s.it_a, {}, 4)["secret"];
    const json never = enroll_agent(secret, "never");
    const json fresh = enroll_agent(secret, "fresh");
    const json slow = enroll_agent(secret, "slow");
    const json gone = enroll_agent(secret, "gone");
    // A real check-in makes "fresh" on time.
    CheckinReport report;
    report.report_id = make_uuid();
    report.generated_at = now_rfc3339();
    report.agent_version = "0.1.0";
    auto checkin =
        http.request("POST", "/api/v1/agent/checkin", to_json(report).dump(),
                     {{"Authorization", "Bearer " + fresh["node_key"].get<std::string>()},
                      {"Content-Type", "application/json"}});
    ASSERT_EQ(checkin.status, 200) << checkin.body;
    // Intervals are 900 s ± 10 %: 2 hours is late (more than 2 intervals + 60 s, at most 12),
    // 2 days is silent.
    last_checkin(slow["agent_id"], Clock::now() - 2h);
    last_checkin(gone["agent_id"], Clock::now() - 48h);

    const auto agents = agents_by_id("/api/v1/agents");
    ASSERT_EQ(agents.size(), 4u);
    for (const json* enrolled : {&never, &fresh, &slow, &gone}) {
        const json& listed = agents.at((*enrolled)["agent_id"].get<std::int64_t>());
        EXPECT_EQ(listed["checkin_interval_s"], (*enrolled)["checkin_interval_s"]) << listed.dump();
    }
    EXPECT_EQ(json_of(checkin)["next_checkin_s"], fresh["checkin_interval_s"]);
    EXPECT_EQ(agents.at(never["agent_id"])["state"], "silent");
    EXPECT_EQ(agents.at(fresh["agent_id"])["state"], "on_time");
    EXPECT_EQ(agents.at(slow["agent_id"])["state"], "late");
    EXPECT_EQ(agents.at(gone["agent_id"])["state"], "silent");
}

TEST_F(AgentCorrectionApi, Agents_StateFilterPagesWholeAndLeavesOutRevokedAgents) {
    const std::string secret = create_secret(s.it_a, {}, 20)["secret"];
    std::vector<std::int64_t> late;
    for (int i = 0; i < 5; ++i) {
        const auto on_time =
            enroll_agent(secret, "on-time-" + std::to_string(i))["agent_id"].get<std::int64_t>();
        last_checkin(on_time, Clock::now() - 1min);
        const auto slow =
            enroll_agent(secret, "late-" + std::to_string(i))["agent_id"].get<std::int64_t>();
        last_checkin(slow, Clock::now() - 2h);
        late.push_back(slow);
    }
    const auto revoked = enroll_agent(secret, "revoked")["agent_id"].get<std::int64_t>();
    last_checkin(revoked, Clock::now() - 2h);
    ASSERT_EQ(call(http, "DELETE", "/api/v1/agents/" + std::to_string(revoked), s.it_a).status,
              204);

    std::vector<std::int64_t> listed;
    for (const auto& a : all_pages("/api/v1/agents?state=late", s.admin, 2)) {
        EXPECT_EQ(a["state"], "late");
        listed.push_back(a["agent_id"].get<std::int64_t>());
    }
    EXPECT_EQ(listed, late);
    EXPECT_EQ(all_pages("/api/v1/agents?state=on_time&school_number=165432", s.head_a, 3).size(),
              5u);
    EXPECT_EQ(all_pages("/api/v1/agents?state=silent", s.admin, 50).size(), 0u);
    EXPECT_EQ(all_pages("/api/v1/agents?state=late", s.it_b, 50).size(), 0u)
        << "school B sees none of A's agents";
    EXPECT_EQ(agents_by_id("/api/v1/agents").at(revoked)["revoked"], true)
        << "unfiltered, revoked agents stay listed";
}

TEST_F(AgentCorrectionApi, Agents_UnknownStateIs422NamingState) {
    for (const char* state : {"late%20", "LATE", "revoked", ""}) {
        auto r = call(http, "GET", std::string("/api/v1/agents?state=") + state, s.admin);
        EXPECT_EQ(r.status, 422) << state;
        if (r.status == 422) {
            EXPECT_EQ(error_fields(r), std::set<std::string>{"state"});
        }
    }
}

// --- The enroll secret's answer and its command line ------------------------------------------

TEST_F(AgentCorrectionApi, AgentSecret_AnswersServerUrlFingerprintAndTheCommandLine) {
    const json created = create_secret(s.it_a);
    const std::string url = "https://127.0.0.1:" + std::to_string(s.server.port());
    EXPECT_EQ(created["server_url"], url);
    EXPECT_EQ(created["certificate_sha256"], s.server.fingerprint());
    EXPECT_EQ(
        created["enroll_command"],
        "printf '%s\\n' " + created["secret"].get<std::string>() +
            " | sudo -u pakt-agent pakt-agent enroll --state-dir /var/lib/pakt-agent --server=" +
            url + " --pin=" + s.server.fingerprint() + " --secret-file=/dev/stdin");
    // Behind a name, the address the client used.
    const json named = create_secret(s.admin, {{"Host", "pakt.schule.example:8443"}});
    EXPECT_EQ(named["server_url"], "https://pakt.schule.example:8443");
    EXPECT_THAT(named["enroll_command"].get<std::string>(),
                HasSubstr(" --server=https://pakt.schule.example:8443 "));
    auto unusable = http.request(
        "POST", std::string("/api/v1/schools/") + SeededServer::kSchoolA + "/agent-secrets", "",
        {{"Authorization", "Bearer " + s.it_a}, {"Host", "evil.example/path"}});
    EXPECT_EQ(unusable.status, 400) << unusable.body;
    EXPECT_EQ(count("SELECT count(*) FROM agent_secrets"), 2)
        << "a refused request creates no secret";
}

TEST(AgentSecretPublicUrl, ServerUrlIsThePublicUrlWhenOneIsConfigured) {
    SeededServer s([](server::ServerConfig& c) { c.public_url = "https://pakt.essen.de"; });
    auto r =
        call(*s.http, "POST",
             std::string("/api/v1/schools/") + SeededServer::kSchoolA + "/agent-secrets", s.it_a);
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(json_of(r)["server_url"], "https://pakt.essen.de");
    EXPECT_THAT(json_of(r)["enroll_command"].get<std::string>(),
                HasSubstr(" --server=https://pakt.essen.de --pin=" + s.server.fingerprint() + " "));
}

// Behind a TLS-terminating proxy paktd has no certificate of its own to pin: the agent trusts
// the system's CAs, which vouch for the proxy's. Driven through the router in-process (the test
// client speaks only TLS).
TEST(AgentSecretPlainHttp, WithoutTlsTheCommandTrustsTheSystemCas) {
    TestServer server([](server::ServerConfig& c) { c.tls_enabled = false; });
    server.add_school(SeededServer::kSchoolA, "Gymnasium Essen-Werden");
    server.add_user("admin", server::Role::city_admin, {}, SeededServer::kPassword);
    auto dispatch = [&](const std::string& method, const std::string& target,
                        const std::string& token, const json& body) {
        return server.dispatch(method, target, token, body, "pakt.essen.de");
    };
    auto login = dispatch("POST", "/api/v1/session", "",
                          json{{"username", "admin"}, {"password", SeededServer::kPassword}});
    ASSERT_EQ(login.status, 201) << login.body;
    auto r = dispatch("POST",
                      std::string("/api/v1/schools/") + SeededServer::kSchoolA + "/agent-secrets",
                      json::parse(login.body)["token"], json());
    ASSERT_EQ(r.status, 201) << r.body;
    const json created = json::parse(r.body);
    EXPECT_EQ(created["server_url"], "https://pakt.essen.de");
    EXPECT_TRUE(created["certificate_sha256"].is_null());
    EXPECT_EQ(created["enroll_command"],
              "printf '%s\\n' " + created["secret"].get<std::string>() +
                  " | sudo -u pakt-agent pakt-agent enroll --state-dir /var/lib/pakt-agent "
                  "--server=https://pakt.essen.de "
                  "--ca-file=/etc/ssl/certs/ca-certificates.crt --secret-file=/dev/stdin");
}

// The line shown to the IT helper, run by a real shell, enrolls the real pakt-agent. Only what
// differs on a test machine is replaced: the agent's account (no sudo) and path, and its state
// directory; the secret still comes through the pipe.
TEST_F(AgentCorrectionApi, AgentSecret_TheShownCommandEnrollsTheRealAgent) {
    const json created = create_secret(s.it_a);
    std::string command = created["enroll_command"];
    const std::string account =
        "sudo -u pakt-agent pakt-agent enroll --state-dir /var/lib/pakt-agent ";
    const std::string pipe = "printf '%s\\n' " + created["secret"].get<std::string>() + " | ";
    ASSERT_EQ(command.rfind(pipe + account, 0), 0u) << command;
    EXPECT_EQ(command.find("--secret="), std::string::npos) << "the secret is not an argument";
    TempDir dir;
    const fs::path agent_state = dir.path() / "agent-state";
    command = pipe + server::shell_quote(kAgent.string()) + " enroll --state-dir " +
              server::shell_quote(agent_state.string()) + " --hostname pakt-box-werden " +
              command.substr(pipe.size() + account.size());

    ChildProcess shell("/bin/sh", {"-c", command}, dir.path() / "enroll.log");
    const auto status = shell.wait_for_exit(60s);
    ASSERT_TRUE(status.has_value()) << "pakt-agent enroll did not finish: " << shell.output();
    ASSERT_EQ(*status, 0) << shell.output();
    EXPECT_TRUE(fs::exists(agent_state / "state.json"));
    const auto agents = agents_by_id("/api/v1/agents");
    ASSERT_EQ(agents.size(), 1u);
    EXPECT_EQ(agents.begin()->second["hostname"], "pakt-box-werden");
    EXPECT_EQ(agents.begin()->second["school_number"], SeededServer::kSchoolA);
}

// --- GET /reports/earmark and the device list behind it ---------------------------------------

class EarmarkApi : public CorrectionApi {
  protected:
    std::int64_t in_period = create_grant("AZ-EARMARKED", -1);  // spend_by passed, earmark runs
    std::int64_t running = create_grant("AZ-RUNNING", 1);       // implementation period runs
    std::int64_t over = create_grant("AZ-OVER", -6);            // earmarking period ended
    std::int64_t at_a = create_tranche(SeededServer::kSchoolA, in_period, 20);
    std::int64_t at_b = create_tranche(SeededServer::kSchoolB, in_period, 20);

    // Enrolls `serial_number` into `tranche` and gives it `status` (and a retirement reason).
    void device(const std::string& serial_number, std::int64_t tranche, const std::string& status,
                const std::string& retired_reason = "") {
        enroll(serial_number, tranche);
        if (status == "in_storage") return;
        json change = {{"status", status}};
        if (!retired_reason.empty()) {
            change["retired_reason"] = retired_reason;
            change["note"] = "police report 4711";
        }
        auto r = set_status(serial_number, change);
        ASSERT_EQ(r.status, 200) << r.body;
    }

    json earmark(const std::string& token) {
        auto r = call(http, "GET", "/api/v1/reports/earmark", token);
        EXPECT_EQ(r.status, 200) << r.body;
        return json_of(r);
    }
};

TEST_F(EarmarkApi, Earmark_CountsTheDevicesOfGrantsWithinTheirEarmarkingPeriod) {
    const auto now = Clock::now();
    device("DMPA00000001", at_a, "in_use");  // seen yesterday
    reported("DMPA00000001", now - 24h);
    device("DMPA00000002", at_a, "in_storage");  // seen 31 days ago: unseen
    reported("DMPA00000002", now - 31 * 24h);
    device("DMPA00000003", at_a, "in_storage");       // never seen: unseen
    device("DMPA00000004", at_a, "lost");             // lost and unseen
    device("DMPA00000005", at_a, "stolen");           // stolen and unseen
    device("DMPA00000006", at_a, "retired", "lost");  // retired: counted as lost, not as unseen
    device("DMPA00000007", at_a, "retired", "damaged_beyond_repair");
    device("DMPB00000001", at_b, "retired", "stolen");
    device("DMPB00000002", at_b, "in_use");  // seen 29 days ago
    reported("DMPB00000002", now - 29 * 24h);
    // Devices of grants outside their earmarking period count nowhere.
    enroll("DMPR00000001", create_tranche(SeededServer::kSchoolA, running));
    enroll("DMPO00000001", create_tranche(SeededServer::kSchoolA, over));

    const json report = earmark(s.admin);
    EXPECT_EQ(report["as_of"], german_date(now));
    EXPECT_EQ(report["scope"], "all");
    ASSERT_EQ(report["items"].size(), 1u) << report.dump();
    EXPECT_EQ(report["items"][0], (json{{"grant_id", in_period},
                                        {"reference", "AZ-EARMARKED"},
                                        {"title", "Title AZ-EARMARKED"},
                                        {"spend_by", mid_year(-1)},
                                        {"earmark_end", std::to_string(year + 4) + "-12-31"},
                                        {"enrolled", 9},
                                        {"lost", 2},
                                        {"stolen", 2},
                                        {"unseen_30_days", 4}}));
}

TEST_F(EarmarkApi, Earmark_SchoolRolesSeeTheirSchoolsGrantsAndDevicesOnly) {
    device("DMPA00000001", at_a, "lost");
    device("DMPB00000001", at_b, "stolen");
    device("DMPB00000002", at_b, "in_storage");
    const auto only_a = create_grant("AZ-ONLY-A", -2);
    create_tranche(SeededServer::kSchoolA, only_a);

    const json a = earmark(s.head_a);
    EXPECT_EQ(a["scope"], "own_schools");
    ASSERT_EQ(a["items"].size(), 2u) << a.dump();
    EXPECT_EQ(a["items"][0]["grant_id"], in_period);
    EXPECT_EQ(a["items"][0]["enrolled"], 1);
    EXPECT_EQ(a["items"][0]["lost"], 1);
    EXPECT_EQ(a["items"][0]["stolen"], 0);
    EXPECT_EQ(a["items"][1]["grant_id"], only_a);
    EXPECT_EQ(a["items"][1]["enrolled"], 0);

    const json b = earmark(s.it_b);
    ASSERT_EQ(b["items"].size(), 1u) << b.dump();
    EXPECT_EQ(b["items"][0]["enrolled"], 2);
    EXPECT_EQ(b["items"][0]["stolen"], 1);
    EXPECT_EQ(b["items"][0]["unseen_30_days"], 2);

    const json all = earmark(s.admin);
    ASSERT_EQ(all["items"].size(), 2u);
    EXPECT_EQ(all["items"][0]["enrolled"], 3);
    EXPECT_EQ(call(http, "GET", "/api/v1/reports/earmark", "").status, 401);
}

TEST_F(EarmarkApi, Earmark_UnseenCountIsTheDeviceListItLinksTo) {
    const auto now = Clock::now();
    for (int i = 1; i <= 7; ++i) {
        const std::string d = serial("DMPA", i);
        device(d, i % 2 ? at_a : at_b, i == 7 ? "retired" : "in_storage", i == 7 ? "lost" : "");
        if (i % 3 == 0) reported(d, now - 2h);
    }
    enroll(serial("DMPR", 1),
           create_tranche(SeededServer::kSchoolA, running));  // unseen, other grant
    const std::int64_t unseen = earmark(s.admin)["items"][0]["unseen_30_days"];
    const auto listed = all_pages(
        "/api/v1/devices?grant_id=" + std::to_string(in_period) + "&unseen_days=30", s.admin, 2);
    EXPECT_EQ(static_cast<std::int64_t>(listed.size()), unseen);
    EXPECT_EQ(serials_of(listed), (std::vector<std::string>{serial("DMPA", 1), serial("DMPA", 2),
                                                            serial("DMPA", 4), serial("DMPA", 5)}));
}

// --- GET /devices?grant_id=&unseen_days= ------------------------------------------------------

TEST_F(EarmarkApi, Devices_GrantFilterListsThatGrantsDevicesAcrossPages) {
    std::vector<std::string> of_grant;
    for (int i = 1; i <= 5; ++i) {
        of_grant.push_back(serial("DMPG", i));
        enroll(of_grant.back(), i % 2 ? at_a : at_b);
        enroll(serial("DMPH", i), create_tranche(SeededServer::kSchoolA, running, 1));
    }
    const auto expect_the_grants_devices = [&] {
        EXPECT_EQ(serials_of(all_pages("/api/v1/devices?grant_id=" + std::to_string(in_period), s.admin, 2)),
                  of_grant);
        EXPECT_EQ(serials_of(all_pages("/api/v1/devices?grant_id=" + std::to_string(in_period), s.it_a, 2)),
                  (std::vector<std::string>{of_grant[0], of_grant[2], of_grant[4]}));
    };
    expect_the_grants_devices();
    EXPECT_TRUE(all_pages("/api/v1/devices?grant_id=999999", s.admin, 2).empty());
    EXPECT_EQ(
        all_pages("/api/v1/devices?grant_id=" + std::to_string(running) + "&school_number=165432",
                  s.admin, 2)
            .size(),
        5u);
}

// With 10,000 enrolled devices a grant's list walks the serial order instead of sorting the
// grant's devices per page (InventoryStorage.ALargeGrantsPagesWalkTheSerialOrderWithoutSorting):
// still every device of the grant once, in order, and only those of the caller's schools.
TEST_F(EarmarkApi, Devices_ALargeGrantsListHasEachOfItsDevicesOnceInOrder) {
    enroll(serial("DMPG", 1), at_a);
    enroll(serial("DMPH", 1), create_tranche(SeededServer::kSchoolA, running, 1));  // not the grant's
    const std::int64_t large = create_tranche(SeededServer::kSchoolB, in_period, 10'000);
    {
        server::sql::Transaction tx(s.server.db());
        server::sql::Statement insert(
            s.server.db(),
            "INSERT INTO devices (serial_number, tranche_id, school_number, enrolled_at, "
            "enrolled_by, updated_at) VALUES (?, ?, ?, 't', 'test', 't')");
        for (int i = 0; i < 10'000; ++i) {
            insert.reset();
            insert.bind(1, serial("DMPL", i));
            insert.bind(2, large);
            insert.bind(3, SeededServer::kSchoolB);
            insert.exec();
        }
        tx.commit();
    }
    const auto all = serials_of(all_pages("/api/v1/devices?grant_id=" + std::to_string(in_period), s.admin, 500));
    ASSERT_EQ(all.size(), 10'001u);
    EXPECT_TRUE(std::adjacent_find(all.begin(), all.end(), std::greater_equal<>()) == all.end());
    EXPECT_EQ(all.front(), serial("DMPG", 1));
    EXPECT_EQ(serials_of(all_pages("/api/v1/devices?grant_id=" + std::to_string(in_period), s.it_a, 500)),
              std::vector<std::string>{serial("DMPG", 1)});
}

TEST_F(EarmarkApi, Devices_UnseenDaysListsDevicesInServiceNotReportedForThatLong) {
    const auto now = Clock::now();
    device("DMPA00000001", at_a, "in_use");
    reported("DMPA00000001", now - 5 * 24h);
    device("DMPA00000002", at_a, "in_storage");
    reported("DMPA00000002", now - 40 * 24h);
    device("DMPA00000003", at_a, "lost");                              // never reported
    device("DMPA00000004", at_a, "retired", "damaged_beyond_repair");  // never reported, retired
    EXPECT_EQ(serials_of(all_pages("/api/v1/devices?unseen_days=30", s.admin, 50)),
              (std::vector<std::string>{"DMPA00000002", "DMPA00000003"}));
    EXPECT_EQ(serials_of(all_pages("/api/v1/devices?unseen_days=3", s.admin, 1)),
              (std::vector<std::string>{"DMPA00000001", "DMPA00000002", "DMPA00000003"}));
    EXPECT_EQ(serials_of(all_pages("/api/v1/devices?unseen_days=3650&status=lost", s.admin, 50)),
              std::vector<std::string>{"DMPA00000003"});
}

TEST_F(EarmarkApi, Devices_BadGrantOrUnseenDaysAreRefusedNamingTheParameter) {
    const std::vector<std::tuple<std::string, int, std::string>> cases = {
        {"grant_id=abc", 400, "grant_id"},        {"grant_id=", 400, "grant_id"},
        {"grant_id=1x", 400, "grant_id"},         {"unseen_days=x", 400, "unseen_days"},
        {"unseen_days=", 400, "unseen_days"},     {"unseen_days=0", 422, "unseen_days"},
        {"unseen_days=3651", 422, "unseen_days"}, {"unseen_days=-1", 422, "unseen_days"},
    };
    for (const auto& [query, status, field] : cases) {
        auto r = call(http, "GET", "/api/v1/devices?" + query, s.admin);
        EXPECT_EQ(r.status, status) << query;
        if (r.status == status) {
            EXPECT_EQ(error_fields(r), std::set<std::string>{field}) << query;
        }
    }
}

}  // namespace
}  // namespace pakt::test
