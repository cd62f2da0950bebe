// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// Reports over real HTTPS: the funding report's figures against a scenario whose expected values
// the test computes from its own numbers; CSV variants parsed back to the JSON's figures; the
// scope of the school roles in every report and format; the rollout funnel; errors; and a
// streamed inventory of thousands of devices.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/checkin_report.hpp"
#include "common/csv.hpp"
#include "common/time.hpp"
#include "server/storage/report_repository.hpp"
#include "tests/support/test_server.hpp"

namespace pakt::test {
namespace {

using nlohmann::json;

constexpr const char* kSchoolA = SeededServer::kSchoolA;
constexpr const char* kNameA = "Gymnasium Essen-Werden";
constexpr const char* kSchoolB = SeededServer::kSchoolB;
constexpr const char* kNameB = "Freie Waldorfschule";
constexpr const char* kSchoolC = "188421";
constexpr const char* kNameC = "Gesamtschule Bockmühle Höhe Großstraße";

// The scenario's prices and amounts (cents). DP-SOFORT caps a device at 50,000; DP-BASIS caps a
// school at 2,500,000 (the seeded programmes).
constexpr std::int64_t kPriceT1 = 44'900;   // G1, school A
constexpr std::int64_t kPriceT2 = 52'900;   // G1, school B: above the per-device cap
constexpr std::int64_t kPriceT3 = 39'900;   // G1, school C
constexpr std::int64_t kPriceT4 = 129'900;  // G2, school A
constexpr std::int64_t kPriceT5 = 99'900;   // G2, school A: pushes A above the per-school cap
constexpr std::int64_t kAmountG1 = 2'000'000;
constexpr std::int64_t kOwnG1 = 200'000;
constexpr std::int64_t kAmountG2 = 10'000'000;
constexpr std::int64_t kOwnG2 = 1'111'111;
constexpr std::int64_t kSchoolCap = 2'500'000;

std::string day_from_now(int days) {
    return format_rfc3339(Clock::now() + std::chrono::hours(24 * days)).substr(0, 10);
}

// Device counts as the report states them.
struct Figures {
    std::int64_t expected = 0, delivered = 0, enrolled = 0, in_storage = 0, in_use = 0, in_repair = 0, lost = 0,
                 stolen = 0, on_loan = 0, retired = 0, retired_lost = 0, retired_stolen = 0, retired_damaged = 0,
                 retired_unspecified = 0;

    Figures operator+(const Figures& o) const {
        return {expected + o.expected, delivered + o.delivered, enrolled + o.enrolled, in_storage + o.in_storage,
                in_use + o.in_use, in_repair + o.in_repair, lost + o.lost, stolen + o.stolen, on_loan + o.on_loan,
                retired + o.retired, retired_lost + o.retired_lost, retired_stolen + o.retired_stolen,
                retired_damaged + o.retired_damaged, retired_unspecified + o.retired_unspecified};
    }
};

void expect_figures(const json& j, const Figures& f) {
    EXPECT_EQ(j.at("expected"), f.expected);
    EXPECT_EQ(j.at("delivered"), f.delivered);
    EXPECT_EQ(j.at("enrolled"), f.enrolled);
    EXPECT_EQ(j.at("in_storage"), f.in_storage);
    EXPECT_EQ(j.at("in_use"), f.in_use);
    EXPECT_EQ(j.at("in_repair"), f.in_repair);
    EXPECT_EQ(j.at("lost"), f.lost);
    EXPECT_EQ(j.at("stolen"), f.stolen);
    EXPECT_EQ(j.at("on_loan"), f.on_loan);
    EXPECT_EQ(j.at("retired"), f.retired);
    EXPECT_EQ(j.at("retired_by_reason").at("lost"), f.retired_lost);
    EXPECT_EQ(j.at("retired_by_reason").at("stolen"), f.retired_stolen);
    EXPECT_EQ(j.at("retired_by_reason").at("damaged_beyond_repair"), f.retired_damaged);
    EXPECT_EQ(j.at("retired_by_reason").at("unspecified"), f.retired_unspecified);
}

// A CSV answer parsed back: the BOM checked and removed, rows as column -> value.
struct CsvTable {
    std::vector<std::string> header;
    std::vector<std::map<std::string, std::string>> rows;
};

CsvTable parse_csv(const std::string& body, char separator) {
    CsvTable t;
    EXPECT_EQ(body.rfind("\xEF\xBB\xBF", 0), 0u) << "no UTF-8 byte-order mark";
    const auto doc = csv::parse(body, separator);
    EXPECT_TRUE(doc.errors.empty()) << doc.errors.front().message;
    EXPECT_FALSE(doc.rows.empty());
    if (doc.rows.empty()) return t;
    t.header = doc.rows.front().fields;
    for (std::size_t i = 1; i < doc.rows.size(); ++i) {
        const auto& fields = doc.rows[i].fields;
        EXPECT_EQ(fields.size(), t.header.size()) << "line " << doc.rows[i].line;
        std::map<std::string, std::string> row;
        for (std::size_t c = 0; c < fields.size() && c < t.header.size(); ++c) row[t.header[c]] = fields[c];
        t.rows.push_back(std::move(row));
    }
    return t;
}

// "1234.56" / "1234,56" -> 123456 (also hundredths of a percent); the decimal mark must be the
// dialect's.
std::int64_t hundredths(const std::string& text, char decimal) {
    const auto mark = text.find(decimal);
    EXPECT_NE(mark, std::string::npos) << "'" << text << "' lacks the decimal mark '" << decimal << "'";
    if (mark == std::string::npos) return -1;
    EXPECT_EQ(mark + 3, text.size()) << text;
    const bool negative = text[0] == '-';
    const std::int64_t whole = std::stoll(text.substr(negative ? 1 : 0, mark - (negative ? 1 : 0)));
    const std::int64_t cents = std::stoll(text.substr(mark + 1));
    return (negative ? -1 : 1) * (whole * 100 + cents);
}

// A dialect's date back to ISO: DD.MM.YYYY in excel-de.
std::string iso_date(const std::string& text, bool german) {
    if (!german || text.empty()) return text;
    EXPECT_EQ(text.size(), 10u) << text;
    EXPECT_EQ(text[2], '.');
    EXPECT_EQ(text[5], '.');
    return text.substr(6, 4) + "-" + text.substr(3, 2) + "-" + text.substr(0, 2);
}

std::string iso_time(const std::string& text, bool german) {
    if (!german || text.empty()) return text;
    EXPECT_EQ(text.size(), 19u) << text;
    return iso_date(text.substr(0, 10), true) + "T" + text.substr(11) + "Z";
}

std::string joined(const json& array) {
    std::string out;
    for (const auto& v : array) {
        out += out.empty() ? "" : " ";
        out += v.is_string() ? v.get<std::string>() : v.dump();
    }
    return out;
}

struct Dialect {
    const char* query;  // appended to the report's path
    char separator;
    char decimal;
    bool german;
};
const Dialect kStandard{"format=csv", ',', '.', false};
const Dialect kExcelDe{"format=csv&dialect=excel-de", ';', ',', true};

class ReportApi : public ::testing::Test {
protected:
    SeededServer s{[](server::ServerConfig& c) { c.checkin_burst = 1000; }};
    HttpsClient& http = *s.http;
    std::int64_t g1 = 0, g2 = 0;
    std::int64_t t1 = 0, t2 = 0, t3 = 0, t4 = 0, t5 = 0;
    std::string past_spend_by = day_from_now(-30);

