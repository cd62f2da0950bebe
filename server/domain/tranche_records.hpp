// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// Tranches (deliveries), their manifests, the rollout funnel and reconciliation.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "server/domain/manifest.hpp"

namespace pakt::server {

struct Tranche {
    std::int64_t id = 0;
    std::string school_number;
    std::int64_t grant_id = 0;
    std::string supplier;
    std::string order_number;
    std::string delivery_note;
    std::string delivered_on;
    std::string model;
    std::int64_t unit_price_cents = 0;
    std::int64_t expected_count = 0;
    std::string created_at;
    std::string updated_at;
    std::string grant_reference;  ///< read only: the grant's reference (Aktenzeichen)
    std::string programme_code;   ///< read only: the grant's programme
};

struct TrancheFilter {
    std::optional<std::vector<std::string>> schools;  ///< the caller's scope (nullopt: all)
    std::optional<std::string> school_number;
    std::optional<std::int64_t> grant_id;
    std::int64_t after_id = 0;
    int limit = 50;
};

/// The rollout funnel of a tranche.
struct TrancheProgress {
    std::int64_t expected = 0;
    std::int64_t in_manifest = 0;
    std::int64_t enrolled = 0;
    std::int64_t managed = 0;           ///< enrolled, last reported as managed by the MDM
    std::int64_t seen_last_7_days = 0;  ///< enrolled, reported by an agent since `seen_since`
    std::int64_t loaned = 0;            ///< enrolled, on loan now
    std::int64_t missing = 0;           ///< in the manifest, not enrolled
};

/// The manifest row listing `serial` and the tranche it belongs to, if any.
struct ManifestEntry {
    std::int64_t tranche_id = 0;
    ManifestRow row;  ///< line is 0: not stored
};

struct Reconciliation {
    std::vector<std::string> missing;     ///< in the manifest, not enrolled
    std::vector<std::string> unexpected;  ///< enrolled into the tranche, not in its manifest
    std::vector<std::string> not_seen;    ///< enrolled, not reported by an agent since `seen_since`
};

}  // namespace pakt::server
