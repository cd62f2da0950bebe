// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// The connectors against local HTTPS fakes of Apple School Manager, Jamf School and Relution
// (tests/support/fake_vendors): what paktd stores after each sync, through paging, token expiry,
// refused assertions, 429 storms, 5xx, truncated JSON and devices moving between locations, and
// that no credential ever shows in a log line, an API answer or an error.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "common/time.hpp"
#include "tests/support/captured_log.hpp"
#include "tests/support/fake_vendors.hpp"
#include "tests/support/test_server.hpp"

namespace pakt::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kOrderA = "0012-3456";      // as the delivery note prints it
constexpr const char* kAppleOrderA = "00123456";  // as Apple lists it
constexpr const char* kOrderB = "4711000222";

std::string jamf_time_ago(std::chrono::hours ago) {
    std::string t = format_rfc3339(Clock::now() - ago);  // 2026-11-30T08:15:00Z
    t[10] = ' ';
    return t.substr(0, 19);
}

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch())
        .count();
}

// Configures all three connectors against `fake`: only on request, quick backoff, two ASM
// devices per page so every sync pages.
std::function<void(server::ServerConfig&)> against(
    const FakeVendorServer& fake, std::function<void(server::ServerConfig&)> more = {}) {
    return [&fake, more](server::ServerConfig& c) {
        auto& k = c.connectors;
        k.interval = 0s;
        k.retry_backoff = 5ms;
        k.max_attempts = 6;
        k.asm_api.enabled = true;
        k.asm_api.client_id = fake.asm_client_id();
        k.asm_api.key_id = fake.asm_key_id();
        k.asm_api.private_key_file = fake.asm_private_key_file();
        k.asm_api.api_url = fake.asm_api_url();
        k.asm_api.token_url = fake.asm_token_url();
        k.asm_api.ca_file = fake.ca_file();
        k.asm_api.page_size = 2;
        k.jamf_school.enabled = true;
        k.jamf_school.url = fake.jamf_url();
        k.jamf_school.network_id = fake.jamf_network_id();
        k.jamf_school.api_key_file = fake.jamf_api_key_file();
        k.jamf_school.ca_file = fake.ca_file();
        k.jamf_school.locations = {{"1", SeededServer::kSchoolA}};
        k.relution.enabled = true;
        k.relution.url = fake.relution_url();
        k.relution.access_token_file = fake.relution_token_file();
        k.relution.ca_file = fake.ca_file();
        k.relution.page_size = 2;
        k.relution.organisations = {{"org-b", SeededServer::kSchoolB}};
        if (more) more(c);
    };
}

class Connectors : public ::testing::Test {
  protected:
    CapturedLog log;  // before the server, so its lines are captured
    FakeVendorServer fake;
    SeededServer s{against(fake)};
    HttpsClient& http = *s.http;
    std::vector<std::string> answers;  // every API answer body, for the credential check
    std::int64_t grant = create_grant();

    std::int64_t create_grant() {
        auto r = call(http, "POST", "/api/v1/grants", s.admin,
                      json{{"programme", "DP-SOFORT"},
                           {"reference", "AZ-ASM-1"},
                           {"amount_cents", 10'000'000},
                           {"approved_on", "2023-03-01"},
                           {"spend_by", "2024-12-31"}});
        EXPECT_EQ(r.status, 201) << r.body;
        return json_of(r).at("id").get<std::int64_t>();
    }

    std::int64_t create_tranche(const std::string& school, const std::string& order, int expected) {
        auto r = call(http, "POST", "/api/v1/tranches", s.admin,
                      json{{"school_number", school},
                           {"grant_id", grant},
                           {"supplier", "Apple via Reseller"},
                           {"order_number", order},
                           {"delivery_note", "LS-1"},
                           {"delivered_on", "2023-08-21"},
                           {"model", "iPad"},
                           {"unit_price_cents", 44900},
                           {"expected_count", expected}});
        EXPECT_EQ(r.status, 201) << r.body;
        return json_of(r).at("id").get<std::int64_t>();
    }

    // "Sync now" and wait for the run; returns the run.
    json sync(const std::string& connector) {
        auto r = call(http, "POST", "/api/v1/connectors/" + connector + "/sync?wait=true", s.admin);
        answers.push_back(r.body);
        EXPECT_EQ(r.status, 200) << r.body;
        return json_of(r);
    }

    json get(const std::string& target, const std::string& token = {}) {
        auto r = call(http, "GET", target, token.empty() ? s.admin : token);
        answers.push_back(r.body);
        EXPECT_EQ(r.status, 200) << target << ": " << r.body;
        return json_of(r);
    }

    json progress(std::int64_t tranche) {
        return get("/api/v1/tranches/" + std::to_string(tranche)).at("progress");
    }

    std::vector<std::string> manifest_serials(std::int64_t tranche) {
        server::sql::Statement q(
            s.server.db(),
            "SELECT serial_number FROM manifest_entries WHERE tranche_id = ? ORDER BY 1");
        q.bind(1, tranche);
        std::vector<std::string> out;
        while (q.executeStep()) out.push_back(q.getColumn(0).getString());
        return out;
    }

    std::int64_t count(const std::string& sql) {
        server::sql::Statement q(s.server.db(), sql);
        q.executeStep();
        return q.getColumn(0).getInt64();
    }

    void enroll(const std::string& serial, std::int64_t tranche) {
        auto r = call(http, "POST", "/api/v1/devices", s.admin,
                      json{{"serial_number", serial}, {"tranche_id", tranche}});
        ASSERT_EQ(r.status, 201) << r.body;
    }

