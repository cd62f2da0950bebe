// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// Authorization generated from the router's own route table: every route must be listed here
// with its scope kind, and for every route the callers outside its scope get 404 (objects of
// another school) or 403 (actions their role may not do), and a headteacher gets 403 on every
// mutation. A route added to the router without an entry here fails the test.
#include <gtest/gtest.h>

#include <map>

#include "server/http/router.hpp"
#include "tests/support/test_server.hpp"

namespace pakt::test {
namespace {

using nlohmann::json;

enum class Scope {
    public_route,  ///< no authentication (operations, login, contract)
    own_user,      ///< acts on the caller only (session, /me, own tokens)
    admin_only,    ///< city_admin only: every school role gets 403
    read_all,      ///< every authenticated user may read (programmes)
    scoped_list,   ///< a list filtered to the caller's schools: 200 without other schools' data
    school_read,   ///< reads an object of school A: school B's roles get 404
    school_write,  ///< changes an object of school A: B's roles 404, A's headteacher 403
    school_admin_write,  ///< changes an object of school A that only city_admin may change
};

struct RouteCase {
    Scope scope;
    std::optional<json> body;  ///< a valid body, so only authorization can refuse it
};

class Authorization : public ::testing::Test {
protected:
    SeededServer s;
    HttpsClient& http = *s.http;
    std::int64_t grant_id = 0;
    std::int64_t tranche_id = 0;
    std::string serial = "DMPXK0QHJF8L";
    std::string token_id;
    std::string secret_id;
    std::string agent_id;
    std::string loan_id;  ///< an open loan of a second device of school A

    void SetUp() override {
        auto grant = call(http, "POST", "/api/v1/grants", s.admin,
                          json{{"programme", "DP-BASIS"}, {"reference", "BR-D-48.01-2021-117"}, {"title", "Essen Basis"},
                               {"amount_cents", 100000000}, {"own_contribution_cents", 10000000},
                               {"approved_on", "2021-03-01"}, {"spend_by", "2030-12-31"}});
        ASSERT_EQ(grant.status, 201) << grant.body;
        grant_id = json_of(grant)["id"].get<std::int64_t>();
        auto tranche = call(http, "POST", "/api/v1/tranches", s.admin,
                            json{{"school_number", SeededServer::kSchoolA}, {"grant_id", grant_id}, {"supplier", "Bechtle"},
                                 {"delivered_on", "2022-08-15"}, {"model", "iPad 9"}, {"unit_price_cents", 39900},
                                 {"expected_count", 10}});
        ASSERT_EQ(tranche.status, 201) << tranche.body;
        tranche_id = json_of(tranche)["id"].get<std::int64_t>();
        auto device = call(http, "POST", "/api/v1/devices", s.it_a, json{{"serial_number", serial}, {"tranche_id", tranche_id}});
        ASSERT_EQ(device.status, 201) << device.body;
        auto token = call(http, "POST", "/api/v1/tokens", s.it_a, json{{"name", "script of it-a"}});
        ASSERT_EQ(token.status, 201);
        token_id = std::to_string(json_of(token)["id"].get<std::int64_t>());
        auto secret = call(http, "POST", std::string("/api/v1/schools/") + SeededServer::kSchoolA + "/agent-secrets", s.it_a);
        ASSERT_EQ(secret.status, 201);
        secret_id = std::to_string(json_of(secret)["id"].get<std::int64_t>());
        auto agent = call(http, "POST", "/api/v1/agent/enroll", {},
                          json{{"enroll_secret", json_of(secret)["secret"]}, {"hostname", "box"}, {"agent_version", "1"}});
        ASSERT_EQ(agent.status, 201);
        agent_id = std::to_string(json_of(agent)["agent_id"].get<std::int64_t>());
        auto lent = call(http, "POST", "/api/v1/devices", s.it_a, json{{"serial_number", "DMPXK0QHJF8M"}, {"tranche_id", tranche_id}});
        ASSERT_EQ(lent.status, 201) << lent.body;
        auto loan = call(http, "POST", "/api/v1/devices/DMPXK0QHJF8M/loans", s.it_a,
                         json{{"borrower_ref", "7a-03"}, {"borrower_kind", "student"}, {"agreement_ref", "LV-2022-0001"}});
        ASSERT_EQ(loan.status, 201) << loan.body;
        loan_id = std::to_string(json_of(loan)["id"].get<std::int64_t>());
    }

