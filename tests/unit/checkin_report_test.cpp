// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// The check-in report reader (common/checkin_report): what paktd accepts from a site agent and
// which field it names when it refuses. Read from text in one pass, so these cases pin down the
// rules the agent and the API contract (schema/checkin-report.schema.json) rely on.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/checkin_report.hpp"

namespace pakt {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr const char* kReportId = "0b7c3c57-7a3c-4bd4-9c43-27f1d2a1c0de";

json device(const std::string& serial) {
    return {{"serial_number", serial}, {"seen_at", "2026-03-02T09:00:00Z"}};
}

json report(json devices) {
    return {{"report_id", kReportId},
            {"generated_at", "2026-03-02T09:05:00Z"},
            {"agent_version", "0.1.0"},
            {"devices", std::move(devices)}};
}

// "field: message" for every error, and whether each is a type error, for compact assertions.
std::vector<std::string> problems(const ParsedReport& parsed) {
    std::vector<std::string> out;
    for (const auto& e : parsed.errors) out.push_back(e.field + ": " + e.message + (e.wrong_type ? " (type)" : ""));
    return out;
}

ParsedReport parse(const json& value) { return parse_checkin_report(value.dump()); }

TEST(CheckinReportReader, ReadsEveryFieldOfAValidReport) {
    CheckinReport original{kReportId, "2026-03-02T09:05:00Z", "0.1.0", {}};
    DeviceObservation full{"F9FXK0AAHG7J", "2026-03-02T09:00:00Z", "17.5.1", 80, 12000, true, "10.0.16.2"};
    DeviceObservation bare{"DMPXK1BBHG7K", "2026-03-02T08:00:00+01:00", {}, {}, {}, {}, {}};
    original.devices = {full, bare};
    const ParsedReport parsed = parse_checkin_report(to_json(original).dump());
    ASSERT_TRUE(parsed.report) << ::testing::PrintToString(problems(parsed));
    EXPECT_FALSE(parsed.malformed);
    EXPECT_EQ(parsed.report->report_id, kReportId);
    EXPECT_EQ(parsed.report->generated_at, "2026-03-02T09:05:00Z");
    EXPECT_EQ(parsed.report->agent_version, "0.1.0");
    ASSERT_EQ(parsed.report->devices.size(), 2u);
    const DeviceObservation& a = parsed.report->devices[0];
    EXPECT_EQ(a.serial_number, "F9FXK0AAHG7J");
    EXPECT_EQ(a.seen_at, "2026-03-02T09:00:00Z");
    EXPECT_EQ(a.os_version, "17.5.1");
    EXPECT_EQ(a.battery_pct, 80);
    EXPECT_EQ(a.storage_free_mb, 12000);
    EXPECT_EQ(a.managed, true);
    EXPECT_EQ(a.ip_address, "10.0.16.2");
    const DeviceObservation& b = parsed.report->devices[1];
    EXPECT_EQ(b.serial_number, "DMPXK1BBHG7K");
    EXPECT_EQ(b.seen_at, "2026-03-02T08:00:00+01:00");
    EXPECT_FALSE(b.os_version || b.battery_pct || b.storage_free_mb || b.managed || b.ip_address);
}

TEST(CheckinReportReader, NullOptionalFieldsAreAbsentAndAnEmptyDeviceListIsAReport) {
    json d = device("F9FXK0AAHG7J");
    for (const char* field : {"os_version", "battery_pct", "storage_free_mb", "managed", "ip_address"}) d[field] = nullptr;
    const ParsedReport parsed = parse(report(json::array({d})));
    ASSERT_TRUE(parsed.report) << ::testing::PrintToString(problems(parsed));
    EXPECT_FALSE(parsed.report->devices[0].managed.has_value());
    EXPECT_TRUE(parse(report(json::array())).report);
}

TEST(CheckinReportReader, TextThatIsNotJsonIsMalformedWithoutFieldErrors) {
    for (const char* text : {"", "{", "{\"report_id\": ", "{} {}", "[1, 2", "{\"a\" 1}", "nul"}) {
        const ParsedReport parsed = parse_checkin_report(text);
        EXPECT_TRUE(parsed.malformed) << text;
        EXPECT_FALSE(parsed.report) << text;
        EXPECT_THAT(parsed.errors, IsEmpty()) << text;
    }
}

TEST(CheckinReportReader, ATopLevelOtherThanAnObjectIsATypeError) {
    for (const char* text : {"[]", "[{\"devices\": []}]", "\"report\"", "42", "null"}) {
        const ParsedReport parsed = parse_checkin_report(text);
        EXPECT_FALSE(parsed.malformed) << text;
        EXPECT_THAT(problems(parsed), ElementsAre(": the report must be a JSON object (type)")) << text;
    }
}

TEST(CheckinReportReader, WrongTypesAreNamedAndTheirValuesSkippedWhole) {
    json d = device("F9FXK0AAHG7J");
    d["battery_pct"] = "80";
    d["managed"] = 1;
    d["serial_number"] = {{"serial_number", "X"}, {"nested", {1, 2, {{"seen_at", 3}}}}};
    d["storage_free_mb"] = 1.5;
    d["ip_address"] = json::array({"10.0.0.1"});
    json r = report(json::array({d}));
    r["agent_version"] = 1;
    // (nlohmann writes object keys in alphabetical order: agent_version comes before devices.)
    EXPECT_THAT(problems(parse(r)),
                ElementsAre("agent_version: must be a string (type)",
                            "devices[0].battery_pct: must be an integer (type)",
                            "devices[0].ip_address: must be a string (type)",
                            "devices[0].managed: must be a boolean (type)",
                            "devices[0].serial_number: must be a string (type)",
                            "devices[0].storage_free_mb: must be an integer (type)"));
}

TEST(CheckinReportReader, DevicesMustBeAnArrayOfObjects) {
    EXPECT_THAT(problems(parse(report("all"))), ElementsAre("devices: must be an array (type)"));
    EXPECT_THAT(problems(parse(report(nullptr))), ElementsAre("devices: must be an array (type)"));
    EXPECT_THAT(problems(parse(report({{"serial_number", "X"}}))), ElementsAre("devices: must be an array (type)"));
    EXPECT_THAT(problems(parse(report(json::array({device("F9FXK0AAHG7J"), "F9FXK0AAHG7K", json::array({1}), 3})))),
                ElementsAre("devices[1]: must be an object (type)", "devices[2]: must be an object (type)",
                            "devices[3]: must be an object (type)"));
}

TEST(CheckinReportReader, UnknownFieldsAreListedWithTheirPathAndTheirContentIgnored) {
    json d = device("F9FXK0AAHG7J");
    d["colour"] = "silver";
    json r = report(json::array({d}));
    // An unknown field's value is skipped whole, even where it looks like parts of a report.
    r["extra"] = {{"devices", {{{"serial_number", 1}}}}, {"report_id", 7}};
    EXPECT_THAT(problems(parse(r)), ElementsAre("devices[0].colour: unknown field", "extra: unknown field"));
}

TEST(CheckinReportReader, MissingRequiredFieldsAreEachNamed) {
    EXPECT_THAT(problems(parse_checkin_report("{}")),
                ElementsAre("report_id: is required", "generated_at: is required", "agent_version: is required",
                            "devices: is required"));
    json d = {{"os_version", "17.5"}};
    json r = report(json::array({d}));
    r["report_id"] = nullptr;
    EXPECT_THAT(problems(parse(r)), ElementsAre("devices[0].serial_number: is required", "devices[0].seen_at: is required",
                                               "report_id: is required"));
}

TEST(CheckinReportReader, ValuesOutOfRangeOrFormatAreInvalidNotTypeErrors) {
    json d = device("F9FXK0AAHG7J");
    d["battery_pct"] = 101;
    d["storage_free_mb"] = -1;
    d["seen_at"] = "yesterday";
    json huge = device("F9FXK0AAHG7K");
    huge["storage_free_mb"] = 18446744073709551615ull;
    json r = report(json::array({d, huge}));
    r["report_id"] = "not-a-uuid";
    r["generated_at"] = "2026-13-01T00:00:00Z";
    EXPECT_THAT(problems(parse(r)),
                ElementsAre("devices[0].battery_pct: must be between 0 and 100",
                            "devices[0].storage_free_mb: must be between 0 and 100000000",
                            "devices[0].seen_at: must be an RFC 3339 time",
                            "devices[1].storage_free_mb: must be between 0 and 100000000",
                            "report_id: must be a UUID", "generated_at: must be an RFC 3339 time"));
}

TEST(CheckinReportReader, StringsAreLimitedTo256Bytes) {
    json ok = device("F9FXK0AAHG7J");
    ok["os_version"] = std::string(kMaxReportStringBytes, 'x');
    EXPECT_TRUE(parse(report(json::array({ok}))).report);
    json long_one = device("F9FXK0AAHG7J");
    long_one["os_version"] = std::string(1'000'000, 'x');
    EXPECT_THAT(problems(parse(report(json::array({long_one})))),
                ElementsAre("devices[0].os_version: must be at most 256 bytes"));
}

TEST(CheckinReportReader, MoreThan5000DevicesIsOneErrorWithTheCount) {
    json devices = json::array();
    for (int i = 0; i < 5001; ++i) devices.push_back(i == 7 ? json("broken") : device("F9FXK0AAHG7J"));
    EXPECT_THAT(problems(parse(report(devices))), ElementsAre("devices: at most 5000 devices per report, got 5001"));
    devices.erase(devices.begin() + 7);
    const ParsedReport exactly = parse(report(devices));
    ASSERT_TRUE(exactly.report);
    EXPECT_EQ(exactly.report->devices.size(), 5000u);
}

TEST(CheckinReportReader, AFieldGivenTwiceIsRefused) {
    const std::string text = std::string("{\"report_id\": \"") + kReportId + "\", \"report_id\": \"" + kReportId +
                             "\", \"generated_at\": \"2026-03-02T09:05:00Z\", \"agent_version\": \"0.1.0\", "
                             "\"devices\": [{\"serial_number\": \"F9FXK0AAHG7J\", \"seen_at\": \"2026-03-02T09:00:00Z\", "
                             "\"seen_at\": \"2026-03-03T09:00:00Z\"}], \"devices\": []}";
    EXPECT_THAT(problems(parse_checkin_report(text)),
                ElementsAre("report_id: appears more than once", "devices[0].seen_at: appears more than once",
                            "devices: appears more than once"));
    // A first value of null does not add "is required" to the repetition.
    const std::string nulls = std::string("{\"report_id\": null, \"report_id\": \"") + kReportId +
                              "\", \"generated_at\": \"2026-03-02T09:05:00Z\", \"agent_version\": \"0.1.0\", "
                              "\"devices\": []}";
    EXPECT_THAT(problems(parse_checkin_report(nulls)), ElementsAre("report_id: appears more than once"));
}

TEST(CheckinReportReader, AtMost50ErrorsAreListed) {
    json devices = json::array();
    for (int i = 0; i < 200; ++i) devices.push_back({{"serial_number", i}});
    const ParsedReport parsed = parse(report(devices));
    EXPECT_FALSE(parsed.report);
    EXPECT_EQ(parsed.errors.size(), 50u);
    EXPECT_EQ(parsed.errors.front().field, "devices[0].serial_number");
}

}  // namespace
}  // namespace pakt

