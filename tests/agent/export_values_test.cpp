// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "agent/export_values.hpp"

#include <gtest/gtest.h>

#include "tests/agent/agent_test_support.hpp"

namespace pakt::agent {
namespace {

using test::at;

TEST(NormalizeMac, AcceptsTheCommonSpellings) {
    EXPECT_EQ(normalize_mac("A4:83:E7:12:34:01"), "a4:83:e7:12:34:01");
    EXPECT_EQ(normalize_mac("a4-83-e7-12-34-01"), "a4:83:e7:12:34:01");
    EXPECT_EQ(normalize_mac("A483E7123401"), "a4:83:e7:12:34:01");
    EXPECT_EQ(normalize_mac("a483.e712.3401"), "a4:83:e7:12:34:01");
    EXPECT_EQ(normalize_mac(" 0:1b:a9:1:22:33 "), "00:1b:a9:01:22:33");
}

TEST(NormalizeMac, RejectsMalformedAndAllZero) {
    EXPECT_FALSE(normalize_mac(""));
    EXPECT_FALSE(normalize_mac("a4:83:e7:12:34"));
    EXPECT_FALSE(normalize_mac("a4:83:e7:12:34:01:02"));
    EXPECT_FALSE(normalize_mac("a4:83-e7:12:34:01"));
    EXPECT_FALSE(normalize_mac("zz:83:e7:12:34:01"));
    EXPECT_FALSE(normalize_mac("a4:83:e7:12:34:001"));
    EXPECT_FALSE(normalize_mac("A483E712340"));
    EXPECT_FALSE(normalize_mac("00:00:00:00:00:00"));
}

TEST(NormalizeSerial, UpperCasesTrimsAndChecksTheApiShape) {
    EXPECT_EQ(normalize_serial(" dmpxj2k1abcd "), "DMPXJ2K1ABCD");
    EXPECT_FALSE(normalize_serial("N/A"));
    EXPECT_FALSE(normalize_serial("1234567"));
    EXPECT_FALSE(normalize_serial("ABCDEFGHIJ12345"));
    EXPECT_FALSE(normalize_serial("DMPX-J2K1ABCD"));
}

TEST(ParseBattery, ReadsPercentagesAndFractions) {
    EXPECT_EQ(parse_battery_pct("87%"), 87);
    EXPECT_EQ(parse_battery_pct("55 %"), 55);
    EXPECT_EQ(parse_battery_pct("0.55"), 55);
    EXPECT_EQ(parse_battery_pct("0,82"), 82);
    EXPECT_EQ(parse_battery_pct("1.0"), 100);
    EXPECT_EQ(parse_battery_pct("1"), 1) << "an integer is a percentage, not a fraction";
    EXPECT_EQ(parse_battery_pct("99.6"), 100);
    EXPECT_FALSE(parse_battery_pct("101"));
    EXPECT_FALSE(parse_battery_pct("-5"));
    EXPECT_FALSE(parse_battery_pct("abc"));
}

TEST(ParseStorage, ConvertsUnitsToDecimalMegabytes) {
    EXPECT_EQ(parse_storage_mb("23.41 GB", StorageUnit::megabytes), 23410);
    EXPECT_EQ(parse_storage_mb("12,5 GB", StorageUnit::megabytes), 12500);
    EXPECT_EQ(parse_storage_mb("12800MB", StorageUnit::gigabytes), 12800);
    EXPECT_EQ(parse_storage_mb("1 GiB", StorageUnit::megabytes), 1073);
    EXPECT_EQ(parse_storage_mb("12.5", StorageUnit::gigabytes), 12500);
    EXPECT_EQ(parse_storage_mb("25769803776", StorageUnit::bytes), 25769);
    EXPECT_FALSE(parse_storage_mb("12 parsecs", StorageUnit::megabytes));
    EXPECT_FALSE(parse_storage_mb("-1 GB", StorageUnit::megabytes));
    EXPECT_FALSE(parse_storage_mb("999 TB", StorageUnit::megabytes)) << "above the API's range";
}

TEST(ParseManaged, ReadsFlagsAndMdmStates) {
    EXPECT_EQ(parse_managed("Yes"), true);
    EXPECT_EQ(parse_managed("ja"), true);
    EXPECT_EQ(parse_managed("COMPLIANT"), true);
    EXPECT_EQ(parse_managed("NONCOMPLIANT"), true) << "non-compliant devices are still managed";
    EXPECT_EQ(parse_managed("No"), false);
    EXPECT_EQ(parse_managed("INACTIVE"), false);
    EXPECT_EQ(parse_managed("ENROLLMENT_PENDING"), false);
    EXPECT_FALSE(parse_managed("maybe"));
}

TEST(ParseExportTime, ReadsZonedTimesExactly) {
    EXPECT_EQ(parse_export_time("2026-03-02T08:12:45.123+01:00"), at("2026-03-02T07:12:45.123Z"));
    EXPECT_EQ(parse_export_time("2026-03-02 08:00:00 UTC"), at("2026-03-02T08:00:00Z"));
    EXPECT_EQ(parse_export_time("2026-03-02 08:00:00+0100"), at("2026-03-02T07:00:00Z"));
    EXPECT_EQ(parse_export_time("1772435565"), at("2026-03-02T07:12:45Z"));
    EXPECT_EQ(parse_export_time("1772435565123"), at("2026-03-02T07:12:45.123Z"));
}

TEST(ParseExportTime, ReadsZonelessTimesInTheLocalZone) {
    // The test environment runs in German time: CET in winter, CEST in summer.
    EXPECT_EQ(parse_export_time("2026-03-02 08:41:12"), at("2026-03-02T07:41:12Z"));
    EXPECT_EQ(parse_export_time("02.03.2026 07:15"), at("2026-03-02T06:15:00Z"));
    EXPECT_EQ(parse_export_time("2026-07-01 12:00"), at("2026-07-01T10:00:00Z"));
    EXPECT_EQ(parse_export_time("2026/03/02 08:15:00", ZonelessTime::utc),
              at("2026-03-02T08:15:00Z"));
    EXPECT_EQ(parse_export_time("2026-03-02"), at("2026-03-01T23:00:00Z"));
}

TEST(ParseExportTime, RefusesEpochNumbersAfter2200) {
    // A Clock time point ends in 2262; larger epoch numbers used to overflow it.
    EXPECT_EQ(parse_export_time("7258118399"), at("2199-12-31T23:59:59Z"));
    EXPECT_FALSE(parse_export_time("17724436003"));
    EXPECT_FALSE(parse_export_time("99999999999999"));
    EXPECT_FALSE(from_epoch_seconds(-1));
    // Found by tests/fuzz (agent_collectors): 20 digits overflowed while being read.
    EXPECT_FALSE(parse_export_time("25769803776000000000"));
}

TEST(ParseExportTime, RejectsImpossibleDates) {
    EXPECT_FALSE(parse_export_time("2026-02-30 08:00:00"));
    EXPECT_FALSE(parse_export_time("2026-03-02 25:00:00"));
    EXPECT_FALSE(parse_export_time("yesterday"));
    EXPECT_FALSE(parse_export_time("2026-03-02 08:00:00 PST"));
    EXPECT_FALSE(parse_export_time("12345"));
}

TEST(BlankValue, RecognisesPlaceholders) {
    EXPECT_TRUE(is_blank_value(" "));
    EXPECT_TRUE(is_blank_value("Never"));
    EXPECT_TRUE(is_blank_value("N/A"));
    EXPECT_FALSE(is_blank_value("0"));
}

}  // namespace
}  // namespace pakt::agent