    std::map<std::string, RouteCase> table() const {
        const json loan = {{"borrower_ref", "5b-17"}, {"borrower_kind", "student"}, {"agreement_ref", "LV-2022-0042"}};
        std::map<std::string, RouteCase> cases = {
            {"GET /healthz", {Scope::public_route, {}}},
            {"GET /readyz", {Scope::public_route, {}}},
            {"GET /metrics", {Scope::public_route, {}}},
            {"GET /api/v1/openapi.yaml", {Scope::public_route, {}}},
            {"POST /api/v1/session", {Scope::public_route, {}}},
            {"DELETE /api/v1/session", {Scope::own_user, {}}},
            {"GET /api/v1/me", {Scope::own_user, {}}},
            {"POST /api/v1/tokens", {Scope::own_user, {}}},
            {"GET /api/v1/tokens", {Scope::own_user, {}}},
            {"DELETE /api/v1/tokens/{id}", {Scope::own_user, {}}},
            {"GET /api/v1/users", {Scope::admin_only, {}}},
            {"POST /api/v1/users", {Scope::admin_only, json{{"username", "newcomer"}, {"role", "headteacher"},
                                                            {"schools", {SeededServer::kSchoolA}}, {"password", "long enough password"}}}},
            {"GET /api/v1/users/{id}", {Scope::admin_only, {}}},
            {"PATCH /api/v1/users/{id}", {Scope::admin_only, json{{"display_name", "changed"}}}},
            {"POST /api/v1/users/{id}/one-time-password", {Scope::admin_only, {}}},
            {"GET /api/v1/users/{id}/tokens", {Scope::admin_only, {}}},
            {"DELETE /api/v1/users/{id}/tokens/{token_id}", {Scope::admin_only, {}}},
            {"GET /api/v1/schools", {Scope::scoped_list, {}}},
            {"POST /api/v1/schools", {Scope::admin_only, json{{"school_number", "187654"}, {"name", "Neue Schule"}}}},
            {"GET /api/v1/schools/{school_number}", {Scope::school_read, {}}},
            {"PATCH /api/v1/schools/{school_number}", {Scope::school_admin_write, json{{"name", "Umbenannt"}}}},
            {"GET /api/v1/programmes", {Scope::read_all, {}}},
            {"POST /api/v1/programmes", {Scope::admin_only, json{{"code", "LAND-X"}, {"name", "Landesprogramm"}, {"federal_share_pct", 0}}}},
            {"GET /api/v1/grants", {Scope::admin_only, {}}},
            {"POST /api/v1/grants", {Scope::admin_only, json{{"programme", "EIGEN"}, {"reference", "EIG-2026-1"}, {"amount_cents", 1000},
                                                             {"approved_on", "2026-01-01"}, {"spend_by", "2026-12-31"}}}},
            {"GET /api/v1/grants/{id}", {Scope::admin_only, {}}},
            {"PATCH /api/v1/grants/{id}", {Scope::admin_only, json{{"title", "changed"}}}},
            {"POST /api/v1/tranches", {Scope::admin_only, json{{"school_number", SeededServer::kSchoolA}, {"grant_id", grant_id},
                                                               {"delivered_on", "2022-09-01"}, {"unit_price_cents", 1}, {"expected_count", 1}}}},
            {"GET /api/v1/tranches", {Scope::scoped_list, {}}},
            {"GET /api/v1/tranches/{id}", {Scope::school_read, {}}},
            {"PATCH /api/v1/tranches/{id}",
             {Scope::school_admin_write, json{{"supplier", "Cancom"}}}},
            {"PUT /api/v1/tranches/{id}/manifest", {Scope::school_write, {}}},
            {"GET /api/v1/tranches/{id}/reconciliation", {Scope::school_read, {}}},
            {"POST /api/v1/tranches/{id}/enrollments", {Scope::school_write, json{{"serial_numbers", {"F9FXK1LLMN2P"}}}}},
            {"POST /api/v1/devices", {Scope::school_write, json{{"serial_number", "F9FXK1LLMN2Q"}, {"tranche_id", tranche_id}}}},
            {"GET /api/v1/devices", {Scope::scoped_list, {}}},
            {"GET /api/v1/devices/{serial}", {Scope::school_read, {}}},
            {"PATCH /api/v1/devices/{serial}", {Scope::school_write, json{{"location", "Raum 204"}}}},
            {"GET /api/v1/devices/{serial}/events", {Scope::school_read, {}}},
            {"POST /api/v1/devices/{serial}/unenroll",
             {Scope::school_write, json{{"reason", "wrong delivery"}}}},
            {"POST /api/v1/devices/{serial}/loans", {Scope::school_write, loan}},
            {"POST /api/v1/devices/{serial}/loans/current/return", {Scope::school_write, json{{"condition", "ok"}}}},
            {"GET /api/v1/audit", {Scope::scoped_list, {}}},
            {"GET /api/v1/audit/verify", {Scope::admin_only, {}}},
            {"GET /api/v1/connectors", {Scope::admin_only, {}}},
            {"POST /api/v1/connectors/{name}/sync", {Scope::admin_only, {}}},
            {"GET /api/v1/connectors/{name}/runs", {Scope::admin_only, {}}},
            {"POST /api/v1/schools/{school_number}/agent-secrets", {Scope::school_write, json::object()}},
            {"GET /api/v1/schools/{school_number}/agent-secrets", {Scope::school_read, {}}},
            {"DELETE /api/v1/schools/{school_number}/agent-secrets/{id}", {Scope::school_write, {}}},
            {"POST /api/v1/agent/enroll", {Scope::public_route, {}}},
            {"POST /api/v1/agent/checkin", {Scope::public_route, {}}},  // node key, tested in checkin_api_test
            {"GET /api/v1/agents", {Scope::scoped_list, {}}},
            {"DELETE /api/v1/agents/{id}", {Scope::school_write, {}}},
            {"GET /api/v1/schools/{school_number}/unknown-devices", {Scope::school_read, {}}},
            {"GET /api/v1/reports/funding", {Scope::scoped_list, {}}},
            {"GET /api/v1/reports/inventory", {Scope::scoped_list, {}}},
            {"GET /api/v1/reports/rollout", {Scope::scoped_list, {}}},
            {"GET /api/v1/reports/earmark", {Scope::scoped_list, {}}},
            {"POST /api/v1/me/password", {Scope::own_user, {}}},
            {"GET /api/v1/schools/{school_number}/summary", {Scope::school_read, {}}},
            {"POST /api/v1/tranches/{id}/scans", {Scope::school_write, json{{"code", "F9FXK1LLMN2S"}}}},
            {"GET /api/v1/devices/{serial}/qr.svg", {Scope::school_read, {}}},
            {"GET /api/v1/loans", {Scope::scoped_list, {}}},
            {"GET /api/v1/loans/{id}", {Scope::school_read, {}}},
        };
        // The web UI's pages and files are public: the pages load their data from the API above.
        for (const char* page : {"/", "/login", "/devices", "/devices/{serial}", "/d/{serial}", "/tranches",
                                 "/tranches/{id}", "/tranches/{id}/scan", "/tranches/{id}/labels", "/loans",
                                 "/loans/{id}/agreement", "/schools", "/schools/{school_number}", "/grants",
                                 "/grants/{id}", "/funding", "/agents", "/users", "/users/{id}", "/audit", "/account",
                                 "/assets/{path}"}) {
            cases.emplace(std::string("GET ") + page, RouteCase{Scope::public_route, {}});
        }
        return cases;
    }

