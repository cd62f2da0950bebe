// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "agent/config.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "tests/agent/agent_test_support.hpp"

namespace pakt::agent {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

class AgentConfigFile : public ::testing::Test {
  protected:
    std::filesystem::path write(const std::string& text) {
        const auto file = dir_.path() / "pakt-agent.toml";
        std::ofstream(file) << text;
        return file;
    }

    std::string error_of(const std::string& text) {
        try {
            load_config(write(text));
        } catch (const ConfigError& e) {
            return e.what();
        }
        ADD_FAILURE() << "no ConfigError for:\n" << text;
        return "";
    }

    test::TempDir dir_;
};

TEST_F(AgentConfigFile, TheShippedFileChangesNothing) {
    const AgentConfig shipped =
        load_config(std::filesystem::path(PAKT_SOURCE_DIR) / "config" / "pakt-agent.toml");
    const AgentConfig defaults;
    EXPECT_EQ(shipped.state_dir, defaults.state_dir);
    EXPECT_EQ(shipped.interval, std::chrono::seconds(900));
    EXPECT_EQ(shipped.spool_max_reports, 500u);
    EXPECT_EQ(shipped.export_dir, defaults.export_dir);
    EXPECT_EQ(shipped.mapping, ColumnMapping::jamf_school);
    EXPECT_EQ(shipped.arp_table, "/proc/net/arp");
    EXPECT_TRUE(shipped.dnsmasq_leases.empty());
}

TEST_F(AgentConfigFile, ShippedFileDocumentsEveryKeyWithItsDefault) {
    const std::string text =
        test::read_text(std::filesystem::path(PAKT_SOURCE_DIR) / "config" / "pakt-agent.toml");
    for (const char* line : {"# state_dir = \"pakt-agent-data\"",
                             "# interval_s = 900",
                             "# max_backoff_s = 0",
                             "# spool_max_reports = 500",
                             "# export_dir = \"mdm-export\"",
                             "# format = \"csv\"",
                             "# mapping = \"jamf-school\"",
                             "# storage_unit = \"\"",
                             "# serial = \"serial\"",
                             "# wifi_mac = \"wifi_mac\"",
                             "# os_version = \"os_version\"",
                             "# battery = \"battery\"",
                             "# storage_free = \"storage_free\"",
                             "# managed = \"managed\"",
                             "# last_contact = \"last_contact\"",
                             "# dnsmasq_leases = \"\"",
                             "# dnsmasq_lease_time_s = 3600",
                             "# dhcpd_leases = \"\"",
                             "# arp_table = \"/proc/net/arp\"",
                             "# level = \"info\""}) {
        EXPECT_THAT(text, HasSubstr(line));
    }
}

TEST_F(AgentConfigFile, ReadsEveryTable) {
    const AgentConfig config = load_config(write(R"(
[agent]
state_dir = "/var/lib/pakt-agent"
interval_s = 600
max_backoff_s = 300
spool_max_reports = 50
[mdm]
export_dir = "/srv/mdm-export"
format = "json"
mapping = "custom"
storage_unit = "GB"
[mdm.columns]
serial = "Seriennr"
wifi_mac = ""
[network]
dnsmasq_leases = "/var/lib/misc/dnsmasq.leases"
dnsmasq_lease_time_s = 7200
dhcpd_leases = "/var/lib/dhcp/dhcpd.leases"
arp_table = ""
[log]
level = "warn"
)"));
    EXPECT_EQ(config.state_dir, "/var/lib/pakt-agent");
    EXPECT_EQ(config.interval, std::chrono::seconds(600));
    EXPECT_EQ(config.backoff_cap(std::chrono::seconds(900)), std::chrono::seconds(300));
    EXPECT_EQ(config.spool_max_reports, 50u);
    EXPECT_EQ(config.format, ExportFormat::json);
    EXPECT_EQ(config.mapping, ColumnMapping::custom);
    EXPECT_EQ(config.storage_unit, "GB");
    EXPECT_EQ(config.columns.serial, "Seriennr");
    EXPECT_EQ(config.columns.wifi_mac, "");
    EXPECT_EQ(config.columns.battery, "battery");
    EXPECT_EQ(config.dnsmasq_lease_time, std::chrono::seconds(7200));
    EXPECT_TRUE(config.arp_table.empty());
    EXPECT_EQ(config.log_level, "warn");
}

TEST_F(AgentConfigFile, BackoffCapDefaultsToTheInterval) {
    EXPECT_EQ(AgentConfig{}.backoff_cap(std::chrono::seconds(1200)), std::chrono::seconds(1200));
}

TEST_F(AgentConfigFile, UnknownKeyNamesFileAndKey) {
    EXPECT_THAT(error_of("[agent]\nintervall_s = 5\n"),
                AllOf(HasSubstr("pakt-agent.toml"), HasSubstr("unknown key 'agent.intervall_s'")));
    EXPECT_THAT(error_of("[mdm.columns]\nserail = \"x\"\n"),
                HasSubstr("unknown key 'mdm.columns.serail'"));
    EXPECT_THAT(error_of("[server]\n"), HasSubstr("unknown table 'server'"));
}

TEST_F(AgentConfigFile, WrongTypeOrRangeNamesKeyAndExpectation) {
    EXPECT_THAT(error_of("[agent]\ninterval_s = \"900\"\n"),
                AllOf(HasSubstr("key 'agent.interval_s'"), HasSubstr("got string")));
    EXPECT_THAT(error_of("[agent]\nspool_max_reports = 1\n"),
                AllOf(HasSubstr("'agent.spool_max_reports'"), HasSubstr("from 2 to 1000000")));
    EXPECT_THAT(error_of("[mdm]\nmapping = \"jamf\"\n"),
                AllOf(HasSubstr("'mdm.mapping'"), HasSubstr("one of jamf-school, relution, custom")));
    EXPECT_THAT(error_of("[mdm]\ncolumns = 3\n"),
                AllOf(HasSubstr("'mdm.columns'"), HasSubstr("expected a table")));
    EXPECT_THAT(error_of("[mdm.columns]\nserial = \"\"\n"),
                AllOf(HasSubstr("'mdm.columns.serial'"), HasSubstr("non-empty")));
    EXPECT_THAT(error_of("agent = 1\n"), HasSubstr("key 'agent': expected a table"));
}

TEST_F(AgentConfigFile, SyntaxErrorNamesFileLineAndColumn) {
    EXPECT_THAT(error_of("[agent]\ninterval_s = = 3\n"), HasSubstr("pakt-agent.toml:2:"));
}

TEST_F(AgentConfigFile, MissingFileIsAnError) {
    EXPECT_THROW(load_config(dir_.path() / "none.toml"), ConfigError);
}

}  // namespace
}  // namespace pakt::agent
