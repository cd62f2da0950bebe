// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// Reading a supplier's delivery list (manifest) from CSV. Accepts what suppliers and Apple School
// Manager actually send: header aliases (serial_number / serialNumber / Seriennummer, model /
// deviceModel, asset_tag / Inventarnummer, imei), UTF-8 with or without BOM, ',' or ';', CRLF or
// LF, quoted fields. Columns it does not know (orderNumber, ...) are ignored.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/problem_list.hpp"

namespace pakt::server {

struct ManifestRow {
    std::size_t line = 0;       ///< 1-based; the header is line 1
    std::string serial_number;  ///< normalised
    std::string model;
    std::string asset_tag;
    std::string imei;
};

struct ManifestError {
    std::size_t line = 0;
    std::string field;
    std::string message;
};

struct ParsedManifest {
    std::vector<ManifestRow> rows;
    /// The bad lines in line order: the first kMaxListedProblems listed, the rest counted.
    ProblemList<ManifestError> errors;
};

/// Parses and validates every line: serial numbers normalised and valid, no serial twice in the
/// file, IMEI empty or 15 digits, field lengths. Never throws on bad input.
ParsedManifest parse_manifest(std::string_view text);

}  // namespace pakt::server
