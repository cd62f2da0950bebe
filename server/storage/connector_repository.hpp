#pragma once
// What connectors store: runs, Apple School Manager's devices, MDM device states and the unknown
// sightings MDMs report.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "server/domain/connector_records.hpp"

namespace SQLite {
class Database;
}

namespace pakt::server {

std::int64_t insert_connector_run(SQLite::Database& db, const ConnectorRun& run);
/// The connector's runs, newest first, with id < `before_id` (0: from the newest).
std::vector<ConnectorRun> list_connector_runs(SQLite::Database& db, const std::string& connector,
                                              std::int64_t before_id, int limit);
/// Finish time of the connector's newest successful run, if any.
std::optional<std::string> last_successful_run_at(SQLite::Database& db,
                                                  const std::string& connector);

/// A device as stored from Apple School Manager, with the tranche its order matched.
struct StoredAsmDevice {
    AsmDevice device;
    std::optional<std::int64_t> tranche_id;
};
std::optional<StoredAsmDevice> find_asm_device(SQLite::Database& db, const std::string& serial);
/// Inserts or replaces the device's row (first_synced_at kept).
void upsert_asm_device(SQLite::Database& db, const AsmDevice& device,
                       std::optional<std::int64_t> tranche_id, const std::string& now);
/// Serials of the tranche (in its manifest or enrolled into it) that Apple School Manager
/// reports as released from the organisation, sorted.
std::vector<std::string> released_serials_of_tranche(SQLite::Database& db, std::int64_t tranche_id);

/// A tranche's order numbers as entered, for matching Apple's orders.
struct TrancheOrder {
    std::int64_t tranche_id = 0;
    std::string order_number;
    std::int64_t expected_count = 0;
};
std::vector<TrancheOrder> tranches_with_order_numbers(SQLite::Database& db);

/// The MDM's last stored state of a device, if it reported one.
std::optional<MdmDevice> find_mdm_state(SQLite::Database& db, const std::string& serial,
                                        const std::string& source);
void upsert_mdm_state(SQLite::Database& db, const MdmDevice& device, const std::string& source,
                      const std::string& now);

/// Removes the state and the unknown sightings the MDM `source` reported for any serial not in
/// `listed` (what a complete run no longer lists); returns how many states were removed.
std::int64_t forget_unlisted_mdm_devices(SQLite::Database& db, const std::string& source,
                                         const std::vector<std::string>& listed);

/// True if the device's history has an event of `kind`.
bool has_device_event(SQLite::Database& db, const std::string& serial, const std::string& kind);

/// Records that the MDM `source` manages `serial` at `school`, which has no enrollment for it;
/// the sighting the same MDM recorded at any other school is removed (the device moved).
void record_mdm_unknown_sighting(SQLite::Database& db, const std::string& school,
                                 const std::string& serial, const std::string& seen_at,
                                 const std::optional<std::string>& os_version,
                                 const std::string& source);

}  // namespace pakt::server
