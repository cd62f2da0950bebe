// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
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
#include "server/storage/sql/db.hpp"

namespace pakt::server {

std::int64_t insert_connector_run(sql::Db db, const ConnectorRun& run);
std::vector<ConnectorRun> list_connector_runs(sql::Db db, const std::string& connector,
                                              std::int64_t before_id, int limit);
std::optional<std::string> last_successful_run_at(sql::Db db, const std::string& connector);

std::optional<StoredAsmDevice> find_asm_device(sql::Db db, const std::string& serial);
void upsert_asm_device(sql::Db db, const AsmDevice& device, std::optional<std::int64_t> tranche_id,
                       const std::string& now);
std::vector<std::string> released_serials_of_tranche(sql::Db db, std::int64_t tranche_id);

std::vector<TrancheOrder> tranches_with_order_numbers(sql::Db db);

std::optional<MdmDevice> find_mdm_state(sql::Db db, const std::string& serial,
                                        const std::string& source);
void upsert_mdm_state(sql::Db db, const MdmDevice& device, const std::string& source,
                      const std::string& now);

std::int64_t forget_unlisted_mdm_devices(sql::Db db, const std::string& source,
                                         const std::vector<std::string>& listed);

bool has_device_event(sql::Db db, const std::string& serial, const std::string& kind);

void record_mdm_unknown_sighting(sql::Db db, const std::string& school, const std::string& serial,
                                 const std::string& seen_at,
                                 const std::optional<std::string>& os_version,
                                 const std::string& source);

}  // namespace pakt::server
