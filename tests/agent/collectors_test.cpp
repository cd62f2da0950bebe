// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "agent/collectors.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "tests/agent/agent_test_support.hpp"

namespace pakt::agent {
namespace {

using test::at;
using test::read_text;
using test::sample;
using test::sample_now;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

AgentConfig config_with(ColumnMapping mapping) {
    AgentConfig config;
    config.mapping = mapping;
    return config;
}

std::map<std::string, MdmDevice> by_serial(const std::vector<MdmDevice>& devices) {
    std::map<std::string, MdmDevice> out;
    for (const auto& device : devices) out[device.serial] = device;
    return out;
}

std::map<std::string, NetworkSighting> by_mac(const std::vector<NetworkSighting>& sightings) {
    std::map<std::string, NetworkSighting> out;
    for (const auto& sighting : sightings) out[sighting.mac] = sighting;
    return out;
}

// --- MDM exports ------------------------------------------------------------------------------

class JamfSchoolCsv : public ::testing::Test {
  protected:
    void SetUp() override {
        const auto file = sample("jamf-school/devices-2026-03-02.csv");
        devices_ = by_serial(parse_mdm_csv(read_text(file), "devices.csv",
                                           export_columns(config_with(ColumnMapping::jamf_school)),
                                           diagnostics_));
        diagnostics_.finish();
    }

