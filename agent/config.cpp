// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "agent/config.hpp"

#include <toml++/toml.h>

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <system_error>
#include <utility>

namespace pakt::agent {

namespace {

// Upper bounds are sanity limits that catch a value in the wrong unit (milliseconds where seconds
// were meant) and keep every accepted value far from overflow when added to a time point.
constexpr std::int64_t kMaxIntervalS = 24LL * 60 * 60;     // a day
constexpr std::int64_t kMaxBackoffS = 7LL * 24 * 60 * 60;  // a week
constexpr std::int64_t kMaxLeaseTimeS = 366LL * 24 * 60 * 60;
// Coalescing merges at least two reports into one, so a bound below 2 could never be kept.
constexpr std::int64_t kMinSpoolReports = 2;
constexpr std::int64_t kMaxSpoolReports = 1'000'000;

constexpr std::array<std::string_view, 6> kLogLevels = {"trace", "debug", "info",
                                                        "warn",  "error", "off"};
constexpr std::array<std::string_view, 2> kFormats = {"csv", "json"};
constexpr std::array<std::string_view, 3> kMappings = {"jamf-school", "relution", "custom"};
constexpr std::array<std::string_view, 6> kStorageUnits = {"", "B", "KB", "MB", "GB", "TB"};

using Entry = TomlEntry;

struct KeySpec {
    std::string_view name;
    void (*apply)(const Entry&, AgentConfig&);
};

struct TableSpec {
    std::string_view name;
    std::span<const KeySpec> keys;
    std::span<const TableSpec> subtables;
};

using std::chrono::seconds;

const KeySpec kAgentKeys[] = {
    {"state_dir", [](const Entry& e, AgentConfig& c) { c.state_dir = e.path(false); }},
    {"interval_s",
     [](const Entry& e, AgentConfig& c) {
         c.interval = seconds(e.integer<std::int64_t>(1, kMaxIntervalS));
     }},
    {"max_backoff_s",
     [](const Entry& e, AgentConfig& c) {
         c.max_backoff = seconds(e.integer<std::int64_t>(0, kMaxBackoffS));
     }},
    {"spool_max_reports",
     [](const Entry& e, AgentConfig& c) {
         c.spool_max_reports = e.integer<std::size_t>(kMinSpoolReports, kMaxSpoolReports);
     }},
};

const KeySpec kColumnKeys[] = {
    {"serial", [](const Entry& e, AgentConfig& c) { c.columns.serial = e.name(false); }},
    {"wifi_mac", [](const Entry& e, AgentConfig& c) { c.columns.wifi_mac = e.name(true); }},
    {"os_version", [](const Entry& e, AgentConfig& c) { c.columns.os_version = e.name(true); }},
    {"battery", [](const Entry& e, AgentConfig& c) { c.columns.battery = e.name(true); }},
    {"storage_free", [](const Entry& e, AgentConfig& c) { c.columns.storage_free = e.name(true); }},
    {"managed", [](const Entry& e, AgentConfig& c) { c.columns.managed = e.name(true); }},
    {"last_contact", [](const Entry& e, AgentConfig& c) { c.columns.last_contact = e.name(true); }},
};

const TableSpec kMdmSubtables[] = {{"columns", kColumnKeys, {}}};

const KeySpec kMdmKeys[] = {
    {"export_dir", [](const Entry& e, AgentConfig& c) { c.export_dir = e.path(false); }},
    {"format",
     [](const Entry& e, AgentConfig& c) {
         c.format = e.one_of(kFormats) == "csv" ? ExportFormat::csv : ExportFormat::json;
     }},
    {"mapping",
     [](const Entry& e, AgentConfig& c) {
         const std::string value = e.one_of(kMappings);
         c.mapping = value == "jamf-school" ? ColumnMapping::jamf_school
                     : value == "relution"  ? ColumnMapping::relution
                                            : ColumnMapping::custom;
     }},
    {"storage_unit",
     [](const Entry& e, AgentConfig& c) { c.storage_unit = e.one_of(kStorageUnits); }},
};

const KeySpec kNetworkKeys[] = {
    {"dnsmasq_leases", [](const Entry& e, AgentConfig& c) { c.dnsmasq_leases = e.path(true); }},
    {"dnsmasq_lease_time_s",
     [](const Entry& e, AgentConfig& c) {
         c.dnsmasq_lease_time = seconds(e.integer<std::int64_t>(1, kMaxLeaseTimeS));
     }},
    {"dhcpd_leases", [](const Entry& e, AgentConfig& c) { c.dhcpd_leases = e.path(true); }},
    {"arp_table", [](const Entry& e, AgentConfig& c) { c.arp_table = e.path(true); }},
};

const KeySpec kLogKeys[] = {
    {"level", [](const Entry& e, AgentConfig& c) { c.log_level = e.one_of(kLogLevels); }},
};

const TableSpec kTables[] = {
    {"agent", kAgentKeys, {}},
    {"mdm", kMdmKeys, kMdmSubtables},
    {"network", kNetworkKeys, {}},
    {"log", kLogKeys, {}},
};

void apply_table(const std::string& file, const std::string& prefix, const TableSpec& spec,
                 const toml::table& table, AgentConfig& config) {
    for (const auto& [key, node] : table) {
        std::string dotted = prefix + std::string(key.str());
        const TableSpec* subtable = nullptr;
        for (const TableSpec& candidate : spec.subtables) {
            if (candidate.name == key.str()) subtable = &candidate;
        }
        if (subtable != nullptr) {
            const auto* inner = node.as_table();
            if (inner == nullptr) {
                Entry(file, std::move(dotted), node).fail("a table", toml_type_name(node.type()));
            }
            apply_table(file, dotted + ".", *subtable, *inner, config);
            continue;
        }
        const KeySpec* match = nullptr;
        for (const KeySpec& candidate : spec.keys) {
            if (candidate.name == key.str()) match = &candidate;
        }
        if (match == nullptr) {
            const char* kind = node.is_table() ? "table" : "key";
            throw ConfigError(file + ": unknown " + kind + " '" + dotted + "'");
        }
        match->apply(Entry(file, std::move(dotted), node), config);
    }
}

}  // namespace

std::chrono::seconds AgentConfig::backoff_cap(std::chrono::seconds current_interval) const {
    return max_backoff.count() > 0 ? max_backoff : current_interval;
}

std::vector<std::string> config_keys() {
    std::vector<std::string> keys;
    const auto add = [&keys](const std::string& prefix, const TableSpec& spec,
                             const auto& self) -> void {
        const std::string table = prefix + std::string(spec.name);
        for (const KeySpec& key : spec.keys) keys.push_back(table + "." + std::string(key.name));
        for (const TableSpec& sub : spec.subtables) self(table + ".", sub, self);
    };
    for (const TableSpec& spec : kTables) add("", spec, add);
    return keys;
}

AgentConfig load_config(const std::filesystem::path& file) {
    const std::string name = file.string();
    const toml::table root = parse_toml_file(file);

    AgentConfig config;
    apply_top_level_tables(name, root, std::span<const TableSpec>(kTables),
                           [&](const TableSpec& spec, const toml::table& table) {
                               apply_table(name, std::string(spec.name) + ".", spec, table, config);
                           });
    return config;
}

}  // namespace pakt::agent
