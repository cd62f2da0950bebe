// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// How what a vendor API listed becomes Pakt's data. Each function runs on the writer inside one
// transaction: it applies everything or, by throwing, nothing.
#include <map>
#include <string>
#include <vector>

#include "server/domain/connector_records.hpp"
#include "server/storage/sql/db.hpp"

namespace pakt::server::connectors {

/// The order numbers a tranche's order_number field holds: several may be given, separated by
/// commas, semicolons or white space. Each normalised by normalize_order_number; empty ones
/// dropped.
std::vector<std::string> split_order_numbers(const std::string& field);

/// An order number as compared: upper-case, without spaces, hyphens and leading zeros, so
/// "0012-3456" on a delivery note matches Apple's "123456".
std::string normalize_order_number(const std::string& order);

/// Apple School Manager's devices into delivery lists (see README "Connectors" for the rules):
/// each device whose order number matches exactly one tranche's order numbers joins that
/// tranche's manifest by the rules of a CSV upload, conflicts are reported instead of applied, a
/// release from the organisation becomes a device event. Every device is stored in asm_devices.
SyncOutcome apply_asm_sync(sql::Db db, const std::vector<AsmDevice>& devices,
                           const std::string& now);

/// An MDM's devices: enrolled devices get the MDM's state (managed, OS, battery, last MDM
/// check-in) with device events for changes; devices Pakt has no enrollment for become unknown
/// sightings at the school their location maps to. `source` is "jamf_school" or "relution".
/// A location maps through `explicit_map` (location id -> school number), else through a school
/// number of a known school in the location's name.
SyncOutcome apply_mdm_sync(sql::Db db, const std::string& source, std::vector<MdmDevice> devices,
                           const std::map<std::string, std::string>& explicit_map,
                           const std::map<std::string, std::string>& location_names,
                           const std::string& now);

/// The most conflicts a run records (the rest are counted in counts.more_conflicts).
inline constexpr std::size_t kMaxRecordedConflicts = 50;

}  // namespace pakt::server::connectors