    void SetUp() override {
        s.server.add_school(kSchoolC, kNameC);
        g1 = create_grant("DP-SOFORT", "BR-48.03-SOFORT-2020-17", kAmountG1, kOwnG1, "2020-07-15", past_spend_by);
        g2 = create_grant("DP-BASIS", "BR-48.01-BASIS-2021-117", kAmountG2, kOwnG2, "2021-03-01", "2035-12-31");
        t1 = create_tranche(kSchoolA, g1, kPriceT1, 10);
        t2 = create_tranche(kSchoolB, g1, kPriceT2, 5);
        t3 = create_tranche(kSchoolC, g1, kPriceT3, 4);
        t4 = create_tranche(kSchoolA, g2, kPriceT4, 14);
        t5 = create_tranche(kSchoolA, g2, kPriceT5, 8);
        upload_manifest(t1, "DMPA", 8);
        upload_manifest(t2, "DMPB", 5);
        upload_manifest(t4, "DMPD", 14);
        upload_manifest(t5, "DMPE", 8);
        enroll(s.it_a, t1, "DMPA", 6);
        enroll(s.it_b, t2, "DMPB", 4);
        enroll(s.admin, t3, "DMPC", 3);
        enroll(s.it_a, t4, "DMPD", 14);
        enroll(s.it_a, t5, "DMPE", 8);

        // T1 at school A: two on loan, one in use, one retired (damaged), one in repair, one stored.
        lend(s.it_a, serial("DMPA", 1), "2027-07-15");
        lend(s.it_a, serial("DMPA", 2), std::nullopt);
        patch(s.it_a, serial("DMPA", 3), json{{"status", "in_use"}});
        patch(s.it_a, serial("DMPA", 4),
              json{{"status", "retired"}, {"retired_reason", "damaged_beyond_repair"}, {"note", "Display gebrochen"}});
        patch(s.it_a, serial("DMPA", 5), json{{"status", "in_repair"}});
        // T2 at school B: one on loan, one lost, one retired (stolen), one stored.
        lend(s.it_b, serial("DMPB", 1), "2027-07-16");
        patch(s.it_b, serial("DMPB", 2), json{{"status", "lost"}});
        patch(s.it_b, serial("DMPB", 3), json{{"status", "retired"}, {"retired_reason", "stolen"}, {"note", "Anzeige 17/2026"}});
        // T4 at school A: one retired (lost).
        patch(s.it_a, serial("DMPD", 1), json{{"status", "retired"}, {"retired_reason", "lost"}, {"note", "Klassenfahrt"}});

        // School A's agent saw DMPA1 today (managed) and DMPA3 20 days ago (not managed).
        auto secret = call(http, "POST", std::string("/api/v1/schools/") + kSchoolA + "/agent-secrets", s.it_a);
        ASSERT_EQ(secret.status, 201) << secret.body;
        auto agent = call(http, "POST", "/api/v1/agent/enroll", {},
                          json{{"enroll_secret", json_of(secret)["secret"]}, {"hostname", "box"}, {"agent_version", "1.0"}});
        ASSERT_EQ(agent.status, 201) << agent.body;
        CheckinReport report;
        report.report_id = make_uuid();
        report.generated_at = now_rfc3339();
        report.agent_version = "1.0";
        DeviceObservation seen_now;
        seen_now.serial_number = serial("DMPA", 1);
        seen_now.seen_at = now_rfc3339();
        seen_now.os_version = "17.5.1";
        seen_now.managed = true;
        DeviceObservation seen_before;
        seen_before.serial_number = serial("DMPA", 3);
        seen_before.seen_at = format_rfc3339(Clock::now() - std::chrono::hours(24 * 20));
        seen_before.os_version = "16.7";
        seen_before.managed = false;
        report.devices = {seen_now, seen_before};
        auto checkin = http.request("POST", "/api/v1/agent/checkin", to_json(report).dump(),
                                    {{"Authorization", "Bearer " + json_of(agent)["node_key"].get<std::string>()},
                                     {"Content-Type", "application/json"}});
        ASSERT_EQ(checkin.status, 200) << checkin.body;
        ASSERT_EQ(json_of(checkin)["accepted"], 2);
    }

    std::int64_t create_grant(const std::string& programme, const std::string& reference, std::int64_t amount,
                              std::int64_t own, const std::string& approved_on, const std::string& spend_by) {
        auto r = call(http, "POST", "/api/v1/grants", s.admin,
                      json{{"programme", programme}, {"reference", reference}, {"title", "Endgeräte für " + reference},
                           {"amount_cents", amount}, {"own_contribution_cents", own}, {"approved_on", approved_on},
                           {"spend_by", spend_by}});
        EXPECT_EQ(r.status, 201) << r.body;
        return json_of(r).at("id").get<std::int64_t>();
    }

    std::int64_t create_tranche(const std::string& school, std::int64_t grant, std::int64_t price, int expected) {
        auto r = call(http, "POST", "/api/v1/tranches", s.admin,
                      json{{"school_number", school}, {"grant_id", grant}, {"supplier", "Bechtle"},
                           {"delivered_on", "2023-08-21"}, {"model", "iPad 10.9\" Wi-Fi"}, {"unit_price_cents", price},
                           {"expected_count", expected}});
        EXPECT_EQ(r.status, 201) << r.body;
        return json_of(r).at("id").get<std::int64_t>();
    }

    void upload_manifest(std::int64_t tranche, const char* prefix, int count) {
        std::string csv = "serial_number\n";
        for (int i = 1; i <= count; ++i) csv += serial(prefix, i) + "\n";
        auto r = http.request("PUT", "/api/v1/tranches/" + std::to_string(tranche) + "/manifest", csv,
                              {{"Authorization", "Bearer " + s.admin}, {"Content-Type", "text/csv"}});
        ASSERT_EQ(r.status, 200) << r.body;
    }

    void enroll(const std::string& token, std::int64_t tranche, const char* prefix, int count) {
        json serials = json::array();
        for (int i = 1; i <= count; ++i) serials.push_back(serial(prefix, i));
        auto r = call(http, "POST", "/api/v1/tranches/" + std::to_string(tranche) + "/enrollments", token,
                      json{{"serial_numbers", serials}});
        ASSERT_EQ(r.status, 200) << r.body;
        // Named: a range-for over json_of(r)["results"] would walk a destroyed temporary (ASan).
        const json answer = json_of(r);
        for (const auto& result : answer["results"]) ASSERT_EQ(result["status"], "enrolled") << r.body;
    }

    void lend(const std::string& token, const std::string& serial_number, const std::optional<std::string>& due_on) {
        json body = {{"borrower_ref", "5b-17"}, {"borrower_kind", "student"}, {"agreement_ref", "LV-2026-017"}};
        if (due_on) body["due_on"] = *due_on;
        auto r = call(http, "POST", "/api/v1/devices/" + serial_number + "/loans", token, body);
        ASSERT_EQ(r.status, 201) << r.body;
    }

    void patch(const std::string& token, const std::string& serial_number, const json& body) {
        auto r = call(http, "PATCH", "/api/v1/devices/" + serial_number, token, body);
        ASSERT_EQ(r.status, 200) << r.body;
    }

