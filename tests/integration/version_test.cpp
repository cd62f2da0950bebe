// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// `--version` of the three binaries: the one version from CMakeLists.txt and the git commit the
// build was made from (tools/build_info.cmake), the same for paktd, paktctl and pakt-agent.
#include <gtest/gtest.h>

#include <algorithm>
#include <regex>
#include <string>

#include "tests/support/child_process.hpp"
#include "tests/support/temp_dir.hpp"

namespace pakt::test {
namespace {

using namespace std::chrono_literals;

struct Outcome {
    int status = -1;
    std::string output;
};

Outcome run(const std::string& program, const std::vector<std::string>& args, const TempDir& dir) {
    static int n = 0;
    ChildProcess child(program, args, dir.path() / ("out-" + std::to_string(++n) + ".txt"));
    const auto status = child.wait_for_exit(60s);
    return {status.value_or(-1), child.output()};
}

// The commit of the checkout the tests were built from, as the build records it; "unknown"
// outside a git checkout.
std::string source_commit(const TempDir& dir) {
    const Outcome git =
        run("/usr/bin/git", {"-C", PAKT_SOURCE_DIR, "rev-parse", "--short=12", "HEAD"}, dir);
    if (git.status != 0) return "unknown";
    return git.output.substr(0, git.output.find('\n'));
}

class Version : public ::testing::TestWithParam<std::pair<const char*, const char*>> {};

TEST_P(Version, PrintsTheProjectVersionAndTheGitCommit) {
    TempDir dir;
    const auto [name, path] = GetParam();
    const Outcome version = run(path, {"--version"}, dir);
    EXPECT_EQ(version.status, 0) << version.output;
    const std::string commit = source_commit(dir);
    ASSERT_TRUE(commit == "unknown" || std::regex_match(commit, std::regex("[0-9a-f]{12}")))
        << commit;
    // "-dirty": built from a tree with local changes, which the test cannot see after the fact.
    const std::regex expected(std::string(name) + " " + PAKT_VERSION + " \\(commit " + commit +
                              "(-dirty)?\\)\n");
    EXPECT_TRUE(std::regex_match(version.output, expected)) << version.output;
}

INSTANTIATE_TEST_SUITE_P(Binaries, Version,
                         ::testing::Values(std::pair{"paktd", PAKTD_PATH},
                                           std::pair{"paktctl", PAKTCTL_PATH},
                                           std::pair{"pakt-agent", PAKT_AGENT_PATH}),
                         [](const auto& param_info) {
                             std::string name = param_info.param.first;
                             name.erase(std::remove(name.begin(), name.end(), '-'), name.end());
                             return name;
                         });

}  // namespace
}  // namespace pakt::test