    std::vector<std::string> event_kinds(const std::string& serial) {
        std::vector<std::string> kinds;
        const json body = get("/api/v1/devices/" + serial + "/events");
        for (const auto& e : body.at("items")) {
            kinds.push_back(e.at("kind").get<std::string>());
        }
        return kinds;
    }

    static FakeAsmDevice apple(const std::string& serial, const std::string& order) {
        FakeAsmDevice d;
        d.serial = serial;
        d.order_number = order;
        return d;
    }
};

std::vector<std::string> serials(const char* prefix, int from, int to) {
    std::vector<std::string> out;
    for (int i = from; i < to; ++i) out.push_back(serial(prefix, i));
    return out;
}

TEST_F(Connectors, AsmSyncFillsTheDeliveryListsOfBothOrdersAndALaterReleaseShowsUp) {
    // Tranche A names its order as the delivery note prints it; tranche B names two orders.
    const auto a = create_tranche(SeededServer::kSchoolA, kOrderA, 10);
    const auto b = create_tranche(SeededServer::kSchoolB, std::string("PO-77; ") + kOrderB, 10);
    std::vector<FakeAsmDevice> devices;
    for (const auto& sn : serials("ASMA", 0, 3)) devices.push_back(apple(sn, kAppleOrderA));
    for (const auto& sn : serials("ASMB", 0, 2)) devices.push_back(apple(sn, kOrderB));
    devices.push_back(apple(serial("ASMX", 0), "999999"));  // an order no tranche names
    fake.asm_set_devices(devices);

    const json run = sync("asm");
    EXPECT_EQ(run.at("outcome"), "ok") << run.dump();
    const json& counts = run.at("counts");
    EXPECT_EQ(counts.at("devices"), 6);
    EXPECT_EQ(counts.at("manifest_added"), 5);
    EXPECT_EQ(counts.at("matched_orders"), 2);
    EXPECT_EQ(counts.at("unmatched_devices"), 1);
    EXPECT_EQ(counts.at("tranches_filled"), 2);
    EXPECT_EQ(run.at("calls"), 4);  // a token and three pages of two
    EXPECT_EQ(manifest_serials(a), serials("ASMA", 0, 3));
    EXPECT_EQ(manifest_serials(b), serials("ASMB", 0, 2));
    EXPECT_EQ(progress(a).at("in_manifest"), 3);
    // The delivery list now works as an uploaded one would: enrollment off it is refused.
    auto off = call(http, "POST", "/api/v1/devices", s.admin,
                    json{{"serial_number", serial("ASMB", 0)}, {"tranche_id", a}});
    EXPECT_EQ(off.status, 422) << off.body;

    // A later sync adds what is new and leaves the rest; one enrolled device was released.
    enroll(serial("ASMA", 0), a);
    devices.push_back(apple(serial("ASMA", 3), kAppleOrderA));
    fake.asm_set_devices(devices);
    fake.asm_release(serial("ASMA", 0), "2026-11-20T09:00:00.000Z");
    const json later = sync("asm");
    EXPECT_EQ(later.at("outcome"), "ok") << later.dump();
    EXPECT_EQ(later.at("counts").at("manifest_added"), 1);
    EXPECT_EQ(later.at("counts").at("already_present"), 5);
    EXPECT_EQ(later.at("counts").at("newly_released"), 1);
    EXPECT_EQ(manifest_serials(a), serials("ASMA", 0, 4));

    const auto kinds = event_kinds(serial("ASMA", 0));
    EXPECT_NE(std::find(kinds.begin(), kinds.end(), "released_from_org"), kinds.end());
    const json reconciliation = get("/api/v1/tranches/" + std::to_string(a) + "/reconciliation");
    EXPECT_EQ(reconciliation.at("released"), json::array({serial("ASMA", 0)}));
    EXPECT_EQ(get("/api/v1/tranches/" + std::to_string(b) + "/reconciliation").at("released"),
              json::array());
    const json device = get("/api/v1/devices/" + serial("ASMA", 0));
    EXPECT_EQ(device.at("apple_school_manager").at("released_from_org_at"), "2026-11-20T09:00:00Z");

    // A third sync does not report the release again.
    EXPECT_EQ(sync("asm").at("counts").at("newly_released"), 0);
    EXPECT_EQ(count("SELECT count(*) FROM device_events WHERE kind = 'released_from_org'"), 1);
}