    json get_json(const std::string& target, const std::string& token) {
        auto r = call(http, "GET", target, token);
        EXPECT_EQ(r.status, 200) << target << ": " << r.body;
        EXPECT_EQ(r.header("Content-Type"), "application/json; charset=utf-8");
        return json_of(r);
    }

    HttpResponse get_csv(const std::string& path, const Dialect& dialect, const std::string& token) {
        const std::string target = path + (path.find('?') == std::string::npos ? "?" : "&") + dialect.query;
        auto r = call(http, "GET", target, token);
        EXPECT_EQ(r.status, 200) << target << ": " << r.body;
        EXPECT_EQ(r.header("Content-Type"), "text/csv; charset=utf-8");
        return r;
    }

    static const json& grant_of(const json& report, std::int64_t id) {
        for (const auto& g : report.at("grants")) {
            if (g.at("id") == id) return g;
        }
        throw std::runtime_error("grant " + std::to_string(id) + " is not in the report");
    }
    static const json& school_of(const json& grant, const std::string& number) {
        for (const auto& s : grant.at("schools")) {
            if (s.at("school_number") == number) return s;
        }
        throw std::runtime_error("school " + number + " is not in the grant");
    }
    static const json& programme_of(const json& report, const std::string& code) {
        for (const auto& p : report.at("programmes")) {
            if (p.at("code") == code) return p;
        }
        throw std::runtime_error("programme " + code + " is not in the report");
    }

