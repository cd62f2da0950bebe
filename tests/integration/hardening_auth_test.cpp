// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// Issue 11, authentication and secrets: login delays that give nobody a lockout button,
// enrollment throttled in counters of its own, single-use enroll secrets, credentials ended by a
// password change, failed logins in the log, owner-only database files, and the audit chain's
// head visible outside the database. Real HTTPS against an in-process paktd; distinct client
// addresses come from binding the client to 127.0.0.2, 127.0.0.3, ... on loopback.
#include <SQLiteCpp/Database.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <filesystem>
#include <mutex>
#include <regex>
#include <string>

#include "tests/support/captured_log.hpp"
#include "tests/support/test_server.hpp"

namespace pakt::test {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

// Long enough that no test can outlast a delay: a 429 never depends on how fast a test runs.
constexpr std::chrono::seconds kLongDelay{600};

void long_delays(server::ServerConfig& config) {
    config.login_first_delay = kLongDelay;
    config.login_max_delay = kLongDelay;
    config.login_forget = kLongDelay * 2;
}

class HardeningAuth : public ::testing::Test {
  protected:
    HardeningAuth() : s([](server::ServerConfig& c) { long_delays(c); }) {}

    // A client whose connections come from `address` (a loopback address other than the
    // server's 127.0.0.1 is as good as another machine for the server).
    std::unique_ptr<HttpsClient> client_from(const std::string& address) {
        auto c = s.server.client();
        c->set_local_address(address);
        return c;
    }

    static HttpResponse login(HttpsClient& client, const std::string& username,
                              const std::string& password) {
        return call(client, "POST", "/api/v1/session", {},
                    json{{"username", username}, {"password", password}});
    }

    json create_secret(const std::string& school, const json& body = json::object()) {
        auto r =
            call(*s.http, "POST", "/api/v1/schools/" + school + "/agent-secrets", s.admin, body);
        EXPECT_EQ(r.status, 201) << r.body;
        return json_of(r);
    }

    static HttpResponse enroll(HttpsClient& client, const std::string& secret) {
        return call(
            client, "POST", "/api/v1/agent/enroll", {},
            json{{"enroll_secret", secret}, {"hostname", "pakt-box"}, {"agent_version", "1"}});
    }