TEST_F(Connectors, AsmConflictsAreReportedAndNotApplied) {
    const auto a = create_tranche(SeededServer::kSchoolA, kOrderA, 3);
    const auto b = create_tranche(SeededServer::kSchoolB, kOrderB, 10);
    const auto twin1 = create_tranche(SeededServer::kSchoolA, "555", 10);
    const auto twin2 = create_tranche(SeededServer::kSchoolB, "555", 10);
    // The serial is on tranche B's uploaded delivery list.
    auto put = http.request("PUT", "/api/v1/tranches/" + std::to_string(b) + "/manifest",
                            "serial_number\n" + serial("DUPE", 0) + "\n",
                            {{"Authorization", "Bearer " + s.admin}, {"Content-Type", "text/csv"}});
    ASSERT_EQ(put.status, 200) << put.body;
    fake.asm_set_devices({apple(serial("DUPE", 0), kAppleOrderA),
                          apple(serial("ASMA", 0), kAppleOrderA), apple(serial("TWIN", 0), "555"),
                          apple(serial("TWIN", 1), "555")});

    const json run = sync("asm");
    EXPECT_EQ(run.at("outcome"), "ok");
    EXPECT_EQ(run.at("counts").at("manifest_added"), 1);
    EXPECT_EQ(run.at("counts").at("conflicts"), 2);
    std::string messages;
    for (const auto& c : run.at("conflicts")) messages += c.at("message").get<std::string>() + "\n";
    EXPECT_NE(messages.find("'" + serial("DUPE", 0) + "' is in the manifest of tranche " +
                            std::to_string(b)),
              std::string::npos)
        << messages;
    EXPECT_NE(messages.find("tranches " + std::to_string(twin1) + ", " + std::to_string(twin2)),
              std::string::npos)
        << messages;
    EXPECT_EQ(manifest_serials(a), std::vector<std::string>{serial("ASMA", 0)});
    EXPECT_EQ(manifest_serials(b), std::vector<std::string>{serial("DUPE", 0)});  // not moved
    EXPECT_TRUE(manifest_serials(twin1).empty());
    EXPECT_TRUE(manifest_serials(twin2).empty());

    // More devices than the tranche expects: none of the new ones is added.
    fake.asm_set_devices(
        {apple(serial("ASMA", 0), kAppleOrderA), apple(serial("ASMA", 1), kAppleOrderA),
         apple(serial("ASMA", 2), kAppleOrderA), apple(serial("ASMA", 3), kAppleOrderA)});
    const json over = sync("asm");
    EXPECT_EQ(over.at("counts").at("manifest_added"), 0);
    EXPECT_NE(over.at("conflicts").dump().find("which expects 3"), std::string::npos)
        << over.dump();
    EXPECT_EQ(manifest_serials(a), std::vector<std::string>{serial("ASMA", 0)});
}

TEST_F(Connectors, AnExpiredAccessTokenIsRenewedOnce) {
    const auto a = create_tranche(SeededServer::kSchoolA, kOrderA, 10);
    fake.asm_set_devices({apple(serial("ASMA", 0), kAppleOrderA)});
    EXPECT_EQ(sync("asm").at("outcome"), "ok");
    EXPECT_EQ(fake.asm_tokens_issued(), 1u);
    // The token is kept between runs until Apple refuses it.
    fake.asm_set_devices(
        {apple(serial("ASMA", 0), kAppleOrderA), apple(serial("ASMA", 1), kAppleOrderA)});
    fake.asm_expire_tokens();
    fake.clear_calls();
    const json run = sync("asm");
    EXPECT_EQ(run.at("outcome"), "ok") << run.dump();
    EXPECT_EQ(fake.asm_tokens_issued(), 2u);
    std::vector<int> statuses;
    for (const auto& c : fake.calls()) statuses.push_back(c.status);
    EXPECT_EQ(statuses, (std::vector<int>{401, 200, 200}));  // refused, new token, the page
    EXPECT_EQ(manifest_serials(a).size(), 2u);
}

TEST_F(Connectors, ABadAssertionIsRefusedAndTheRunChangesNothing) {
    // Another P-256 key than the one Apple knows for this key id.
    FakeVendorServer other;
    const auto key_file = s.server.data_dir() / "wrong-key.pem";
    std::filesystem::copy_file(other.asm_private_key_file(), key_file);
    TestServer wrong(against(
        fake, [&](server::ServerConfig& c) { c.connectors.asm_api.private_key_file = key_file; }));
    wrong.add_user("admin2", server::Role::city_admin, {}, SeededServer::kPassword);
    const std::string token = wrong.login("admin2", SeededServer::kPassword);
    fake.asm_set_devices({apple(serial("ASMA", 0), kAppleOrderA)});
    auto client = wrong.client();
    auto r = call(*client, "POST", "/api/v1/connectors/asm/sync?wait=true", token);
    ASSERT_EQ(r.status, 200) << r.body;
    const json run = json_of(r);
    EXPECT_EQ(run.at("outcome"), "failed");
    EXPECT_NE(run.at("error").get<std::string>().find(
                  "refused the client assertion (HTTP 401, invalid_client)"),
              std::string::npos)
        << run.dump();
    server::sql::Statement q(wrong.db(), "SELECT count(*) FROM asm_devices");
    q.executeStep();
    EXPECT_EQ(q.getColumn(0).getInt(), 0);
    // The connector shows the failure and when it last succeeded (never).
    auto status = json_of(call(*client, "GET", "/api/v1/connectors", token));
    EXPECT_EQ(status.at("connectors").at(0).at("last_run").at("outcome"), "failed");
    EXPECT_TRUE(status.at("connectors").at(0).at("last_success_at").is_null());
}

TEST_F(Connectors, A429StormDelaysTheSyncAndLosesNothing) {
    const auto a = create_tranche(SeededServer::kSchoolA, kOrderA, 10);
    fake.asm_set_devices({apple(serial("ASMA", 0), kAppleOrderA),
                          apple(serial("ASMA", 1), kAppleOrderA),
                          apple(serial("ASMA", 2), kAppleOrderA)});
    fake.fail_next("/asm/v1/orgDevices", 3, 429, "1");
    const json run = sync("asm");
    EXPECT_EQ(run.at("outcome"), "ok") << run.dump();
    EXPECT_EQ(run.at("retries"), 3);
    EXPECT_EQ(run.at("counts").at("retry_wait_ms"), 3000);  // Retry-After: 1, three times
    EXPECT_EQ(manifest_serials(a).size(), 3u);

    // The same for the MDM: every device arrives after the storm.
    std::vector<FakeJamfDevice> jamf;
    for (int i = 0; i < 3; ++i) {
        enroll(serial("ASMA", i), a);
        FakeJamfDevice d;
        d.udid = "udid-" + std::to_string(i);
        d.serial = serial("ASMA", i);
        d.location_id = 1;
        d.last_checkin = jamf_time_ago(1h);
        jamf.push_back(d);
    }
    fake.jamf_set_devices(jamf);
    fake.fail_next("/jamf/api/devices", 2, 429, "1");
    const json mdm = sync("jamf_school");
    EXPECT_EQ(mdm.at("outcome"), "ok") << mdm.dump();
    EXPECT_EQ(mdm.at("retries"), 2);
    EXPECT_EQ(mdm.at("counts").at("retry_wait_ms"), 2000);
    EXPECT_EQ(progress(a).at("managed"), 3);
}

