// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// The agent side of the API over real HTTPS: enroll secrets, enrollment, check-ins (idempotent,
// scoped to the agent's school, validated, gzip with a cap), agent list and revocation, unknown
// sightings, and the tranche funnel they drive.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <tuple>

#include "common/checkin_report.hpp"
#include "common/gzip.hpp"
#include "common/time.hpp"
#include "server/storage/audit_repository.hpp"
#include "tests/support/test_server.hpp"

namespace pakt::test {
namespace {

using nlohmann::json;

class CheckinApi : public ::testing::Test {
protected:
    SeededServer s{[](server::ServerConfig& c) { c.checkin_burst = 1000; }};
    HttpsClient& http = *s.http;
    std::int64_t tranche_id = 0;
    std::string node_key;
    std::int64_t agent_id = 0;
    const std::vector<std::string> ours = {"DMPA00000001", "DMPA00000002", "DMPA00000003"};
    const std::string theirs = "DMPB00000001";   // enrolled at school B
    const std::string stranger = "DMPX99999999";  // enrolled nowhere

    void SetUp() override {
        auto grant = call(http, "POST", "/api/v1/grants", s.admin,
                          json{{"programme", "DP-BASIS"}, {"reference", "G-1"}, {"amount_cents", 1000000},
                               {"approved_on", "2021-01-01"}, {"spend_by", "2030-12-31"}});
        ASSERT_EQ(grant.status, 201) << grant.body;
        const auto grant_id = json_of(grant)["id"].get<std::int64_t>();
        for (const auto* school : {SeededServer::kSchoolA, SeededServer::kSchoolB}) {
            auto t = call(http, "POST", "/api/v1/tranches", s.admin,
                          json{{"school_number", school}, {"grant_id", grant_id}, {"delivered_on", "2022-08-01"},
                               {"unit_price_cents", 40000}, {"expected_count", 10}});
            ASSERT_EQ(t.status, 201) << t.body;
            if (std::string(school) == SeededServer::kSchoolA) tranche_id = json_of(t)["id"].get<std::int64_t>();
            const auto id = json_of(t)["id"].get<std::int64_t>();
            const auto serials = std::string(school) == SeededServer::kSchoolA ? ours : std::vector<std::string>{theirs};
            auto r = call(http, "POST", "/api/v1/tranches/" + std::to_string(id) + "/enrollments", s.admin,
                          json{{"serial_numbers", serials}});
            ASSERT_EQ(r.status, 200) << r.body;
        }
        auto secret = call(http, "POST", std::string("/api/v1/schools/") + SeededServer::kSchoolA + "/agent-secrets", s.it_a);
        ASSERT_EQ(secret.status, 201) << secret.body;
        auto enrolled = call(http, "POST", "/api/v1/agent/enroll", {},
                             json{{"enroll_secret", json_of(secret)["secret"]}, {"hostname", "pakt-box-1"}, {"agent_version", "0.1.0"}});
        ASSERT_EQ(enrolled.status, 201) << enrolled.body;
        node_key = json_of(enrolled)["node_key"].get<std::string>();
        agent_id = json_of(enrolled)["agent_id"].get<std::int64_t>();
    }

    CheckinReport report(const std::vector<std::string>& serials, const std::string& os = "17.5.1") {
        CheckinReport r;
        r.report_id = make_uuid();
        r.generated_at = now_rfc3339();
        r.agent_version = "0.1.0";
        for (const auto& serial : serials) {
            DeviceObservation d;
            d.serial_number = serial;
            d.seen_at = now_rfc3339();
            d.os_version = os;
            d.battery_pct = 87;
            d.storage_free_mb = 20480;
            d.managed = true;
            d.ip_address = "10.20.30.40";
            r.devices.push_back(d);
        }
        return r;
    }

    HttpResponse send(const std::string& body, const std::string& key, bool gzip = false) {
        HeaderList headers = {{"Authorization", "Bearer " + key}, {"Content-Type", "application/json"}};
        if (gzip) headers.emplace_back("Content-Encoding", "gzip");
        return http.request("POST", "/api/v1/agent/checkin", gzip ? gzip_compress(body) : body, headers);
    }
    HttpResponse send(const CheckinReport& r, bool gzip = true) { return send(to_json(r).dump(), node_key, gzip); }

