#pragma once
// What connectors store: runs, Apple School Manager's devices, MDM device states and the unknown
// sightings MDMs report.
// The SQL behind ConnectorRepository (server/domain/repositories.hpp, where each function
// is documented), over one connection.
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
std::vector<ConnectorRun> list_connector_runs(SQLite::Database& db, const std::string& connector,
                                              std::int64_t before_id, int limit);
std::optional<std::string> last_successful_run_at(SQLite::Database& db,
                                                  const std::string& connector);

std::optional<StoredAsmDevice> find_asm_device(SQLite::Database& db, const std::string& serial);
void upsert_asm_device(SQLite::Database& db, const AsmDevice& device,
                       std::optional<std::int64_t> tranche_id, const std::string& now);
std::vector<std::string> released_serials_of_tranche(SQLite::Database& db, std::int64_t tranche_id);

std::vector<TrancheOrder> tranches_with_order_numbers(SQLite::Database& db);

std::optional<MdmDevice> find_mdm_state(SQLite::Database& db, const std::string& serial,
                                        const std::string& source);
void upsert_mdm_state(SQLite::Database& db, const MdmDevice& device, const std::string& source,
                      const std::string& now);

std::int64_t forget_unlisted_mdm_devices(SQLite::Database& db, const std::string& source,
                                         const std::vector<std::string>& listed);

bool has_device_event(SQLite::Database& db, const std::string& serial, const std::string& kind);

void record_mdm_unknown_sighting(SQLite::Database& db, const std::string& school,
                                 const std::string& serial, const std::string& seen_at,
                                 const std::optional<std::string>& os_version,
                                 const std::string& source);

}  // namespace pakt::server
