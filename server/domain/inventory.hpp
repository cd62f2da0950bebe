// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// Rules of the inventory: serial numbers, the device lifecycle, the earmarking period of grants
// and what a loan may record. No storage, no HTTP.
#include <optional>
#include <string>
#include <string_view>

namespace pakt::server {

/// Trims whitespace and upper-cases ASCII letters (scanners and suppliers disagree on case).
std::string normalize_serial(std::string_view raw);

/// A normalised serial number: 8 to 14 characters A-Z, 0-9.
bool is_valid_serial(std::string_view serial);

enum class DeviceStatus { in_storage, in_use, in_repair, lost, stolen, retired };

std::string_view to_string(DeviceStatus status);
std::optional<DeviceStatus> device_status_from_string(std::string_view text);

/// The lifecycle: in_storage <-> in_use; either -> in_repair -> back to either; any but retired ->
/// lost | stolen; a lost or stolen device that turns up again -> in_storage; any but retired ->
/// retired (final). Staying in the same status is not a transition (and is allowed).
bool is_allowed_transition(DeviceStatus from, DeviceStatus to);

enum class RetireReason { lost, stolen, damaged_beyond_repair };
std::string_view to_string(RetireReason reason);
std::optional<RetireReason> retire_reason_from_string(std::string_view text);

/// End of the earmarking period (Zweckbindungsfrist) of a grant whose implementation period
/// ends on `spend_by` (YYYY-MM-DD): 31 December of the fifth calendar year after it.
/// Precondition: `spend_by` is a valid date.
std::string earmark_end(std::string_view spend_by);

/// True while `today` (YYYY-MM-DD) is on or before `earmark_end`.
bool within_earmark(std::string_view earmark_end, std::string_view today);

/// A borrower reference is a pseudonym chosen by the school, e.g. a class-list number "5b-17":
/// 1 to 32 characters of A-Z a-z 0-9 . _ / -, with at least one digit, so that a name cannot be
/// entered by mistake. Returns the problem or nullopt.
std::optional<std::string> check_borrower_ref(std::string_view ref);

/// A reference to a signed paper (loan agreement): 1 to 64 characters of A-Z a-z 0-9 . _ / -.
std::optional<std::string> check_document_ref(std::string_view ref);

}  // namespace pakt::server
