// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// The rules of a device's life in inventory: which serial numbers a tranche takes (enrollment),
// and which status changes are allowed (a lent device stays out of storage until its return; a
// device bought with a grant still within its earmarking period is retired only with a reason
// and a note, which the audit entry marks as an exception).
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "server/domain/inventory.hpp"
#include "server/domain/repositories.hpp"

namespace pakt::server {

/// What enrolling one serial number did. Each serial stands alone: a refusal is an outcome.
struct EnrollOutcome {
    std::string status;   ///< enrolled | already_enrolled | rejected
    std::string reason;   ///< for rejected: invalid_serial, enrolled_elsewhere, in_other_manifest,
                          ///< not_on_manifest, tranche_full
    std::string message;  ///< in words, for the person scanning
};

/// Enrolls `serial` (normalised) into `tranche` (in the caller's write unit of work): the device,
/// its "enrolled" event and `audit` (the caller's entry for it, whose detail this fills in).
/// Model and asset tag come from the tranche's manifest where it lists the serial; an explicit
/// `asset_tag` wins. With `off_manifest`, a serial missing from a tranche's manifest is taken
/// and marked so.
EnrollOutcome enroll_device(Repositories& db, const Tranche& tranche, const std::string& serial,
                            const std::string& asset_tag, bool off_manifest, AuditEntry audit);

/// A change to a device's fields; absent ones stay.
struct DeviceChange {
    std::optional<DeviceStatus> status;
    std::optional<RetireReason> retired_reason;  ///< only with status retired
    std::optional<std::string> asset_tag;
    std::optional<std::string> location;
    std::optional<std::string> note;
};

/// Why a change was refused; nothing was written then.
enum class DeviceChangeRefusal {
    none,
    illegal_transition,    ///< the status cannot go from the current one to the new one
    on_loan,               ///< retired or in_storage while a loan is open
    earmark_needs_reason,  ///< retiring within the earmark without a reason and a note
};

struct DeviceChangeResult {
    DeviceChangeRefusal refusal = DeviceChangeRefusal::none;
    std::string earmark_end;  ///< for earmark_needs_reason
    Device device;            ///< as stored afterwards
};

/// Applies `change` to `device` as of `today` (YYYY-MM-DD) in the caller's write unit of work: the
/// device, its event by audit.actor ("status_changed" or "updated") and `audit` (the caller's
/// entry, whose action and detail this sets: device.status or device.update).
DeviceChangeResult change_device(Repositories& db, Device device, const DeviceChange& change,
                                 const std::string& today, AuditEntry audit);

}  // namespace pakt::server