TEST_F(Connectors, ServerErrorsAreRetriedAndTooManyFailTheRunWithoutAChange) {
    const auto a = create_tranche(SeededServer::kSchoolA, kOrderA, 10);
    fake.asm_set_devices({apple(serial("ASMA", 0), kAppleOrderA)});
    fake.fail_next("/asm/v1/orgDevices", 2, 503);
    const json recovered = sync("asm");
    EXPECT_EQ(recovered.at("outcome"), "ok") << recovered.dump();
    EXPECT_EQ(recovered.at("retries"), 2);

    fake.asm_set_devices(
        {apple(serial("ASMA", 0), kAppleOrderA), apple(serial("ASMA", 1), kAppleOrderA)});
    fake.fail_next("/asm/v1/orgDevices", 6, 502);
    const json failed = sync("asm");
    EXPECT_EQ(failed.at("outcome"), "failed");
    EXPECT_EQ(failed.at("error"),
              "Apple School Manager: GET /asm/v1/orgDevices: HTTP 502 after 6 attempts");
    EXPECT_EQ(manifest_serials(a).size(), 1u);
}

TEST_F(Connectors, TruncatedJsonOnALaterPageFailsTheWholeRun) {
    const auto a = create_tranche(SeededServer::kSchoolA, kOrderA, 10);
    fake.asm_set_devices({apple(serial("ASMA", 0), kAppleOrderA),
                          apple(serial("ASMA", 1), kAppleOrderA),
                          apple(serial("ASMA", 2), kAppleOrderA)});
    // The second page (the first one asked for with a cursor) arrives cut in half.
    fake.truncate_next("/asm/v1/orgDevices?limit=2&cursor=");
    const json run = sync("asm");
    EXPECT_EQ(run.at("outcome"), "failed");
    EXPECT_NE(run.at("error").get<std::string>().find("invalid or truncated JSON"),
              std::string::npos)
        << run.dump();
    EXPECT_TRUE(manifest_serials(a).empty());  // not even the first page's devices
    EXPECT_EQ(count("SELECT count(*) FROM asm_devices"), 0);
    // The next run succeeds.
    EXPECT_EQ(sync("asm").at("outcome"), "ok");
    EXPECT_EQ(manifest_serials(a).size(), 3u);
}

TEST_F(Connectors, MdmsSetTheFunnelsManagedCountsWithoutASiteAgent) {
    const auto a = create_tranche(SeededServer::kSchoolA, kOrderA, 10);
    const auto b = create_tranche(SeededServer::kSchoolB, kOrderB, 10);
    for (int i = 0; i < 3; ++i) enroll(serial("JAMF", i), a);
    for (int i = 0; i < 3; ++i) enroll(serial("RELU", i), b);
    ASSERT_EQ(count("SELECT count(*) FROM agents"), 0);

    std::vector<FakeJamfDevice> jamf;
    for (int i = 0; i < 3; ++i) {
        FakeJamfDevice d;
        d.udid = "jamf-udid-" + std::to_string(i);
        d.serial = serial("JAMF", i);
        d.location_id = 1;
        d.managed = i != 2;  // no MDM check-in for 7 days
        d.os_version = "17.5.1";
        d.battery = 0.87;
        d.last_checkin = jamf_time_ago(i == 2 ? 24h * 9 : 2h);
        jamf.push_back(d);
    }
    // A device the MDM manages that Pakt has no enrollment for, at a location named after school B.
    FakeJamfDevice stray;
    stray.udid = "jamf-udid-stray";
    stray.serial = serial("STRY", 0);
    stray.location_id = 2;
    stray.last_checkin = jamf_time_ago(1h);
    jamf.push_back(stray);
    fake.jamf_set_devices(jamf);
    fake.jamf_set_locations(
        {{1, "Schule A"}, {2, std::string("Gymnasium ") + SeededServer::kSchoolB + " Nord"}});

    std::vector<FakeRelutionDevice> relution;
    for (int i = 0; i < 3; ++i) {
        FakeRelutionDevice d;
        d.uuid = "relu-" + std::to_string(i);
        d.serial = serial("RELU", i);
        d.status = i == 0 ? "INACTIVE" : "COMPLIANT";
        d.last_connection_ms = now_ms() - 3'600'000;
        d.organization_uuid = "org-b";
        relution.push_back(d);
    }
    fake.relution_set_devices(relution);

    const json jamf_run = sync("jamf_school");
    EXPECT_EQ(jamf_run.at("outcome"), "ok") << jamf_run.dump();
    EXPECT_EQ(jamf_run.at("counts").at("enrolled"), 3);
    EXPECT_EQ(jamf_run.at("counts").at("managed"), 2);
    EXPECT_EQ(jamf_run.at("counts").at("unknown_sightings"), 1);
    const json relution_run = sync("relution");
    EXPECT_EQ(relution_run.at("outcome"), "ok") << relution_run.dump();
    EXPECT_EQ(relution_run.at("counts").at("managed"), 2);

    EXPECT_EQ(progress(a).at("managed"), 2);
    EXPECT_EQ(progress(b).at("managed"), 2);
    // The rollout report counts the same.
    EXPECT_EQ(get("/api/v1/reports/rollout").at("totals").at("managed"), 4);

    const json device = get("/api/v1/devices/" + serial("JAMF", 0));
    ASSERT_EQ(device.at("mdm").size(), 1u);
    EXPECT_EQ(device.at("mdm").at(0).at("source"), "jamf_school");
    EXPECT_EQ(device.at("mdm").at(0).at("managed"), true);
    EXPECT_EQ(device.at("mdm").at(0).at("os_version"), "17.5.1");
    EXPECT_EQ(device.at("mdm").at(0).at("battery_pct"), 87);
    EXPECT_TRUE(device.at("last_report").is_null());  // no agent saw it on the school network

    const json unknown =
        get(std::string("/api/v1/schools/") + SeededServer::kSchoolB + "/unknown-devices");
    ASSERT_EQ(unknown.at("items").size(), 1u);
    EXPECT_EQ(unknown.at("items").at(0).at("serial_number"), serial("STRY", 0));
    EXPECT_EQ(unknown.at("items").at(0).at("source"), "jamf_school");
    EXPECT_TRUE(unknown.at("items").at(0).at("agent_id").is_null());
}

