// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// What the connectors read from vendor APIs, in Pakt's terms and vendor-neutral: a device as
// Apple School Manager lists it, a device as an MDM reports it, and a connector run's record.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace pakt::server {

/// The connectors Pakt has, by the name used in paktd.toml, the API and the database.
inline constexpr const char* kConnectorNames[] = {"asm", "jamf_school", "relution"};

/// One device of the organisation in Apple School Manager.
struct AsmDevice {
    std::string serial_number;  ///< normalised (upper-case)
    std::string order_number;   ///< as Apple lists it
    std::optional<std::string> order_date_time;
    std::string part_number;
    std::string device_model;
    std::string product_family;
    std::string status;  ///< ASSIGNED / UNASSIGNED (to an MDM server)
    std::optional<std::string> added_to_org_at;
    std::optional<std::string> released_from_org_at;  ///< set once released from the organisation
};

/// One device as an MDM reports it.
struct MdmDevice {
    std::string serial_number;  ///< normalised (upper-case)
    std::string mdm_id;         ///< the MDM's own id (Jamf School UDID, Relution UUID)
    std::string location;       ///< the MDM's location or organisation id
    std::optional<std::string> school_number;  ///< the school `location` maps to, if any
    bool managed = false;  ///< enrolled in the MDM and checking in (Jamf: within 7 days)
    std::optional<std::string> os_version;
    std::optional<std::int64_t> battery_pct;
    std::optional<std::string> asset_tag;
    std::optional<std::string> last_checkin_at;  ///< RFC 3339 UTC
};

/// Something a sync could not apply and a person has to look at (a serial in another
/// tranche, an order number matching two tranches, ...). Not an error: the rest is applied.
struct SyncConflict {
    std::string serial_number;  ///< empty when the conflict is about an order or a tranche
    std::string order_number;
    std::int64_t tranche_id = 0;  ///< 0: none
    std::string message;
};

/// What a successful sync read and changed.
struct SyncOutcome {
    nlohmann::json counts = nlohmann::json::object();
    std::vector<SyncConflict> conflicts;
};

/// A finished run of a connector, as stored.
struct ConnectorRun {
    std::int64_t id = 0;
    std::string connector;
    std::string trigger;  ///< schedule, manual
    std::string requested_by;
    std::string started_at;
    std::string finished_at;
    std::string outcome;  ///< ok, failed
    std::int64_t calls = 0;
    std::int64_t retries = 0;
    nlohmann::json counts = nlohmann::json::object();
    nlohmann::json conflicts = nlohmann::json::array();
    std::optional<std::string> error;
};

/// A device as stored from Apple School Manager, with the tranche its order matched.
struct StoredAsmDevice {
    AsmDevice device;
    std::optional<std::int64_t> tranche_id;
};

/// A tranche's order numbers as entered, for matching Apple's orders.
struct TrancheOrder {
    std::int64_t tranche_id = 0;
    std::string order_number;
    std::int64_t expected_count = 0;
};

}  // namespace pakt::server
