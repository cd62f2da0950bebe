#pragma once
// Tranches (deliveries), their manifests, the rollout funnel and reconciliation.
// The SQL behind TrancheRepository (server/domain/repositories.hpp, where each function
// is documented), over one connection.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "server/domain/manifest.hpp"
#include "server/domain/tranche_records.hpp"

namespace SQLite {
class Database;
}

namespace pakt::server {

std::int64_t insert_tranche(SQLite::Database& db, const Tranche& tranche);
std::optional<Tranche> find_tranche(SQLite::Database& db, std::int64_t id);
void update_tranche(SQLite::Database& db, const Tranche& tranche);
std::vector<Tranche> list_tranches(SQLite::Database& db, const TrancheFilter& filter);

TrancheProgress tranche_progress(SQLite::Database& db, std::int64_t tranche_id,
                                 const std::string& seen_since);

std::optional<std::int64_t> manifest_tranche_of(SQLite::Database& db, const std::string& serial);
std::optional<ManifestEntry> find_manifest_entry(SQLite::Database& db, const std::string& serial);
std::int64_t manifest_size(SQLite::Database& db, std::int64_t tranche_id);
void insert_manifest_entries(SQLite::Database& db, std::int64_t tranche_id,
                             const std::vector<ManifestRow>& rows);

Reconciliation reconcile_tranche(SQLite::Database& db, std::int64_t tranche_id,
                                 const std::string& seen_since);

}  // namespace pakt::server
