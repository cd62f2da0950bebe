// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// pakt-agent's configuration: every field has a default that lets the agent run with no file at
// all. Loaded from TOML (config/pakt-agent.toml documents every key), then overridden by the
// command line (--state-dir).
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/toml_entry.hpp"

namespace pakt::agent {

/// The MDM export's file format.
enum class ExportFormat { csv, json };

/// Which export columns (CSV headers or JSON keys) hold which device field.
enum class ColumnMapping { jamf_school, relution, custom };

/// Column names for ColumnMapping::custom, matched case-insensitively against CSV headers or JSON
/// keys (a dotted name such as "os.version" also reaches into nested JSON objects). An empty name
/// means the export has no such column; only `serial` is required.
struct CustomColumns {
    std::string serial = "serial";
    std::string wifi_mac = "wifi_mac";
    std::string os_version = "os_version";
    std::string battery = "battery";
    std::string storage_free = "storage_free";
    std::string managed = "managed";
    std::string last_contact = "last_contact";
};

struct AgentConfig {
    // [agent]
    /// Holds state.json (server, agent id, node key; mode 0600) and the spool database.
    std::filesystem::path state_dir = "pakt-agent-data";
    /// Seconds between collection cycles until the server says otherwise (next_checkin_s).
    std::chrono::seconds interval{900};
    /// Upper bound of the retry backoff; 0 means "the current check-in interval".
    std::chrono::seconds max_backoff{0};
    /// Pending reports beyond this are coalesced (oldest unsent first), never dropped.
    std::size_t spool_max_reports = 500;

    // [mdm]
    /// Drop folder of the MDM's device export; the newest file of `format` in it is read.
    std::filesystem::path export_dir = "mdm-export";
    ExportFormat format = ExportFormat::csv;
    ColumnMapping mapping = ColumnMapping::jamf_school;
    /// Unit of a storage value given without one: "B", "KB", "MB", "GB", "TB" (decimal, as Apple
    /// reports capacity). Empty: the mapping's default (jamf-school GB, relution B, custom MB).
    std::string storage_unit;
    CustomColumns columns;  ///< [mdm.columns]; used only with mapping "custom"

    // [network]
    std::filesystem::path dnsmasq_leases;  ///< empty: not read
    /// dnsmasq records only a lease's expiry; the renewal time is the expiry minus this.
    std::chrono::seconds dnsmasq_lease_time{3600};
    std::filesystem::path dhcpd_leases;                 ///< empty: not read
    std::filesystem::path arp_table = "/proc/net/arp";  ///< empty: not read

    // [log]
    std::string log_level = "info";

    /// The effective backoff cap: max_backoff, or `current_interval` when max_backoff is 0.
    std::chrono::seconds backoff_cap(std::chrono::seconds current_interval) const;
};

/// A configuration error: names the file and the key and says what was expected.
using ConfigError = pakt::ConfigError;

/// Every key load_config accepts, dotted: "agent.interval_s", "mdm.columns.serial" (the manual,
/// pakt-agent.toml(5), is checked against it).
std::vector<std::string> config_keys();

/// Reads `file` over the defaults. Unknown tables or keys, wrong types and out-of-range values
/// throw ConfigError("<file>: key 'agent.interval_s': expected an integer from 60 to 86400, got
/// 5"); a TOML syntax error names the file, line and column.
AgentConfig load_config(const std::filesystem::path& file);

}  // namespace pakt::agent