    std::int64_t count(const std::string& sql) {
        return server::sql::query_int64(s.server.db(), sql);
    }
};

// What a check-in adds to the database is what the README ("Audit log") says: one checkin_reports
// row, the device events of what changed, and no audit entry; the audit chain stays verifiable.
TEST_F(CheckinApi, ACheckInAddsACheckinRecordAndEventsButNoAuditEntry) {
    const std::int64_t audit_before = count("SELECT count(*) FROM audit_log");
    ASSERT_EQ(send(report(ours)).status, 200);
    // The first sighting of each device is an event; a repeated report with a new OS adds one
    // os_version_changed per device; a plain repeat adds nothing but its checkin record.
    ASSERT_EQ(send(report(ours, "18.1")).status, 200);
    ASSERT_EQ(send(report(ours, "18.1")).status, 200);
    EXPECT_EQ(count("SELECT count(*) FROM audit_log"), audit_before);
    EXPECT_EQ(count("SELECT count(*) FROM checkin_reports WHERE agent_id = " + std::to_string(agent_id)), 3);
    EXPECT_EQ(count("SELECT count(*) FROM device_events WHERE kind = 'first_seen'"), 3);
    EXPECT_EQ(count("SELECT count(*) FROM device_events WHERE kind = 'os_version_changed'"), 3);
    const auto chain = server::verify_audit_chain(s.server.db());
    EXPECT_FALSE(chain.first_broken.has_value());
    EXPECT_EQ(chain.entries, audit_before);
}

// paktd writes a report's device rows several to a statement: a report longer than one such
// batch, with a device repeated across batches, must still end with each device's newest sighting.
TEST_F(CheckinApi, ALargeReportKeepsEachDevicesNewestSightingWhereverItStands) {
    auto t = call(http, "POST", "/api/v1/tranches", s.admin,
                  json{{"school_number", SeededServer::kSchoolA}, {"grant_id", 1}, {"delivered_on", "2022-08-01"},
                       {"unit_price_cents", 40000}, {"expected_count", 130}});
    ASSERT_EQ(t.status, 201) << t.body;
    std::vector<std::string> serials;
    for (int i = 0; i < 130; ++i) serials.push_back(fmt::format("DMPA1{:07}", i));
    auto enrolled = call(http, "POST", "/api/v1/tranches/" + std::to_string(json_of(t)["id"].get<std::int64_t>()) + "/enrollments",
                         s.admin, json{{"serial_numbers", serials}});
    ASSERT_EQ(enrolled.status, 200) << enrolled.body;

    const auto now = Clock::now();
    const std::string earlier = format_rfc3339(now - std::chrono::hours(2));
    const std::string seen = format_rfc3339(now - std::chrono::hours(1));
    const std::string later = format_rfc3339(now - std::chrono::minutes(30));
    CheckinReport r = report(serials);
    for (std::size_t i = 0; i < r.devices.size(); ++i) {
        r.devices[i].seen_at = seen;
        r.devices[i].battery_pct = static_cast<std::int64_t>(i % 100);
    }
    // serials[10] is seen again later (in the second batch), with a new OS; serials[60] turns up
    // again near the end with an older sighting that must change nothing.
    DeviceObservation newer = r.devices[10];
    newer.seen_at = later;
    newer.os_version = "18.0";
    r.devices.insert(r.devices.begin() + 70, newer);
    DeviceObservation older = r.devices[60];
    older.seen_at = earlier;
    older.os_version = "16.0";
    older.battery_pct = 1;
    r.devices.push_back(older);
    ASSERT_EQ(r.devices.size(), 132u);

    auto answer = send(r);
    ASSERT_EQ(answer.status, 200) << answer.body;
    EXPECT_EQ(json_of(answer)["accepted"], 132);
    EXPECT_EQ(count("SELECT count(*) FROM device_reports WHERE serial_number LIKE 'DMPA1%'"), 130);
    auto row = [&](const std::string& serial) {
        server::sql::Statement q(
            s.server.db(),
            "SELECT seen_at, os_version, battery_pct FROM device_reports WHERE serial_number = ?");
        q.bind(1, serial);
        EXPECT_TRUE(q.executeStep()) << serial;
        return std::make_tuple(q.getColumn(0).getString(), q.getColumn(1).getString(), q.getColumn(2).getInt64());
    };
    EXPECT_EQ(row(serials[10]), std::make_tuple(later, std::string("18.0"), std::int64_t{10}));
    EXPECT_EQ(row(serials[60]), std::make_tuple(seen, std::string("17.5.1"), std::int64_t{60}));
    EXPECT_EQ(row(serials[129]), std::make_tuple(seen, std::string("17.5.1"), std::int64_t{29}));
    EXPECT_EQ(row(serials[0]), std::make_tuple(seen, std::string("17.5.1"), std::int64_t{0}));
    EXPECT_EQ(count("SELECT count(*) FROM device_events WHERE kind = 'first_seen' AND serial_number LIKE 'DMPA1%'"), 130);
    EXPECT_EQ(count("SELECT count(*) FROM device_events WHERE kind = 'os_version_changed'"), 1);
    EXPECT_EQ(count("SELECT count(*) FROM device_events WHERE kind = 'os_version_changed' AND serial_number = '" + serials[10] + "'"), 1);

    // Exactly two full batches, with a repeat inside one batch: serials[5] again, newer, and
    // serials[7] again, older.
    const std::string next = format_rfc3339(now - std::chrono::minutes(20));
    const std::string newest = format_rfc3339(now - std::chrono::minutes(10));
    CheckinReport second = report(std::vector<std::string>(serials.begin(), serials.begin() + 98));
    for (auto& d : second.devices) d.seen_at = next;
    DeviceObservation again = second.devices[5];
    again.seen_at = newest;
    again.os_version = "18.1";
    second.devices.insert(second.devices.begin() + 20, again);
    DeviceObservation stale = second.devices[7];
    stale.seen_at = earlier;
    stale.os_version = "16.1";
    second.devices.insert(second.devices.begin() + 40, stale);
    ASSERT_EQ(second.devices.size(), 100u);
    auto second_answer = send(second);
    ASSERT_EQ(second_answer.status, 200) << second_answer.body;
    EXPECT_EQ(json_of(second_answer)["accepted"], 100);
    EXPECT_EQ(row(serials[5]), std::make_tuple(newest, std::string("18.1"), std::int64_t{87}));
    EXPECT_EQ(row(serials[7]), std::make_tuple(next, std::string("17.5.1"), std::int64_t{87}));
    EXPECT_EQ(row(serials[97]), std::make_tuple(next, std::string("17.5.1"), std::int64_t{87}));
    EXPECT_EQ(row(serials[98]), std::make_tuple(seen, std::string("17.5.1"), std::int64_t{98}));
}

TEST_F(CheckinApi, CheckinUpdatesOwnDevicesAndListsOthers) {
    auto r = send(report({ours[0], ours[1], theirs, stranger}));
    ASSERT_EQ(r.status, 200) << r.body;
    auto answer = json_of(r);
    EXPECT_EQ(answer["accepted"], 2);
    EXPECT_EQ(answer["duplicate"], false);
    EXPECT_EQ(answer["unknown_serials"], json::array({theirs, stranger}));
    EXPECT_GT(answer["next_checkin_s"].get<int>(), 0);

    auto device = json_of(call(http, "GET", "/api/v1/devices/" + ours[0], s.it_a));
    ASSERT_FALSE(device["last_report"].is_null());
    EXPECT_EQ(device["last_report"]["os_version"], "17.5.1");
    EXPECT_EQ(device["last_report"]["battery_pct"], 87);
    EXPECT_EQ(device["last_report"]["managed"], true);
    EXPECT_EQ(device["last_report"]["agent_id"], agent_id);
    // School B's device was not touched.
    EXPECT_TRUE(json_of(call(http, "GET", "/api/v1/devices/" + theirs, s.admin))["last_report"].is_null());
    // The serial enrolled nowhere is an unknown sighting of school A only.
    auto unknown = json_of(call(http, "GET", std::string("/api/v1/schools/") + SeededServer::kSchoolA + "/unknown-devices", s.head_a));
    ASSERT_EQ(unknown["items"].size(), 1u);
    EXPECT_EQ(unknown["items"][0]["serial_number"], stranger);
    EXPECT_EQ(json_of(call(http, "GET", std::string("/api/v1/schools/") + SeededServer::kSchoolB + "/unknown-devices", s.admin))["items"].size(), 0u);
    EXPECT_EQ(call(http, "GET", std::string("/api/v1/schools/") + SeededServer::kSchoolA + "/unknown-devices", s.head_b).status, 404);
}

TEST_F(CheckinApi, ReplayedReportChangesNothingAndAnswersTheSame) {
    const auto r = report({ours[0], stranger});
    auto first = json_of(send(r));
    const auto events = count("SELECT count(*) FROM device_events");
    const auto sightings = count("SELECT times_seen FROM unknown_sightings");
    auto again = send(r);
    ASSERT_EQ(again.status, 200);
    auto second = json_of(again);
    EXPECT_EQ(second["duplicate"], true);
    EXPECT_EQ(second["accepted"], first["accepted"]);
    EXPECT_EQ(second["unknown_serials"], first["unknown_serials"]);
    EXPECT_EQ(count("SELECT count(*) FROM device_events"), events);
    EXPECT_EQ(count("SELECT times_seen FROM unknown_sightings"), sightings);
    EXPECT_EQ(count("SELECT count(*) FROM checkin_reports"), 1);
}

TEST_F(CheckinApi, EventsRecordFirstSightingAndOsChange) {
    ASSERT_EQ(send(report({ours[0]}, "17.5.1")).status, 200);
    ASSERT_EQ(send(report({ours[0]}, "17.6")).status, 200);
    ASSERT_EQ(send(report({ours[0]}, "17.6")).status, 200);
    auto events = json_of(call(http, "GET", "/api/v1/devices/" + ours[0] + "/events", s.it_a))["items"];
    std::vector<std::string> kinds;
    for (const auto& e : events) kinds.push_back(e["kind"].get<std::string>());
    EXPECT_EQ(kinds, (std::vector<std::string>{"os_version_changed", "first_seen", "enrolled"}));
}

TEST_F(CheckinApi, DeviceBackAfterFourteenDaysGetsAnEvent) {
    auto old = report({ours[1]});
    old.devices[0].seen_at = format_rfc3339(Clock::now() - std::chrono::hours(24 * 20));
    ASSERT_EQ(send(old).status, 200);
    ASSERT_EQ(send(report({ours[1]})).status, 200);
    auto events = json_of(call(http, "GET", "/api/v1/devices/" + ours[1] + "/events", s.it_a))["items"];
    EXPECT_EQ(events[0]["kind"], "seen_again");
}

TEST_F(CheckinApi, ReportsDriveTheTrancheFunnel) {
    ASSERT_EQ(send(report({ours[0], ours[1]})).status, 200);
    auto progress = json_of(call(http, "GET", "/api/v1/tranches/" + std::to_string(tranche_id), s.head_a))["progress"];
    EXPECT_EQ(progress["enrolled"], 3);
    EXPECT_EQ(progress["managed"], 2);
    EXPECT_EQ(progress["seen_last_7_days"], 2);
    auto rec = json_of(call(http, "GET", "/api/v1/tranches/" + std::to_string(tranche_id) + "/reconciliation", s.head_a));
    EXPECT_EQ(rec["not_seen"], json::array({ours[2]}));
    auto stale = json_of(call(http, "GET", "/api/v1/devices?stale=true&school_number=" + std::string(SeededServer::kSchoolA), s.head_a));
    ASSERT_EQ(stale["items"].size(), 1u);
    EXPECT_EQ(stale["items"][0]["serial_number"], ours[2]);
}

TEST_F(CheckinApi, OlderReportDoesNotOverwriteNewerState) {
    ASSERT_EQ(send(report({ours[0]}, "17.6")).status, 200);
    auto older = report({ours[0]}, "16.0");
    older.devices[0].seen_at = format_rfc3339(Clock::now() - std::chrono::hours(48));
    ASSERT_EQ(send(older).status, 200);
    auto device = json_of(call(http, "GET", "/api/v1/devices/" + ours[0], s.it_a));
    EXPECT_EQ(device["last_report"]["os_version"], "17.6");
}

TEST_F(CheckinApi, BadReportsGetTheRight4xxAndStoreNothing) {
    const auto before = count("SELECT count(*) FROM checkin_reports");
    EXPECT_EQ(send("{\"report_id\": ", node_key).status, 400);
    auto too_many = report({});
    for (int i = 0; i < 5001; ++i) too_many.devices.push_back(report({ours[0]}).devices[0]);
    EXPECT_EQ(send(too_many).status, 422);
    auto wrong = to_json(report({ours[0]}));
    wrong["devices"][0]["battery_pct"] = "full";
    auto wrong_type = send(wrong.dump(), node_key);
    EXPECT_EQ(wrong_type.status, 400);
    EXPECT_EQ(json_of(wrong_type)["errors"][0]["field"], "devices[0].battery_pct");
    auto huge = report({ours[0]});
    huge.devices[0].os_version = std::string(1024 * 1024, 'x');
    const auto huge_answer = send(huge);
    EXPECT_TRUE(huge_answer.status == 422 || huge_answer.status == 413) << huge_answer.status;
    auto bad_id = report({ours[0]});
    bad_id.report_id = "not-a-uuid";
    EXPECT_EQ(send(bad_id).status, 422);
    bad_id.report_id = "";
    EXPECT_EQ(send(bad_id).status, 422);
    auto no_time = report({ours[0]});
    no_time.devices[0].seen_at = "";
    EXPECT_EQ(send(no_time).status, 422);
    // A gzip bomb: 64 MiB of zeros compress to a few dozen KiB.
    const std::string bomb = gzip_compress(std::string(64 * 1024 * 1024, '\0'));
    auto bomb_answer = http.request("POST", "/api/v1/agent/checkin", bomb,
                                    {{"Authorization", "Bearer " + node_key}, {"Content-Type", "application/json"}, {"Content-Encoding", "gzip"}});
    EXPECT_EQ(bomb_answer.status, 413);
    EXPECT_EQ(http.request("POST", "/api/v1/agent/checkin", "not gzip at all",
                           {{"Authorization", "Bearer " + node_key}, {"Content-Type", "application/json"}, {"Content-Encoding", "gzip"}}).status, 400);
    EXPECT_EQ(http.request("POST", "/api/v1/agent/checkin", to_json(report({ours[0]})).dump(),
                           {{"Authorization", "Bearer " + node_key}, {"Content-Type", "text/plain"}}).status, 415);
    EXPECT_EQ(send(report({ours[0]}), false).status, 200);  // plain JSON works too
    EXPECT_EQ(count("SELECT count(*) FROM checkin_reports"), before + 1);
}

TEST_F(CheckinApi, UnknownOrRevokedNodeKeyIs401) {
    EXPECT_EQ(send(to_json(report({ours[0]})).dump(), "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").status, 401);
    EXPECT_EQ(send(to_json(report({ours[0]})).dump(), s.admin).status, 401);  // user tokens do not work here
    // Node keys do not work on user routes.
    EXPECT_EQ(call(http, "GET", "/api/v1/me", node_key).status, 401);
    EXPECT_EQ(call(http, "DELETE", "/api/v1/agents/" + std::to_string(agent_id), s.head_a).status, 403);
    EXPECT_EQ(call(http, "DELETE", "/api/v1/agents/" + std::to_string(agent_id), s.it_b).status, 404);
    ASSERT_EQ(call(http, "DELETE", "/api/v1/agents/" + std::to_string(agent_id), s.it_a).status, 204);
    EXPECT_EQ(send(report({ours[0]})).status, 401);
    EXPECT_EQ(count("SELECT count(*) FROM device_reports"), 0);
}

TEST_F(CheckinApi, CheckinsBeyondTheRateAre429WithRetryAfter) {
    TestServer limited([](server::ServerConfig& c) { c.checkin_burst = 2; c.checkin_per_minute = 1; });
    limited.add_school(SeededServer::kSchoolA, "A");
    limited.add_user("it", server::Role::school_it, {SeededServer::kSchoolA}, SeededServer::kPassword);
    auto client = limited.client();
    const auto token = limited.login("it", SeededServer::kPassword);
    auto secret = json_of(call(*client, "POST", std::string("/api/v1/schools/") + SeededServer::kSchoolA + "/agent-secrets", token));
    auto key = json_of(call(*client, "POST", "/api/v1/agent/enroll", {},
                            json{{"enroll_secret", secret["secret"]}, {"hostname", "h"}, {"agent_version", "1"}}))["node_key"].get<std::string>();
    HeaderList headers = {{"Authorization", "Bearer " + key}, {"Content-Type", "application/json"}};
    EXPECT_EQ(client->request("POST", "/api/v1/agent/checkin", to_json(report({})).dump(), headers).status, 200);
    EXPECT_EQ(client->request("POST", "/api/v1/agent/checkin", to_json(report({})).dump(), headers).status, 200);
    auto limited_answer = client->request("POST", "/api/v1/agent/checkin", to_json(report({})).dump(), headers);
    EXPECT_EQ(limited_answer.status, 429);
    EXPECT_GE(std::stoi(limited_answer.header("Retry-After")), 1);
}

TEST_F(CheckinApi, EnrollSecretsAreScopedShownOnceAndRevocable) {
    const std::string path = std::string("/api/v1/schools/") + SeededServer::kSchoolA + "/agent-secrets";
    EXPECT_EQ(call(http, "POST", path, s.head_a).status, 403);
    EXPECT_EQ(call(http, "POST", path, s.it_b).status, 404);
    auto created = json_of(call(http, "POST", path, s.admin, json{{"expires_in_hours", 1}}));
    const auto listed = call(http, "GET", path, s.it_a);
    ASSERT_EQ(listed.status, 200);
    EXPECT_EQ(listed.body.find(created["secret"].get<std::string>()), std::string::npos);
    EXPECT_EQ(count("SELECT count(*) FROM agent_secrets WHERE secret_hash = '" + created["secret"].get<std::string>() + "'"), 0);
    const auto id = std::to_string(created["id"].get<std::int64_t>());
    EXPECT_EQ(call(http, "DELETE", path + "/" + id, s.it_b).status, 404);
    ASSERT_EQ(call(http, "DELETE", path + "/" + id, s.it_a).status, 204);
    auto refused = call(http, "POST", "/api/v1/agent/enroll", {},
                        json{{"enroll_secret", created["secret"]}, {"hostname", "h"}, {"agent_version", "1"}});
    EXPECT_EQ(refused.status, 401);
    EXPECT_EQ(call(http, "POST", "/api/v1/agent/enroll", {},
                   json{{"enroll_secret", "guess"}, {"hostname", "h"}, {"agent_version", "1"}}).status, 401);
    EXPECT_EQ(call(http, "POST", path, s.admin, json{{"expires_in_hours", 0}}).status, 422);
}

TEST_F(CheckinApi, ExpiredEnrollSecretIs401) {
    const std::string path = std::string("/api/v1/schools/") + SeededServer::kSchoolA + "/agent-secrets";
    auto created = json_of(call(http, "POST", path, s.it_a));
    s.server.db().exec("UPDATE agent_secrets SET expires_at = '2020-01-01T00:00:00Z'");
    EXPECT_EQ(call(http, "POST", "/api/v1/agent/enroll", {},
                   json{{"enroll_secret", created["secret"]}, {"hostname", "h"}, {"agent_version", "1"}}).status, 401);
}

TEST_F(CheckinApi, AgentListIsScoped) {
    auto mine = json_of(call(http, "GET", "/api/v1/agents", s.head_a))["items"];
    ASSERT_EQ(mine.size(), 1u);
    EXPECT_EQ(mine[0]["hostname"], "pakt-box-1");
    EXPECT_EQ(json_of(call(http, "GET", "/api/v1/agents", s.head_b))["items"].size(), 0u);
    EXPECT_EQ(call(http, "GET", std::string("/api/v1/agents?school_number=") + SeededServer::kSchoolA, s.it_b).status, 404);
    ASSERT_EQ(send(report({ours[0]})).status, 200);
    EXPECT_FALSE(json_of(call(http, "GET", "/api/v1/agents", s.admin))["items"][0]["last_checkin_at"].is_null());
}

}  // namespace
}  // namespace pakt::test
