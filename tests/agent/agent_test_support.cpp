// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "tests/agent/agent_test_support.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <ctime>
#include <fstream>
#include <sstream>

#include "common/crypto.hpp"
#include "common/logging.hpp"

namespace pakt::agent::test {
namespace {

// German time as a POSIX TZ rule, so the tests need no tz database: the samples are exports from
// a console set to Europe/Berlin.
class GermanTimeZone : public ::testing::Environment {
  public:
    void SetUp() override {
        ::setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3", 1);
        ::tzset();
        setup_logging("off");
    }
};

[[maybe_unused]] const auto* const kTimeZone =
    ::testing::AddGlobalTestEnvironment(new GermanTimeZone);

}  // namespace

std::filesystem::path sample(const std::string& name) {
    return std::filesystem::path(PAKT_SOURCE_DIR) / "tests" / "agent-data" / name;
}

std::string read_text(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    EXPECT_TRUE(in) << "cannot read " << file;
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

Clock::time_point sample_now() { return at("2026-03-02T09:00:00Z"); }

Clock::time_point at(const std::string& rfc3339) {
    const auto t = parse_rfc3339(rfc3339);
    EXPECT_TRUE(t.has_value()) << rfc3339;
    return t.value_or(Clock::time_point{});
}

}  // namespace pakt::agent::test