TEST_F(Connectors, ADeviceMovedBetweenLocationsMovesItsSightingAndIsAnEvent) {
    const auto a = create_tranche(SeededServer::kSchoolA, kOrderA, 10);
    enroll(serial("JAMF", 0), a);
    fake.jamf_set_locations(
        {{1, "Schule A"}, {2, std::string("Schule ") + SeededServer::kSchoolB}});
    FakeJamfDevice enrolled;
    enrolled.udid = "u0";
    enrolled.serial = serial("JAMF", 0);
    enrolled.location_id = 1;
    enrolled.os_version = "17.5.1";
    FakeJamfDevice stray = enrolled;
    stray.udid = "u1";
    stray.serial = serial("STRY", 0);
    fake.jamf_set_devices({enrolled, stray});
    ASSERT_EQ(sync("jamf_school").at("outcome"), "ok");
    EXPECT_EQ(get(std::string("/api/v1/schools/") + SeededServer::kSchoolA + "/unknown-devices")
                  .at("items")
                  .size(),
              1u);

    enrolled.location_id = 2;
    enrolled.os_version = "18.1";
    stray.location_id = 2;
    fake.jamf_set_devices({enrolled, stray});
    const json run = sync("jamf_school");
    EXPECT_EQ(run.at("outcome"), "ok");
    EXPECT_EQ(run.at("counts").at("other_school"), 1);
    EXPECT_NE(run.at("conflicts")
                  .dump()
                  .find(std::string("Pakt has it enrolled at school ") + SeededServer::kSchoolA),
              std::string::npos)
        << run.dump();
    EXPECT_TRUE(get(std::string("/api/v1/schools/") + SeededServer::kSchoolA + "/unknown-devices")
                    .at("items")
                    .empty());
    const json at_b =
        get(std::string("/api/v1/schools/") + SeededServer::kSchoolB + "/unknown-devices");
    ASSERT_EQ(at_b.at("items").size(), 1u);
    EXPECT_EQ(at_b.at("items").at(0).at("serial_number"), serial("STRY", 0));

    const auto kinds = event_kinds(serial("JAMF", 0));
    EXPECT_NE(std::find(kinds.begin(), kinds.end(), "mdm_location_changed"), kinds.end())
        << json(kinds).dump();
    EXPECT_NE(std::find(kinds.begin(), kinds.end(), "os_version_changed"), kinds.end());
    // The device stays where Pakt enrolled it: the MDM's filing is reported, not applied.
    EXPECT_EQ(get("/api/v1/devices/" + serial("JAMF", 0)).at("school_number"),
              SeededServer::kSchoolA);
}

TEST_F(Connectors, NoCredentialAppearsInALogLineAnAnswerOrAnError) {
    // Every line paktd would write at any level.
    const auto level = spdlog::get_level();
    spdlog::set_level(spdlog::level::trace);
    struct Restore {
        spdlog::level::level_enum level;
        ~Restore() { spdlog::set_level(level); }
    } restore{level};
    const auto a = create_tranche(SeededServer::kSchoolA, kOrderA, 10);
    fake.asm_set_devices({apple(serial("ASMA", 0), kAppleOrderA)});
    FakeJamfDevice d;
    d.udid = "u0";
    d.serial = serial("ASMA", 0);
    fake.jamf_set_devices({d});
    enroll(serial("ASMA", 0), a);
    EXPECT_EQ(sync("asm").at("outcome"), "ok");
    EXPECT_EQ(sync("jamf_school").at("outcome"), "ok");
    EXPECT_EQ(sync("relution").at("outcome"), "ok");

    // Failures: a refused API key, a refused token, an expired access token.
    const std::string jamf_key = fake.jamf_api_key();
    const std::string relution_token = fake.relution_token();
    write_owner_only_file(fake.jamf_api_key_file(), "not-the-key\n");
    write_owner_only_file(fake.relution_token_file(), "not-the-token\n");
    fake.asm_expire_tokens();
    fake.fail_next("/asm/auth", 6, 500);
    EXPECT_EQ(sync("jamf_school").at("outcome"), "failed");
    EXPECT_EQ(sync("relution").at("outcome"), "failed");
    EXPECT_EQ(sync("asm").at("outcome"), "failed");
    get("/api/v1/connectors");
    get("/api/v1/connectors/asm/runs");
    get("/api/v1/connectors/jamf_school/runs");
    get("/api/v1/connectors/relution/runs");
    get("/api/v1/audit?limit=500");
    get("/api/v1/devices/" + serial("ASMA", 0));

    // What paktd sent, as the fake recorded it: bearer tokens and Basic credentials.
    std::set<std::string> secrets = {jamf_key, relution_token};
    for (const auto& c : fake.calls()) {
        const auto space = c.authorization.find(' ');
        if (space != std::string::npos) secrets.insert(c.authorization.substr(space + 1));
    }
    for (const auto& assertion : fake.asm_assertions()) secrets.insert(assertion);
    std::ifstream key_in(fake.asm_private_key_file());
    std::string line;
    while (std::getline(key_in, line)) {
        if (line.size() > 20 && line.find("-----") == std::string::npos) secrets.insert(line);
    }
    ASSERT_GE(secrets.size(), 6u);  // keys, tokens, the Basic value, assertions, key lines
    std::string everything = log.text();
    for (const auto& answer : answers) everything += answer;
    {
        server::sql::Statement q(
            s.server.db(), "SELECT coalesce(error, '') || counts || conflicts FROM connector_runs");
        while (q.executeStep()) everything += q.getColumn(0).getString();
    }
    ASSERT_NE(everything.find("check connectors.jamf_school.network_id and the API key file"),
              std::string::npos);
    ASSERT_NE(everything.find("connector asm run"), std::string::npos);  // info lines captured
    for (const auto& secret : secrets) {
        EXPECT_EQ(everything.find(secret), std::string::npos)
            << "a credential leaked: " << secret.substr(0, 4) << "...";
    }
}