    // The scenario's device counts, from its own operations (see SetUp).
    static Figures a_g1() { return {.expected = 10, .delivered = 8, .enrolled = 6, .in_storage = 1, .in_use = 3,
                                    .in_repair = 1, .on_loan = 2, .retired = 1, .retired_damaged = 1}; }
    static Figures b_g1() { return {.expected = 5, .delivered = 5, .enrolled = 4, .in_storage = 1, .in_use = 1,
                                    .lost = 1, .on_loan = 1, .retired = 1, .retired_stolen = 1}; }
    static Figures c_g1() { return {.expected = 4, .delivered = 0, .enrolled = 3, .in_storage = 3}; }
    static Figures a_g2() { return {.expected = 14 + 8, .delivered = 14 + 8, .enrolled = 14 + 8, .in_storage = 21,
                                    .retired = 1, .retired_lost = 1}; }
};

// ---------------------------------------------------------------------------------------------
// Done-when 1: every figure of the funding report.

TEST_F(ReportApi, FundingReportStatesEveryFigureOfTheScenario) {
    const json report = get_json("/api/v1/reports/funding", s.admin);
    EXPECT_EQ(report["scope"], "all");
    EXPECT_EQ(report["as_of"], day_from_now(0));
    ASSERT_EQ(report["grants"].size(), 2u);
    // Ordered by programme code, then id: DP-BASIS before DP-SOFORT.
    EXPECT_EQ(report["grants"][0]["id"], g2);
    EXPECT_EQ(report["grants"][1]["id"], g1);

    const std::int64_t spend_a1 = 6 * kPriceT1, spend_b1 = 4 * kPriceT2, spend_c1 = 3 * kPriceT3;
    const std::int64_t spend_g1 = spend_a1 + spend_b1 + spend_c1;  // 600,700
    const std::int64_t spend_g2 = 14 * kPriceT4 + 8 * kPriceT5;      // 2,617,800

    const json& grant1 = grant_of(report, g1);
    EXPECT_EQ(grant1["programme"], "DP-SOFORT");
    EXPECT_EQ(grant1["reference"], "BR-48.03-SOFORT-2020-17");
    EXPECT_EQ(grant1["amount_cents"], kAmountG1);
    EXPECT_EQ(grant1["own_contribution_cents"], kOwnG1);
    EXPECT_EQ(grant1["approved_on"], "2020-07-15");
    EXPECT_EQ(grant1["spend_by"], past_spend_by);
    EXPECT_EQ(grant1["days_to_spend_by"], -30);
    EXPECT_EQ(grant1["earmark_end"], std::to_string(std::stoi(past_spend_by.substr(0, 4)) + 5) + "-12-31");
    EXPECT_EQ(grant1["spend_cents"], spend_g1);
    EXPECT_DOUBLE_EQ(grant1["share_used_pct"].get<double>(), 30.04);  // 30.035 % rounded half up
    EXPECT_EQ(grant1["remaining_cents"], kAmountG1 - spend_g1);
    EXPECT_EQ(grant1["at_risk"], true);  // spend_by passed with money left
    EXPECT_EQ(grant1["at_risk_reason"], "spend_by_passed");
    EXPECT_EQ(grant1["max_unit_price_cents"], 50'000);
    EXPECT_TRUE(grant1["max_per_school_cents"].is_null());
    EXPECT_EQ(grant1["tranches_above_unit_cap"], json::array({t2}));
    EXPECT_EQ(grant1["devices_above_unit_cap"], 4);
    EXPECT_EQ(grant1["schools_above_school_cap"], json::array());
    expect_figures(grant1, a_g1() + b_g1() + c_g1());
    ASSERT_EQ(grant1["schools"].size(), 3u);
    // Ordered by school number: B (100018), A (165432), C (188421).
    EXPECT_EQ(grant1["schools"][0]["school_number"], kSchoolB);
    EXPECT_EQ(grant1["schools"][1]["school_number"], kSchoolA);
    EXPECT_EQ(grant1["schools"][2]["school_number"], kSchoolC);

    const json& a1 = school_of(grant1, kSchoolA);
    EXPECT_EQ(a1["name"], kNameA);
    EXPECT_EQ(a1["tranches"], json::array({t1}));
    expect_figures(a1, a_g1());
    EXPECT_EQ(a1["spend_cents"], spend_a1);
    EXPECT_DOUBLE_EQ(a1["share_used_pct"].get<double>(), 13.47);  // 269,400 of 2,000,000
    EXPECT_TRUE(a1["school_cap_cents"].is_null());
    EXPECT_EQ(a1["above_school_cap"], false);
    EXPECT_EQ(a1["tranches_above_unit_cap"], json::array());
    EXPECT_EQ(a1["devices_above_unit_cap"], 0);

    const json& b1 = school_of(grant1, kSchoolB);
    EXPECT_EQ(b1["name"], kNameB);
    expect_figures(b1, b_g1());
    EXPECT_EQ(b1["spend_cents"], spend_b1);
    EXPECT_DOUBLE_EQ(b1["share_used_pct"].get<double>(), 10.58);  // 211,600 of 2,000,000
    EXPECT_EQ(b1["tranches_above_unit_cap"], json::array({t2}));
    EXPECT_EQ(b1["devices_above_unit_cap"], 4);

    const json& c1 = school_of(grant1, kSchoolC);
    EXPECT_EQ(c1["name"], kNameC);
    expect_figures(c1, c_g1());
    EXPECT_EQ(c1["spend_cents"], spend_c1);
    EXPECT_DOUBLE_EQ(c1["share_used_pct"].get<double>(), 5.99);  // 5.985 % rounded half up

    const json& grant2 = grant_of(report, g2);
    EXPECT_EQ(grant2["programme"], "DP-BASIS");
    EXPECT_EQ(grant2["amount_cents"], kAmountG2);
    EXPECT_EQ(grant2["own_contribution_cents"], kOwnG2);
    EXPECT_EQ(grant2["spend_by"], "2035-12-31");
    EXPECT_EQ(grant2["earmark_end"], "2040-12-31");
    EXPECT_EQ(grant2["spend_cents"], spend_g2);
    EXPECT_DOUBLE_EQ(grant2["share_used_pct"].get<double>(), 26.18);  // 26.178 %
    EXPECT_EQ(grant2["remaining_cents"], kAmountG2 - spend_g2);
    EXPECT_EQ(grant2["at_risk"], false);
    EXPECT_TRUE(grant2["at_risk_reason"].is_null());
    EXPECT_TRUE(grant2["max_unit_price_cents"].is_null());
    EXPECT_EQ(grant2["max_per_school_cents"], kSchoolCap);
    EXPECT_EQ(grant2["tranches_above_unit_cap"], json::array());
    EXPECT_EQ(grant2["schools_above_school_cap"], json::array({kSchoolA}));
    expect_figures(grant2, a_g2());
    ASSERT_EQ(grant2["schools"].size(), 1u);
    const json& a2 = grant2["schools"][0];
    EXPECT_EQ(a2["school_number"], kSchoolA);
    EXPECT_EQ(a2["tranches"], json::array({t4, t5}));
    EXPECT_EQ(a2["spend_cents"], spend_g2);
    EXPECT_GT(spend_g2, kSchoolCap);
    EXPECT_LT(14 * kPriceT4, kSchoolCap);  // T4 alone stays below; T5 pushes A above the cap
    EXPECT_EQ(a2["school_cap_cents"], kSchoolCap);
    EXPECT_EQ(a2["above_school_cap"], true);
    expect_figures(a2, a_g2());

    ASSERT_EQ(report["programmes"].size(), 2u);
    const json& sofort = programme_of(report, "DP-SOFORT");
    EXPECT_EQ(sofort["grants"], 1);
    EXPECT_EQ(sofort["amount_cents"], kAmountG1);
    EXPECT_EQ(sofort["own_contribution_cents"], kOwnG1);
    EXPECT_EQ(sofort["spend_cents"], spend_g1);
    EXPECT_EQ(sofort["remaining_cents"], kAmountG1 - spend_g1);
    EXPECT_DOUBLE_EQ(sofort["share_used_pct"].get<double>(), 30.04);
    EXPECT_EQ(sofort["grants_at_risk"], 1);
    EXPECT_EQ(sofort["tranches_above_unit_cap"], json::array({t2}));
    EXPECT_EQ(sofort["devices_above_unit_cap"], 4);
    EXPECT_EQ(sofort["schools_above_school_cap"], json::array());
    EXPECT_EQ(sofort["federal_share_pct"], 100);
    expect_figures(sofort, a_g1() + b_g1() + c_g1());
    const json& basis = programme_of(report, "DP-BASIS");
    EXPECT_EQ(basis["grants"], 1);
    EXPECT_EQ(basis["amount_cents"], kAmountG2);
    EXPECT_EQ(basis["spend_cents"], spend_g2);
    EXPECT_EQ(basis["remaining_cents"], kAmountG2 - spend_g2);
    EXPECT_EQ(basis["grants_at_risk"], 0);
    EXPECT_EQ(basis["schools_above_school_cap"], json::array({kSchoolA}));
    EXPECT_EQ(basis["federal_share_pct"], 90);
    expect_figures(basis, a_g2());
}

TEST_F(ReportApi, FundingGrantFilterAndTheNearSpendByRule) {
    json only = get_json("/api/v1/reports/funding?grant_id=" + std::to_string(g2), s.admin);
    ASSERT_EQ(only["grants"].size(), 1u);
    EXPECT_EQ(only["grants"][0]["id"], g2);
    ASSERT_EQ(only["programmes"].size(), 1u);
    EXPECT_EQ(only["programmes"][0]["code"], "DP-BASIS");

    // 100 days left and 69.97 % of the money unspent: at risk. 5 % unspent: not at risk.
    auto r = call(http, "PATCH", "/api/v1/grants/" + std::to_string(g1), s.admin, json{{"spend_by", day_from_now(100)}});
    ASSERT_EQ(r.status, 200) << r.body;
    json near = grant_of(get_json("/api/v1/reports/funding", s.admin), g1);
    EXPECT_EQ(near["days_to_spend_by"], 100);
    EXPECT_EQ(near["at_risk"], true);
    EXPECT_EQ(near["at_risk_reason"], "spend_by_near");
    r = call(http, "PATCH", "/api/v1/grants/" + std::to_string(g1), s.admin, json{{"amount_cents", 632'300}});
    ASSERT_EQ(r.status, 200) << r.body;
    near = grant_of(get_json("/api/v1/reports/funding", s.admin), g1);
    EXPECT_EQ(near["remaining_cents"], 632'300 - 600'700);  // 31,600: 4.998 % of the amount
    EXPECT_EQ(near["at_risk"], false);
    // 181 days away with most of the money left: not yet at risk.
    r = call(http, "PATCH", "/api/v1/grants/" + std::to_string(g1), s.admin,
             json{{"amount_cents", kAmountG1}, {"spend_by", day_from_now(181)}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(grant_of(get_json("/api/v1/reports/funding", s.admin), g1)["at_risk"], false);
}

// ---------------------------------------------------------------------------------------------
// Done-when 2: the CSV variants parse back to the JSON's figures.

TEST_F(ReportApi, FundingCsvParsesBackToTheJsonFigures) {
    const json report = get_json("/api/v1/reports/funding", s.admin);
    for (const Dialect& dialect : {kStandard, kExcelDe}) {
        SCOPED_TRACE(dialect.query);
        auto r = get_csv("/api/v1/reports/funding", dialect, s.admin);
        EXPECT_EQ(r.header("Content-Disposition"), "attachment; filename=\"pakt-funding-" + day_from_now(0) + ".csv\"");
        const auto first_line = r.body.substr(0, r.body.find('\n'));
        EXPECT_NE(first_line.find(dialect.separator), std::string::npos);
        if (dialect.german) {
            EXPECT_EQ(first_line.find(','), std::string::npos) << first_line;
        }
        const CsvTable table = parse_csv(r.body, dialect.separator);
        ASSERT_EQ(table.header.size(), 41u);
        // 2 programmes, 2 grants, 3 + 1 schools.
        ASSERT_EQ(table.rows.size(), 8u);

        auto money = [&](const std::string& text) { return hundredths(text, dialect.decimal); };
        auto check_common = [&](const std::map<std::string, std::string>& row, const json& j) {
            for (const char* field : {"expected", "delivered", "enrolled", "in_storage", "in_use", "in_repair", "lost",
                                      "stolen", "on_loan", "retired"}) {
                EXPECT_EQ(std::stoll(row.at(field)), j.at(field).get<std::int64_t>()) << field;
            }
            for (const char* reason : {"lost", "stolen", "damaged_beyond_repair", "unspecified"}) {
                EXPECT_EQ(std::stoll(row.at(std::string("retired_") + reason)),
                          j.at("retired_by_reason").at(reason).get<std::int64_t>());
            }
            EXPECT_EQ(money(row.at("spend_eur")), j.at("spend_cents").get<std::int64_t>());
            EXPECT_EQ(money(row.at("share_used_pct")), std::llround(j.at("share_used_pct").get<double>() * 100));
            EXPECT_EQ(row.at("tranches_above_unit_cap"), joined(j.at("tranches_above_unit_cap")));
            EXPECT_EQ(std::stoll(row.at("devices_above_unit_cap")), j.at("devices_above_unit_cap").get<std::int64_t>());
        };

        int programmes = 0, grants = 0, schools = 0;
        for (const auto& row : table.rows) {
            const std::string& level = row.at("level");
            if (level == "programme") {
                ++programmes;
                const json& p = programme_of(report, row.at("programme"));
                check_common(row, p);
                EXPECT_EQ(row.at("programme_name"), p["name"]);
                EXPECT_EQ(std::stoll(row.at("grants")), p["grants"].get<std::int64_t>());
                EXPECT_EQ(money(row.at("amount_eur")), p["amount_cents"].get<std::int64_t>());
                EXPECT_EQ(money(row.at("own_contribution_eur")), p["own_contribution_cents"].get<std::int64_t>());
                EXPECT_EQ(money(row.at("remaining_eur")), p["remaining_cents"].get<std::int64_t>());
                EXPECT_EQ(std::stoll(row.at("grants_at_risk")), p["grants_at_risk"].get<std::int64_t>());
                EXPECT_EQ(row.at("schools_above_school_cap"), joined(p["schools_above_school_cap"]));
                EXPECT_EQ(row.at("grant_id"), "");
                EXPECT_EQ(row.at("school_number"), "");
            } else if (level == "grant") {
                ++grants;
                const json& g = grant_of(report, std::stoll(row.at("grant_id")));
                check_common(row, g);
                EXPECT_EQ(row.at("programme"), g["programme"]);
                EXPECT_EQ(row.at("grant_reference"), g["reference"]);
                EXPECT_EQ(row.at("grant_title"), g["title"]);  // "Endgeräte für ...": umlaut intact
                EXPECT_EQ(money(row.at("amount_eur")), g["amount_cents"].get<std::int64_t>());
                EXPECT_EQ(money(row.at("own_contribution_eur")), g["own_contribution_cents"].get<std::int64_t>());
                EXPECT_EQ(money(row.at("remaining_eur")), g["remaining_cents"].get<std::int64_t>());
                EXPECT_EQ(iso_date(row.at("approved_on"), dialect.german), g["approved_on"]);
                EXPECT_EQ(iso_date(row.at("spend_by"), dialect.german), g["spend_by"]);
                EXPECT_EQ(iso_date(row.at("earmark_end"), dialect.german), g["earmark_end"]);
                EXPECT_EQ(std::stoll(row.at("days_to_spend_by")), g["days_to_spend_by"].get<std::int64_t>());
                EXPECT_EQ(row.at("at_risk"), g["at_risk"].get<bool>() ? "yes" : "no");
                EXPECT_EQ(row.at("at_risk_reason"), g["at_risk_reason"].is_null() ? "" : g["at_risk_reason"].get<std::string>());
                EXPECT_EQ(row.at("schools_above_school_cap"), joined(g["schools_above_school_cap"]));
                if (g["max_per_school_cents"].is_null()) {
                    EXPECT_EQ(row.at("school_cap_eur"), "");
                } else {
                    EXPECT_EQ(money(row.at("school_cap_eur")), g["max_per_school_cents"].get<std::int64_t>());
                }
            } else {
                ASSERT_EQ(level, "school");
                ++schools;
                const json& g = grant_of(report, std::stoll(row.at("grant_id")));
                const json& sc = school_of(g, row.at("school_number"));
                check_common(row, sc);
                EXPECT_EQ(row.at("school_name"), sc["name"]);
                EXPECT_EQ(row.at("tranches"), joined(sc["tranches"]));
                EXPECT_EQ(row.at("above_school_cap"), sc["above_school_cap"].get<bool>() ? "yes" : "no");
                EXPECT_EQ(row.at("amount_eur"), "");  // grant-level money is not repeated per school
            }
        }
        EXPECT_EQ(programmes, 2);
        EXPECT_EQ(grants, 2);
        EXPECT_EQ(schools, 4);

        // The literal cells, as a person's spreadsheet reads them.
        for (const auto& row : table.rows) {
            if (row.at("level") == "grant" && row.at("grant_id") == std::to_string(g1)) {
                EXPECT_EQ(row.at("amount_eur"), dialect.german ? "20000,00" : "20000.00");
                EXPECT_EQ(row.at("spend_eur"), dialect.german ? "6007,00" : "6007.00");
                EXPECT_EQ(row.at("share_used_pct"), dialect.german ? "30,04" : "30.04");
                EXPECT_EQ(row.at("approved_on"), dialect.german ? "15.07.2020" : "2020-07-15");
            }
            if (row.at("level") == "school" && row.at("school_number") == kSchoolC) {
                EXPECT_EQ(row.at("school_name"), kNameC);  // ü, ö, ß survive
            }
        }
        EXPECT_NE(r.body.find(kNameC), std::string::npos);
    }
}

TEST_F(ReportApi, InventoryCsvParsesBackToTheJsonRows) {
    const json report = get_json("/api/v1/reports/inventory", s.admin);
    const json& items = report["items"];
    ASSERT_EQ(items.size(), 6u + 4u + 3u + 14u + 8u);
    // The device on loan with a due date, seen today and managed.
    const json* lent = nullptr;
    for (const auto& item : items) {
        if (item["serial_number"] == serial("DMPA", 1)) lent = &item;
    }
    ASSERT_NE(lent, nullptr);
    EXPECT_EQ((*lent)["on_loan"], true);
    EXPECT_EQ((*lent)["loan_due_on"], "2027-07-15");
    EXPECT_EQ((*lent)["status"], "in_use");
    EXPECT_EQ((*lent)["school_name"], kNameA);
    EXPECT_EQ((*lent)["tranche_id"], t1);
    EXPECT_EQ((*lent)["grant_id"], g1);
    EXPECT_EQ((*lent)["grant_reference"], "BR-48.03-SOFORT-2020-17");
    EXPECT_EQ((*lent)["programme"], "DP-SOFORT");
    EXPECT_EQ((*lent)["os_version"], "17.5.1");
    EXPECT_EQ((*lent)["managed"], true);
    EXPECT_FALSE((*lent)["last_seen_at"].is_null());
    EXPECT_FALSE(lent->contains("borrower_ref")) << "the inventory names no borrower";
    EXPECT_EQ(report.dump().find("5b-17"), std::string::npos);

    for (const Dialect& dialect : {kStandard, kExcelDe}) {
        SCOPED_TRACE(dialect.query);
        auto r = get_csv("/api/v1/reports/inventory", dialect, s.admin);
        EXPECT_EQ(r.header("Content-Disposition"), "attachment; filename=\"pakt-inventory-" + day_from_now(0) + ".csv\"");
        const CsvTable table = parse_csv(r.body, dialect.separator);
        ASSERT_EQ(table.rows.size(), items.size());
        for (std::size_t i = 0; i < items.size(); ++i) {
            const auto& row = table.rows[i];
            const json& item = items[i];
            for (const char* field : {"serial_number", "asset_tag", "model", "school_number", "school_name",
                                      "grant_reference", "programme", "status"}) {
                EXPECT_EQ(row.at(field), item[field].get<std::string>()) << field;
            }
            EXPECT_EQ(std::stoll(row.at("tranche_id")), item["tranche_id"].get<std::int64_t>());
            EXPECT_EQ(std::stoll(row.at("grant_id")), item["grant_id"].get<std::int64_t>());
            EXPECT_EQ(row.at("retired_reason"), item["retired_reason"].is_null() ? "" : item["retired_reason"].get<std::string>());
            EXPECT_EQ(row.at("on_loan"), item["on_loan"].get<bool>() ? "yes" : "no");
            EXPECT_EQ(iso_date(row.at("loan_due_on"), dialect.german),
                      item["loan_due_on"].is_null() ? "" : item["loan_due_on"].get<std::string>());
            EXPECT_EQ(iso_time(row.at("last_seen_at"), dialect.german),
                      item["last_seen_at"].is_null() ? "" : item["last_seen_at"].get<std::string>());
            EXPECT_EQ(row.at("os_version"), item["os_version"].is_null() ? "" : item["os_version"].get<std::string>());
            EXPECT_EQ(row.at("managed"), item["managed"].is_null() ? "" : item["managed"].get<bool>() ? "yes" : "no");
        }
        EXPECT_NE(r.body.find(kNameC), std::string::npos) << "umlauts intact";
        if (dialect.german) {
            EXPECT_NE(r.body.find(";15.07.2027;"), std::string::npos) << "due date as DD.MM.YYYY";
        }
    }
}

TEST_F(ReportApi, AcceptTextCsvGivesCsvAndFormulaLikeTextIsDefused) {
    s.server.db().exec(std::string("UPDATE devices SET asset_tag = '=HYPERLINK(\"x\")' WHERE serial_number = '") +
                       serial("DMPC", 1) + "'");
    auto r = http.request("GET", "/api/v1/reports/inventory?school_number=" + std::string(kSchoolC), {},
                          {{"Authorization", "Bearer " + s.admin}, {"Accept", "text/csv"}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("Content-Type"), "text/csv; charset=utf-8");
    const CsvTable table = parse_csv(r.body, ',');
    ASSERT_EQ(table.rows.size(), 3u);
    EXPECT_EQ(table.rows[0].at("asset_tag"), "'=HYPERLINK(\"x\")");
    // JSON keeps the stored value as it is.
    const json j = get_json("/api/v1/reports/inventory?school_number=" + std::string(kSchoolC), s.admin);
    EXPECT_EQ(j["items"][0]["asset_tag"], "=HYPERLINK(\"x\")");
    // A client preferring JSON gets JSON.
    r = http.request("GET", "/api/v1/reports/rollout", {},
                     {{"Authorization", "Bearer " + s.admin}, {"Accept", "text/csv;q=0.5, application/json"}});
    EXPECT_EQ(r.header("Content-Type"), "application/json; charset=utf-8");
    r = http.request("GET", "/api/v1/reports/funding", {},
                     {{"Authorization", "Bearer " + s.admin}, {"Accept", "text/*"}});
    EXPECT_EQ(r.header("Content-Type"), "text/csv; charset=utf-8");
    // A dialect alone asks for CSV.
    r = call(http, "GET", "/api/v1/reports/rollout?dialect=excel-de", s.admin);
    EXPECT_EQ(r.header("Content-Type"), "text/csv; charset=utf-8");
    EXPECT_EQ(r.header("Vary"), "Accept");
}

// ---------------------------------------------------------------------------------------------
// (d) The rollout funnel.

TEST_F(ReportApi, RolloutStatesTheFunnelPerTranche) {
    const json report = get_json("/api/v1/reports/rollout", s.admin);
    const json& items = report["items"];
    ASSERT_EQ(items.size(), 5u);
    struct Funnel {
        std::int64_t tranche, expected, in_manifest, enrolled, seen, seen_7, managed, in_use, loaned, missing;
    };
    const std::vector<Funnel> want = {
        {t1, 10, 8, 6, 2, 1, 1, 3, 2, 2},  // DMPA7 and DMPA8 never enrolled
        {t2, 5, 5, 4, 0, 0, 0, 1, 1, 1},
        {t3, 4, 0, 3, 0, 0, 0, 0, 0, 0},
        {t4, 14, 14, 14, 0, 0, 0, 0, 0, 0},
        {t5, 8, 8, 8, 0, 0, 0, 0, 0, 0},
    };
    for (std::size_t i = 0; i < want.size(); ++i) {
        const json& item = items[i];
        const Funnel& f = want[i];
        SCOPED_TRACE(f.tranche);
        EXPECT_EQ(item["tranche_id"], f.tranche);
        EXPECT_EQ(item["expected"], f.expected);
        EXPECT_EQ(item["in_manifest"], f.in_manifest);
        EXPECT_EQ(item["enrolled"], f.enrolled);
        EXPECT_EQ(item["seen"], f.seen);
        EXPECT_EQ(item["seen_last_7_days"], f.seen_7);
        EXPECT_EQ(item["managed"], f.managed);
        EXPECT_EQ(item["in_use"], f.in_use);
        EXPECT_EQ(item["loaned"], f.loaned);
        EXPECT_EQ(item["missing"], f.missing);
    }
    EXPECT_EQ(items[0]["school_number"], kSchoolA);
    EXPECT_EQ(items[0]["school_name"], kNameA);
    EXPECT_EQ(items[0]["grant_id"], g1);
    EXPECT_EQ(items[0]["programme"], "DP-SOFORT");
    EXPECT_EQ(items[0]["unit_price_cents"], kPriceT1);
    EXPECT_EQ(items[0]["delivered_on"], "2023-08-21");
    const json& totals = report["totals"];
    EXPECT_EQ(totals["tranches"], 5);
    EXPECT_EQ(totals["expected"], 10 + 5 + 4 + 14 + 8);
    EXPECT_EQ(totals["in_manifest"], 8 + 5 + 14 + 8);
    EXPECT_EQ(totals["enrolled"], 6 + 4 + 3 + 14 + 8);
    EXPECT_EQ(totals["seen"], 2);
    EXPECT_EQ(totals["loaned"], 3);
    EXPECT_EQ(totals["missing"], 3);

    // Filters.
    const json by_school = get_json("/api/v1/reports/rollout?school_number=" + std::string(kSchoolA), s.admin);
    ASSERT_EQ(by_school["items"].size(), 3u);
    EXPECT_EQ(by_school["items"][0]["tranche_id"], t1);
    EXPECT_EQ(by_school["items"][1]["tranche_id"], t4);
    const json by_grant = get_json("/api/v1/reports/rollout?grant_id=" + std::to_string(g2), s.admin);
    ASSERT_EQ(by_grant["items"].size(), 2u);
    const json both = get_json("/api/v1/reports/rollout?grant_id=" + std::to_string(g1) + "&school_number=" + kSchoolB, s.admin);
    ASSERT_EQ(both["items"].size(), 1u);
    EXPECT_EQ(both["items"][0]["tranche_id"], t2);

    // top=N: the tranches furthest behind (open = expected - enrolled: t1 4, t2 1, t3 1, t4 0,
    // t5 0; t2 before t3 by its missing device), totals over every tranche.
    const json top = get_json("/api/v1/reports/rollout?top=3", s.admin);
    ASSERT_EQ(top["items"].size(), 3u);
    EXPECT_EQ(top["items"][0]["tranche_id"], t1);
    EXPECT_EQ(top["items"][1]["tranche_id"], t2);
    EXPECT_EQ(top["items"][2]["tranche_id"], t3);
    EXPECT_EQ(top["totals"], totals);
    EXPECT_EQ(get_json("/api/v1/reports/rollout?top=500", s.admin)["items"].size(), 5u);
    for (const char* bad : {"0", "501", "-1"}) {
        auto r = call(http, "GET", std::string("/api/v1/reports/rollout?top=") + bad, s.admin);
        EXPECT_EQ(r.status, 422) << bad;
        EXPECT_NE(r.body.find("\"top\""), std::string::npos) << r.body;
    }
    EXPECT_EQ(call(http, "GET", "/api/v1/reports/rollout?top=x", s.admin).status, 400);

    // The CSV states the same funnel.
    for (const Dialect& dialect : {kStandard, kExcelDe}) {
        SCOPED_TRACE(dialect.query);
        auto r = get_csv("/api/v1/reports/rollout", dialect, s.admin);
        EXPECT_EQ(r.header("Content-Disposition"), "attachment; filename=\"pakt-rollout-" + day_from_now(0) + ".csv\"");
        const CsvTable table = parse_csv(r.body, dialect.separator);
        ASSERT_EQ(table.rows.size(), items.size());
        for (std::size_t i = 0; i < items.size(); ++i) {
            const auto& row = table.rows[i];
            const json& item = items[i];
            for (const char* field : {"tranche_id", "grant_id", "expected", "in_manifest", "enrolled", "seen",
                                      "seen_last_7_days", "managed", "in_use", "loaned", "missing"}) {
                EXPECT_EQ(std::stoll(row.at(field)), item[field].get<std::int64_t>()) << field;
            }
            for (const char* field : {"school_number", "school_name", "grant_reference", "programme", "model"}) {
                EXPECT_EQ(row.at(field), item[field].get<std::string>()) << field;
            }
            EXPECT_EQ(iso_date(row.at("delivered_on"), dialect.german), item["delivered_on"]);
            EXPECT_EQ(hundredths(row.at("unit_price_eur"), dialect.decimal), item["unit_price_cents"].get<std::int64_t>());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Done-when 5: the school roles get only their schools' rows, in every report and format.

TEST_F(ReportApi, SchoolRolesSeeOnlyTheirSchoolsInEveryReportAndFormat) {
    s.server.add_user("it-ac", server::Role::school_it, {kSchoolA, kSchoolC}, SeededServer::kPassword);
    const std::string it_ac = s.server.login("it-ac", SeededServer::kPassword);
    struct Caller {
        const std::string* token;
        std::vector<std::pair<const char*, const char*>> own;     // number, name
        std::vector<std::pair<const char*, const char*>> others;  // never to appear
    };
    const std::pair<const char*, const char*> a{kSchoolA, kNameA}, b{kSchoolB, kNameB}, c{kSchoolC, kNameC};
    const std::vector<Caller> callers = {
        {&s.head_a, {a}, {b, c}}, {&s.it_a, {a}, {b, c}}, {&s.head_b, {b}, {a, c}}, {&s.it_b, {b}, {a, c}},
        {&it_ac, {a, c}, {b}},
    };
    const std::vector<std::string> formats = {"", "?format=csv", "?format=csv&dialect=excel-de"};
    for (const auto& caller : callers) {
        for (const char* report : {"funding", "inventory", "rollout"}) {
            for (const auto& format : formats) {
                const std::string target = std::string("/api/v1/reports/") + report + format;
                SCOPED_TRACE(target + " as " + caller.own.front().first + (caller.own.size() > 1 ? "+" : ""));
                auto r = call(http, "GET", target, *caller.token);
                ASSERT_EQ(r.status, 200) << r.body;
                for (const auto& [number, name] : caller.own) {
                    EXPECT_NE(r.body.find(number), std::string::npos) << "own school missing";
                    EXPECT_NE(r.body.find(name), std::string::npos) << "own school's name missing";
                }
                for (const auto& [number, name] : caller.others) {
                    EXPECT_EQ(r.body.find(number), std::string::npos) << "another school's number appears";
                    EXPECT_EQ(r.body.find(name), std::string::npos) << "another school's name appears";
                }
            }
        }
    }

    // School B's headteacher: G2 has no tranche at B, so it is not in B's report at all; G1's
    // figures are B's alone.
    const json report = get_json("/api/v1/reports/funding", s.head_b);
    EXPECT_EQ(report["scope"], "own_schools");
    ASSERT_EQ(report["grants"].size(), 1u);
    const json& grant = report["grants"][0];
    EXPECT_EQ(grant["id"], g1);
    EXPECT_EQ(grant["amount_cents"], kAmountG1);
    EXPECT_EQ(grant["spend_cents"], 4 * kPriceT2);
    EXPECT_EQ(grant["remaining_cents"], kAmountG1 - 4 * kPriceT2);
    expect_figures(grant, b_g1());
    ASSERT_EQ(report["programmes"].size(), 1u);
    EXPECT_EQ(report["programmes"][0]["code"], "DP-SOFORT");
    EXPECT_EQ(call(http, "GET", "/api/v1/reports/funding", s.head_b).body.find("BR-48.01-BASIS"), std::string::npos);
    EXPECT_EQ(call(http, "GET", "/api/v1/reports/funding?grant_id=" + std::to_string(g2), s.head_b).status, 404);
    // Their inventory holds exactly their devices.
    const json inventory = get_json("/api/v1/reports/inventory", s.it_b);
    EXPECT_EQ(inventory["items"].size(), 4u);
    const json rollout = get_json("/api/v1/reports/rollout", s.it_b);
    ASSERT_EQ(rollout["items"].size(), 1u);
    EXPECT_EQ(rollout["items"][0]["tranche_id"], t2);
}

// ---------------------------------------------------------------------------------------------
// (e) Errors.

TEST_F(ReportApi, ErrorsAreProblemDetails) {
    for (const char* report : {"funding", "inventory", "rollout"}) {
        const std::string path = std::string("/api/v1/reports/") + report;
        SCOPED_TRACE(path);
        EXPECT_EQ(call(http, "GET", path).status, 401);
        EXPECT_EQ(call(http, "GET", path, "not-a-token").status, 401);
        auto r = call(http, "GET", path + "?format=xml", s.admin);
        EXPECT_EQ(r.status, 422);
        EXPECT_EQ(r.header("Content-Type"), "application/problem+json");
        EXPECT_EQ(json_of(r)["errors"][0]["field"], "format");
        EXPECT_EQ(call(http, "GET", path + "?format=csv&dialect=excel-fr", s.admin).status, 422);
        EXPECT_EQ(call(http, "GET", path + "?format=json&dialect=excel-de", s.admin).status, 422);
        r = http.request("GET", path, {}, {{"Authorization", "Bearer " + s.admin}, {"Accept", "application/xml"}});
        EXPECT_EQ(r.status, 406);
        EXPECT_EQ(r.header("Content-Type"), "application/problem+json");
        EXPECT_EQ(http.request("GET", path, "{}", {{"Authorization", "Bearer " + s.admin}, {"Content-Type", "application/json"}}).status, 400);
    }
    for (const char* path : {"/api/v1/reports/funding?grant_id=abc", "/api/v1/reports/funding?grant_id=", "/api/v1/reports/rollout?grant_id=1x",
                             "/api/v1/reports/funding?grant_id=99999999999999999999"}) {
        auto r = call(http, "GET", path, s.admin);
        EXPECT_EQ(r.status, 400) << path;
        EXPECT_EQ(json_of(r)["errors"][0]["field"], "grant_id") << path;
    }
    EXPECT_EQ(call(http, "GET", "/api/v1/reports/funding?grant_id=999999", s.admin).status, 404);
    // Another school's number, an unknown school and a malformed one are all "no such school".
    for (const auto* token : {&s.head_b, &s.it_b}) {
        EXPECT_EQ(call(http, "GET", std::string("/api/v1/reports/inventory?school_number=") + kSchoolA, *token).status, 404);
        EXPECT_EQ(call(http, "GET", std::string("/api/v1/reports/inventory?school_number=") + kSchoolA + "&format=csv", *token).status, 404);
        EXPECT_EQ(call(http, "GET", std::string("/api/v1/reports/rollout?school_number=") + kSchoolA, *token).status, 404);
    }
    EXPECT_EQ(call(http, "GET", "/api/v1/reports/inventory?school_number=999999", s.admin).status, 404);
    EXPECT_EQ(call(http, "GET", "/api/v1/reports/inventory?school_number=x%27%20OR%201", s.admin).status, 404);
    EXPECT_EQ(call(http, "GET", "/api/v1/reports/rollout?school_number=999999", s.admin).status, 404);
}

// ---------------------------------------------------------------------------------------------
// (f) A streamed inventory of a few thousand devices.

TEST_F(ReportApi, StreamedInventoryArrivesCompleteAndInOrder) {
    constexpr int kBulk = 4000;
    const std::int64_t bulk = create_tranche(kSchoolB, g2, 45'000, kBulk);
    {
        const server::sql::Db db = s.server.db();
        server::sql::Transaction tx(db);
        server::sql::Statement insert(
            db,
            "INSERT INTO devices (serial_number, tranche_id, school_number, asset_tag, model, "
            "status, "
            "enrolled_at, enrolled_by, updated_at) VALUES (?, ?, ?, ?, 'iPad (9. Generation)', ?, "
            "'2023-09-01T08:00:00Z', 'seed', '2023-09-01T08:00:00Z')");
        // Inserted in reverse so that the file order is not the report's order.
        for (int i = kBulk; i >= 1; --i) {
            insert.bind(1, serial("DMPZ", i));
            insert.bind(2, bulk);
            insert.bind(3, kSchoolB);
            insert.bind(4, "WAL-" + std::to_string(i) + " \"Süd\", Raum 1");
            insert.bind(5, i % 3 == 0 ? "in_use" : "in_storage");
            insert.exec();
            insert.reset();
        }
        tx.commit();
    }
    const std::size_t total = 35 + kBulk;

    auto r = call(http, "GET", "/api/v1/reports/inventory", s.admin);
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.header("Transfer-Encoding"), "chunked");
    EXPECT_GT(r.body.size(), 64u * 1024u * 10u) << "large enough to need many chunks";
    const json report = json_of(r);
    const json& items = report["items"];
    ASSERT_EQ(items.size(), total);
    std::set<std::string> serials;
    for (std::size_t i = 0; i < items.size(); ++i) {
        serials.insert(items[i]["serial_number"].get<std::string>());
        if (i == 0) continue;
        const auto prev = std::pair(items[i - 1]["school_number"].get<std::string>(), items[i - 1]["serial_number"].get<std::string>());
        const auto cur = std::pair(items[i]["school_number"].get<std::string>(), items[i]["serial_number"].get<std::string>());
        ASSERT_LT(prev, cur) << "row " << i << " out of order";
    }
    EXPECT_EQ(serials.size(), total);
    EXPECT_EQ(items[0]["school_number"], kSchoolB);  // 100018 sorts first
    EXPECT_EQ(items[items.size() - 1]["school_number"], kSchoolC);
    EXPECT_EQ(items[4]["asset_tag"], "WAL-1 \"Süd\", Raum 1");

    for (const Dialect& dialect : {kStandard, kExcelDe}) {
        SCOPED_TRACE(dialect.query);
        auto csv_answer = get_csv("/api/v1/reports/inventory", dialect, s.admin);
        EXPECT_EQ(csv_answer.header("Transfer-Encoding"), "chunked");
        const CsvTable table = parse_csv(csv_answer.body, dialect.separator);
        ASSERT_EQ(table.rows.size(), total);
        for (std::size_t i = 0; i < total; ++i) {
            ASSERT_EQ(table.rows[i].at("serial_number"), items[i]["serial_number"].get<std::string>()) << "row " << i;
            ASSERT_EQ(table.rows[i].at("asset_tag"), items[i]["asset_tag"].get<std::string>()) << "row " << i;
        }
    }

    // A school's own export holds its devices only, streamed the same way.
    const json own = get_json("/api/v1/reports/inventory", s.head_b);
    EXPECT_EQ(own["items"].size(), 4u + kBulk);
    // The server keeps answering after the exports, and an empty export is well-formed.
    s.server.add_school("199999", "Leere Schule");
    const json empty = get_json("/api/v1/reports/inventory?school_number=199999", s.admin);
    EXPECT_EQ(empty["items"], json::array());
    auto empty_csv = get_csv("/api/v1/reports/inventory?school_number=199999", kExcelDe, s.admin);
    EXPECT_EQ(parse_csv(empty_csv.body, ';').rows.size(), 0u);
}

// The export walks devices_by_school in its order: no sort of 200,000 rows in a temporary b-tree,
// whatever the scope. Every join is a key lookup.
TEST_F(ReportApi, InventoryQueryWalksTheSchoolIndexWithoutSorting) {
    if (testing_postgres())
        GTEST_SKIP() << "SQLite's query planner; PostgreSQL plans by its statistics";
    std::vector<server::ReportFilter> filters(4);
    filters[1].school_number = kSchoolA;
    filters[2].schools = std::vector<std::string>{kSchoolB};
    filters[3].schools = std::vector<std::string>{kSchoolA, kSchoolC};
    filters[3].school_number = kSchoolC;
    for (const auto& filter : filters) {
        server::sql::Statement q(s.server.db(),
                                 "EXPLAIN QUERY PLAN " + server::inventory_sql(filter));
        std::string plan;
        while (q.executeStep()) plan += q.getColumn(3).getString() + "\n";
        SCOPED_TRACE(plan);
        EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos);
        EXPECT_NE(plan.find("devices_by_school"), std::string::npos);
        EXPECT_EQ(plan.find("SCAN s"), std::string::npos);
        EXPECT_EQ(plan.find("SCAN t"), std::string::npos);
        EXPECT_EQ(plan.find("SCAN g"), std::string::npos);
        EXPECT_NE(plan.find("loans_open_by_device"), std::string::npos);
    }
    // The funding and rollout counts by status are served by the reports' index.
    server::sql::Statement q(
        s.server.db(),
        "EXPLAIN QUERY PLAN SELECT status, retired_reason, count(*) FROM devices "
        "WHERE tranche_id = 1 GROUP BY status, retired_reason");
    ASSERT_TRUE(q.executeStep());
    EXPECT_NE(q.getColumn(3).getString().find("COVERING INDEX devices_by_tranche_status"), std::string::npos);
}

}  // namespace
}  // namespace pakt::test
