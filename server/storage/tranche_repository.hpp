// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
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
#include "server/storage/sql/db.hpp"

namespace pakt::server {

std::int64_t insert_tranche(sql::Db db, const Tranche& tranche);
std::optional<Tranche> find_tranche(sql::Db db, std::int64_t id);
void update_tranche(sql::Db db, const Tranche& tranche);
std::vector<Tranche> list_tranches(sql::Db db, const TrancheFilter& filter);

TrancheProgress tranche_progress(sql::Db db, std::int64_t tranche_id,
                                 const std::string& seen_since);

std::optional<std::int64_t> manifest_tranche_of(sql::Db db, const std::string& serial);
std::optional<ManifestEntry> find_manifest_entry(sql::Db db, const std::string& serial);
std::int64_t manifest_size(sql::Db db, std::int64_t tranche_id);
void insert_manifest_entries(sql::Db db, std::int64_t tranche_id,
                             const std::vector<ManifestRow>& rows);

Reconciliation reconcile_tranche(sql::Db db, std::int64_t tranche_id,
                                 const std::string& seen_since);

}  // namespace pakt::server