    Diagnostics diagnostics_;
    std::map<std::string, MdmDevice> devices_;
};

TEST_F(JamfSchoolCsv, ReadsEveryFieldOfAWellFormedRow) {
    const MdmDevice& d = devices_.at("DMPXJ2K1ABCD");
    EXPECT_EQ(d.wifi_mac, "a4:83:e7:12:34:01");
    EXPECT_EQ(d.os_version, "17.3.1");
    EXPECT_EQ(d.battery_pct, 87);
    EXPECT_EQ(d.storage_free_mb, 23410);
    EXPECT_EQ(d.managed, true);
    EXPECT_EQ(d.last_contact, at("2026-03-02T07:41:12Z")) << "console time is German local time";
}

TEST_F(JamfSchoolCsv, ReadsOtherSpellingsOfTheSameFields) {
    const MdmDevice& d = devices_.at("DMPXJ2K1ABCE");
    EXPECT_EQ(d.wifi_mac, "a4:83:e7:12:34:02");
    EXPECT_EQ(d.battery_pct, 55);
    EXPECT_EQ(d.storage_free_mb, 12500) << "a bare number is GB in Jamf School exports";
    EXPECT_EQ(devices_.at("F9FXK3L2MN01").managed, false) << "Managed is preferred to Supervised";
    EXPECT_EQ(devices_.at("GG7YT4ZQ0P1Y").last_contact, at("2026-03-02T06:15:00Z"));
}

TEST_F(JamfSchoolCsv, KeepsTheNewestRowOfADuplicateSerial) {
    EXPECT_EQ(devices_.at("DMPXJ2K1ABCD").os_version, "17.3.1");
    EXPECT_THAT(diagnostics_.warnings(), Contains(HasSubstr("1 duplicate serial number row")));
}

TEST_F(JamfSchoolCsv, ReadsQuotedFieldsWithSeparatorsInside) {
    EXPECT_EQ(devices_.at("H4KLM9PQ7R2S").wifi_mac, "a4:83:e7:12:34:0b");
}

TEST_F(JamfSchoolCsv, SkipsMalformedLinesNamingFileAndLine) {
    EXPECT_EQ(devices_.size(), 8u);
    EXPECT_FALSE(devices_.contains("GG7YT4ZQ0P1Z"));
    EXPECT_THAT(diagnostics_.warnings(),
                Contains(AllOf(HasSubstr("devices.csv:9:"), HasSubstr("6 fields"))));
    EXPECT_THAT(diagnostics_.warnings(),
                Contains(AllOf(HasSubstr("devices.csv: line 10:"), HasSubstr("serial number"))));
}

TEST_F(JamfSchoolCsv, LeavesOutUnreadableValuesWithOneSummary) {
    EXPECT_FALSE(devices_.at("GG7YT4ZQ0P1Y").battery_pct.has_value());
    EXPECT_EQ(devices_.at("GG7YT4ZQ0P1Y").storage_free_mb, 30100);
    EXPECT_THAT(diagnostics_.warnings(), Contains(AllOf(HasSubstr("1 battery level value"),
                                                        HasSubstr("line 8"), HasSubstr("'abc'"))));
}

TEST_F(JamfSchoolCsv, TreatsNeverAndEmptyAsAbsentWithoutWarning) {
    const MdmDevice& d = devices_.at("GG7YT4ZQ0P1X");
    EXPECT_FALSE(d.last_contact.has_value());
    EXPECT_FALSE(d.wifi_mac.has_value());
    EXPECT_THAT(diagnostics_.warnings(), ::testing::Not(Contains(HasSubstr("last contact value"))));
}

TEST(RelutionCsv, ReadsSemicolonSeparatedExportWithBomAndGermanDecimals) {
    Diagnostics diagnostics;
    const auto devices =
        by_serial(parse_mdm_csv(read_text(sample("relution/devices.csv")), "devices.csv",
                                export_columns(config_with(ColumnMapping::relution)), diagnostics));
    ASSERT_EQ(devices.size(), 4u);
    const MdmDevice& d = devices.at("JX4RT2C9VQ11");
    EXPECT_EQ(d.wifi_mac, "a4:83:e7:56:00:01");
    EXPECT_EQ(d.battery_pct, 82);
    EXPECT_EQ(d.storage_free_mb, 25769) << "Relution writes bytes";
    EXPECT_EQ(d.managed, true);
    EXPECT_EQ(d.last_contact, at("2026-03-02T07:12:45.123Z"));
    EXPECT_EQ(devices.at("JX4RT2C9VQ12").managed, false);
    EXPECT_EQ(devices.at("JX4RT2C9VQ12").battery_pct, 100);
    EXPECT_EQ(devices.at("JX4RT2C9VQ14").battery_pct, 7);
    EXPECT_FALSE(devices.at("JX4RT2C9VQ13").wifi_mac.has_value());
    EXPECT_THAT(diagnostics.warnings(), IsEmpty());
}

TEST(RelutionJson, ReadsAnArrayOfDeviceObjects) {
    Diagnostics diagnostics;
    const auto devices = by_serial(
        parse_mdm_json(read_text(sample("relution/devices.json")), "devices.json",
                       export_columns(config_with(ColumnMapping::relution)), diagnostics));
    ASSERT_EQ(devices.size(), 3u);
    const MdmDevice& d = devices.at("JX4RT2C9VQ11");
    EXPECT_EQ(d.battery_pct, 82);
    EXPECT_EQ(d.storage_free_mb, 25769);
    EXPECT_EQ(d.managed, true);
    EXPECT_EQ(d.last_contact, at("2026-03-02T07:12:45.123Z")) << "epoch milliseconds";
    EXPECT_EQ(devices.at("JX4RT2C9VQ12").managed, false);
    EXPECT_FALSE(devices.at("JX4RT2C9VQ12").storage_free_mb.has_value());
    EXPECT_EQ(devices.at("JX4RT2C9VQ14").wifi_mac, "a4:83:e7:56:00:04");
    EXPECT_EQ(devices.at("JX4RT2C9VQ14").managed, true) << "status when there is no managed key";
}

TEST(RelutionJson, WarnsAboutItemsThatAreNotDevicesAndValuesThatAreObjects) {
    Diagnostics diagnostics;
    const auto devices = by_serial(
        parse_mdm_json(read_text(sample("relution/devices.json")), "devices.json",
                       export_columns(config_with(ColumnMapping::relution)), diagnostics));
    EXPECT_FALSE(devices.at("JX4RT2C9VQ14").os_version.has_value());
    EXPECT_THAT(diagnostics.warnings(), Contains(HasSubstr("device 3: not a JSON object")));
    EXPECT_THAT(diagnostics.warnings(),
                Contains(AllOf(HasSubstr("device 4"), HasSubstr("'12345'"))));
    EXPECT_THAT(diagnostics.warnings(),
                Contains(AllOf(HasSubstr("OS version"), HasSubstr("device 5"))));
}

TEST(RelutionJson, ReportsBrokenJsonWithItsLine) {
    Diagnostics diagnostics;
    const auto devices =
        parse_mdm_json(read_text(sample("relution/broken.json")), "broken.json",
                       export_columns(config_with(ColumnMapping::relution)), diagnostics);
    EXPECT_THAT(devices, IsEmpty());
    EXPECT_THAT(diagnostics.warnings(),
                ElementsAre(AllOf(HasSubstr("broken.json:3:"), HasSubstr("not valid JSON"))));
}

TEST(MdmJson, RefusesANumberBeyondDoubleWithAWarning) {
    // Found by tests/fuzz (agent_collectors): nlohmann throws out_of_range, not parse_error, for
    // a number it cannot hold, and the reader let it escape.
    Diagnostics diagnostics;
    const auto devices =
        parse_mdm_json(R"([{"serialNumber":"DMPXJ2K1ABCD","batteryLevel":3e712}])", "devices.json",
                       export_columns(config_with(ColumnMapping::relution)), diagnostics);
    EXPECT_TRUE(devices.empty());
    EXPECT_THAT(diagnostics.warnings(),
                ElementsAre(AllOf(HasSubstr("devices.json"), HasSubstr("not readable JSON"))));
}

TEST(MdmJson, FindsTheDeviceArrayInsideAnObjectAndNestedColumns) {
    AgentConfig config = config_with(ColumnMapping::custom);
    config.columns.serial = "serialNumber";
    config.columns.os_version = "os.version";
    Diagnostics diagnostics;
    const auto devices = parse_mdm_json(
        R"({"total": 1, "results": [{"serialNumber": "DMPXJ2K1ABCD", "os": {"version": "17.4"}}]})",
        "api.json", export_columns(config), diagnostics);
    ASSERT_EQ(devices.size(), 1u);
    EXPECT_EQ(devices[0].os_version, "17.4");
}

TEST(CustomMapping, ReadsTheConfiguredColumns) {
    AgentConfig config = config_with(ColumnMapping::custom);
    config.columns = {"Seriennr",  "WLAN-MAC",       "iOS", "Akku", "Frei (MB)",
                      "Verwaltet", "Zuletzt gesehen"};
    Diagnostics diagnostics;
    const auto devices = by_serial(parse_mdm_csv(
        read_text(sample("custom-export.csv")), "custom.csv", export_columns(config), diagnostics));
    ASSERT_EQ(devices.size(), 2u);
    EXPECT_EQ(devices.at("KQ2M7H4N8P01").storage_free_mb, 20480);
    EXPECT_EQ(devices.at("KQ2M7H4N8P02").managed, false);
    EXPECT_EQ(devices.at("KQ2M7H4N8P02").last_contact, at("2026-03-01T17:00:00Z"));
}

TEST(MdmCsv, RefusesAnExportWithoutASerialColumn) {
    Diagnostics diagnostics;
    const auto devices =
        parse_mdm_csv("Name,MAC\niPad,a4:83:e7:12:34:01\n", "other.csv",
                      export_columns(config_with(ColumnMapping::jamf_school)), diagnostics);
    EXPECT_THAT(devices, IsEmpty());
    EXPECT_THAT(diagnostics.warnings(),
                ElementsAre(AllOf(HasSubstr("other.csv:1:"), HasSubstr("\"Serial Number\""))));
}

TEST(Diagnostics, LimitsWarningsPerSourceAndSummarisesTheRest) {
    Diagnostics diagnostics(2);
    for (int i = 0; i < 5; ++i) diagnostics.warn("a.csv", "a.csv: bad " + std::to_string(i));
    diagnostics.warn("b.csv", "b.csv: bad");
    diagnostics.finish();
    EXPECT_THAT(diagnostics.warnings(), ElementsAre("a.csv: bad 0", "a.csv: bad 1", "b.csv: bad",
                                                    "a.csv: 3 more warning(s) not shown"));
}

// --- the drop folder --------------------------------------------------------------------------

TEST(NewestExport, PicksTheNewestFileOfTheFormatAndIgnoresPartialOnes) {
    test::TempDir dir;
    const auto write = [&](const std::string& name, int age_s) {
        std::ofstream(dir.path() / name) << "x";
        std::filesystem::last_write_time(
            dir.path() / name,
            std::filesystem::file_time_type::clock::now() - std::chrono::seconds(age_s));
    };
    write("export-monday.csv", 300);
    write("export-tuesday.CSV", 200);
    write("export-wednesday.csv.part", 10);
    write(".export-hidden.csv", 5);
    write("export-thursday.json", 1);
    std::filesystem::create_directory(dir.path() / "newer.csv");

    EXPECT_EQ(newest_export(dir.path(), ExportFormat::csv), dir.path() / "export-tuesday.CSV");
    EXPECT_EQ(newest_export(dir.path(), ExportFormat::json), dir.path() / "export-thursday.json");
    EXPECT_FALSE(newest_export(dir.path() / "missing", ExportFormat::csv));
}

// --- network presence -------------------------------------------------------------------------

TEST(DnsmasqLeases, ReadsLeasesAndDerivesTheRenewalTime) {
    Diagnostics diagnostics;
    const auto sightings =
        by_mac(parse_dnsmasq_leases(read_text(sample("dnsmasq.leases")), "dnsmasq.leases",
                                    std::chrono::seconds(3600), sample_now(), diagnostics));
    ASSERT_EQ(sightings.size(), 3u) << "IPv6 leases and the infinite reservation are not sightings";
    const NetworkSighting& current = sightings.at("a4:83:e7:12:34:02");
    EXPECT_EQ(current.ip_address, "10.20.0.12");
    EXPECT_EQ(current.seen_at, at("2026-03-02T08:30:00Z"));
    EXPECT_TRUE(current.present);
    const NetworkSighting& expired = sightings.at("a4:83:e7:12:34:05");
    EXPECT_FALSE(expired.present);
    EXPECT_EQ(expired.seen_at, at("2026-03-02T06:00:00Z"));
    EXPECT_THAT(diagnostics.warnings(),
                ElementsAre(HasSubstr("dnsmasq.leases:4:"),
                            AllOf(HasSubstr("dnsmasq.leases:5:"), HasSubstr("not a MAC"))));
}

TEST(DnsmasqLeases, SkipsAnExpiryBeyondWhatTheClockHolds) {
    // Found by tests/fuzz (agent_collectors): an 11-digit expiry (year 2531) overflowed the
    // nanosecond time point (undefined behaviour) instead of being refused.
    Diagnostics diagnostics;
    const auto sightings = parse_dnsmasq_leases(
        "17724436003 a4:83:e7:12:34:02 10.20.0.12 iPad *\n"
        "1772443800 a4:83:e7:12:34:03 10.20.0.13 iPad *\n",
        "dnsmasq.leases", std::chrono::seconds(3600), sample_now(), diagnostics);
    ASSERT_EQ(sightings.size(), 1u);
    EXPECT_EQ(sightings[0].mac, "a4:83:e7:12:34:03");
    EXPECT_THAT(diagnostics.warnings(), ElementsAre(AllOf(HasSubstr("dnsmasq.leases:1:"),
                                                          HasSubstr("not an expiry time"))));
}

TEST(DhcpdLeases, TheLastBlockOfAnAddressWins) {
    Diagnostics diagnostics;
    const auto sightings = by_mac(parse_dhcpd_leases(read_text(sample("dhcpd.leases")),
                                                     "dhcpd.leases", sample_now(), diagnostics));
    EXPECT_FALSE(sightings.contains("de:ad:be:ef:00:01"));
    const NetworkSighting& ipad = sightings.at("a4:83:e7:12:34:03");
    EXPECT_EQ(ipad.ip_address, "10.20.0.31");
    EXPECT_EQ(ipad.seen_at, at("2026-03-02T08:55:00Z")) << "cltt is later than starts";
    EXPECT_TRUE(ipad.present);
}

TEST(DhcpdLeases, ReadsFreedLeasesAsStaleAndEpochTimes) {
    Diagnostics diagnostics;
    const auto sightings = by_mac(parse_dhcpd_leases(read_text(sample("dhcpd.leases")),
                                                     "dhcpd.leases", sample_now(), diagnostics));
    ASSERT_EQ(sightings.size(), 4u) << "the abandoned lease has no MAC, the host block is no lease";
    EXPECT_FALSE(sightings.at("a4:83:e7:12:34:0b").present);
    EXPECT_EQ(sightings.at("a4:83:e7:12:34:0b").seen_at, at("2026-03-02T07:30:00Z"));
    EXPECT_EQ(sightings.at("a4:83:e7:12:34:0c").seen_at, at("2026-03-02T08:55:00Z"));
    EXPECT_TRUE(sightings.at("a4:83:e7:12:34:0c").present);
}

TEST(DhcpdLeases, SkipsAMalformedLeaseNamingItsLine) {
    Diagnostics diagnostics;
    const auto sightings = by_mac(parse_dhcpd_leases(read_text(sample("dhcpd.leases")),
                                                     "dhcpd.leases", sample_now(), diagnostics));
    EXPECT_FALSE(sightings.contains("a4:83:e7:12:34:99"));
    EXPECT_THAT(diagnostics.warnings(),
                ElementsAre(AllOf(HasSubstr("dhcpd.leases:53:"), HasSubstr("10.20.0.35"))));
}

TEST(DhcpdLeases, SurvivesATruncatedFile) {
    Diagnostics diagnostics;
    const std::string text = read_text(sample("dhcpd.leases"));
    const auto cut = text.find("lease 10.20.0.32");
    const auto sightings =
        parse_dhcpd_leases(text.substr(0, cut + 40), "dhcpd.leases", sample_now(), diagnostics);
    EXPECT_EQ(sightings.size(), 1u);
    EXPECT_THAT(diagnostics.warnings(), ElementsAre(HasSubstr("not terminated")));
}

TEST(DhcpdLeases, ReadsAFileWithNulBytes) {
    // Found by tests/fuzz (agent_collectors): a NUL byte (a lease file zero-filled after a power
    // loss) made the tokenizer loop forever, pushing empty tokens until memory ran out.
    Diagnostics diagnostics;
    const std::string text =
        read_text(sample("dhcpd.leases")) + std::string(64, '\0') + "\nlease 10.20.0.99 {\0}\n";
    const auto sightings = parse_dhcpd_leases(text, "dhcpd.leases", sample_now(), diagnostics);
    EXPECT_EQ(sightings.size(), 4u) << "the leases before the NUL bytes are read";
}

TEST(ArpTable, ReadsCompleteEntriesOnly) {
    Diagnostics diagnostics;
    const auto sightings = by_mac(
        parse_arp_table(read_text(sample("proc-net-arp")), "arp", sample_now(), diagnostics));
    EXPECT_EQ(sightings.size(), 3u);
    EXPECT_FALSE(sightings.contains("a4:83:e7:12:34:07")) << "flags 0x0: incomplete";
    const NetworkSighting& ipad = sightings.at("a4:83:e7:12:34:01");
    EXPECT_EQ(ipad.ip_address, "10.20.0.11");
    EXPECT_EQ(ipad.seen_at, sample_now());
    EXPECT_TRUE(ipad.present);
    EXPECT_THAT(diagnostics.warnings(), ElementsAre(HasSubstr("arp:7:")));
}

// --- the join ---------------------------------------------------------------------------------

class SampleJoin : public ::testing::Test {
  protected:
    void SetUp() override {
        AgentConfig config;
        config.export_dir = sample("jamf-school");
        config.dnsmasq_leases = sample("dnsmasq.leases");
        config.dhcpd_leases = sample("dhcpd.leases");
        config.arp_table = sample("proc-net-arp");
        collection_ = collect(config, sample_now(), diagnostics_);
        for (const auto& o : collection_.join.observations) observations_[o.serial_number] = o;
    }

