// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// Domain rules: authorization policy, login throttling, password hashing, input validation.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "server/domain/agent_enrollment.hpp"
#include "server/domain/authorization.hpp"
#include "server/domain/login_throttle.hpp"
#include "server/domain/manifest.hpp"
#include "server/domain/password.hpp"
#include "server/domain/principal.hpp"
#include "server/domain/scan_code.hpp"
#include "server/domain/validation.hpp"

namespace pakt::server {
namespace {

using std::chrono::seconds;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// --- Authorization ----------------------------------------------------------------------------

constexpr std::string_view kOwnSchool = "165432";
constexpr std::string_view kOtherSchool = "100018";

Principal principal_with(Role role) {
    Principal p;
    p.user_id = 1;
    p.username = std::string(to_string(role));
    p.role = role;
    if (role != Role::city_admin) p.schools = {std::string(kOwnSchool)};
    return p;
}

const char* name_of(Action action) {
    switch (action) {
        case Action::view: return "view";
        case Action::manage_users: return "manage_users";
        case Action::manage_schools: return "manage_schools";
        case Action::manage_funding: return "manage_funding";
        case Action::manage_devices: return "manage_devices";
        case Action::manage_agent_secrets: return "manage_agent_secrets";
        case Action::verify_audit:
            return "verify_audit";
        case Action::manage_connectors: return "manage_connectors";
    }
    return "?";
}

const char* name_of(Decision decision) {
    switch (decision) {
        case Decision::allowed: return "allowed";
        case Decision::not_visible: return "not_visible";
        case Decision::forbidden: return "forbidden";
    }
    return "?";
}

// The policy of API.md ("Roles"): city_admin does everything; school_it sees its schools and
// manages their devices and agent secrets; headteacher only reads its schools. Another school's
// objects are not visible (404), never merely forbidden.
struct PolicyRow {
    Role role;
    Action action;
    Decision own_school;
    Decision other_school;
    Decision no_school;  ///< city-wide object
};

constexpr Decision A = Decision::allowed;
constexpr Decision N = Decision::not_visible;
constexpr Decision F = Decision::forbidden;

constexpr std::array<PolicyRow, 24> kPolicy = {{
    {Role::city_admin, Action::view, A, A, A},
    {Role::city_admin, Action::manage_users, A, A, A},
    {Role::city_admin, Action::manage_schools, A, A, A},
    {Role::city_admin, Action::manage_funding, A, A, A},
    {Role::city_admin, Action::manage_devices, A, A, A},
    {Role::city_admin, Action::manage_agent_secrets, A, A, A},
    {Role::city_admin, Action::verify_audit, A, A, A},
    {Role::city_admin, Action::manage_connectors, A, A, A},
    {Role::school_it, Action::view, A, N, F},
    {Role::school_it, Action::manage_users, F, N, F},
    {Role::school_it, Action::manage_schools, F, N, F},
    {Role::school_it, Action::manage_funding, F, N, F},
    {Role::school_it, Action::manage_devices, A, N, F},
    {Role::school_it, Action::manage_agent_secrets, A, N, F},
    {Role::school_it, Action::verify_audit, F, N, F},
    {Role::school_it, Action::manage_connectors, F, N, F},
    {Role::headteacher, Action::view, A, N, F},
    {Role::headteacher, Action::manage_users, F, N, F},
    {Role::headteacher, Action::manage_schools, F, N, F},
    {Role::headteacher, Action::manage_funding, F, N, F},
    {Role::headteacher, Action::manage_devices, F, N, F},
    {Role::headteacher, Action::manage_agent_secrets, F, N, F},
    {Role::headteacher, Action::verify_audit, F, N, F},
    {Role::headteacher, Action::manage_connectors, F, N, F},
}};

TEST(Authorization, DecideFollowsThePolicyTable) {
    for (const PolicyRow& row : kPolicy) {
        const Principal p = principal_with(row.role);
        const struct {
            std::optional<std::string_view> school;
            Decision expected;
            const char* scope;
        } cases[] = {{kOwnSchool, row.own_school, "own school"},
                     {kOtherSchool, row.other_school, "other school"},
                     {std::nullopt, row.no_school, "no school"}};
        for (const auto& c : cases) {
            const Decision actual = decide(p, row.action, c.school);
            EXPECT_EQ(actual, c.expected)
                << to_string(row.role) << " / " << name_of(row.action) << " / " << c.scope
                << ": got " << name_of(actual) << ", want " << name_of(c.expected);
            EXPECT_EQ(can(p, row.action, c.school), c.expected == Decision::allowed);
        }
    }
}

TEST(Authorization, SchoolRolesSeeOnlyTheirSchools) {
    for (Role role : {Role::school_it, Role::headteacher}) {
        const Principal p = principal_with(role);
        EXPECT_TRUE(can_see(p, kOwnSchool)) << to_string(role);
        EXPECT_FALSE(can_see(p, kOtherSchool)) << to_string(role);
    }
    EXPECT_TRUE(can_see(principal_with(Role::city_admin), kOtherSchool));
}

TEST(Authorization, SchoolRoleWithSeveralSchoolsSeesEach) {
    Principal p = principal_with(Role::school_it);
    p.schools = {"100018", "165432", "190000"};  // sorted, as the contract requires
    for (const auto& s : p.schools) EXPECT_EQ(decide(p, Action::manage_devices, s), Decision::allowed) << s;
    EXPECT_EQ(decide(p, Action::manage_devices, std::string_view("170000")), Decision::not_visible);
}

TEST(Authorization, RoleNamesRoundTrip) {
    for (Role role : {Role::city_admin, Role::school_it, Role::headteacher}) {
        EXPECT_EQ(role_from_string(to_string(role)), role);
    }
    EXPECT_FALSE(role_from_string("admin"));
    EXPECT_FALSE(role_from_string("City_Admin"));
    EXPECT_FALSE(role_from_string(""));
}

// --- FailureBackoff and LoginThrottle -----------------------------------------------------------

using TimePoint = FailureBackoff::Clock::time_point;
const TimePoint kT0 = TimePoint{} + std::chrono::hours(1000);

TEST(FailureBackoff, FreeFailuresCostNothingThenDelaysDoubleUpToTheMaximum) {
    FailureBackoff backoff({3, seconds(1), seconds(8), seconds(3600)});
    TimePoint t = kT0;
    for (int i = 0; i < 3; ++i) {
        EXPECT_FALSE(backoff.wait("k", t)) << i;
        backoff.record_failure("k", t);
    }
    // The 3rd failure used the last free one: 1 s, then 2, 4, 8, 8 after each further failure.
    for (seconds expected : {seconds(1), seconds(2), seconds(4), seconds(8), seconds(8)}) {
        EXPECT_EQ(backoff.wait("k", t), expected);
        EXPECT_EQ(backoff.wait("k", t + expected - std::chrono::milliseconds(1)), seconds(1));
        EXPECT_FALSE(backoff.wait("k", t + expected));
        t += expected;
        backoff.record_failure("k", t);
    }
}

TEST(FailureBackoff, AttemptsRefusedDuringTheWaitDoNotCount) {
    FailureBackoff backoff({1, seconds(1), seconds(900), seconds(3600)});
    backoff.record_failure("k", kT0);
    // Only failures recorded count; the handler records none while refusing with 429.
    for (int i = 0; i < 100; ++i) EXPECT_TRUE(backoff.wait("k", kT0));
    EXPECT_FALSE(backoff.wait("k", kT0 + seconds(1)));
}

TEST(FailureBackoff, AKeyQuietForTheForgetTimeStartsOver) {
    FailureBackoff backoff({2, seconds(1), seconds(60), seconds(120)});
    for (int i = 0; i < 5; ++i) backoff.record_failure("k", kT0);
    EXPECT_EQ(backoff.wait("k", kT0), seconds(8));
    const TimePoint later = kT0 + seconds(120);
    EXPECT_FALSE(backoff.wait("k", later));
    backoff.record_failure("k", later);
    EXPECT_FALSE(backoff.wait("k", later));  // one failure of two free ones again
}

TEST(FailureBackoff, KeysAreIndependentAndForgetClearsOne) {
    FailureBackoff backoff({1, seconds(1), seconds(60), seconds(120)});
    backoff.record_failure("a", kT0);
    backoff.record_failure("b", kT0);
    backoff.forget("a");
    EXPECT_FALSE(backoff.wait("a", kT0));
    EXPECT_EQ(backoff.wait("b", kT0), seconds(1));
    EXPECT_FALSE(backoff.wait("c", kT0));
}

TEST(FailureBackoff, MemoryStaysBoundedUnderASprayOfKeys) {
    FailureBackoff backoff({1, seconds(1), seconds(60), seconds(120)}, 100);
    for (int i = 0; i < 10000; ++i) backoff.record_failure("k" + std::to_string(i), kT0);
    EXPECT_LE(backoff.size(), 100u);
    // The newest key is still counted.
    EXPECT_TRUE(backoff.wait("k9999", kT0));
}

class LoginThrottleTest : public ::testing::Test {
protected:
  // 3 free failures per (username, address), 6 per address; delays 1 s ... 60 s.
  LoginThrottle throttle_{{3, 6, seconds(1), seconds(60), seconds(600)}};

