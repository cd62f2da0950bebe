// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "agent/cli.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "agent/spool.hpp"
#include "agent/state.hpp"
#include "tests/agent/agent_test_support.hpp"

namespace pakt::agent {
namespace {

using test::sample_now;
using ::testing::AllOf;
using ::testing::HasSubstr;

struct CliResult {
    int code = 0;
    std::string out;
    std::string err;
};

CliResult run_cli(std::vector<std::string> args) {
    args.insert(args.begin(), "pakt-agent");
    args.push_back("--log-level");
    args.push_back("off");
    std::vector<const char*> argv;
    for (const auto& arg : args) argv.push_back(arg.c_str());
    std::ostringstream out;
    std::ostringstream err;
    const int code = run_agent_cli(static_cast<int>(argv.size()), argv.data(), out, err);
    return {code, out.str(), err.str()};
}

EnrollmentState pinned_state() {
    EnrollmentState state;
    state.server_url = "https://pakt.example.org:8443";
    state.agent_id = "17";
    state.node_key = "node-key-secret";
    state.pin_sha256 = std::string(64, 'A');
    state.checkin_interval_s = 600;
    return state;
}

TEST(AgentCli, StatusWithoutEnrollmentSaysSo) {
    test::TempDir dir;
    const CliResult result = run_cli({"status", "--state-dir", dir.path().string()});
    EXPECT_EQ(result.code, kExitOk);
    EXPECT_THAT(result.out, AllOf(HasSubstr("server: none"), HasSubstr("not enrolled"),
                                  HasSubstr("pending reports: 0"), HasSubstr("last success: never"),
                                  HasSubstr("last error: none")));
    EXPECT_FALSE(std::filesystem::exists(dir.path() / "spool.db")) << "status creates nothing";
}

TEST(AgentCli, StatusShowsTheSpool) {
    test::TempDir dir;
    save_state(dir.path(), pinned_state());
    {
        Spool spool(spool_file(dir.path()), 10);
        CheckinReport report{make_uuid(),
                             "2026-03-02T09:00:00Z",
                             "0.1.0",
                             {{"DMPXJ2K1ABCD", "2026-03-02T09:00:00Z", {}, {}, {}, {}, {}}}};
        spool.add(report, sample_now());
        spool.record_error("connection refused", sample_now());
    }
    const CliResult result = run_cli({"--state-dir", dir.path().string(), "status"});
    EXPECT_EQ(result.code, kExitOk);
    EXPECT_THAT(result.out,
                AllOf(HasSubstr("server: https://pakt.example.org:8443 (agent 17, pinned"),
                      HasSubstr("pending reports: 1 (1 device observations)"),
                      HasSubstr("last error: 2026-03-02T09:00:00Z connection refused")));
}

TEST(AgentCli, OnceWithoutEnrollmentFailsBeforeCollecting) {
    test::TempDir dir;
    const CliResult result = run_cli({"once", "--state-dir", dir.path().string()});
    EXPECT_EQ(result.code, kExitError);
    EXPECT_THAT(result.err, HasSubstr("not enrolled"));
}

TEST(AgentCli, MalformedCommandLinesExitWithTwo) {
    EXPECT_EQ(run_cli({}).code, kExitUsage);
    EXPECT_EQ(run_cli({"fly"}).code, kExitUsage);
    EXPECT_EQ(run_cli({"enroll", "--server", "https://x"}).code, kExitUsage)
        << "a secret and a trust setting are required";
    EXPECT_EQ(run_cli({"enroll", "--server", "https://x", "--secret", "s", "--pin", "AA",
                       "--ca-file", "ca.pem"})
                  .code,
              kExitUsage)
        << "a pin and a CA file exclude each other";
    EXPECT_EQ(run_cli({"--help"}).code, kExitOk);
}

TEST(AgentCli, EnrollRefusesPlainHttpAndBadPinsBeforeConnecting) {
    test::TempDir dir;
    CliResult result =
        run_cli({"enroll", "--state-dir", dir.path().string(), "--server",
                 "http://pakt.example.org", "--secret", "s", "--pin", std::string(64, 'a')});
    EXPECT_EQ(result.code, kExitError);
    EXPECT_THAT(result.err, HasSubstr("https://"));
    result = run_cli({"enroll", "--state-dir", dir.path().string(), "--server",
                      "https://pakt.example.org", "--secret", "s", "--pin", "abc"});
    EXPECT_EQ(result.code, kExitError);
    EXPECT_THAT(result.err, HasSubstr("not a SHA-256 fingerprint"));
}

TEST(AgentCli, EnrollRefusesToReplaceAnEnrollmentWithoutForce) {
    test::TempDir dir;
    save_state(dir.path(), pinned_state());
    const CliResult result =
        run_cli({"enroll", "--state-dir", dir.path().string(), "--server",
                 "https://pakt.example.org", "--secret", "s", "--pin", std::string(64, 'a')});
    EXPECT_EQ(result.code, kExitError);
    EXPECT_THAT(result.err, HasSubstr("already enrolled"));
    EXPECT_EQ(load_state(dir.path()).node_key, "node-key-secret");
}

TEST(AgentCli, AConfigurationErrorNamesTheFile) {
    test::TempDir dir;
    const auto config = dir.path() / "agent.toml";
    std::ofstream(config) << "[agent]\nbogus = 1\n";
    const CliResult result = run_cli({"status", "--config", config.string()});
    EXPECT_EQ(result.code, kExitError);
    EXPECT_THAT(result.err, AllOf(HasSubstr("agent.toml"), HasSubstr("'agent.bogus'")));
}

TEST(AgentCli, TheStateDirFlagOverridesTheConfiguration) {
    test::TempDir dir;
    const auto config = dir.path() / "agent.toml";
    std::ofstream(config) << "[agent]\nstate_dir = \"" << (dir.path() / "from-config").string()
                          << "\"\n";
    save_state(dir.path() / "", pinned_state());
    const CliResult result =
        run_cli({"status", "--config", config.string(), "--state-dir", dir.path().string()});
    EXPECT_THAT(result.out, HasSubstr("agent 17"));
}

// --- the state file ---------------------------------------------------------------------------

TEST(EnrollmentStateFile, RoundTripsWithOwnerOnlyPermissions) {
    test::TempDir dir;
    const auto state_dir = dir.path() / "state";
    ensure_state_dir(state_dir);
    save_state(state_dir, pinned_state());
    const EnrollmentState loaded = load_state(state_dir);
    EXPECT_EQ(loaded.server_url, "https://pakt.example.org:8443");
    EXPECT_EQ(loaded.agent_id, "17");
    EXPECT_EQ(loaded.node_key, "node-key-secret");
    EXPECT_EQ(loaded.checkin_interval_s, 600);
    EXPECT_FALSE(loaded.has_ca_file);
    EXPECT_EQ(client_trust(state_dir, loaded).pin_sha256, std::string(64, 'A'));

    struct stat info {};
    ASSERT_EQ(::stat(state_file(state_dir).c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0600u);
    ASSERT_EQ(::stat(state_dir.c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0700u);
}

TEST(EnrollmentStateFile, AMalformedFileNamesItself) {
    test::TempDir dir;
    std::ofstream(state_file(dir.path())) << R"({"server_url": "https://x", "agent_id": 3})";
    try {
        load_state(dir.path());
        FAIL() << "no StateError";
    } catch (const StateError& e) {
        EXPECT_THAT(std::string(e.what()), AllOf(HasSubstr("state.json"), HasSubstr("agent_id")));
    }
}

TEST(ServerUrlParsing, AcceptsHostsPortsAndBasePaths) {
    auto url = parse_server_url("https://pakt.example.org");
    ASSERT_TRUE(url);
    EXPECT_EQ(url->host, "pakt.example.org");
    EXPECT_EQ(url->port, 443);
    EXPECT_EQ(url->target("/api/v1/agent/checkin"), "/api/v1/agent/checkin");

    url = parse_server_url("https://[::1]:8443/pakt/");
    ASSERT_TRUE(url);
    EXPECT_EQ(url->host, "::1");
    EXPECT_EQ(url->port, 8443);
    EXPECT_EQ(url->target("/api/v1/agent/checkin"), "/pakt/api/v1/agent/checkin");
    EXPECT_EQ(url->to_string(), "https://[::1]:8443/pakt");
}

TEST(ServerUrlParsing, RejectsWhatCannotBeASafeServerAddress) {
    std::string why;
    EXPECT_FALSE(parse_server_url("http://pakt.example.org", &why));
    EXPECT_THAT(why, HasSubstr("https://"));
    EXPECT_FALSE(parse_server_url("https://", &why));
    EXPECT_FALSE(parse_server_url("https://host:0", &why));
    EXPECT_FALSE(parse_server_url("https://host:99999", &why));
    EXPECT_FALSE(parse_server_url("https://user:pw@host", &why));
    EXPECT_FALSE(parse_server_url("https://host/?x=1", &why));
}

}  // namespace
}  // namespace pakt::agent
