// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// Tests of the small shared pieces: RFC 3339 time, hashing and secrets, logging set-up.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <regex>
#include <set>
#include <stdexcept>
#include <string>

#include "common/crypto.hpp"
#include "common/logging.hpp"
#include "common/time.hpp"

namespace pakt {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;

Clock::time_point utc(year_month_day date, Clock::duration time_of_day = {}) {
    return Clock::time_point{sys_days{date}.time_since_epoch() + time_of_day};
}

TEST(Time, GermanDateFollowsBerlinsWinterAndSummerTime) {
    auto at = [](const char* text) { return *parse_rfc3339(text); };
    EXPECT_EQ(german_date(at("2026-01-15T22:59:59Z")), "2026-01-15");  // 23:59:59 CET
    EXPECT_EQ(german_date(at("2026-01-15T23:00:00Z")), "2026-01-16");  // midnight CET
    EXPECT_EQ(german_date(at("2026-07-31T21:59:59Z")), "2026-07-31");  // 23:59:59 CEST
    EXPECT_EQ(german_date(at("2026-07-31T22:00:00Z")), "2026-08-01");  // midnight CEST
    // 2026: summer time from 29 March 01:00 UTC to 25 October 01:00 UTC.
    EXPECT_EQ(german_date(at("2026-03-29T00:59:59Z")), "2026-03-29");
    EXPECT_EQ(german_date(at("2026-10-24T22:00:00Z")), "2026-10-25");  // 00:00 CEST
    EXPECT_EQ(german_date(at("2026-12-31T23:00:00Z")), "2027-01-01");
}

TEST(Time, GermanDayStartsAtBerlinsMidnight) {
    auto start = [](const char* date) { return format_rfc3339(german_day_start(date).value()); };
    EXPECT_EQ(start("2026-01-16"), "2026-01-15T23:00:00Z");  // CET
    EXPECT_EQ(start("2026-08-01"), "2026-07-31T22:00:00Z");  // CEST
    // The days the clocks change (2026-03-29, 2026-10-25) start in the time of the day before.
    EXPECT_EQ(start("2026-03-29"), "2026-03-28T23:00:00Z");
    EXPECT_EQ(start("2026-03-30"), "2026-03-29T22:00:00Z");
    EXPECT_EQ(start("2026-10-25"), "2026-10-24T22:00:00Z");
    EXPECT_EQ(start("2026-10-26"), "2026-10-25T23:00:00Z");
    EXPECT_EQ(start("2027-01-01"), "2026-12-31T23:00:00Z");
    EXPECT_FALSE(german_day_start("2026-02-29"));
    EXPECT_FALSE(german_day_start("2026-09-01T00:00:00Z"));
    EXPECT_FALSE(german_day_start(""));
    EXPECT_FALSE(german_day_start("9999-12-31"));  // beyond what a time point holds
}

TEST(Time, FormatIsUtcWithSecondPrecision) {
    const auto t = utc(2026y / 9 / 1, 7h + 30min + 5s + 999ms);
    EXPECT_EQ(format_rfc3339(t), "2026-09-01T07:30:05Z");
}

TEST(Time, FormatBeforeEpochRoundsDownToTheSecond) {
    EXPECT_EQ(format_rfc3339(Clock::time_point{} - 500ms), "1969-12-31T23:59:59Z");
}

TEST(Time, ParseThenFormatRoundTrips) {
    for (const char* text : {"2026-09-01T07:30:00Z", "2024-02-29T23:59:59Z", "1970-01-01T00:00:00Z",
                             "1969-07-20T20:17:40Z", "2100-12-31T00:00:01Z"}) {
        const auto parsed = parse_rfc3339(text);
        ASSERT_TRUE(parsed.has_value()) << text;
        EXPECT_EQ(format_rfc3339(*parsed), text);
    }
}

TEST(Time, ParseAppliesTheOffset) {
    const auto expected = utc(2026y / 9 / 1, 7h + 30min);
    EXPECT_EQ(parse_rfc3339("2026-09-01T09:30:00+02:00"), expected);
    EXPECT_EQ(parse_rfc3339("2026-09-01T02:00:00-05:30"), expected);
    EXPECT_EQ(parse_rfc3339("2026-09-01T07:30:00+00:00"), expected);
    // Lower-case separators are allowed by RFC 3339 section 5.6.
    EXPECT_EQ(parse_rfc3339("2026-09-01t07:30:00z"), expected);
    // An offset may move the instant to another day.
    EXPECT_EQ(parse_rfc3339("2026-09-01T00:30:00+01:00"), utc(2026y / 8 / 31, 23h + 30min));
}

TEST(Time, ParseKeepsTheFraction) {
    EXPECT_EQ(parse_rfc3339("2026-09-01T07:30:00.25Z"), utc(2026y / 9 / 1, 7h + 30min + 250ms));
    EXPECT_EQ(parse_rfc3339("2026-09-01T07:30:00.123456789123Z"),
              utc(2026y / 9 / 1, 7h + 30min + 123456789ns));
}

TEST(Time, ParseRejectsMalformedOrOutOfRangeText) {
    for (const char* text : {
             "",
             "2026-09-01",
             "2026-09-01T07:30:00",        // no zone
             "2026-09-01 07:30:00Z",       // space instead of T
             "2026-9-01T07:30:00Z",        // one-digit month
             "2026-02-29T00:00:00Z",       // not a leap year
             "2026-04-31T00:00:00Z",       // April has 30 days
             "2026-13-01T00:00:00Z",       // month 13
             "2026-00-10T00:00:00Z",       // month 0
             "2026-09-01T24:00:00Z",       // hour 24
             "2026-09-01T23:60:00Z",       // minute 60
             "2026-09-01T23:59:60Z",       // leap second
             "2026-09-01T07:30:00.Z",      // fraction without digits
             "2026-09-01T07:30:00+2:00",   // one-digit offset hour
             "2026-09-01T07:30:00+24:00",  // offset out of range
             "2026-09-01T07:30:00+02:60",  // offset minutes out of range
             "2026-09-01T07:30:00+0200",   // offset without colon
             "2026-09-01T07:30:00Zjunk",   // trailing text
             "2026-09-01T07:30:00Z ",      // trailing blank
             "+026-09-01T07:30:00Z",       // sign in the year
             "9999-12-31T23:59:59Z",       // beyond system_clock's range
         }) {
        EXPECT_FALSE(parse_rfc3339(text).has_value()) << "accepted: '" << text << "'";
    }
}

TEST(Time, DateValidationKnowsTheCalendar) {
    EXPECT_TRUE(is_valid_date("2026-09-01"));
    EXPECT_TRUE(is_valid_date("2024-02-29"));
    EXPECT_TRUE(is_valid_date("2000-02-29"));  // divisible by 400
    EXPECT_FALSE(is_valid_date("2026-02-29"));
    EXPECT_FALSE(is_valid_date("1900-02-29"));  // divisible by 100
    EXPECT_FALSE(is_valid_date("2026-04-31"));
    EXPECT_FALSE(is_valid_date("2026-12-32"));
    EXPECT_FALSE(is_valid_date("2026-00-01"));
    EXPECT_FALSE(is_valid_date("2026-9-01"));
    EXPECT_FALSE(is_valid_date("2026-09-01T00:00:00Z"));
    EXPECT_FALSE(is_valid_date("2026/09/01"));
    EXPECT_FALSE(is_valid_date(""));
}

TEST(Time, NowIsCurrentAndParsesBack) {
    const auto before = floor<seconds>(Clock::now());
    const auto parsed = parse_rfc3339(now_rfc3339());
    const auto after = Clock::now();
    ASSERT_TRUE(parsed.has_value());
    EXPECT_GE(*parsed, before);
    EXPECT_LE(*parsed, after);
}

TEST(Crypto, Sha256HexMatchesKnownVectors) {
    EXPECT_EQ(sha256_hex("abc"),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Crypto, RandomTokenIs43Base64UrlCharactersAndUnique) {
    const std::regex base64url("[A-Za-z0-9_-]{43}");
    std::set<std::string> seen;
    for (int i = 0; i < 20; ++i) {
        const std::string token = random_token();
        EXPECT_TRUE(std::regex_match(token, base64url)) << token;
        seen.insert(token);
    }
    EXPECT_EQ(seen.size(), 20u);
}

TEST(Crypto, RandomTokenHasNoPadding) {
    EXPECT_EQ(random_token(1).size(), 2u);
    EXPECT_EQ(random_token(2).size(), 3u);
    EXPECT_EQ(random_token(3).size(), 4u);
    EXPECT_EQ(random_token(0), "");
}

TEST(Crypto, RandomHexHasTwoLowerCaseDigitsPerByte) {
    const std::string a = random_hex(16);
    EXPECT_TRUE(std::regex_match(a, std::regex("[0-9a-f]{32}"))) << a;
    EXPECT_NE(random_hex(16), a);
}

TEST(Crypto, ConstantTimeEqualComparesContentAndLength) {
    EXPECT_TRUE(constant_time_equal("secret", "secret"));
    EXPECT_TRUE(constant_time_equal("", ""));
    EXPECT_FALSE(constant_time_equal("secret", "secreT"));
    EXPECT_FALSE(constant_time_equal("secret", "secret2"));
    EXPECT_FALSE(constant_time_equal("", "x"));
}

TEST(Logging, RejectsUnknownLevel) {
    EXPECT_THROW(setup_logging("verbose"), std::invalid_argument);
    EXPECT_THROW(setup_logging("INFO"), std::invalid_argument);
}

TEST(Logging, WritesUtcTimestampAndLevelToStderr) {
    ::testing::internal::CaptureStderr();
    setup_logging("info");
    spdlog::info("device {} enrolled", 42);
    spdlog::debug("not shown at info");
    const std::string output = ::testing::internal::GetCapturedStderr();
    EXPECT_TRUE(std::regex_match(
        output, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z info device 42 enrolled\n)")))
        << output;
    EXPECT_EQ(spdlog::default_logger()->level(), spdlog::level::info);
}

TEST(Logging, BatchedOutputKeepsEveryLineInOrderThroughAWarningAFlushAndTheEnd) {
    ::testing::internal::CaptureStderr();  // a file, not a terminal: the batched sink
    setup_logging("info", LogOutput::batched);
    spdlog::info("line 1");
    spdlog::info("line 2");
    spdlog::warn("line 3");  // writes what waits, at once
    spdlog::info("line 4");
    spdlog::default_logger()->flush();
    spdlog::info("line 5");  // still waiting when the logger is replaced: its end writes it
    setup_logging("error");
    const std::string output = ::testing::internal::GetCapturedStderr();
    std::size_t at = 0;
    for (const char* line : {"info line 1\n", "info line 2\n", "warning line 3\n", "info line 4\n",
                             "info line 5\n"}) {
        const auto found = output.find(line, at);
        ASSERT_NE(found, std::string::npos) << line << " missing or out of order in:\n" << output;
        at = found;
    }
    EXPECT_EQ(std::count(output.begin(), output.end(), '\n'), 5) << output;
}

TEST(Logging, CanBeSetUpAgainWithAnotherLevel) {
    setup_logging("warn");
    setup_logging("error");
    EXPECT_EQ(spdlog::default_logger()->level(), spdlog::level::err);
}

}  // namespace
}  // namespace pakt