    SeededServer s;
};

// --- logins -----------------------------------------------------------------------------------

TEST_F(HardeningAuth, Login_GuessingFromOneAddressDoesNotKeepTheRightPasswordOutElsewhere) {
    auto attacker = client_from("127.0.0.2");
    int refused = 0;
    for (int i = 0; i < 12; ++i) {
        const int status = login(*attacker, "admin", "guess " + std::to_string(i)).status;
        ASSERT_TRUE(status == 401 || status == 429) << status;
        refused += status == 429 ? 1 : 0;
    }
    EXPECT_GT(refused, 0) << "the guessing address was never slowed down";
    auto office = client_from("127.0.0.3");
    auto r = login(*office, "admin", SeededServer::kPassword);
    EXPECT_EQ(r.status, 201) << r.body;
}

TEST_F(HardeningAuth, Login_FailuresForAUsernameMakeThatAddressWaitForIt) {
    auto attacker = client_from("127.0.0.2");
    for (int i = 0; i < 5; ++i) EXPECT_EQ(login(*attacker, "it-a", "wrong").status, 401) << i;
    // Even the right password waits now, from this address and for this username ...
    auto waited = login(*attacker, "it-a", SeededServer::kPassword);
    ASSERT_EQ(waited.status, 429) << waited.body;
    EXPECT_GE(std::stoi(waited.header("Retry-After")), 1);
    EXPECT_LE(std::stoi(waited.header("Retry-After")), kLongDelay.count());
    // ... but not another username from it (the address has 5 of its 20 free failures) ...
    EXPECT_EQ(login(*attacker, "it-b", SeededServer::kPassword).status, 201);
    // ... nor the username from elsewhere.
    EXPECT_EQ(login(*client_from("127.0.0.3"), "it-a", SeededServer::kPassword).status, 201);
}

TEST(HardeningAuthAddress, Login_AnAddressGuessingManyUsernamesWaitsForEveryUsername) {
    SeededServer s([](server::ServerConfig& c) {
        long_delays(c);
        c.login_address_free_failures = 4;
    });
    auto attacker = s.server.client();
    attacker->set_local_address("127.0.0.2");
    for (const char* user : {"anna", "ben", "carl", "dora"}) {
        EXPECT_EQ(call(*attacker, "POST", "/api/v1/session", {},
                       json{{"username", user}, {"password", "wrong"}})
                      .status,
                  401);
    }
    auto r = call(*attacker, "POST", "/api/v1/session", {},
                  json{{"username", "it-a"}, {"password", SeededServer::kPassword}});
    EXPECT_EQ(r.status, 429) << r.body;
    EXPECT_FALSE(r.header("Retry-After").empty());
    auto other = s.server.client();
    other->set_local_address("127.0.0.3");
    EXPECT_EQ(call(*other, "POST", "/api/v1/session", {},
                   json{{"username", "it-a"}, {"password", SeededServer::kPassword}})
                  .status,
              201);
}

// --- enrollment -------------------------------------------------------------------------------

TEST_F(HardeningAuth, Enroll_SchoolBEnrollsWhileSchoolAsAddressGuesses) {
    auto guesser = client_from("127.0.0.2");
    int refused = 0;
    for (int i = 0; i < 12; ++i) {
        const int status = enroll(*guesser, "guess-" + std::to_string(i)).status;
        ASSERT_TRUE(status == 401 || status == 429) << status;
        refused += status == 429 ? 1 : 0;
    }
    EXPECT_GT(refused, 0) << "the guessing address was never slowed down";
    const json secret_b = create_secret(SeededServer::kSchoolB);
    auto r = enroll(*client_from("127.0.0.3"), secret_b["secret"]);
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(json_of(r)["school_number"], SeededServer::kSchoolB);
}

TEST_F(HardeningAuth, Enroll_FailedLoginsAsAgentEnrollDoNotTouchEnrollment) {
    auto client = client_from("127.0.0.2");
    for (int i = 0; i < 8; ++i) login(*client, "agent-enroll", "wrong " + std::to_string(i));
    const json secret = create_secret(SeededServer::kSchoolA);
    auto r = enroll(*client, secret["secret"]);
    EXPECT_EQ(r.status, 201) << r.body;
}

TEST_F(HardeningAuth, Enroll_ASecretEnrollsOnceThenAnswersLikeAnUnknownOne) {
    const json secret = create_secret(SeededServer::kSchoolA);
    EXPECT_EQ(secret["max_uses"], 1);
    ASSERT_EQ(enroll(*s.http, secret["secret"]).status, 201);
    auto again = enroll(*client_from("127.0.0.2"), secret["secret"]);
    auto unknown = enroll(*client_from("127.0.0.3"), "no such secret");
    EXPECT_EQ(again.status, 401);
    EXPECT_EQ(unknown.status, 401);
    EXPECT_EQ(json_of(again)["detail"], json_of(unknown)["detail"]);
    server::sql::Statement q(s.server.db(), "SELECT count(*) FROM agents");
    ASSERT_TRUE(q.executeStep());
    EXPECT_EQ(q.getColumn(0).getInt(), 1);
}

TEST(HardeningAuthUses, Enroll_ConfiguredThreeUsesEnrollThreeAgentsAndTheListShowsThem) {
    SeededServer s([](server::ServerConfig& c) { c.enroll_secret_uses = 3; });
    const std::string path =
        std::string("/api/v1/schools/") + SeededServer::kSchoolA + "/agent-secrets";
    const json secret = json_of(call(*s.http, "POST", path, s.it_a));
    EXPECT_EQ(secret["max_uses"], 3);
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(call(*s.http, "POST", "/api/v1/agent/enroll", {},
                       json{{"enroll_secret", secret["secret"]},
                            {"hostname", "box-" + std::to_string(i)},
                            {"agent_version", "1"}})
                      .status,
                  201)
            << i;
    }
    EXPECT_EQ(call(*s.http, "POST", "/api/v1/agent/enroll", {},
                   json{{"enroll_secret", secret["secret"]},
                        {"hostname", "box-4"},
                        {"agent_version", "1"}})
                  .status,
              401);
    const json listed = json_of(call(*s.http, "GET", path, s.head_a))["items"];
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(listed[0]["max_uses"], 3);
    EXPECT_EQ(listed[0]["uses"], 3);
    EXPECT_EQ(listed[0]["uses_left"], 0);
}

