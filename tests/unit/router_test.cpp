// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// The HTTP layer without a socket: routing, the problem+json catch site, strict JSON input,
// query strings and metrics.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "server/domain/principal.hpp"
#include "server/http/api_error.hpp"
#include "server/http/json_input.hpp"
#include "server/http/message.hpp"
#include "server/http/metrics.hpp"
#include "server/http/router.hpp"
#include "server/http/web_assets.hpp"
#include "server/domain/store.hpp"

namespace pakt::server::http {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Pair;
using Json = nlohmann::json;

constexpr const char* kSecret = "sqlite said: table users_secret_internal is corrupt";

Request request(std::string method, std::string target, std::string token = {}) {
    Request r;
    r.method = std::move(method);
    r.target = std::move(target);
    r.remote_address = "192.0.2.1";
    r.request_id = "req-1";
    if (!token.empty()) r.headers.emplace("Authorization", "Bearer " + token);
    return r;
}

Json body_of(const Response& response) {
    auto j = Json::parse(response.body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << response.body;
    return j;
}

// A router with routes of its own: the behaviour under test is the router's, not a handler's.
class RouterTest : public ::testing::Test {
protected:
    RouterTest() {
        router_.add("GET", "/api/v1/things/{id}", Auth::none, [](RequestContext& ctx) {
            return json_response(200, Json{{"id", ctx.param("id")}}.dump());
        });
        router_.add("PUT", "/api/v1/things/{id}", Auth::user, [](RequestContext&) { return no_content(); });
        router_.add("GET", "/api/v1/things/{id}/parts/{part}", Auth::none, [](RequestContext& ctx) {
            return json_response(200, Json{{"id", ctx.param("id")}, {"part", ctx.param("part")}}.dump());
        });
        router_.add("GET", "/api/v1/me", Auth::user, [](RequestContext& ctx) {
            return json_response(200, Json{{"username", ctx.user().username},
                                           {"token", ctx.bearer_token}}.dump());
        });
        router_.add("GET", "/api/v1/search", Auth::none, [](RequestContext& ctx) {
            Json j = Json::object();
            for (const auto& [k, v] : ctx.query) j[k] = v;
            return json_response(200, j.dump());
        });
        router_.add("POST", "/api/v1/echo", Auth::none, [](RequestContext& ctx) {
            return json_response(200, parse_json_body(ctx.request).dump());
        });
        router_.add("GET", "/fail/invalid", Auth::none, [](RequestContext&) -> Response {
            throw ApiError::unprocessable("the manifest has invalid rows",
                                          {{"name", "is required", std::nullopt},
                                           {"serial", "is not a serial number", 7}});
        });
        router_.add("GET", "/fail/unexpected", Auth::none,
                    [](RequestContext&) -> Response { throw std::runtime_error(kSecret); });
        router_.add("GET", "/fail/busy", Auth::none, [](RequestContext&) -> Response {
            throw StoreBusy("database is locked");
        });
        router_.add("GET", "/fail/database", Auth::none, [](RequestContext&) -> Response {
            throw StoreError(kSecret, "SQLite 11");
        });
        router_.add("GET", "/fail/stopping", Auth::none,
                    [](RequestContext&) -> Response { throw StoreStopped(); });
        router_.add("GET", "/fail/rate", Auth::none, [](RequestContext&) -> Response {
            throw ApiError::too_many_requests("too many failed logins", 42);
        });
    }

    static std::optional<Principal> authenticate(const std::string& token) {
        if (token != "good") return std::nullopt;
        return Principal{7, "anna", Role::school_it, {"165432"}};
    }

    Router router_{&RouterTest::authenticate};
};

TEST_F(RouterTest, PathParametersArePercentDecoded) {
    auto r = router_.dispatch(request("GET", "/api/v1/things/a%20b%2Fc%C3%A4"));
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(body_of(r)["id"], "a b/cä");
}

TEST_F(RouterTest, PlusInAPathIsNotASpace) {
    auto r = router_.dispatch(request("GET", "/api/v1/things/a+b"));
    EXPECT_EQ(body_of(r)["id"], "a+b");
}

TEST_F(RouterTest, SeveralPathParametersAreEachBound) {
    auto r = router_.dispatch(request("GET", "/api/v1/things/42/parts/lid"));
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(body_of(r), (Json{{"id", "42"}, {"part", "lid"}}));
    EXPECT_EQ(r.route, "/api/v1/things/{id}/parts/{part}");
}

TEST_F(RouterTest, ResponseRouteIsTheMatchedPattern) {
    EXPECT_EQ(router_.dispatch(request("GET", "/api/v1/things/42")).route, "/api/v1/things/{id}");
    EXPECT_EQ(router_.dispatch(request("GET", "/fail/unexpected")).route, "/fail/unexpected");
    EXPECT_EQ(router_.dispatch(request("GET", "/nowhere")).route, "unmatched");
}

TEST_F(RouterTest, UnknownPathIsNotFound) {
    for (const char* target : {"/nowhere", "/api/v1/things", "/api/v1/things/42/extra/x/y",
                               "/api/v1/things/", "/"}) {
        auto r = router_.dispatch(request("GET", target));
        EXPECT_EQ(r.status, 404) << target;
        EXPECT_EQ(r.header("Content-Type"), "application/problem+json") << target;
    }
}

TEST_F(RouterTest, KnownPathWithAnotherMethodIs405ListingAllowedMethods) {
    auto r = router_.dispatch(request("DELETE", "/api/v1/things/42"));
    EXPECT_EQ(r.status, 405);
    EXPECT_EQ(r.header("Allow"), "GET, HEAD, PUT");  // HEAD wherever GET is allowed
    EXPECT_EQ(body_of(r)["status"], 405);
}

// --- HEAD ----------------------------------------------------------------------------------------

TEST_F(RouterTest, HeadOnAGetRouteRunsTheGetHandlerAndIsMarkedBodiless) {
    const auto get = router_.dispatch(request("GET", "/api/v1/things/42"));
    const auto head = router_.dispatch(request("HEAD", "/api/v1/things/42"));
    EXPECT_EQ(head.status, 200);
    EXPECT_EQ(head.header("Content-Type"), get.header("Content-Type"));
    EXPECT_EQ(head.body, get.body);  // the network layer sends its length, not the body
    EXPECT_TRUE(head.omit_body);
    EXPECT_FALSE(get.omit_body);
    EXPECT_EQ(head.route, "/api/v1/things/{id}");
}

TEST_F(RouterTest, HeadOnAUserRouteIsAuthenticatedLikeTheGet) {
    EXPECT_EQ(router_.dispatch(request("HEAD", "/api/v1/me")).status, 401);
    const auto r = router_.dispatch(request("HEAD", "/api/v1/me", "good"));
    EXPECT_EQ(r.status, 200);
    EXPECT_TRUE(r.omit_body);
}

TEST_F(RouterTest, HeadOnUnknownPathIs404AndOnAPathWithoutGetIs405) {
    const auto missing = router_.dispatch(request("HEAD", "/nowhere"));
    EXPECT_EQ(missing.status, 404);
    EXPECT_TRUE(missing.omit_body);
    const auto post_only = router_.dispatch(request("HEAD", "/api/v1/echo"));
    EXPECT_EQ(post_only.status, 405);
    EXPECT_EQ(post_only.header("Allow"), "POST");
}

// --- Body limits ---------------------------------------------------------------------------------

TEST_F(RouterTest, BodyLimitIsTheOneTheRouteWasRegisteredWith) {
    router_.add(
        "PUT", "/api/v1/uploads/{id}", Auth::user, [](RequestContext&) { return no_content(); },
        3 * 1024 * 1024);
    router_.add(
        "POST", "/api/v1/login", Auth::none, [](RequestContext&) { return no_content(); },
        kAnonymousBodyLimit);
    EXPECT_EQ(router_.body_limit("PUT", "/api/v1/uploads/7"), 3u * 1024 * 1024);
    EXPECT_EQ(router_.body_limit("PUT", "/api/v1/uploads/7?dry_run=true"), 3u * 1024 * 1024);
    EXPECT_EQ(router_.body_limit("POST", "/api/v1/login"), kAnonymousBodyLimit);
    EXPECT_EQ(router_.body_limit("POST", "/api/v1/echo"), kDefaultBodyLimit);
    EXPECT_EQ(router_.body_limit("HEAD", "/api/v1/things/1"), kDefaultBodyLimit);
}

// Only the routes marked run inline (on the network thread); HEAD follows its GET route.
TEST_F(RouterTest, OnlyRoutesMarkedInlineRunInline) {
    router_.add("GET", "/healthz", Auth::none, [](RequestContext&) { return no_content(); });
    router_.run_inline("GET", "/healthz");
    EXPECT_TRUE(router_.traits("GET", "/healthz").runs_inline);
    EXPECT_TRUE(router_.traits("HEAD", "/healthz?probe=1").runs_inline);
    EXPECT_EQ(router_.traits("GET", "/healthz").body_limit, kDefaultBodyLimit);
    EXPECT_FALSE(router_.traits("GET", "/api/v1/things/1").runs_inline);
    EXPECT_FALSE(router_.traits("GET", "/nowhere").runs_inline);
    EXPECT_EQ(router_.traits("GET", "/nowhere").body_limit, kUnmatchedBodyLimit);
    EXPECT_THROW(router_.run_inline("GET", "/not-registered"), std::invalid_argument);
    EXPECT_THROW(router_.run_inline("POST", "/healthz"), std::invalid_argument);
}

TEST_F(RouterTest, BodyLimitOfAnUnmatchedOrMalformedTargetIsTheSmallOne) {
    EXPECT_EQ(router_.body_limit("POST", "/nowhere"), kUnmatchedBodyLimit);
    EXPECT_EQ(router_.body_limit("DELETE", "/api/v1/things/1"), kUnmatchedBodyLimit);
    EXPECT_EQ(router_.body_limit("POST", "/api/v1/%zz"), kUnmatchedBodyLimit);
    EXPECT_EQ(router_.body_limit("POST", "relative"), kUnmatchedBodyLimit);
    EXPECT_EQ(router_.body_limit("POST", ""), kUnmatchedBodyLimit);
    EXPECT_LT(kUnmatchedBodyLimit, kDefaultBodyLimit);
}

TEST_F(RouterTest, BodyLargerThanTheRouteLimitIs413BeforeAuthentication) {
    router_.add(
        "POST", "/api/v1/small", Auth::user, [](RequestContext&) { return no_content(); }, 16);
    auto r = request("POST", "/api/v1/small");  // no token: the size is refused first
    r.headers.emplace("Content-Type", "application/json");
    r.body = R"({"name":"seventeen"})";
    const auto refused = router_.dispatch(r);
    EXPECT_EQ(refused.status, 413);
    EXPECT_EQ(body_of(refused)["type"], "urn:pakt:problem:payload-too-large");
    r.body = R"({"name":"ok"})";
    EXPECT_EQ(router_.dispatch(r).status, 401);
    auto big_echo = request("POST", "/api/v1/echo");  // registered with the default limit
    big_echo.headers.emplace("Content-Type", "application/json");
    big_echo.body = "{\"a\":\"" + std::string(kDefaultBodyLimit, 'x') + "\"}";
    EXPECT_EQ(router_.dispatch(big_echo).status, 413);
}

// --- Capped error lists --------------------------------------------------------------------------

TEST_F(RouterTest, HundredThousandUnknownKeysListFiftyAndCountTheRest) {
    router_.add(
        "POST", "/api/v1/big", Auth::none,
        [](RequestContext& ctx) {
            const auto body = parse_json_body(ctx.request);
            ObjectReader in(body, {"name"});
            in.required_string("name");
            in.finish();
            return no_content();
        },
        4 * 1024 * 1024);
    auto r = request("POST", "/api/v1/big");
    r.headers.emplace("Content-Type", "application/json");
    r.body = "{";
    for (int i = 0; i < 100'000; ++i) r.body += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":0";
    r.body += "}";
    ASSERT_GT(r.body.size(), 1'000'000u);
    const auto answer = router_.dispatch(r);
    EXPECT_EQ(answer.status, 422);
    EXPECT_LT(answer.body.size(), 8'000u);
    const Json problem = body_of(answer);
    ASSERT_EQ(problem["errors"].size(), kMaxListedProblems);
    EXPECT_EQ(problem["errors"][0]["field"], "k0");  // the object's keys in sorted order
    for (const auto& e : problem["errors"]) EXPECT_EQ(e["message"], "unknown field");
    // 100,000 unknown fields and the missing "name", less the 50 listed.
    EXPECT_EQ(problem["more_errors"], 100'001 - 50);
}

TEST(ProblemResponse, ErrorsBeyondFiftyAreCountedNotListed) {
    std::vector<FieldError> errors;
    for (int i = 0; i < 120; ++i) errors.push_back({"f" + std::to_string(i), "bad", std::nullopt});
    const auto r = problem_response(ApiError::unprocessable("many", errors));
    const Json j = Json::parse(r.body);
    EXPECT_EQ(j["errors"].size(), 50u);
    EXPECT_EQ(j["errors"][49]["field"], "f49");
    EXPECT_EQ(j["more_errors"], 70);
    const Json few = Json::parse(
        problem_response(ApiError::unprocessable("few", {{"a", "bad", std::nullopt}})).body);
    EXPECT_FALSE(few.contains("more_errors"));
}

TEST_F(RouterTest, UserRouteWithoutTokenIs401WithChallenge) {
    auto r = router_.dispatch(request("GET", "/api/v1/me"));
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(r.header("WWW-Authenticate"), "Bearer realm=\"pakt\"");
    EXPECT_EQ(body_of(r)["type"], "urn:pakt:problem:unauthorized");
}

TEST_F(RouterTest, UserRouteWithUnknownTokenIs401WithChallenge) {
    auto r = router_.dispatch(request("GET", "/api/v1/me", "bad"));
    EXPECT_EQ(r.status, 401);
    EXPECT_TRUE(r.header("WWW-Authenticate"));
}

TEST_F(RouterTest, NonBearerCredentialsAre401) {
    auto r = request("GET", "/api/v1/me");
    r.headers.emplace("Authorization", "Basic Z29vZA==");
    EXPECT_EQ(router_.dispatch(r).status, 401);
}

TEST_F(RouterTest, ValidTokenReachesTheHandlerWithItsPrincipal) {
    auto r = router_.dispatch(request("GET", "/api/v1/me", "good"));
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(body_of(r), (Json{{"username", "anna"}, {"token", "good"}}));
}

TEST_F(RouterTest, BearerSchemeIsCaseInsensitive) {
    auto r = request("GET", "/api/v1/me");
    r.headers.emplace("authorization", "bearer good");
    EXPECT_EQ(router_.dispatch(r).status, 200);
}

TEST_F(RouterTest, PublicRouteNeedsNoToken) {
    EXPECT_EQ(router_.dispatch(request("GET", "/api/v1/things/1")).status, 200);
    EXPECT_EQ(router_.dispatch(request("PUT", "/api/v1/things/1")).status, 401);
    EXPECT_EQ(router_.dispatch(request("PUT", "/api/v1/things/1", "good")).status, 204);
}

TEST_F(RouterTest, ApiErrorBecomesProblemJson) {
    auto r = router_.dispatch(request("GET", "/fail/invalid"));
    EXPECT_EQ(r.status, 422);
    EXPECT_EQ(r.header("Content-Type"), "application/problem+json");
    const Json body = body_of(r);
    EXPECT_EQ(body["type"], "urn:pakt:problem:validation-failed");
    EXPECT_EQ(body["title"], "Validation failed");
    EXPECT_EQ(body["status"], 422);
    EXPECT_EQ(body["detail"], "the manifest has invalid rows");
    const Json expected_errors = Json::array({
        {{"field", "name"}, {"message", "is required"}},
        {{"field", "serial"}, {"message", "is not a serial number"}, {"line", 7}},
    });
    EXPECT_EQ(body["errors"], expected_errors);
}

TEST_F(RouterTest, ProblemWithoutFieldErrorsHasNoErrorsMember) {
    const Json body = body_of(router_.dispatch(request("GET", "/nowhere")));
    EXPECT_FALSE(body.contains("errors")) << body;
    EXPECT_EQ(body["type"], "urn:pakt:problem:not-found");
}

TEST_F(RouterTest, ApiErrorWithRetryAfterSetsTheHeader) {
    auto r = router_.dispatch(request("GET", "/fail/rate"));
    EXPECT_EQ(r.status, 429);
    EXPECT_EQ(r.header("Retry-After"), "42");
}

TEST_F(RouterTest, UnexpectedExceptionIs500WithoutItsText) {
    auto r = router_.dispatch(request("GET", "/fail/unexpected"));
    EXPECT_EQ(r.status, 500);
    EXPECT_THAT(r.body, Not(HasSubstr("secret")));
    EXPECT_THAT(r.body, Not(HasSubstr("corrupt")));
    EXPECT_EQ(body_of(r)["type"], "urn:pakt:problem:internal");
}

TEST_F(RouterTest, DatabaseErrorIs500WithoutItsText) {
    auto r = router_.dispatch(request("GET", "/fail/database"));
    EXPECT_EQ(r.status, 500);
    EXPECT_THAT(r.body, Not(HasSubstr("secret")));
}

TEST_F(RouterTest, BusyDatabaseIs503WithRetryAfter) {
    auto r = router_.dispatch(request("GET", "/fail/busy"));
    EXPECT_EQ(r.status, 503);
    EXPECT_TRUE(r.header("Retry-After"));
    EXPECT_EQ(body_of(r)["status"], 503);
}

TEST_F(RouterTest, StoppedWriterIs503WithRetryAfter) {
    auto r = router_.dispatch(request("GET", "/fail/stopping"));
    EXPECT_EQ(r.status, 503);
    EXPECT_TRUE(r.header("Retry-After"));
}

TEST_F(RouterTest, BodyOnGetIs400) {
    auto r = request("GET", "/api/v1/things/1");
    r.body = "{}";
    auto response = router_.dispatch(r);
    EXPECT_EQ(response.status, 400);
    EXPECT_EQ(response.route, "/api/v1/things/{id}");
}

TEST_F(RouterTest, QueryParametersAreDecoded) {
    auto r = router_.dispatch(request("GET", "/api/v1/search?q=Gymnasium+Essen%2FWerden&page=2"));
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(body_of(r), (Json{{"q", "Gymnasium Essen/Werden"}, {"page", "2"}}));
}

TEST_F(RouterTest, MalformedQueryEscapeIs400) {
    auto r = router_.dispatch(request("GET", "/api/v1/search?q=%zz"));
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(body_of(r)["type"], "urn:pakt:problem:malformed-request");
}

TEST_F(RouterTest, MalformedPathEscapeIs400) {
    EXPECT_EQ(router_.dispatch(request("GET", "/api/v1/things/%4")).status, 400);
}

TEST_F(RouterTest, RelativeTargetIs400) {
    EXPECT_EQ(router_.dispatch(request("GET", "api/v1/things/1")).status, 400);
    EXPECT_EQ(router_.dispatch(request("GET", "")).status, 400);
}

TEST_F(RouterTest, RoutesAreListedInRegistrationOrder) {
    const auto routes = router_.routes();
    ASSERT_GE(routes.size(), 2u);
    EXPECT_EQ(routes[0].method, "GET");
    EXPECT_EQ(routes[0].pattern, "/api/v1/things/{id}");
    EXPECT_EQ(routes[0].auth, Auth::none);
    EXPECT_EQ(routes[1].method, "PUT");
    EXPECT_EQ(routes[1].auth, Auth::user);
}

TEST_F(RouterTest, JsonBodyErrorsReachTheClientAsProblems) {
    auto r = request("POST", "/api/v1/echo");
    r.headers.emplace("Content-Type", "text/plain");
    r.body = "{}";
    EXPECT_EQ(router_.dispatch(r).status, 415);
}

// --- parse_json_body --------------------------------------------------------------------------

Request json_request(std::string body, std::optional<std::string> content_type = "application/json") {
    Request r;
    r.method = "POST";
    r.target = "/api/v1/echo";
    if (content_type) r.headers.emplace("Content-Type", *content_type);
    r.body = std::move(body);
    return r;
}

int status_of_parse(const Request& r) {
    try {
        parse_json_body(r);
        return 200;
    } catch (const ApiError& e) {
        return e.status();
    }
}

std::string nested(int depth) {
    // An object holding depth - 1 nested arrays: `depth` levels in all.
    return "{\"a\":" + std::string(static_cast<std::size_t>(depth - 1), '[') +
           std::string(static_cast<std::size_t>(depth - 1), ']') + "}";
}

TEST(ParseJsonBody, AcceptsAnObject) {
    const Json j = parse_json_body(json_request(R"({"name": "Gymnasium", "n": [1, 2]})"));
    EXPECT_EQ(j, (Json{{"name", "Gymnasium"}, {"n", {1, 2}}}));
}

TEST(ParseJsonBody, AcceptsCharsetUtf8Parameter) {
    EXPECT_EQ(status_of_parse(json_request("{}", "application/json; charset=utf-8")), 200);
    EXPECT_EQ(status_of_parse(json_request("{}", "Application/JSON;charset=UTF-8")), 200);
}

TEST(ParseJsonBody, WrongOrMissingContentTypeIs415) {
    EXPECT_EQ(status_of_parse(json_request("{}", std::nullopt)), 415);
    EXPECT_EQ(status_of_parse(json_request("{}", "text/plain")), 415);
    EXPECT_EQ(status_of_parse(json_request("{}", "application/json; charset=latin1")), 415);
    EXPECT_EQ(status_of_parse(json_request("{}", "application/jsonp")), 415);
}

TEST(ParseJsonBody, InvalidJsonIs400) {
    EXPECT_EQ(status_of_parse(json_request("{\"a\": }")), 400);
    EXPECT_EQ(status_of_parse(json_request("{\"a\": 1} trailing")), 400);
    EXPECT_EQ(status_of_parse(json_request("")), 400);
}

TEST(ParseJsonBody, InvalidUtf8Is400) {
    EXPECT_EQ(status_of_parse(json_request("{\"name\": \"M\xfcller\"}")), 400);
}

TEST(ParseJsonBody, NonObjectTopLevelIs400) {
    for (const char* body : {"[1, 2]", "\"text\"", "42", "null", "true"}) {
        EXPECT_EQ(status_of_parse(json_request(body)), 400) << body;
    }
}

TEST(ParseJsonBody, DepthOfThirtyTwoIsAccepted) {
    EXPECT_EQ(status_of_parse(json_request(nested(kMaxJsonDepth))), 200);
}

TEST(ParseJsonBody, DepthBeyondThirtyTwoIs400) {
    EXPECT_EQ(status_of_parse(json_request(nested(kMaxJsonDepth + 1))), 400);
    EXPECT_EQ(status_of_parse(json_request(std::string(1'000'000, '['))), 400);
}

TEST(ParseJsonBody, BracketsInsideStringsDoNotCountAsDepth) {
    const std::string brackets(100, '[');
    EXPECT_EQ(status_of_parse(json_request("{\"a\": \"" + brackets + "\\\"" + brackets + "\"}")), 200);
}

// --- ObjectReader -----------------------------------------------------------------------------

ApiError finish_error(const ObjectReader& reader) {
    try {
        reader.finish();
    } catch (const ApiError& e) {
        return e;
    }
    ADD_FAILURE() << "finish() did not throw";
    return ApiError(0, "", "", "");
}

std::vector<std::string> fields_of(const ApiError& e) {
    std::vector<std::string> fields;
    for (const auto& f : e.errors()) fields.push_back(f.field);
    return fields;
}

TEST(ObjectReader, ReadsTypedFields) {
    const Json j = {{"name", "Anna"}, {"n", 5}, {"ok", true}, {"lat", 51.5}, {"tags", {"a", "b"}}};
    ObjectReader reader(j, {"name", "n", "ok", "lat", "tags"});
    EXPECT_EQ(reader.required_string("name"), "Anna");
    EXPECT_EQ(reader.optional_integer("n"), 5);
    EXPECT_EQ(reader.optional_bool("ok"), true);
    EXPECT_EQ(reader.optional_number("lat"), 51.5);
    EXPECT_EQ(reader.optional_string_array("tags"), (std::vector<std::string>{"a", "b"}));
    EXPECT_FALSE(reader.optional_string("missing"));
    EXPECT_NO_THROW(reader.finish());
}

TEST(ObjectReader, UnknownFieldIs422) {
    const Json j = {{"name", "Anna"}, {"nmae", "typo"}};
    ObjectReader reader(j, {"name"});
    reader.required_string("name");
    const ApiError e = finish_error(reader);
    EXPECT_EQ(e.status(), 422);
    EXPECT_THAT(fields_of(e), ElementsAre("nmae"));
}

TEST(ObjectReader, MissingRequiredFieldIs422) {
    const Json j = Json::object();
    ObjectReader reader(j, {"name", "role"});
    EXPECT_EQ(reader.required_string("name"), "");
    reader.required_string("role");
    const ApiError e = finish_error(reader);
    EXPECT_EQ(e.status(), 422);
    EXPECT_THAT(fields_of(e), ElementsAre("name", "role"));
    EXPECT_EQ(e.errors()[0].message, "is required");
}

TEST(ObjectReader, ControlCharactersInAStringAre422NamingTheField) {
    for (const std::string& bad : {std::string("a\0b", 3), std::string("\x1b[2J"),
                                   std::string("bell\x07"), std::string("del\x7f"),
                                   std::string("c1\xc2\x9b"
                                               "31m"),
                                   std::string("two\nlines")}) {
        const Json j = {{"name", bad}, {"tags", {"ok", bad}}};
        ObjectReader reader(j, {"name", "tags"});
        EXPECT_EQ(reader.required_string("name"), bad);
        reader.optional_string_array("tags");
        const ApiError e = finish_error(reader);
        EXPECT_EQ(e.status(), 422);
        EXPECT_THAT(fields_of(e), ElementsAre("name", "tags[1]"));
        EXPECT_EQ(e.errors()[0].message, "must not contain control characters");
    }
}

TEST(ObjectReader, MultiLineTextKeepsTabsAndLineBreaksButNoOtherControls) {
    const Json j = {{"note", "eins\r\nzwei\n\tdrei"}, {"bad", "eins\rzwei"}};
    ObjectReader reader(j, {"note", "bad"});
    EXPECT_EQ(reader.optional_string("note", TextKind::multi_line), "eins\r\nzwei\n\tdrei");
    reader.optional_string("bad", TextKind::multi_line);  // a lone CR moves the cursor back
    const ApiError e = finish_error(reader);
    EXPECT_THAT(fields_of(e), ElementsAre("bad"));
}

TEST(ObjectReader, OpaqueStringsMayHoldControlCharacters) {
    const Json j = {{"password", "tab\tin my password"}};
    ObjectReader reader(j, {"password"});
    EXPECT_EQ(reader.required_string("password", TextKind::opaque), "tab\tin my password");
    EXPECT_NO_THROW(reader.finish());
}

TEST(ObjectReader, TheSameProblemOfAFieldIsListedOnce) {
    const Json j = {{"name", "\x1b"}};
    ObjectReader reader(j, {"name"});
    reader.required_string("name");
    reader.invalid("name", "must not contain control characters");  // a handler's own check_text
    reader.invalid("name", "must not contain control characters");
    const ApiError e = finish_error(reader);
    EXPECT_THAT(fields_of(e), ElementsAre("name"));
}

TEST(ObjectReader, WrongTypeIs400) {
    const Json j = {{"name", 5}};
    ObjectReader reader(j, {"name"});
    EXPECT_FALSE(reader.optional_string("name"));
    const ApiError e = finish_error(reader);
    EXPECT_EQ(e.status(), 400);
    ASSERT_EQ(e.errors().size(), 1u);
    EXPECT_EQ(e.errors()[0].field, "name");
    EXPECT_THAT(e.errors()[0].message, HasSubstr("integer"));
}

TEST(ObjectReader, WrongTypeBeatsUnknownAndMissingFields) {
    const Json j = {{"name", 5}, {"extra", 1}};
    ObjectReader reader(j, {"name", "role"});
    reader.required_string("name");
    reader.required_string("role");
    const ApiError e = finish_error(reader);
    EXPECT_EQ(e.status(), 400);
    EXPECT_THAT(fields_of(e), ElementsAre("name"));
}

TEST(ObjectReader, InvalidValueIs422) {
    const Json j = {{"school_number", "12"}};
    ObjectReader reader(j, {"school_number"});
    reader.invalid("school_number", "must be six digits");
    const ApiError e = finish_error(reader);
    EXPECT_EQ(e.status(), 422);
    EXPECT_THAT(fields_of(e), ElementsAre("school_number"));
}

TEST(ObjectReader, NullIsDistinguishedFromAbsent) {
    const Json j = {{"latitude", nullptr}, {"longitude", 7.0}};
    ObjectReader reader(j, {"latitude", "longitude", "address"});
    EXPECT_TRUE(reader.is_null("latitude"));
    EXPECT_FALSE(reader.is_null("longitude"));
    EXPECT_FALSE(reader.is_null("address"));
    EXPECT_TRUE(reader.has("latitude"));
    EXPECT_FALSE(reader.has("address"));
}

TEST(ObjectReader, OptionalNumberTakesIntegersAndNull) {
    const Json j = {{"a", 7}, {"b", nullptr}, {"c", -1.25}};
    ObjectReader reader(j, {"a", "b", "c"});
    EXPECT_EQ(reader.optional_number("a"), 7.0);
    EXPECT_EQ(reader.optional_number("b"), std::nullopt);
    EXPECT_EQ(reader.optional_number("c"), -1.25);
    EXPECT_NO_THROW(reader.finish());
}

TEST(ObjectReader, OptionalNumberRejectsAString) {
    const Json j = {{"a", "7"}};
    ObjectReader reader(j, {"a"});
    EXPECT_FALSE(reader.optional_number("a"));
    EXPECT_EQ(finish_error(reader).status(), 400);
}

TEST(ObjectReader, IntegerRejectsFractionsAsWrongType) {
    const Json j = {{"n", 1.5}};
    ObjectReader reader(j, {"n"});
    EXPECT_FALSE(reader.optional_integer("n"));
    EXPECT_EQ(finish_error(reader).status(), 400);
}

TEST(ObjectReader, IntegerAboveInt64IsOutOfRange) {
    // 2^63 parses as an unsigned JSON number; it must not wrap to a negative int64.
    const Json j = Json::parse(R"({"n": 9223372036854775808})");
    ObjectReader reader(j, {"n"});
    EXPECT_EQ(reader.optional_integer("n"), std::nullopt);
    const ApiError e = finish_error(reader);
    EXPECT_EQ(e.status(), 422);
    EXPECT_THAT(fields_of(e), ElementsAre("n"));
}

TEST(ObjectReader, StringArrayWithANonStringIsWrongType) {
    const Json j = {{"schools", {"165432", 100018}}};
    ObjectReader reader(j, {"schools"});
    EXPECT_FALSE(reader.optional_string_array("schools"));
    EXPECT_EQ(finish_error(reader).status(), 400);
}

// --- Query strings and percent-decoding -------------------------------------------------------

TEST(PercentDecode, DecodesEscapesInEitherCase) {
    EXPECT_EQ(percent_decode("a%20b", false), "a b");
    EXPECT_EQ(percent_decode("%c3%a4%C3%B6", false), "äö");
    EXPECT_EQ(percent_decode("100%25", false), "100%");
    EXPECT_EQ(percent_decode("", false), "");
}

TEST(PercentDecode, PlusIsASpaceOnlyWhenAsked) {
    EXPECT_EQ(percent_decode("a+b", false), "a+b");
    EXPECT_EQ(percent_decode("a+b", true), "a b");
    EXPECT_EQ(percent_decode("a%2Bb", true), "a+b");
}

TEST(PercentDecode, MalformedEscapeIsNullopt) {
    for (const char* bad : {"%", "%4", "a%", "%zz", "%4g", "%%41", "abc%2"}) {
        EXPECT_EQ(percent_decode(bad, false), std::nullopt) << bad;
    }
}

TEST(ParseQuery, SplitsPairsAndDecodes) {
    auto q = parse_query("school=165432&q=Essen+Werden&name=M%C3%BCller");
    ASSERT_TRUE(q);
    EXPECT_THAT(*q, ElementsAre(Pair("name", "Müller"), Pair("q", "Essen Werden"), Pair("school", "165432")));
}

TEST(ParseQuery, LastValueWins) {
    auto q = parse_query("a=1&a=2");
    ASSERT_TRUE(q);
    EXPECT_THAT(*q, ElementsAre(Pair("a", "2")));
}

TEST(ParseQuery, NameWithoutValueIsEmptyAndEmptyPairsAreSkipped) {
    auto q = parse_query("&flag&&b=x=y&");
    ASSERT_TRUE(q);
    EXPECT_THAT(*q, ElementsAre(Pair("b", "x=y"), Pair("flag", "")));
}

TEST(ParseQuery, EmptyQueryIsEmpty) {
    auto q = parse_query("");
    ASSERT_TRUE(q);
    EXPECT_TRUE(q->empty());
}

TEST(ParseQuery, MalformedEscapeInNameOrValueIsNullopt) {
    EXPECT_EQ(parse_query("a=%zz"), std::nullopt);
    EXPECT_EQ(parse_query("%zz=1"), std::nullopt);
}

TEST(Request, SplitsPathAndQueryString) {
    Request r;
    r.target = "/api/v1/search?q=a&b=c?d";
    EXPECT_EQ(r.path(), "/api/v1/search");
    EXPECT_EQ(r.query_string(), "q=a&b=c?d");
    r.target = "/api/v1/search";
    EXPECT_EQ(r.query_string(), "");
}

TEST(Request, HeaderNamesAreCaseInsensitive) {
    Request r;
    r.headers.emplace("Content-Type", "application/json");
    EXPECT_EQ(r.header("content-type"), "application/json");
    EXPECT_FALSE(r.header("Accept"));
}

// --- Metrics ----------------------------------------------------------------------------------

TEST(Metrics, CountsRequestsByRouteMethodAndStatus) {
    Metrics m;
    m.observe_request("/api/v1/schools", "GET", 200, 0.01);
    m.observe_request("/api/v1/schools", "GET", 200, 0.01);
    m.observe_request("/api/v1/schools", "POST", 422, 0.01);
    const std::string text = m.render();
    EXPECT_THAT(text, HasSubstr("# TYPE pakt_http_requests_total counter\n"));
    EXPECT_THAT(text, HasSubstr(
        "pakt_http_requests_total{route=\"/api/v1/schools\",method=\"GET\",status=\"200\"} 2\n"));
    EXPECT_THAT(text, HasSubstr(
        "pakt_http_requests_total{route=\"/api/v1/schools\",method=\"POST\",status=\"422\"} 1\n"));
}

TEST(Metrics, HistogramBucketsAreCumulative) {
    Metrics m;
    // Binary fractions, so the sum is exact.
    m.observe_request("/r", "GET", 200, 0.00390625);
    m.observe_request("/r", "GET", 200, 0.125);
    m.observe_request("/r", "GET", 200, 32.0);  // beyond the largest bucket
    const std::string text = m.render();
    const std::string prefix = "pakt_http_request_duration_seconds_bucket{route=\"/r\",le=";
    EXPECT_THAT(text, HasSubstr("# TYPE pakt_http_request_duration_seconds histogram\n"));
    EXPECT_THAT(text, HasSubstr(prefix + "\"0.001\"} 0\n"));
    EXPECT_THAT(text, HasSubstr(prefix + "\"0.005\"} 1\n"));
    EXPECT_THAT(text, HasSubstr(prefix + "\"0.1\"} 1\n"));
    EXPECT_THAT(text, HasSubstr(prefix + "\"0.25\"} 2\n"));
    EXPECT_THAT(text, HasSubstr(prefix + "\"10\"} 2\n"));
    EXPECT_THAT(text, HasSubstr(prefix + "\"+Inf\"} 3\n"));
    EXPECT_THAT(text, HasSubstr("pakt_http_request_duration_seconds_count{route=\"/r\"} 3\n"));
    EXPECT_THAT(text, HasSubstr("pakt_http_request_duration_seconds_sum{route=\"/r\"} 32.12890625\n"));
}

TEST(Metrics, ObservationOnABucketBoundCountsInThatBucket) {
    Metrics m;
    m.observe_request("/r", "GET", 200, 0.25);
    EXPECT_THAT(m.render(),
                HasSubstr("pakt_http_request_duration_seconds_bucket{route=\"/r\",le=\"0.25\"} 1\n"));
}

TEST(Metrics, LabelValuesAreEscaped) {
    Metrics m;
    m.observe_request("/a\"b\\c\nd", "GET", 200, 0.01);
    const std::string text = m.render();
    EXPECT_THAT(text, HasSubstr("route=\"/a\\\"b\\\\c\\nd\""));
    EXPECT_THAT(text, Not(HasSubstr("c\nd")));
}

TEST(Metrics, CollectorsAppendTheirFamilies) {
    Metrics m;
    m.add_collector([](std::string& out) { out += "pakt_writer_commits_total 12\n"; });
    EXPECT_THAT(m.render(), HasSubstr("pakt_writer_commits_total 12\n"));
}

TEST(Metrics, RendersBuildInfo) {
    EXPECT_THAT(Metrics().render(), HasSubstr("pakt_build_info{version=\""));
}

}  // namespace
}  // namespace pakt::server::http

namespace pakt::server::http {
namespace {

class RouterWebTest : public ::testing::Test {
protected:
    RouterWebTest() {
        router_.add("GET", "/assets/{path*}", Auth::none, [](RequestContext& ctx) {
            return json_response(200, Json{{"path", ctx.param("path")}}.dump());
        });
        router_.add("GET", "/api/v1/me", Auth::user, [](RequestContext& ctx) {
            return json_response(200, Json{{"cookie", ctx.cookie_session}}.dump());
        });
        router_.add("PATCH", "/api/v1/me", Auth::user, [](RequestContext&) { return no_content(); });
    }

    static std::optional<Principal> authenticate(const std::string& token) {
        if (token != "good") return std::nullopt;
        return Principal{7, "anna", Role::school_it, {"165432"}};
    }

    static Request with_cookie(std::string method, std::string cookie_header) {
        Request r = request(std::move(method), "/api/v1/me");
        r.headers.emplace("Host", "pakt.example.org:8443");
        r.headers.emplace("Cookie", std::move(cookie_header));
        return r;
    }

    Router router_{&RouterWebTest::authenticate};
};

TEST_F(RouterWebTest, RestPlaceholderTakesTheRestOfThePathAndIsListedPlain) {
    auto r = router_.dispatch(request("GET", "/assets/vendor/kern/kern.min.css"));
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(body_of(r)["path"], "vendor/kern/kern.min.css");
    EXPECT_EQ(r.route, "/assets/{path}");
    EXPECT_EQ(router_.routes().front().pattern, "/assets/{path}");
}

TEST_F(RouterWebTest, RestPlaceholderRefusesDotSegmentsAndEncodedSlashes) {
    for (const char* target : {"/assets/../paktd.toml", "/assets/js/../../x", "/assets/.git/config",
                               "/assets/a%2F..%2Fb", "/assets//x", "/assets", "/assets/"}) {
        SCOPED_TRACE(target);
        EXPECT_EQ(router_.dispatch(request("GET", target)).status, 404);
    }
}

TEST_F(RouterWebTest, SessionCookieAuthenticatesAReadWithoutOrigin) {
    auto r = router_.dispatch(with_cookie("GET", "theme=dark; __Host-pakt_session=good"));
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(body_of(r)["cookie"], true);
    EXPECT_EQ(router_.dispatch(with_cookie("GET", "__Host-pakt_session=bad")).status, 401);
    EXPECT_EQ(router_.dispatch(with_cookie("GET", "pakt_session=good")).status, 401);
}

TEST_F(RouterWebTest, CookieChangeNeedsTheServersOwnOrigin) {
    Request none = with_cookie("PATCH", "__Host-pakt_session=good");
    auto refused = router_.dispatch(none);
    EXPECT_EQ(refused.status, 403);
    EXPECT_EQ(body_of(refused)["type"], "urn:pakt:problem:forbidden-origin");

    Request foreign = with_cookie("PATCH", "__Host-pakt_session=good");
    foreign.headers.emplace("Origin", "https://evil.example");
    EXPECT_EQ(router_.dispatch(foreign).status, 403);

    Request plain_http = with_cookie("PATCH", "__Host-pakt_session=good");
    plain_http.headers.emplace("Origin", "http://pakt.example.org:8443");
    EXPECT_EQ(router_.dispatch(plain_http).status, 403);

    Request own = with_cookie("PATCH", "__Host-pakt_session=good");
    own.headers.emplace("Origin", "https://pakt.example.org:8443");
    EXPECT_EQ(router_.dispatch(own).status, 204);
}

TEST_F(RouterWebTest, ConfiguredPublicOriginIsTheOnlyOneAccepted) {
    router_.set_origin_policy("http", "https://pakt.example.org/");
    Request own = with_cookie("PATCH", "__Host-pakt_session=good");
    own.headers.emplace("Origin", "https://pakt.example.org");
    EXPECT_EQ(router_.dispatch(own).status, 204);
    Request by_host = with_cookie("PATCH", "__Host-pakt_session=good");
    by_host.headers.emplace("Origin", "https://pakt.example.org:8443");
    EXPECT_EQ(router_.dispatch(by_host).status, 403);
}

TEST_F(RouterWebTest, BearerTokenChangesNeedNoOrigin) {
    EXPECT_EQ(router_.dispatch(request("PATCH", "/api/v1/me", "good")).status, 204);
}

}  // namespace
}  // namespace pakt::server::http

namespace pakt::server::http {
namespace {

TEST(WebAssetsTest, AWebDirectoryThatIsNoDirectoryStopsTheStartNamingIt) {
    try {
        WebAssets assets("/nonexistent/pakt-web");
        FAIL() << "accepted a missing web directory";
    } catch (const std::runtime_error& e) {
        EXPECT_THAT(e.what(), HasSubstr("'/nonexistent/pakt-web' is not a directory"));
    }
}

TEST(WebAssetsTest, DevelopmentDirectoryServesItsFilesAndNothingOutsideIt) {
    namespace fs = std::filesystem;
    const fs::path root = fs::temp_directory_path() / ("pakt-web-assets-" + std::to_string(::getpid()));
    fs::create_directories(root / "web" / "js");
    {
        std::ofstream(root / "web" / "index.html") << "<html lang=\"de\">dev</html>";
        std::ofstream(root / "web" / "js" / "app.js") << "export {};";
        std::ofstream(root / "secret.toml") << "password = 1";
        std::ofstream(root / "web" / ".env") << "TOKEN=1";
    }
    const WebAssets assets(root / "web");
    ASSERT_TRUE(assets.find("index.html"));
    EXPECT_EQ(assets.find("index.html")->body, "<html lang=\"de\">dev</html>");
    EXPECT_EQ(assets.find("js/app.js")->content_type, "application/javascript; charset=utf-8");
    for (const char* outside : {"../secret.toml", "js/../../secret.toml", "./index.html", ".env", "js//app.js",
                                "/etc/passwd", "js\\..\\..\\secret.toml", "index.html\x01", ""}) {
        EXPECT_FALSE(assets.find(outside)) << outside;
    }
    EXPECT_FALSE(assets.find("js"));  // a directory is no file
    EXPECT_TRUE(assets.find("vendor/kern/kern.min.css"));  // vendor files stay embedded
    fs::remove_all(root);
}

}  // namespace
}  // namespace pakt::server::http