  void fail_times(int n, std::string_view user, std::string_view address, TimePoint at) {
      for (int i = 0; i < n; ++i) throttle_.record_failure(user, address, at);
  }
};

TEST_F(LoginThrottleTest, FailuresFromOneAddressNeverDelayTheUsernameFromAnother) {
    // The city admin's username guessed from one address, far beyond any free failures ...
    fail_times(50, "admin", "192.0.2.1", kT0);
    EXPECT_TRUE(throttle_.blocked("admin", "192.0.2.1", kT0));
    // ... and from many addresses with a few failures each ...
    for (int a = 10; a < 60; ++a) fail_times(2, "admin", "192.0.2." + std::to_string(a), kT0);
    // ... the admin logging in from the office is not delayed at all.
    EXPECT_FALSE(throttle_.blocked("admin", "198.51.100.7", kT0));
}

TEST_F(LoginThrottleTest, DelaysGrowPerUsernameAndAddress) {
    fail_times(3, "anna", "192.0.2.1", kT0);
    EXPECT_EQ(throttle_.blocked("anna", "192.0.2.1", kT0), seconds(1));
    throttle_.record_failure("anna", "192.0.2.1", kT0 + seconds(1));
    EXPECT_EQ(throttle_.blocked("anna", "192.0.2.1", kT0 + seconds(1)), seconds(2));
    throttle_.record_failure("anna", "192.0.2.1", kT0 + seconds(3));
    EXPECT_EQ(throttle_.blocked("anna", "192.0.2.1", kT0 + seconds(3)), seconds(4));
    // Another username from the same address is not delayed (the address has 5 of 6 free).
    EXPECT_FALSE(throttle_.blocked("ben", "192.0.2.1", kT0 + seconds(3)));
}

TEST_F(LoginThrottleTest, DelaysGrowPerAddressWhateverTheUsernames) {
    const char* users[] = {"a", "b", "c", "d", "e", "f"};
    for (const char* u : users) throttle_.record_failure(u, "192.0.2.1", kT0);
    EXPECT_EQ(throttle_.blocked("someone", "192.0.2.1", kT0), seconds(1));
    throttle_.record_failure("g", "192.0.2.1", kT0 + seconds(1));
    EXPECT_EQ(throttle_.blocked("someone", "192.0.2.1", kT0 + seconds(1)), seconds(2));
    EXPECT_FALSE(throttle_.blocked("someone", "192.0.2.2", kT0 + seconds(1)));
}

TEST_F(LoginThrottleTest, SuccessClearsTheUsernameAtThatAddressButNotTheAddress) {
    fail_times(3, "anna", "192.0.2.1", kT0);
    fail_times(2, "ben", "192.0.2.1", kT0);
    throttle_.record_success("anna", "192.0.2.1");
    EXPECT_FALSE(throttle_.blocked("anna", "192.0.2.1", kT0));
    // The address has 5 failures; one more uses up its 6 free ones.
    throttle_.record_failure("carl", "192.0.2.1", kT0);
    EXPECT_EQ(throttle_.blocked("dora", "192.0.2.1", kT0), seconds(1));
}

TEST_F(LoginThrottleTest, UsernamesAreComparedIgnoringCase) {
    throttle_.record_failure("Anna", "192.0.2.1", kT0);
    throttle_.record_failure("ANNA", "192.0.2.1", kT0);
    throttle_.record_failure("anna", "192.0.2.1", kT0);
    EXPECT_TRUE(throttle_.blocked("aNNa", "192.0.2.1", kT0));
    throttle_.record_success("ANNA", "192.0.2.1");
    EXPECT_FALSE(throttle_.blocked("anna", "192.0.2.1", kT0));
}

TEST_F(LoginThrottleTest, AnIpv6ClientCountsAsItsSlash64) {
    fail_times(3, "anna", "2001:db8:1:2::1", kT0);
    EXPECT_TRUE(throttle_.blocked("anna", "2001:db8:1:2:ffff::9", kT0));
    EXPECT_FALSE(throttle_.blocked("anna", "2001:db8:1:3::1", kT0));
    EXPECT_EQ(client_network("2001:db8:1:2:abcd::1"), "2001:db8:1:2::/64");
    EXPECT_EQ(client_network("::ffff:192.0.2.7"), "192.0.2.7");
    EXPECT_EQ(client_network("192.0.2.7"), "192.0.2.7");
}

TEST_F(LoginThrottleTest, BlockedReportsTheLongerOfTheTwoWaits) {
    fail_times(6, "anna", "192.0.2.1", kT0);  // pair: 3 beyond free -> 8 s; address: 1 s
    EXPECT_EQ(throttle_.blocked("anna", "192.0.2.1", kT0), seconds(8));
    EXPECT_EQ(throttle_.blocked("ben", "192.0.2.1", kT0), seconds(1));
}

TEST(EnrollThrottle, GuessingFromOneAddressDelaysNeitherOtherAddressesNorSchools) {
    EnrollThrottle throttle({2, seconds(1), seconds(60), seconds(600)});
    for (int i = 0; i < 20; ++i) throttle.record_unknown_secret("192.0.2.1", kT0);
    EXPECT_TRUE(throttle.blocked_address("192.0.2.1", kT0));
    EXPECT_FALSE(throttle.blocked_address("192.0.2.2", kT0));
    EXPECT_FALSE(throttle.blocked_school("165432", kT0));
}

TEST(EnrollThrottle, RefusedSecretsOfASchoolDelayThatSchoolOnly) {
    EnrollThrottle throttle({2, seconds(1), seconds(60), seconds(600)});
    throttle.record_refused_secret("165432", "192.0.2.1", kT0);
    throttle.record_refused_secret("165432", "192.0.2.2", kT0);
    EXPECT_EQ(throttle.blocked_school("165432", kT0), seconds(1));
    EXPECT_FALSE(throttle.blocked_school("100018", kT0));
    EXPECT_FALSE(throttle.blocked_address("192.0.2.3", kT0));
}

TEST(LogSafe, EscapesControlCharactersAndCutsOnACharacterBoundary) {
    EXPECT_EQ(log_safe("anna"), "anna");
    EXPECT_EQ(log_safe("a\nb\r\x1b[31m\"\\"), "a\\x0Ab\\x0D\\x1B[31m\\x22\\x5C");
    EXPECT_EQ(log_safe("x\xC2\x85y"), "x\\xC2\\x85y");  // U+0085, a C1 control
    EXPECT_EQ(log_safe("Jürgen"), "Jürgen");
    EXPECT_EQ(log_safe(std::string(100, 'a')), std::string(64, 'a') + "...");
    // "ü" is two bytes; a cut between them backs up to before it.
    EXPECT_EQ(log_safe("abü", 3), "ab...");
}

// --- Passwords --------------------------------------------------------------------------------

TEST(Password, HashIsArgon2idPhcWithOwaspParameters) {
    EXPECT_THAT(hash_password("correct horse battery"), StartsWith("$argon2id$v=19$m=19456,t=2,p=1$"));
}

TEST(Password, VerifyAcceptsTheRightPasswordOnly) {
    const std::string phc = hash_password("correct horse battery");
    EXPECT_TRUE(verify_password("correct horse battery", phc));
    EXPECT_FALSE(verify_password("correct horse batterY", phc));
    EXPECT_FALSE(verify_password("", phc));
}

TEST(Password, TwoHashesOfOnePasswordDiffer) {
    const std::string a = hash_password("correct horse battery");
    const std::string b = hash_password("correct horse battery");
    EXPECT_NE(a, b);
    EXPECT_TRUE(verify_password("correct horse battery", b));
}

TEST(Password, OneTimePasswordIsFourGroupsOfFourFromAnAlphabetWithoutLookAlikes) {
    constexpr std::string_view kAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    std::set<std::string> seen;
    std::set<char> used;
    for (int i = 0; i < 2000; ++i) {
        const std::string otp = generate_one_time_password();
        ASSERT_EQ(otp.size(), 19u) << otp;
        for (std::size_t j = 0; j < otp.size(); ++j) {
            if (j % 5 == 4) {
                EXPECT_EQ(otp[j], '-') << otp;
            } else {
                EXPECT_NE(kAlphabet.find(otp[j]), std::string_view::npos) << otp;
                used.insert(otp[j]);
            }
        }
        EXPECT_FALSE(check_password(otp)) << "a generated password must pass the password rules";
        seen.insert(otp);
    }
    EXPECT_EQ(seen.size(), 2000u);             // 80 bits: no repeats in practice
    EXPECT_EQ(used.size(), kAlphabet.size());  // every symbol turns up in 32,000 draws
}

TEST(Password, MalformedHashIsAMismatchNotAnError) {
    const std::string good = hash_password("correct horse battery");
    const std::vector<std::string> malformed = {
        "",
        "correct horse battery",
        "$argon2id$",
        "$argon2id$v=19$m=19456,t=2,p=1$",
        "$argon2id$v=19$m=19456,t=2,p=1$!!!$!!!",
        good.substr(0, good.size() - 10),
        "$argon2i" + good.substr(9),  // same parameters, another Argon2 variant
    };
    for (const auto& phc : malformed) {
        bool result = true;
        EXPECT_NO_THROW(result = verify_password("correct horse battery", phc)) << phc;
        EXPECT_FALSE(result) << phc;
    }
}

// --- Validation -------------------------------------------------------------------------------

TEST(Validation, SchoolNumberIsExactlySixDigits) {
    EXPECT_TRUE(is_valid_school_number("165432"));
    EXPECT_TRUE(is_valid_school_number("000000"));
    for (std::string_view bad : {"", "16543", "1654321", "16543a", " 65432", "16543\n",
                                 "\xd9\xa1\xd9\xa2\xd9\xa3"}) {
        EXPECT_FALSE(is_valid_school_number(bad)) << bad;
    }
}

TEST(Validation, UsernameAllowsLettersDigitsAndFewPunctuationMarks) {
    EXPECT_EQ(check_username("abc"), std::nullopt);
    EXPECT_EQ(check_username("Anna.Schmidt_2@schule-essen"), std::nullopt);
    EXPECT_EQ(check_username(std::string(64, 'a')), std::nullopt);
    for (std::string_view bad : {"anna schmidt", "anna:1", "müller", "anna/..", "a\tb"}) {
        EXPECT_TRUE(check_username(bad)) << bad;
    }
}

TEST(Validation, UsernameLengthIsThreeToSixtyFour) {
    EXPECT_TRUE(check_username(""));
    EXPECT_TRUE(check_username("ab"));
    EXPECT_TRUE(check_username(std::string(65, 'a')));
}

TEST(Validation, PasswordIsTenToOneThousandTwentyFourBytes) {
    EXPECT_TRUE(check_password("123456789"));
    EXPECT_EQ(check_password("1234567890"), std::nullopt);
    EXPECT_EQ(check_password(std::string(1024, 'x')), std::nullopt);
    EXPECT_TRUE(check_password(std::string(1025, 'x')));
}

TEST(Validation, PasswordMustBeValidUtf8) {
    EXPECT_EQ(check_password("Kennwort-äöü-ß"), std::nullopt);
    EXPECT_TRUE(check_password("Kennwort-\xff\xfe-1234"));
}

TEST(Validation, TextAcceptsOrdinaryUnicode) {
    EXPECT_EQ(check_text("Städtisches Gymnasium Essen-Überruhr 👍", 200), std::nullopt);
    EXPECT_EQ(check_text("", 200), std::nullopt);
}

TEST(Validation, TextRejectsAsciiControlCharacters) {
    using namespace std::string_view_literals;
    for (std::string_view bad : {"line\nbreak"sv, "tab\there"sv, "nul\0inside"sv, "del\x7f"sv,
                                 "escape\x1b[31m"sv, "cr\r"sv}) {
        auto error = check_text(bad, 200);
        ASSERT_TRUE(error) << bad;
        EXPECT_THAT(*error, HasSubstr("control"));
    }
}

TEST(Validation, TextRejectsC1ControlCharacters) {
    // U+0085 (NEL) and U+009B (CSI) are control characters (Unicode category Cc) too.
    EXPECT_TRUE(check_text("next\xc2\x85line", 200));
    EXPECT_TRUE(check_text("csi\xc2\x9b" "31m", 200));
}

TEST(Validation, TextRejectsInvalidUtf8) {
    for (std::string_view bad : {"latin1 \xe4", "overlong \xc0\xaf", "surrogate \xed\xa0\x80",
                                 "truncated \xc3", "beyond U+10FFFF \xf4\x90\x80\x80"}) {
        auto error = check_text(bad, 200);
        ASSERT_TRUE(error) << bad;
        EXPECT_THAT(*error, HasSubstr("UTF-8"));
    }
}

TEST(Validation, TextLengthIsCountedInBytes) {
    EXPECT_EQ(check_text(std::string(10, 'a'), 10), std::nullopt);
    auto error = check_text(std::string(11, 'a'), 10);
    ASSERT_TRUE(error);
    EXPECT_THAT(*error, HasSubstr("10"));
    EXPECT_TRUE(check_text("äöüäö", 9));  // five characters, ten bytes
}

TEST(Validation, CityAdminHasNoSchools) {
    EXPECT_EQ(check_role_schools(Role::city_admin, {}), std::nullopt);
    EXPECT_TRUE(check_role_schools(Role::city_admin, {"165432"}));
}

TEST(Validation, SchoolRolesNeedAtLeastOneSchool) {
    EXPECT_TRUE(check_role_schools(Role::school_it, {}));
    EXPECT_TRUE(check_role_schools(Role::headteacher, {}));
    EXPECT_EQ(check_role_schools(Role::school_it, {"165432", "100018"}), std::nullopt);
    EXPECT_EQ(check_role_schools(Role::headteacher, {"165432"}), std::nullopt);
}

TEST(Validation, RoleSchoolsMustBeValidNumbers) {
    auto error = check_role_schools(Role::school_it, {"165432", "12345x"});
    ASSERT_TRUE(error);
    EXPECT_THAT(*error, HasSubstr("12345x"));
}

TEST(Validation, RoleSchoolsMustNotRepeat) {
    auto error = check_role_schools(Role::headteacher, {"165432", "100018", "165432"});
    ASSERT_TRUE(error);
    EXPECT_THAT(*error, HasSubstr("165432"));
}

TEST(Validation, RoleSchoolsAreCappedAtTwoHundred) {
    std::vector<std::string> schools;
    for (int i = 0; i < 201; ++i) schools.push_back(std::to_string(100000 + i));
    EXPECT_TRUE(check_role_schools(Role::school_it, schools));
    schools.pop_back();
    EXPECT_EQ(check_role_schools(Role::school_it, schools), std::nullopt);
}

}  // namespace
}  // namespace pakt::server