    Diagnostics diagnostics_;
    Collection collection_;
    std::map<std::string, DeviceObservation> observations_;
};

TEST_F(SampleJoin, YieldsOneObservationPerDeviceWithASighting) {
    EXPECT_EQ(collection_.export_file, sample("jamf-school/devices-2026-03-02.csv"));
    EXPECT_EQ(collection_.mdm_devices, 8u);
    EXPECT_EQ(observations_.size(), 7u);
    EXPECT_EQ(collection_.join.without_sighting, 1u);
    EXPECT_FALSE(observations_.contains("GG7YT4ZQ0P1X")) << "never seen anywhere";
    EXPECT_EQ(collection_.join.on_network, 3u);
}

TEST_F(SampleJoin, ADeviceInTheNeighbourTableIsSeenNowAtItsAddress) {
    const DeviceObservation& o = observations_.at("DMPXJ2K1ABCD");
    EXPECT_EQ(o.seen_at, "2026-03-02T09:00:00Z");
    EXPECT_EQ(o.ip_address, "10.20.0.11");
    EXPECT_EQ(o.os_version, "17.3.1");
    EXPECT_EQ(o.battery_pct, 87);
    EXPECT_EQ(o.storage_free_mb, 23410);
    EXPECT_EQ(o.managed, true);
}

TEST_F(SampleJoin, ADeviceWithALeaseIsSeenWhenTheLeaseWasGranted) {
    EXPECT_EQ(observations_.at("DMPXJ2K1ABCE").seen_at, "2026-03-02T08:30:00Z");
    EXPECT_EQ(observations_.at("DMPXJ2K1ABCE").ip_address, "10.20.0.12");
    EXPECT_EQ(observations_.at("F9FXK3L2MN01").seen_at, "2026-03-02T08:55:00Z");
    EXPECT_EQ(observations_.at("F9FXK3L2MN01").ip_address, "10.20.0.31");
}

TEST_F(SampleJoin, ADeviceOffTheNetworkIsSeenAtItsNewestContactWithoutAddress) {
    const DeviceObservation& mdm_only = observations_.at("F9FXK3L2MN02");
    EXPECT_EQ(mdm_only.seen_at, "2026-02-20T09:00:00Z");
    EXPECT_FALSE(mdm_only.ip_address.has_value());
    // An expired lease from this morning is newer than yesterday's MDM contact.
    EXPECT_EQ(observations_.at("F9FXK3L2MN03").seen_at, "2026-03-02T06:00:00Z");
    EXPECT_FALSE(observations_.at("F9FXK3L2MN03").ip_address.has_value());
    // A freed dhcpd lease (07:30) is newer than the MDM contact (07:20).
    EXPECT_EQ(observations_.at("H4KLM9PQ7R2S").seen_at, "2026-03-02T07:30:00Z");
    // An incomplete neighbour entry is no presence: the MDM contact counts.
    EXPECT_EQ(observations_.at("GG7YT4ZQ0P1Y").seen_at, "2026-03-02T06:15:00Z");
}

TEST_F(SampleJoin, CountsMacsThatNoDeviceHas) {
    // Phone (dnsmasq), router and printer (ARP), notebook and an unknown client (dhcpd).
    EXPECT_EQ(collection_.join.mac_only, 5u);
}

TEST_F(SampleJoin, ObservationsAreSortedAndPassTheServersValidation) {
    CheckinReport report{"0b7c3c57-7a3c-4bd4-9c43-27f1d2a1c0de", "2026-03-02T09:00:00Z", "0.1.0",
                         collection_.join.observations};
    const ParsedReport parsed = parse_checkin_report(to_json(report).dump());
    EXPECT_THAT(parsed.errors, IsEmpty());
    EXPECT_TRUE(std::is_sorted(
        report.devices.begin(), report.devices.end(),
        [](const auto& a, const auto& b) { return a.serial_number < b.serial_number; }));
}

TEST(Join, AMacClaimedByTwoDevicesMatchesNeither) {
    MdmDevice a{"AAAAAAAAAA01", "a4:83:e7:00:00:01", {}, {}, {}, {}, {}};
    MdmDevice b{"AAAAAAAAAA02", "a4:83:e7:00:00:01", {}, {}, {}, {}, at("2026-03-01T10:00:00Z")};
    const NetworkSighting arp{"a4:83:e7:00:00:01", "10.0.0.5", sample_now(), true,
                              SightingSource::neighbour_table};
    const JoinResult result = join_observations({a, b}, {arp}, sample_now());
    EXPECT_EQ(result.ambiguous_macs, 1u);
    EXPECT_EQ(result.mac_only, 0u) << "the MAC belongs to a known device";
    ASSERT_EQ(result.observations.size(), 1u);
    EXPECT_EQ(result.observations[0].seen_at, "2026-03-01T10:00:00Z");
}

TEST(Join, PrefersTheNeighbourTablesAddressAndNeverReportsTheFuture) {
    MdmDevice device{
        "AAAAAAAAAA01", "a4:83:e7:00:00:01", {}, {}, {}, {}, at("2026-03-02T11:00:00Z")};
    const NetworkSighting lease{"a4:83:e7:00:00:01", "10.0.0.9", at("2026-03-02T08:59:00Z"), true,
                                SightingSource::dhcp_lease};
    const NetworkSighting arp{"a4:83:e7:00:00:01", "10.0.0.5", at("2026-03-02T08:00:00Z"), true,
                              SightingSource::neighbour_table};
    JoinResult result = join_observations({device}, {lease, arp}, sample_now());
    ASSERT_EQ(result.observations.size(), 1u);
    EXPECT_EQ(result.observations[0].ip_address, "10.0.0.5");
    EXPECT_EQ(result.observations[0].seen_at, "2026-03-02T08:59:00Z");

    result = join_observations({device}, {}, sample_now());
    EXPECT_EQ(result.observations[0].seen_at, "2026-03-02T09:00:00Z")
        << "an MDM clock ahead of ours is capped at now";
}

TEST(Collect, MissingSourcesAreWarningsNotErrors) {
    test::TempDir dir;
    AgentConfig config;
    config.export_dir = dir.path() / "no-such-dir";
    config.dnsmasq_leases = dir.path() / "no-such-file";
    config.arp_table = "";
    Diagnostics diagnostics;
    const Collection collection = collect(config, sample_now(), diagnostics);
    EXPECT_THAT(collection.join.observations, IsEmpty());
    EXPECT_THAT(diagnostics.warnings(),
                ElementsAre(HasSubstr("no .csv MDM export found"), HasSubstr("cannot open")));
}

}  // namespace
}  // namespace pakt::agent