namespace pakt {
namespace {

TEST(CheckinReportReader, ControlCharactersInStringsAreRefusedNamingTheField) {
    for (const std::string& bad :
         {std::string("17.5\x1b[31m"), std::string("a\0b", 3), std::string("ring\x07"),
          std::string("del\x7f"), std::string("c1\xc2\x9b"), std::string("two\nlines")}) {
        json d = device("F9FXK0AAHG7J");
        d["os_version"] = bad;
        d["ip_address"] = bad;
        json r = report(json::array({d}));
        r["agent_version"] = bad;
        const ParsedReport parsed = parse(r);
        EXPECT_FALSE(parsed.report);
        EXPECT_THAT(problems(parsed),
                    ::testing::UnorderedElementsAre(
                        "agent_version: must not contain control characters",
                        "devices[0].os_version: must not contain control characters",
                        "devices[0].ip_address: must not contain control characters"));
    }
}

TEST(CheckinReportReader, SeenAtLaterThanTheGivenLimitIsRefused) {
    const auto limit = *parse_rfc3339("2026-03-02T09:10:00Z");
    json late = device("F9FXK0AAHG7J");
    late["seen_at"] = "2026-03-02T09:10:01Z";
    json in_time = device("DMPXK1BBHG7K");
    in_time["seen_at"] = "2026-03-02T10:10:00+01:00";  // exactly the limit
    const ParsedReport parsed =
        parse_checkin_report(report(json::array({in_time, late})).dump(), limit);
    EXPECT_FALSE(parsed.report);
    ASSERT_EQ(parsed.errors.size(), 1u);
    EXPECT_EQ(parsed.errors.front().field, "devices[1].seen_at");
    EXPECT_THAT(parsed.errors.front().message,
                ::testing::HasSubstr("later than the server's clock"));
    // Without a limit (the agent reading its own spool) the same report is read.
    EXPECT_TRUE(parse(report(json::array({in_time, late}))).report);
}

TEST(CheckinReportReader, TimesOutsideTheYears2000To2100AreRefused) {
    json d = device("F9FXK0AAHG7J");
    d["seen_at"] = "9999-12-31T23:59:59Z";
    json r = report(json::array({d}));
    r["generated_at"] = "1999-12-31T23:59:59Z";
    EXPECT_THAT(
        problems(parse(r)),
        ::testing::UnorderedElementsAre(
            "generated_at: must be a time from 2000-01-01T00:00:00Z to 2100-12-31T23:59:59Z",
            "devices[0].seen_at: must be a time from 2000-01-01T00:00:00Z to "
            "2100-12-31T23:59:59Z"));
}

TEST(CheckinReportReader, ErrorsBeyondFiftyAreCounted) {
    json devices = json::array();
    for (int i = 0; i < 200; ++i) devices.push_back({{"serial_number", i}});
    const ParsedReport parsed = parse(report(devices));
    // Each device: serial_number of the wrong type and seen_at missing.
    EXPECT_EQ(parsed.errors.size(), kMaxListedProblems);
    EXPECT_EQ(parsed.errors.unlisted(), 400u - 50u);
    EXPECT_EQ(parsed.errors.total(), 400u);
}

}  // namespace
}  // namespace pakt