TEST(ScanCode, BareSerialIsOneCandidateUpperCased) {
    const auto c = pakt::server::scan_candidates("  dmp2wltxxw1s\r\n");
    EXPECT_EQ(c.serials, std::vector<std::string>{"DMP2WLTXXW1S"});
    EXPECT_FALSE(c.from_label_url);
}

TEST(ScanCode, BoxLabelWithDataIdentifierSMayBeEitherReading) {
    const auto c = pakt::server::scan_candidates("SDMP2WLTXXW1S");
    EXPECT_EQ(c.serials, (std::vector<std::string>{"SDMP2WLTXXW1S", "DMP2WLTXXW1S"}));
}

TEST(ScanCode, LabelUrlIsExactlyItsSerial) {
    const auto c = pakt::server::scan_candidates("https://pakt.example.org/d/SDMP2WLTXXW1?x=1");
    EXPECT_EQ(c.serials, std::vector<std::string>{"SDMP2WLTXXW1"});
    EXPECT_TRUE(c.from_label_url);
}

TEST(ScanCode, UrlsOtherThanLabelsAndJunkAreNoSerial) {
    EXPECT_TRUE(pakt::server::scan_candidates("https://evil.example/x/DMP2WLTXXW1S").serials.empty());
    EXPECT_TRUE(pakt::server::scan_candidates("https://pakt.example.org/d/DMP2/extra").serials.empty());
    EXPECT_TRUE(pakt::server::scan_candidates("").serials.empty());
    EXPECT_TRUE(pakt::server::scan_candidates("S123").serials.empty());
    EXPECT_TRUE(pakt::server::scan_candidates("DMP-2WLT-XXW1").serials.empty());
}

