// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// A municipality's fleet at the scale of an export test or benchmark (200,000 devices by
// default), written straight into a database file before paktd starts: schools, one grant,
// tranches, enrolled devices in a mix of states, open loans, the agents' latest device reports,
// an enrolled agent per school and a city_admin. One transaction and prepared statements, so
// seeding 200,000 devices takes seconds.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "common/checkin_report.hpp"
#include "server/storage/sql/db.hpp"

namespace pakt::test {

struct LargeFleetPlan {
    std::size_t devices = 200'000;      ///< enrolled devices, spread evenly over the schools
    unsigned schools = 8;               ///< numbered 100000, 100001, ...
    unsigned tranches_per_school = 2;   ///< each school's devices split between its tranches
    unsigned reported_per_mille = 750;  ///< devices an agent has reported
    unsigned loaned_per_mille = 20;     ///< devices on an open loan
    std::size_t checkin_devices = 500;  ///< devices in fleet_checkin_report (of the first school)
};

struct LargeFleet {
    std::string admin_username;
    std::string admin_password;
    std::string node_key;                    ///< of the first school's agent
    std::string agent_school;                ///< the first school
    std::vector<std::string> agent_serials;  ///< the devices the first school's agent reports
    /// Every serial number in the inventory report's order (school number, then serial number).
    std::vector<std::string> serials_in_report_order;
};

/// Creates and migrates `database_file` (which must not exist) and seeds `plan` into it.
/// Throws on any database error.
LargeFleet seed_large_fleet(const std::filesystem::path& database_file, const LargeFleetPlan& plan);
/// The same into the (migrated here) database `db`, SQLite or PostgreSQL.
LargeFleet seed_large_fleet(server::sql::Db db, const LargeFleetPlan& plan);

/// A report from the first school's agent seeing its `agent_serials` now, with a fresh report id.
/// paktd accepts every device of it.
CheckinReport fleet_checkin_report(const LargeFleet& fleet);

}  // namespace pakt::test