TEST_F(Connectors, ACredentialFileOthersCanReadIsRefused) {
    ::chmod(fake.jamf_api_key_file().c_str(), 0644);
    const json run = sync("jamf_school");
    EXPECT_EQ(run.at("outcome"), "failed");
    EXPECT_EQ(
        run.at("error"),
        "the credential file " + fake.jamf_api_key_file().string() +
            " is readable by others than its owner (mode 0644); make it owner-only: chmod 600");
    EXPECT_TRUE(fake.calls().empty());  // nothing was sent
}

TEST_F(Connectors, OnlyMunicipalItSeesAndRunsConnectors) {
    EXPECT_EQ(call(http, "GET", "/api/v1/connectors", s.it_a).status, 403);
    EXPECT_EQ(call(http, "GET", "/api/v1/connectors", s.head_b).status, 403);
    EXPECT_EQ(call(http, "POST", "/api/v1/connectors/asm/sync", s.it_a).status, 403);
    EXPECT_EQ(call(http, "GET", "/api/v1/connectors/asm/runs", s.head_a).status, 403);
    EXPECT_EQ(call(http, "POST", "/api/v1/connectors/intune/sync", s.admin).status, 404);
    EXPECT_EQ(call(http, "POST", "/api/v1/connectors/asm/sync?wait=maybe", s.admin).status, 400);
    const json list = get("/api/v1/connectors");
    ASSERT_EQ(list.at("connectors").size(), 3u);
    for (const auto& c : list.at("connectors")) {
        EXPECT_EQ(c.at("configured"), true);
        EXPECT_EQ(c.at("state"), "idle");
        EXPECT_TRUE(c.at("next_run_at").is_null());  // interval_s = 0: only on request
    }
    // A manual sync is audited with the person who asked for it.
    sync("relution");
    const json audit = get("/api/v1/audit?action=connector.sync_requested");
    ASSERT_FALSE(audit.at("items").empty());
    EXPECT_EQ(audit.at("items").at(0).at("actor"), "admin");
}

TEST_F(Connectors, ARetryAfterLongerThanTheLimitFailsTheRunInsteadOfWaiting) {
    create_tranche(SeededServer::kSchoolA, kOrderA, 10);
    fake.asm_set_devices({apple(serial("ASMA", 0), kAppleOrderA)});
    fake.fail_next("/asm/v1/orgDevices", 1, 429, "3600");
    const json run = sync("asm");
    EXPECT_EQ(run.at("outcome"), "failed");
    EXPECT_NE(run.at("error").get<std::string>().find(
                  "HTTP 429 asks to wait 3600 s (Retry-After), longer than "
                  "connectors.max_retry_after_s (300 s)"),
              std::string::npos)
        << run.dump();
    EXPECT_EQ(run.at("counts").at("retry_wait_ms"), 0);
}

TEST_F(Connectors, ATokenRefusedRightAfterItWasIssuedFailsTheRun) {
    fake.asm_set_token_lifetime(0s);  // every token is expired when used
    const json run = sync("asm");
    EXPECT_EQ(run.at("outcome"), "failed");
    EXPECT_EQ(run.at("error"),
              "Apple School Manager: GET /v1/orgDevices was refused (HTTP 401) with a fresh access "
              "token");
    EXPECT_EQ(fake.asm_tokens_issued(), 1u);  // not a loop of new tokens
}

TEST_F(Connectors, ASerialEnrolledInAnotherTrancheIsAConflict) {
    const auto a = create_tranche(SeededServer::kSchoolA, kOrderA, 10);
    const auto b = create_tranche(SeededServer::kSchoolB, kOrderB, 10);
    enroll(serial("ELSE", 0), b);  // tranche B has no delivery list
    fake.asm_set_devices(
        {apple(serial("ELSE", 0), kAppleOrderA), apple(serial("ASMA", 0), kAppleOrderA)});
    const json run = sync("asm");
    EXPECT_EQ(run.at("outcome"), "ok");
    ASSERT_EQ(run.at("conflicts").size(), 1u) << run.dump();
    EXPECT_EQ(run.at("conflicts").at(0).at("serial_number"), serial("ELSE", 0));
    EXPECT_EQ(run.at("conflicts").at(0).at("tranche_id"), a);
    EXPECT_NE(run.at("conflicts")
                  .at(0)
                  .at("message")
                  .get<std::string>()
                  .find("is enrolled in tranche " + std::to_string(b)),
              std::string::npos);
    EXPECT_EQ(manifest_serials(a), std::vector<std::string>{serial("ASMA", 0)});
}