// --- Agent enrollment command -----------------------------------------------------------------

namespace pakt::server {
namespace {

// What a POSIX shell makes of `words`: each resulting argument on a line of its own.
std::string shell_arguments(const std::string& words) {
    const std::string command = "printf '%s\\n' " + words;
    std::FILE* pipe = ::popen(("/bin/sh -c " + shell_quote(command)).c_str(), "r");
    if (pipe == nullptr) return "<popen failed>";
    std::string out;
    char buffer[256];
    while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) out += buffer;
    ::pclose(pipe);
    return out;
}

TEST(AgentEnrollment, PlainWordsStayUnquoted) {
    EXPECT_EQ(shell_quote("--server=https://pakt.example.org:8443"),
              "--server=https://pakt.example.org:8443");
    EXPECT_EQ(shell_quote("--pin=AB:CD:01"), "--pin=AB:CD:01");
    EXPECT_EQ(shell_quote("kq3-_x"), "kq3-_x");
}

TEST(AgentEnrollment, ShellReadsEveryQuotedWordBackUnchanged) {
    for (const std::string text :
         {"", "a b", "it's", "'", "''", "$HOME", "`id`", "a;rm -rf /", "*", "[::1]", "x\\y",
          "\"q\"", "~root", "line\nbreak", "tab\tstop", "ä ö"}) {
        EXPECT_EQ(shell_arguments(shell_quote(text)), text + "\n") << text;
    }
}

TEST(AgentEnrollment, CommandPinsTheCertificateAndRunsAsTheAgentsAccount) {
    EXPECT_EQ(agent_enroll_command("https://pakt.example.org:8443", std::string("AB:CD"), "s3cr-t"),
              "printf '%s\\n' s3cr-t | sudo -u pakt-agent pakt-agent enroll --state-dir "
              "/var/lib/pakt-agent "
              "--server=https://pakt.example.org:8443 --pin=AB:CD --secret-file=/dev/stdin");
}

TEST(AgentEnrollment, WithoutAFingerprintTheSystemCasAreTrusted) {
    EXPECT_EQ(
        agent_enroll_command("https://pakt.example.org", std::nullopt, "s"),
        "printf '%s\\n' s | sudo -u pakt-agent pakt-agent enroll --state-dir /var/lib/pakt-agent "
        "--server=https://pakt.example.org --ca-file=/etc/ssl/certs/ca-certificates.crt "
        "--secret-file=/dev/stdin");
}

TEST(AgentEnrollment, OddValuesBecomeSingleShellWords) {
    const std::string command =
        agent_enroll_command("https://[::1]:8443", std::string("AB"), "-it's");
    const std::string state_dir = "--state-dir /var/lib/pakt-agent ";
    EXPECT_EQ(shell_arguments(command.substr(command.find(state_dir) + state_dir.size())),
              "--server=https://[::1]:8443\n--pin=AB\n--secret-file=/dev/stdin\n");
    // The secret is one word of printf, read back as it is.
    const std::string pipe = " | sudo ";
    EXPECT_EQ(
        shell_arguments(
            command.substr(0, command.find(pipe)).substr(std::string("printf '%s\\n' ").size())),
        "-it's\n");
}

}  // namespace
}  // namespace pakt::server

