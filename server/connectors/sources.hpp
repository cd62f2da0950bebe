// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// The vendor APIs behind one interface each: a source fetches everything it has in one run
// (all pages) or throws SyncFailed, so a sync applies a complete picture or nothing.
//
// Built against (see README "Connectors"):
// - Apple School Manager API v1: OAuth 2 client credentials with an ES256 client assertion
//   (RFC 7523) at account.apple.com, then GET /v1/orgDevices, paged by cursor.
// - Jamf School API, protocol version 3: Basic authentication with network ID and API key,
//   GET /devices and GET /locations.
// - Relution REST API v2: X-User-Access-Token, GET /api/v2/devices paged by offset and limit.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "common/time.hpp"
#include "server/config.hpp"
#include "server/connectors/vendor_client.hpp"
#include "server/domain/connector_records.hpp"

namespace pakt::server::connectors {

/// HTTP effort of one fetch, for the run's record.
struct CallStats {
    std::int64_t calls = 0;
    std::int64_t retries = 0;
    std::int64_t waited_ms = 0;  ///< time spent waiting before retries (Retry-After, backoff)
};

/// Apple School Manager: every device of the organisation.
class AsmSource {
  public:
    virtual ~AsmSource() = default;
    /// All devices, or SyncFailed. `invalid` receives the serial numbers Apple listed that are
    /// not serial numbers Pakt accepts.
    virtual std::vector<AsmDevice> fetch(std::stop_token stop, CallStats& stats,
                                         std::vector<std::string>& invalid) = 0;
};

/// An MDM: every device it manages, with the location ids it files them under and those
/// locations' names (for matching a location to a school by the school number in its name).
struct MdmSnapshot {
    std::vector<MdmDevice> devices;
    std::map<std::string, std::string> location_names;  ///< location id -> name
    std::vector<std::string> invalid;  ///< serials listed that Pakt does not accept
};

class MdmSource {
  public:
    virtual ~MdmSource() = default;
    virtual MdmSnapshot fetch(std::stop_token stop, CallStats& stats) = 0;
};

/// One page of GET /v1/orgDevices: its devices (serials normalised; those Pakt does not accept
/// in `invalid`) and the next page's cursor ("" on the last page).
struct AsmPage {
    std::vector<AsmDevice> devices;
    std::vector<std::string> invalid;
    std::string next_cursor;
};
/// One page of Relution's GET /api/v2/devices.
struct RelutionPage {
    std::vector<MdmDevice> devices;
    std::vector<std::string> invalid;
    std::int64_t total = 0;   ///< devices in all pages
    std::size_t results = 0;  ///< entries in this page, skipped ones included
};

/// The parsers of the vendors' answers (bytes from outside: fuzzed). Each throws SyncFailed if
/// the body is not JSON of the documented shape; unknown members are ignored.
AsmPage parse_asm_page(std::string_view body);
MdmSnapshot parse_jamf_school(std::string_view devices_body, std::string_view locations_body);
RelutionPage parse_relution_page(std::string_view body, Clock::time_point now);

/// The real APIs. The access token of Apple's API is kept between runs until shortly before it
/// expires.
std::unique_ptr<AsmSource> make_asm_source(const AsmSettings& settings, const CallPolicy& policy);
std::unique_ptr<MdmSource> make_jamf_school_source(const JamfSchoolSettings& settings,
                                                   const CallPolicy& policy);
std::unique_ptr<MdmSource> make_relution_source(const RelutionSettings& settings,
                                                const CallPolicy& policy);

/// How long Jamf School and Relution may go without an MDM check-in before Pakt counts a device
/// as unmanaged (Jamf School's own rule for isManaged).
inline constexpr auto kManagedCheckinWindow = std::chrono::hours(24 * 7);

}  // namespace pakt::server::connectors
