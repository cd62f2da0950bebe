// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// What a scan on the enrollment page means. A USB scanner types what the barcode holds: the bare
// serial number, Apple's box label (Code 128 with the data identifier 'S' before the serial,
// ANSI MH10.8.2), or the URL of a Pakt QR label (https://host/d/SERIAL). No storage, no HTTP.
#include <string>
#include <string_view>
#include <vector>

namespace pakt::server {

struct ScanCandidates {
    /// The serial numbers the code may stand for (normalised, valid), the literal reading first.
    /// Two entries when the code starts with 'S' and both it and the rest are serial numbers.
    std::vector<std::string> serials;
    bool from_label_url = false;  ///< a Pakt label URL: exactly one serial, no doubt
};

/// Reads a scanned code. Empty `serials` means it is no serial number in any of the three forms.
ScanCandidates scan_candidates(std::string_view code);

/// Apple's serial numbers have 10 (since 2021) or 12 characters.
bool has_apple_serial_length(std::string_view serial);

}  // namespace pakt::server