namespace pakt::server {
namespace {

TEST(Validation, DatesOutsideTheYears2000To2100AreRefused) {
    EXPECT_EQ(check_date("2026-09-01"), std::nullopt);
    EXPECT_EQ(check_date("9999-12-31"), "must be a date from 2000-01-01 to 2100-12-31");
    EXPECT_EQ(check_date("1970-01-01"), "must be a date from 2000-01-01 to 2100-12-31");
    EXPECT_EQ(check_date("2026-13-01"), "must be a date YYYY-MM-DD");
    EXPECT_EQ(check_time("2026-09-01T07:30:00+02:00"), std::nullopt);
    EXPECT_TRUE(check_time("9999-12-31T00:00:00Z"));
}

TEST(Validation, MultiLineTextKeepsTabsAndLineBreaks) {
    EXPECT_EQ(check_text("Display gesprungen.\r\n\tHülle fehlt.", 200, TextKind::multi_line),
              std::nullopt);
    EXPECT_TRUE(check_text("Display gesprungen.\r\n", 200));  // single-line text: no line breaks
    EXPECT_TRUE(check_text("ding\x07", 200, TextKind::multi_line));
    EXPECT_TRUE(check_text(std::string(201, 'a'), 200, TextKind::multi_line));
}

TEST(Manifest, BadLinesBeyondFiftyAreCountedInLineOrder) {
    std::string csv = "serial_number,model\n";
    for (int i = 0; i < 300; ++i) {
        // Every third line also has a syntax error, which the CSV reader reports first.
        csv += i % 3 == 0 ? "DMPM0000\"0001,iPad\n" : "bad!,iPad\n";
    }
    const ParsedManifest m = parse_manifest(csv);
    EXPECT_TRUE(m.rows.empty());
    ASSERT_EQ(m.errors.size(), kMaxListedProblems);
    EXPECT_EQ(m.errors.total(), 300u);
    for (std::size_t i = 0; i < m.errors.size(); ++i) EXPECT_EQ(m.errors[i].line, i + 2);
}

}  // namespace
}  // namespace pakt::server