    std::string target_for(std::string pattern) const {
        const std::vector<std::pair<std::string, std::string>> values = {
            {"{school_number}", SeededServer::kSchoolA}, {"{serial}", serial}, {"{name}", "asm"}, {"{token_id}", token_id},
            {"{id}", pattern.find("/agent-secrets/") != std::string::npos ? secret_id
                     : pattern.find("/agents/") != std::string::npos ? agent_id
                     : pattern.find("/tranches/") != std::string::npos ? std::to_string(tranche_id)
                     : pattern.find("/grants/") != std::string::npos ? std::to_string(grant_id)
                     : pattern.find("/tokens/") != std::string::npos ? token_id
                     : pattern.find("/loans/") != std::string::npos ? loan_id
                                                                     : "1"}};
        for (const auto& [placeholder, value] : values) {
            if (auto pos = pattern.find(placeholder); pos != std::string::npos) pattern.replace(pos, placeholder.size(), value);
        }
        return pattern;
    }

    HttpResponse send(const server::http::RouteInfo& route, const std::string& token, const std::optional<json>& body) {
        const std::string target = target_for(route.pattern);
        if (route.pattern.ends_with("/manifest")) {
            return http.request("PUT", target, "serial_number\nF9FXK1LLMN2R\n",
                                {{"Authorization", "Bearer " + token}, {"Content-Type", "text/csv"}});
        }
        return call(http, route.method, target, token, body);
    }
};

TEST_F(Authorization, EveryRouteIsInTheTableAndEnforcesScope) {
    const auto cases = table();
    const auto routes = s.server.app().router().routes();
    int checked = 0;
    for (const auto& route : routes) {
        const std::string key = route.method + " " + route.pattern;
        auto it = cases.find(key);
        if (it == cases.end()) {
            ADD_FAILURE() << "route " << key << " is not in the authorization table: add it with its scope";
            continue;
        }
        const RouteCase& c = it->second;
        SCOPED_TRACE(key);
        const bool mutation = route.method != "GET";
        if (c.scope != Scope::public_route) {
            EXPECT_EQ(send(route, "", c.body).status, 401) << "without a token";
        }
        switch (c.scope) {
            case Scope::public_route:
            case Scope::own_user:
            case Scope::read_all:
                if (c.scope == Scope::read_all) {
                    EXPECT_EQ(send(route, s.head_b, c.body).status, 200);
                }
                break;
            case Scope::admin_only:
                for (const auto* token : {&s.it_a, &s.head_a, &s.it_b, &s.head_b}) {
                    EXPECT_EQ(send(route, *token, c.body).status, 403);
                }
                break;
            case Scope::scoped_list:
                for (const auto* token : {&s.it_b, &s.head_b}) {
                    auto r = send(route, *token, c.body);
                    EXPECT_EQ(r.status, 200);
                    EXPECT_EQ(r.body.find(SeededServer::kSchoolA), std::string::npos) << "school B's caller sees school A data: " << r.body;
                }
                break;
            case Scope::school_read:
                EXPECT_EQ(send(route, s.it_b, c.body).status, 404);
                EXPECT_EQ(send(route, s.head_b, c.body).status, 404);
                EXPECT_EQ(send(route, s.head_a, c.body).status, 200);
                break;
            case Scope::school_write:
            case Scope::school_admin_write:
                EXPECT_EQ(send(route, s.it_b, c.body).status, 404);
                EXPECT_EQ(send(route, s.head_b, c.body).status, 404);
                EXPECT_EQ(send(route, s.head_a, c.body).status, 403);
                if (c.scope == Scope::school_admin_write) {
                    EXPECT_EQ(send(route, s.it_a, c.body).status, 403);
                }
                break;
        }
        // A headteacher changes nothing anywhere (own-user routes aside: logging out is theirs).
        if (mutation && c.scope != Scope::public_route && c.scope != Scope::own_user) {
            const int status = send(route, s.head_a, c.body).status;
            EXPECT_TRUE(status == 403 || status == 404) << "headteacher got " << status;
        }
        ++checked;
    }
    EXPECT_EQ(checked, static_cast<int>(routes.size()));
    // Nothing above changed school A's device or created the objects in the bodies.
    auto device = json_of(call(http, "GET", "/api/v1/devices/" + serial, s.admin));
    EXPECT_EQ(device["location"], "");
    EXPECT_TRUE(device["current_loan"].is_null());
    EXPECT_EQ(call(http, "GET", "/api/v1/devices/F9FXK1LLMN2Q", s.admin).status, 404);
    EXPECT_EQ(call(http, "GET", "/api/v1/schools/187654", s.admin).status, 404);
}

TEST_F(Authorization, TableHasNoRoutesTheRouterLacks) {
    std::set<std::string> registered;
    for (const auto& route : s.server.app().router().routes()) registered.insert(route.method + " " + route.pattern);
    for (const auto& [key, c] : table()) {
        if (key == "GET /api/v1/openapi.yaml" && !registered.count(key)) continue;  // served once the contract lands
        EXPECT_TRUE(registered.count(key)) << key << " is in the table but not registered";
    }
}

}  // namespace
}  // namespace pakt::test
