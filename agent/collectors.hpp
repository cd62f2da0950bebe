// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// The agent's collectors and their join (DOMAIN.md, "The site agent"): the MDM's device export
// says which devices exist and in what state, the DHCP leases and the neighbour table say which
// Wi-Fi MACs are on the school network; joined by Wi-Fi MAC they give one DeviceObservation per
// serial number.
//
// Every parser reads text that a third party wrote. None of them throws on bad input: a
// malformed line or value is skipped and described in Diagnostics (naming the file and line),
// and the rest is read. Functions are pure unless stated; `now` is passed in so tests control it.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/config.hpp"
#include "agent/export_values.hpp"
#include "common/checkin_report.hpp"
#include "common/time.hpp"

namespace pakt::agent {

/// Warnings about input that was skipped or read only in part. A file with thousands of bad
/// lines yields `max_per_source` line warnings plus one summary, so a broken export cannot flood
/// the log.
class Diagnostics {
  public:
    explicit Diagnostics(std::size_t max_per_source = 20) : max_per_source_(max_per_source) {}

    /// A warning about `source` (a file name); counted, kept if under the limit for `source`.
    void warn(const std::string& source, const std::string& message);
    /// Appends "<source>: N more warnings not shown" lines for sources over the limit.
    void finish();

    const std::vector<std::string>& warnings() const { return warnings_; }

  private:
    std::size_t max_per_source_;
    std::vector<std::pair<std::string, std::size_t>> counts_;
    std::vector<std::string> warnings_;
};

/// One device as the MDM export describes it.
struct MdmDevice {
    std::string serial;                   ///< normalize_serial form
    std::optional<std::string> wifi_mac;  ///< normalize_mac form
    std::optional<std::string> os_version;
    std::optional<std::int64_t> battery_pct;
    std::optional<std::int64_t> storage_free_mb;
    std::optional<bool> managed;
    std::optional<Clock::time_point> last_contact;
};

/// For each device field, the column names (CSV header or JSON key, compared case-insensitively
/// after trimming) that may hold it; the first one present in the export is used.
struct ExportColumns {
    std::vector<std::string> serial;
    std::vector<std::string> wifi_mac;
    std::vector<std::string> os_version;
    std::vector<std::string> battery;
    std::vector<std::string> storage_free;
    std::vector<std::string> managed;
    std::vector<std::string> last_contact;
    StorageUnit bare_storage_unit = StorageUnit::megabytes;
};

/// The columns for the configured mapping (jamf-school, relution or custom [mdm.columns]) and
/// the storage unit ([mdm] storage_unit, else the mapping's default).
ExportColumns export_columns(const AgentConfig& config);

/// Parses a CSV device export (',' or ';' separated, header first). Rows whose field count
/// differs from the header's, or without a valid serial number, are skipped with a warning; an
/// unreadable value leaves that field empty (one summary warning per field). When a serial
/// appears twice, the row with the newer last contact wins. `source` names the file in warnings.
std::vector<MdmDevice> parse_mdm_csv(std::string_view text, const std::string& source,
                                     const ExportColumns& columns, Diagnostics& diagnostics);

/// Parses a JSON device export: an array of objects, or an object with such an array under
/// "devices", "results", "items" or "data". Values may be strings, numbers or booleans; a dotted
/// column name ("os.version") reaches into nested objects. Otherwise as parse_mdm_csv.
std::vector<MdmDevice> parse_mdm_json(std::string_view text, const std::string& source,
                                      const ExportColumns& columns, Diagnostics& diagnostics);

/// The newest regular file in `dir` with the format's extension (.csv or .json, any case), by
/// modification time, then name. Hidden files and names ending in ".tmp", ".part" or "~" (an
/// export still being written) are ignored. nullopt if there is none or `dir` is unreadable.
std::optional<std::filesystem::path> newest_export(const std::filesystem::path& dir,
                                                   ExportFormat format);

/// Where a network sighting came from.
enum class SightingSource { dhcp_lease, neighbour_table };

/// A Wi-Fi MAC the network knows about.
struct NetworkSighting {
    std::string mac;            ///< normalize_mac form
    std::string ip_address;     ///< the address leased or seen
    Clock::time_point seen_at;  ///< lease (re)start, or `now` for a neighbour entry
    bool present = false;  ///< on the network now: an unexpired, active lease or a neighbour entry
    SightingSource source = SightingSource::dhcp_lease;
};

/// dnsmasq's lease file: "<expiry epoch> <mac> <ip> <hostname> <client-id>" per line (expiry 0 =
/// infinite). dnsmasq stores only the expiry, so seen_at is expiry - `lease_time` (when the lease
/// was last granted), at most `now`. Lines after "duid ..." are DHCPv6 leases without a MAC and
/// are ignored. Hardware-type prefixes ("1-aa:bb:...") are stripped.
std::vector<NetworkSighting> parse_dnsmasq_leases(std::string_view text, const std::string& source,
                                                  std::chrono::seconds lease_time,
                                                  Clock::time_point now, Diagnostics& diagnostics);

/// ISC dhcpd's dhcpd.leases journal: `lease <ip> { starts <dow> YYYY/MM/DD HH:MM:SS; ends ...;
/// cltt ...; binding state active; hardware ethernet <mac>; ... }` blocks (times UTC, or "epoch
/// N"). The journal appends, so the last block for an address wins. seen_at is the newer of
/// starts and cltt; present means binding state active and not yet ended. Other top-level blocks
/// (host, failover, ia-na, ...) are skipped.
std::vector<NetworkSighting> parse_dhcpd_leases(std::string_view text, const std::string& source,
                                                Clock::time_point now, Diagnostics& diagnostics);

/// The kernel's neighbour table in /proc/net/arp format (a header line, then "IP HW-type Flags
/// HW-address Mask Device"). Only complete entries (flag 0x2) count; they are present, seen `now`.
std::vector<NetworkSighting> parse_arp_table(std::string_view text, const std::string& source,
                                             Clock::time_point now, Diagnostics& diagnostics);

/// The result of joining the MDM devices with the network sightings.
struct JoinResult {
    std::vector<DeviceObservation> observations;  ///< one per serial, sorted by serial
    std::size_t on_network = 0;        ///< observations whose device is on the network now
    std::size_t without_sighting = 0;  ///< MDM devices with neither a sighting nor a last contact
    std::size_t mac_only = 0;          ///< network MACs no MDM device has: cannot be reported
    std::size_t ambiguous_macs = 0;    ///< Wi-Fi MACs that several MDM devices claim
};

/// Joins by Wi-Fi MAC. A device on the network is seen at its newest present sighting, with the
/// neighbour table's address if it has one, else the newest active lease's. A device not on the
/// network is seen at the newest of its MDM last contact and any stale lease, without an address.
/// A device with neither is left out (counted). seen_at is never later than `now`. A MAC that
/// several MDM devices claim is not matched to any of them.
JoinResult join_observations(const std::vector<MdmDevice>& devices,
                             const std::vector<NetworkSighting>& sightings, Clock::time_point now);

/// One cycle's collection: every configured source read and joined.
struct Collection {
    std::optional<std::filesystem::path> export_file;  ///< the MDM export read, if any
    std::size_t mdm_devices = 0;
    std::size_t sightings = 0;
    JoinResult join;
};

/// Reads the newest MDM export and the configured network files and joins them. A missing or
/// unreadable source is a warning in `diagnostics`, never an exception: the cycle reports what
/// it could see.
Collection collect(const AgentConfig& config, Clock::time_point now, Diagnostics& diagnostics);

}  // namespace pakt::agent
