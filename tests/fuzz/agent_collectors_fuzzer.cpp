// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// The site agent's collectors (agent/collectors): files that a third party wrote on the school's
// server. The first byte chooses the reader ('0'..'7', taken modulo 8):
//   0 MDM CSV export, Jamf School columns     1 MDM CSV export, Relution columns
//   2 MDM JSON export, Relution columns       3 MDM JSON export, Jamf School columns
//   4 dnsmasq leases                          5 ISC dhcpd leases
//   6 /proc/net/arp neighbour table           7 MDM CSV export, custom columns
// and the rest is the file. What a reader returns is joined with a fixed counterpart (network
// sightings for an export, MDM devices for a network file), as a cycle does. Properties: never
// throws; serials and MACs come out normalised; observations are unique per serial, sorted, and
// never seen later than `now`.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "agent/collectors.hpp"
#include "agent/config.hpp"
#include "agent/export_values.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace {

namespace agent = pakt::agent;
using pakt::fuzz::require;

// A fixed instant, so every run of an input behaves the same: 2026-03-02T08:00:00Z.
const pakt::Clock::time_point kNow = pakt::Clock::time_point(std::chrono::seconds(1772438400));

agent::ExportColumns columns_for(agent::ColumnMapping mapping) {
    agent::AgentConfig config;
    config.mapping = mapping;
    return agent::export_columns(config);
}

const std::vector<agent::NetworkSighting>& fixed_sightings() {
    static const std::vector<agent::NetworkSighting> sightings = {
        {"aa:bb:cc:00:00:01", "10.0.0.1", kNow - std::chrono::minutes(5), true,
         agent::SightingSource::dhcp_lease},
        {"aa:bb:cc:00:00:02", "10.0.0.2", kNow, true, agent::SightingSource::neighbour_table},
        {"aa:bb:cc:00:00:03", "10.0.0.3", kNow - std::chrono::hours(48), false,
         agent::SightingSource::dhcp_lease},
    };
    return sightings;
}

const std::vector<agent::MdmDevice>& fixed_devices() {
    static const std::vector<agent::MdmDevice> devices = [] {
        std::vector<agent::MdmDevice> out(3);
        out[0].serial = "DMPXK1ABCDEF";
        out[0].wifi_mac = "aa:bb:cc:00:00:01";
        out[1].serial = "DMPXK2ABCDEF";
        out[1].wifi_mac = "aa:bb:cc:00:00:02";
        out[2].serial = "DMPXK3ABCDEF";
        out[2].last_contact = kNow - std::chrono::hours(1);
        return out;
    }();
    return devices;
}

void check_devices(const std::vector<agent::MdmDevice>& devices) {
    for (const auto& device : devices) {
        require(agent::normalize_serial(device.serial) == device.serial,
                "an exported serial comes out normalised");
        if (device.wifi_mac) {
            require(agent::normalize_mac(*device.wifi_mac) == *device.wifi_mac,
                    "an exported MAC comes out normalised");
        }
        if (device.battery_pct) {
            require(*device.battery_pct >= 0 && *device.battery_pct <= 100, "battery in 0..100");
        }
        if (device.storage_free_mb) require(*device.storage_free_mb >= 0, "storage >= 0");
    }
}

void check_sightings(const std::vector<agent::NetworkSighting>& sightings) {
    for (const auto& sighting : sightings) {
        require(agent::normalize_mac(sighting.mac) == sighting.mac, "a seen MAC is normalised");
    }
}

void check_join(const agent::JoinResult& join) {
    for (std::size_t i = 0; i < join.observations.size(); ++i) {
        const auto& observation = join.observations[i];
        if (i > 0) {
            require(join.observations[i - 1].serial_number < observation.serial_number,
                    "observations are sorted and unique by serial");
        }
        const auto seen = pakt::parse_rfc3339(observation.seen_at);
        require(seen.has_value(), "seen_at is RFC 3339");
        require(*seen <= kNow, "a device is never seen later than now");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const unsigned selector = static_cast<std::uint8_t>(data[0] - '0') % 8u;
    const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
    agent::Diagnostics diagnostics;

    std::vector<agent::MdmDevice> devices;
    std::vector<agent::NetworkSighting> sightings;
    switch (selector) {
        case 0:
            devices = agent::parse_mdm_csv(
                text, "export.csv", columns_for(agent::ColumnMapping::jamf_school), diagnostics);
            break;
        case 1:
            devices = agent::parse_mdm_csv(
                text, "export.csv", columns_for(agent::ColumnMapping::relution), diagnostics);
            break;
        case 2:
            devices = agent::parse_mdm_json(
                text, "export.json", columns_for(agent::ColumnMapping::relution), diagnostics);
            break;
        case 3:
            devices = agent::parse_mdm_json(
                text, "export.json", columns_for(agent::ColumnMapping::jamf_school), diagnostics);
            break;
        case 4:
            sightings = agent::parse_dnsmasq_leases(text, "dnsmasq.leases",
                                                    std::chrono::seconds(3600), kNow, diagnostics);
            break;
        case 5:
            sightings = agent::parse_dhcpd_leases(text, "dhcpd.leases", kNow, diagnostics);
            break;
        case 6:
            sightings = agent::parse_arp_table(text, "arp", kNow, diagnostics);
            break;
        default:
            devices = agent::parse_mdm_csv(text, "export.csv",
                                           columns_for(agent::ColumnMapping::custom), diagnostics);
            break;
    }
    diagnostics.finish();
    check_devices(devices);
    check_sightings(sightings);
    const agent::JoinResult join = devices.empty()
                                       ? agent::join_observations(fixed_devices(), sightings, kNow)
                                       : agent::join_observations(devices, fixed_sightings(), kNow);
    check_join(join);
    return 0;
}
