// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// Devices, their latest agent report, loans and device events.
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace pakt::server {

struct Device {
    std::string serial_number;
    std::int64_t tranche_id = 0;
    std::string school_number;
    std::string asset_tag;
    std::string model;
    std::string status = "in_storage";
    std::string location;
    std::string note;
    bool off_manifest = false;
    std::optional<std::string> retired_reason;
    std::string enrolled_at;
    std::string enrolled_by;
    std::string updated_at;
};

struct DeviceReport {
    std::int64_t agent_id = 0;
    std::string seen_at;
    std::optional<std::string> os_version;
    std::optional<std::int64_t> battery_pct;
    std::optional<std::int64_t> storage_free_mb;
    std::optional<bool> managed;
    std::optional<std::string> ip_address;
};

struct DeviceFilter {
    std::optional<std::vector<std::string>> schools;  ///< the caller's scope (nullopt: all)
    std::optional<std::string> school_number;
    std::optional<std::int64_t> tranche_id;
    std::optional<std::int64_t> grant_id;  ///< only devices of the grant's tranches
    /// Set by list_devices when the grant has many enrolled devices (10,000): the list then
    /// walks the serial-number order and keeps the grant's devices, rather than reading every
    /// device of the grant through its tranches and sorting them for one page.
    bool large_grant = false;
    std::optional<std::string> status;
    /// `q` of the API: devices whose serial number starts with `serial_prefix` or whose asset tag
    /// starts with `asset_tag_prefix` (set both or neither).
    std::optional<std::string> serial_prefix;
    std::optional<std::string> asset_tag_prefix;
    std::optional<std::string> stale_before;  ///< only devices not reported since then
    /// Only devices in service (not retired) that no agent reported since then, or ever.
    std::optional<std::string> unseen_since;
    bool on_loan = false;  ///< only devices with an open loan
    std::string after;     ///< keyset: serial numbers > after
    int limit = 50;
};

struct Loan {
    std::int64_t id = 0;
    std::string serial_number;
    std::string school_number;
    std::string borrower_ref;
    std::string borrower_kind;
    std::string agreement_ref;
    std::optional<std::string> due_on;
    std::string started_at;
    std::string started_by;
    std::optional<std::string> returned_at;
    std::optional<std::string> return_condition;
    std::string return_note;
    std::optional<std::string> returned_by;
    std::string accessories;          ///< what was handed over with the device
    std::string pre_existing_damage;  ///< damage the device had when it was handed over
};

/// Which loans a list shows.
enum class LoanState { current, overdue, returned };

struct LoanFilter {
    std::optional<std::vector<std::string>> schools;  ///< the caller's scope (nullopt: all)
    std::optional<std::string> school_number;
    LoanState state = LoanState::current;
    std::string today;           ///< YYYY-MM-DD: overdue means due before this day
    std::int64_t before_id = 0;  ///< keyset: loans with a smaller id (0: from the newest)
    int limit = 50;
};

/// A loan with what a list shows of its device.
struct LoanListRow {
    Loan loan;
    std::string asset_tag;
    std::string model;
};

/// What a school's overview counts.
struct SchoolLoanCounts {
    std::int64_t on_loan = 0;
    std::int64_t overdue = 0;  ///< on loan with a due date before `today`
};

struct DeviceEvent {
    std::int64_t id = 0;
    std::string serial_number;
    std::string at;
    std::string kind;
    std::string actor;
    nlohmann::json detail;
};

}  // namespace pakt::server