TEST_F(HardeningAuth, Enroll_TheCreatorMayAskForMoreUsesWithinTheMaximum) {
    const json secret = create_secret(SeededServer::kSchoolA, json{{"uses", 2}});
    EXPECT_EQ(secret["max_uses"], 2);
    EXPECT_EQ(enroll(*s.http, secret["secret"]).status, 201);
    const json listed = json_of(call(
        *s.http, "GET", std::string("/api/v1/schools/") + SeededServer::kSchoolA + "/agent-secrets",
        s.it_a))["items"];
    EXPECT_EQ(listed[0]["uses"], 1);
    EXPECT_EQ(listed[0]["uses_left"], 1);
    auto too_many =
        call(*s.http, "POST",
             std::string("/api/v1/schools/") + SeededServer::kSchoolA + "/agent-secrets", s.admin,
             json{{"uses", 1001}});
    EXPECT_EQ(too_many.status, 422);
    EXPECT_EQ(json_of(too_many)["errors"][0]["field"], "uses");
}

TEST_F(HardeningAuth, Enroll_RefusedSecretsOfASchoolDelayThatSchoolAndNoOther) {
    const json used = create_secret(SeededServer::kSchoolA);
    ASSERT_EQ(enroll(*s.http, used["secret"]).status, 201);
    // The used-up secret replayed from several addresses (each stays within its own free ones).
    for (const char* address : {"127.0.0.2", "127.0.0.4", "127.0.0.5", "127.0.0.6", "127.0.0.7"}) {
        EXPECT_EQ(enroll(*client_from(address), used["secret"]).status, 401) << address;
    }
    // A further replay of school A's spent secret, from an address with free failures left,
    // meets the school's delay...
    auto office = client_from("127.0.0.3");
    auto delayed = enroll(*office, used["secret"]);
    EXPECT_EQ(delayed.status, 429) << delayed.body;
    // ...but a usable secret of school A is never delayed (holding a spent secret is no button
    // that stops a school's enrollments), and school B is not touched.
    const json fresh_a = create_secret(SeededServer::kSchoolA);
    EXPECT_EQ(enroll(*office, fresh_a["secret"]).status, 201);
    const json fresh_b = create_secret(SeededServer::kSchoolB);
    EXPECT_EQ(enroll(*office, fresh_b["secret"]).status, 201);
}

// --- passwords end sessions and API tokens ----------------------------------------------------

class HardeningPasswords : public HardeningAuth {
  protected:
    std::string token_of(const std::string& session) {
        auto r = call(*s.http, "POST", "/api/v1/tokens", session, json{{"name", "script"}});
        EXPECT_EQ(r.status, 201) << r.body;
        return json_of(r)["token"].get<std::string>();
    }
    int me(const std::string& token) { return call(*s.http, "GET", "/api/v1/me", token).status; }
    std::int64_t user_id(const std::string& username) {
        server::sql::Statement q(s.server.db(), "SELECT id FROM users WHERE username = ?");
        q.bind(1, username);
        EXPECT_TRUE(q.executeStep());
        return q.getColumn(0).getInt64();
    }
};

