// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// The delivery list (manifest) CSV reader (server/domain/manifest, on common/csv): a supplier's
// file uploaded by an administrator. The first byte chooses whether the text goes to the manifest
// reader (even) or to the bare CSV parser with a forced or detected separator (odd), so both
// layers are fuzzed with the same corpus. Properties: never throws; rows and errors are in line
// order; every accepted serial number is unique in the file.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "common/csv.hpp"
#include "server/domain/manifest.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using pakt::fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::uint8_t selector = data[0];
    const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
    if (selector % 2 == 1) {
        std::optional<char> separator;
        if (selector % 4 == 1) separator = (selector & 0x10) != 0 ? ';' : ',';
        const pakt::csv::Document document = pakt::csv::parse(text, separator);
        std::size_t previous_line = 0;
        for (const auto& row : document.rows) {
            require(row.line > previous_line, "CSV rows are in increasing line order");
            previous_line = row.line;
            for (const auto& field : row.fields) {
                // Round trip of one field through escape_field: a single-field line reads back
                // as that field, unless the parser's own rules (blank lines) apply.
                // A leading byte-order mark is the file's, not the field's, when read back.
                if (field.empty() || field.starts_with("\xEF\xBB\xBF") ||
                    !pakt::csv::is_valid_utf8(field)) {
                    continue;
                }
                const std::string line = pakt::csv::escape_field(field, document.separator);
                const auto back = pakt::csv::parse(line, document.separator);
                if (back.errors.empty() && back.rows.size() == 1 &&
                    back.rows[0].fields.size() == 1) {
                    require(back.rows[0].fields[0] == field, "escape_field round-trips a field");
                }
            }
        }
        return 0;
    }
    const pakt::server::ParsedManifest manifest = pakt::server::parse_manifest(text);
    std::set<std::string> serials;
    std::size_t previous_line = 0;
    for (const auto& row : manifest.rows) {
        require(row.line > previous_line, "manifest rows are in increasing line order");
        previous_line = row.line;
        require(!row.serial_number.empty(), "an accepted row has a serial number");
        require(serials.insert(row.serial_number).second, "no serial number is accepted twice");
    }
    previous_line = 0;
    for (const auto& error : manifest.errors) {
        require(error.line >= previous_line, "manifest errors are in line order");
        previous_line = error.line;
    }
    return 0;
}