TEST_F(Connectors, ASerialListedTwiceCountsOnce) {
    const auto a = create_tranche(SeededServer::kSchoolA, kOrderA, 10);
    fake.asm_set_devices(
        {apple(serial("ASMA", 0), kAppleOrderA), apple(serial("ASMA", 0), kAppleOrderA),
         apple(serial("ASMA", 1), kAppleOrderA), apple(serial("ASMA", 1), kOrderB)});
    const json run = sync("asm");
    EXPECT_EQ(run.at("outcome"), "ok") << run.dump();
    EXPECT_EQ(run.at("counts").at("manifest_added"), 2);
    EXPECT_NE(run.at("conflicts").dump().find("under two orders"), std::string::npos) << run.dump();
    EXPECT_EQ(manifest_serials(a).size(), 2u);
    EXPECT_EQ(sync("asm").at("outcome"), "ok");  // and again: nothing new, nothing failing

    // The same for an MDM keeping an old record next to a re-enrolled device's new one.
    enroll(serial("ASMA", 0), a);
    FakeJamfDevice old_record;
    old_record.udid = "old";
    old_record.serial = serial("ASMA", 0);
    old_record.managed = false;
    old_record.last_checkin = jamf_time_ago(24h * 30);
    FakeJamfDevice new_record = old_record;
    new_record.udid = "new";
    new_record.managed = true;
    new_record.last_checkin = jamf_time_ago(1h);
    fake.jamf_set_devices({new_record, old_record});
    const json mdm = sync("jamf_school");
    EXPECT_EQ(mdm.at("counts").at("enrolled"), 1);
    EXPECT_EQ(mdm.at("counts").at("managed"), 1);
    EXPECT_EQ(progress(a).at("managed"), 1);
    EXPECT_EQ(sync("jamf_school").at("counts").at("events"), 0);  // no flip-flop between the two
}

TEST_F(Connectors, ADeviceReleasedBeforeItWasEnrolledGetsItsEventOnEnrollment) {
    const auto a = create_tranche(SeededServer::kSchoolA, kOrderA, 10);
    FakeAsmDevice released = apple(serial("ASMA", 0), kAppleOrderA);
    released.released_from_org = "2026-11-01T08:00:00.000Z";
    fake.asm_set_devices({released});
    EXPECT_EQ(sync("asm").at("counts").at("newly_released"), 1);
    enroll(serial("ASMA", 0), a);
    EXPECT_EQ(sync("asm").at("counts").at("newly_released"), 0);
    const auto kinds = event_kinds(serial("ASMA", 0));
    EXPECT_EQ(std::count(kinds.begin(), kinds.end(), "released_from_org"), 1);
    sync("asm");
    EXPECT_EQ(count("SELECT count(*) FROM device_events WHERE kind = 'released_from_org'"), 1);
}

TEST_F(Connectors, ADeviceTheMdmNoLongerListsIsNoLongerManaged) {
    const auto a = create_tranche(SeededServer::kSchoolA, kOrderA, 10);
    enroll(serial("JAMF", 0), a);
    FakeJamfDevice d;
    d.udid = "u0";
    d.serial = serial("JAMF", 0);
    d.last_checkin = jamf_time_ago(1h);
    FakeJamfDevice stray = d;
    stray.udid = "u1";
    stray.serial = serial("STRY", 0);
    fake.jamf_set_devices({d, stray});
    ASSERT_EQ(sync("jamf_school").at("outcome"), "ok");
    EXPECT_EQ(progress(a).at("managed"), 1);
    fake.jamf_set_devices({});
    const json run = sync("jamf_school");
    EXPECT_EQ(run.at("counts").at("removed"), 2);
    EXPECT_EQ(progress(a).at("managed"), 0);
    EXPECT_TRUE(get(std::string("/api/v1/schools/") + SeededServer::kSchoolA + "/unknown-devices")
                    .at("items")
                    .empty());
    EXPECT_TRUE(get("/api/v1/devices/" + serial("JAMF", 0)).at("mdm").empty());
}

TEST_F(Connectors, ALocationThatMapsToNoSchoolIsReportedWithItsName) {
    fake.jamf_set_locations({{1, "Schule A"}, {3, "Verwaltung Rathaus"}});
    FakeJamfDevice d;
    d.udid = "u0";
    d.serial = serial("STRY", 0);
    d.location_id = 3;
    fake.jamf_set_devices({d});
    const json run = sync("jamf_school");
    EXPECT_EQ(run.at("outcome"), "ok");
    EXPECT_EQ(run.at("counts").at("unmapped"), 1);
    EXPECT_EQ(run.at("conflicts").at(0).at("message"),
              "MDM location '3' (Verwaltung Rathaus) maps to no school: add it to the connector's "
              "location "
              "table in paktd.toml");
}