TEST_F(HardeningPasswords, OwnPasswordChangeEndsOtherSessionsAndEveryApiToken) {
    const std::string api_token = token_of(s.it_a);
    const std::string other_session = s.server.login("it-a", SeededServer::kPassword);
    ASSERT_EQ(me(api_token), 200);
    auto r = call(*s.http, "POST", "/api/v1/me/password", s.it_a,
                  json{{"current_password", SeededServer::kPassword},
                       {"new_password", "another long passphrase"}});
    ASSERT_EQ(r.status, 204) << r.body;
    EXPECT_EQ(me(api_token), 401);
    EXPECT_EQ(me(other_session), 401);
    EXPECT_EQ(me(s.it_a), 200);  // the session that made the change stays
}

TEST_F(HardeningPasswords, OneTimePasswordResetEndsEverySessionAndApiToken) {
    const std::string api_token = token_of(s.it_a);
    auto r =
        call(*s.http, "POST",
             "/api/v1/users/" + std::to_string(user_id("it-a")) + "/one-time-password", s.admin);
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(me(api_token), 401);
    EXPECT_EQ(me(s.it_a), 401);
}

TEST_F(HardeningPasswords, PasswordSetByTheAdminEndsEverySessionAndApiToken) {
    const std::string api_token = token_of(s.it_a);
    auto r = call(*s.http, "PATCH", "/api/v1/users/" + std::to_string(user_id("it-a")), s.admin,
                  json{{"password", "set by the admin for you"}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(me(api_token), 401);
    EXPECT_EQ(me(s.it_a), 401);
    server::sql::Statement q(s.server.db(),
                             "SELECT detail FROM audit_log WHERE action = 'user.update' "
                             "ORDER BY id DESC LIMIT 1");
    ASSERT_TRUE(q.executeStep());
    EXPECT_EQ(json::parse(q.getColumn(0).getString())["api_tokens_deleted"], 1);
}

// --- the log ----------------------------------------------------------------------------------

TEST(HardeningAuthLog, FailedLoginsAndEnrollmentsAreLoggedWithoutTheSecret) {
    CapturedLog log;
    std::string login_id;
    std::string enroll_id;
    {
        SeededServer s;
        auto client = s.server.client();
        client->set_local_address("127.0.0.2");
        auto failed =
            call(*client, "POST", "/api/v1/session", {},
                 json{{"username", "mal\"lory\\"}, {"password", "hunter2 is my password"}});
        ASSERT_EQ(failed.status, 401);
        login_id = failed.header("X-Request-Id");
        auto refused = call(*client, "POST", "/api/v1/agent/enroll", {},
                            json{{"enroll_secret", "guessed-secret-value"},
                                 {"hostname", "box"},
                                 {"agent_version", "1"}});
        ASSERT_EQ(refused.status, 401);
        enroll_id = refused.header("X-Request-Id");
    }
    ASSERT_FALSE(login_id.empty());
    const std::string text = log.text();
    // Control characters never get this far (422); quotes and backslashes are escaped.
    EXPECT_THAT(text, HasSubstr("[warning] login failed: user=\"mal\\x22lory\\x5C\" "
                                "remote=127.0.0.2 request_id=" +
                                login_id));
    EXPECT_THAT(text, HasSubstr("[warning] agent enrollment failed: unknown enroll secret; "
                                "remote=127.0.0.2 request_id=" +
                                enroll_id));
    EXPECT_THAT(text, Not(HasSubstr("hunter2")));
    EXPECT_THAT(text, Not(HasSubstr("guessed-secret-value")));
}

// --- database file modes ----------------------------------------------------------------------

mode_t mode_of(const std::filesystem::path& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return 0;
    return st.st_mode & 07777;
}

TEST(HardeningFiles, DatabaseFilesAndDataDirectoryAreOwnerOnlyUnderUmask022) {
    const mode_t previous = ::umask(022);
    std::filesystem::path data_dir;
    {
        TestServer server([&](server::ServerConfig& c) {
            c.data_dir = c.data_dir / "data";  // created by paktd, not by the test
            data_dir = c.data_dir;
        });
        // A write, so the WAL has content (SQLite creates -wal and -shm when it opens).
        auto client = server.client();
        EXPECT_EQ(call(*client, "POST", "/api/v1/session", {},
                       json{{"username", "nobody"}, {"password", "x"}})
                      .status,
                  401);
        EXPECT_EQ(mode_of(data_dir), 0700u);
        if (!server.postgres()) {  // PostgreSQL's files are the database server's
            EXPECT_EQ(mode_of(data_dir / "pakt.db"), 0600u);
            EXPECT_EQ(mode_of(data_dir / "pakt.db-wal"), 0600u);
            EXPECT_EQ(mode_of(data_dir / "pakt.db-shm"), 0600u);
        } else {
            EXPECT_FALSE(std::filesystem::exists(data_dir / "pakt.db"));
        }
        EXPECT_EQ(mode_of(data_dir / "tls" / "key.pem"), 0600u);
        EXPECT_EQ(mode_of(data_dir / "tls") & 077, 0u);
    }
    ::umask(previous);
}

TEST(HardeningFiles, AnExistingDatabaseReadableByOthersIsMadeOwnerOnly) {
    if (testing_postgres()) GTEST_SKIP() << "SQLite's files; PostgreSQL keeps its own";
    const mode_t previous = ::umask(022);
    TempDir dir;
    const auto file = dir.path() / "pakt.db";
    {
        SQLite::Database db(file.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        db.exec("CREATE TABLE t (x)");
    }
    ASSERT_EQ(mode_of(file), 0644u);
    ::chmod(dir.path().c_str(), 0755);
    {
        TestServer server([&](server::ServerConfig& c) { c.data_dir = dir.path(); });
    }
    EXPECT_EQ(mode_of(file), 0600u);
    EXPECT_EQ(mode_of(dir.path()), 0700u);
    ::umask(previous);
}

// --- the audit chain's head -------------------------------------------------------------------

std::int64_t gauge(const std::string& metrics, const std::string& name) {
    std::smatch m;
    if (!std::regex_search(metrics, m, std::regex("\n" + name + " (\\d+)\n"))) return -1;
    return std::stoll(m[1]);
}

TEST_F(HardeningAuth, Metrics_ShowTheAuditHeadAndItMovesWhenAnEntryIsWritten) {
    auto before = call(*s.http, "GET", "/metrics");
    ASSERT_EQ(before.status, 200);
    const std::int64_t entries = gauge(before.body, "pakt_audit_entries");
    const std::int64_t head = gauge(before.body, "pakt_audit_head_id");
    server::sql::Statement q(s.server.db(), "SELECT count(*), max(id) FROM audit_log");
    ASSERT_TRUE(q.executeStep());
    EXPECT_EQ(entries, q.getColumn(0).getInt64());
    EXPECT_EQ(head, q.getColumn(1).getInt64());
    EXPECT_THAT(before.body, HasSubstr("# TYPE pakt_audit_entries gauge"));

    s.server.login("it-a", SeededServer::kPassword);  // writes session.create

    const std::string after = call(*s.http, "GET", "/metrics").body;
    EXPECT_EQ(gauge(after, "pakt_audit_entries"), entries + 1);
    EXPECT_GT(gauge(after, "pakt_audit_head_id"), head);
}

TEST(HardeningAuditLog, TheAuditHeadIsLoggedAtStartAndShutdown) {
    CapturedLog log;
    {
        SeededServer s([](server::ServerConfig& c) { c.log_level = "info"; });
    }
    const std::string text = log.text();
    EXPECT_THAT(text, HasSubstr("audit head (start): entries=0 id=0 hash=-"));
    // Five logins of the fixture, each audited.
    EXPECT_THAT(text, ::testing::ContainsRegex("audit head \\(shutdown\\): entries=5 id=5 "
                                               "hash=[0-9a-f]{64}"));
}

}  // namespace
}  // namespace pakt::test
