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
#include <vector>

#include "server/config.hpp"
#include "server/connectors/vendor_client.hpp"
#include "server/domain/connector_records.hpp"

namespace pakt::server::connectors {

/// HTTP effort of one fetch, for the run's record.
struct CallStats {
    std::int64_t calls = 0;
    std::int64_t retries = 0;
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