TEST_F(Connectors, AMissingOrMultiLineCredentialFileFailsTheRunNamingTheFile) {
    const std::string file = fake.relution_token_file().string();
    std::filesystem::remove(fake.relution_token_file());
    const json missing = sync("relution");
    EXPECT_EQ(missing.at("outcome"), "failed");
    EXPECT_EQ(missing.at("error"),
              "cannot read the credential file " + file + ": No such file or directory");
    write_owner_only_file(fake.relution_token_file(), fake.relution_token() + "\nX-Injected: 1\n");
    const json two_lines = sync("relution");
    EXPECT_EQ(two_lines.at("outcome"), "failed");
    EXPECT_NE(two_lines.at("error").get<std::string>().find("has more than one line"),
              std::string::npos);
    EXPECT_EQ(two_lines.at("error").get<std::string>().find(fake.relution_token()),
              std::string::npos);
    write_owner_only_file(fake.relution_token_file(), "");
    EXPECT_EQ(sync("relution").at("error"), "the credential file " + file + " is empty");
    EXPECT_TRUE(fake.calls().empty());
}

TEST_F(Connectors, SyncWithoutWaitingAnswers202AndRunsArePaged) {
    auto r = call(http, "POST", "/api/v1/connectors/relution/sync", s.admin);
    ASSERT_EQ(r.status, 202) << r.body;
    EXPECT_EQ(json_of(r).at("name"), "relution");
    EXPECT_NE(json_of(r).at("state"), "not_configured");
    sync("relution");
    sync("relution");
    // Two or three runs (the 202's request may have been covered by the first waited one).
    const json first = get("/api/v1/connectors/relution/runs?limit=1");
    ASSERT_EQ(first.at("items").size(), 1u);
    ASSERT_FALSE(first.at("next_cursor").is_null());
    const json rest = get("/api/v1/connectors/relution/runs?limit=5&cursor=" +
                          first.at("next_cursor").get<std::string>());
    ASSERT_GE(rest.at("items").size(), 1u);
    EXPECT_LT(rest.at("items").at(0).at("id").get<std::int64_t>(),
              first.at("items").at(0).at("id").get<std::int64_t>());
    EXPECT_EQ(call(http, "GET", "/api/v1/connectors/relution/runs?cursor=garbage", s.admin).status,
              400);
}

TEST(ConnectorsShutdown, AWaitingSyncDoesNotHoldUpTheServersStop) {
    FakeVendorServer fake;
    // Every call is answered 429 with a minute's Retry-After: the run sits in its wait.
    fake.fail_next("/relution", 100, 429, "60");
    SeededServer s(against(fake));
    std::thread waiter([&] {
        auto client = s.server.client();
        call(*client, "POST", "/api/v1/connectors/relution/sync?wait=true", s.admin);
    });
    // The run has started once the fake saw its first call (a condition with a deadline).
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (fake.calls().empty() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(10ms);
    }
    ASSERT_FALSE(fake.calls().empty());
    s.server.app().stop();  // returns although a request waits for a run that waits a minute
    waiter.join();
    server::sql::Statement q(s.server.db(), "SELECT outcome, error FROM connector_runs");
    ASSERT_TRUE(q.executeStep());
    EXPECT_EQ(q.getColumn(0).getString(), "failed");
    EXPECT_EQ(q.getColumn(1).getString(), "Relution: stopped (paktd is shutting down)");
}

TEST_F(Connectors, MetricsShowTheLastSuccessAndAFailedLastRun) {
    fake.asm_set_devices({});
    EXPECT_EQ(sync("asm").at("outcome"), "ok");
    fake.fail_next("/relution", 6, 500);
    EXPECT_EQ(sync("relution").at("outcome"), "failed");
    const auto metrics = call(http, "GET", "/metrics").body;
    EXPECT_NE(metrics.find("pakt_connector_last_run_failed{connector=\"relution\"} 1"),
              std::string::npos)
        << metrics;
    EXPECT_NE(metrics.find("pakt_connector_last_run_failed{connector=\"asm\"} 0"),
              std::string::npos);
    EXPECT_NE(
        metrics.find("pakt_connector_last_success_timestamp_seconds{connector=\"relution\"} 0"),
        std::string::npos);
    EXPECT_EQ(metrics.find("pakt_connector_last_success_timestamp_seconds{connector=\"asm\"} 0\n"),
              std::string::npos);
}

// With an interval, runs come by themselves: the first within a tenth of the interval.
TEST(ConnectorsScheduled, RunWithoutBeingAskedAndSayWhenTheNextRunIs) {
    FakeVendorServer fake;
    SeededServer s(against(fake, [](server::ServerConfig& c) {
        c.connectors.interval = 2s;
        c.connectors.jamf_school.enabled = false;
        c.connectors.relution.enabled = false;
    }));
    // Waits for the scheduled run (a condition with a deadline, not a fixed sleep).
    json asm_status;
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < deadline) {
        asm_status =
            json_of(call(*s.http, "GET", "/api/v1/connectors", s.admin)).at("connectors").at(0);
        if (!asm_status.at("last_run").is_null()) break;
        std::this_thread::sleep_for(50ms);
    }
    ASSERT_FALSE(asm_status.at("last_run").is_null()) << "no scheduled run within 60 s";
    EXPECT_EQ(asm_status.at("last_run").at("trigger"), "schedule");
    EXPECT_EQ(asm_status.at("last_run").at("outcome"), "ok");
    EXPECT_FALSE(asm_status.at("next_run_at").is_null());
}

TEST(ConnectorsNotConfigured, SyncIsAConflictAndTheListSaysSo) {
    SeededServer s;
    auto r = call(*s.http, "POST", "/api/v1/connectors/asm/sync", s.admin);
    EXPECT_EQ(r.status, 409);
    EXPECT_NE(r.body.find("add its [connectors.asm] table to paktd.toml"), std::string::npos)
        << r.body;
    const json list = json_of(call(*s.http, "GET", "/api/v1/connectors", s.admin));
    for (const auto& c : list.at("connectors")) EXPECT_EQ(c.at("state"), "not_configured");
}

}  // namespace
}  // namespace pakt::test
