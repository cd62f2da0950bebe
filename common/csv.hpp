// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// CSV reading and writing (RFC 4180 plus what real exports contain): used by the school import,
// tranche manifests, the agent's MDM export collector and CSV reports.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/problem_list.hpp"

namespace pakt::csv {

/// One record. `line` is the 1-based physical line on which the record starts (a quoted field may
/// span lines), so error messages can name the line a user sees in an editor.
struct Row {
    std::size_t line = 0;
    std::vector<std::string> fields;
};

/// A syntax problem (unterminated quote, stray quote, invalid UTF-8) on a line.
struct ParseError {
    std::size_t line = 0;
    std::string message;
};

struct Document {
    char separator = ',';
    std::vector<Row> rows;  ///< Header first (if any); blank lines are skipped.
    /// In line order; the first kMaxListedProblems are listed, the rest counted, so a file of
    /// a million broken lines costs no more than one of fifty.
    ProblemList<ParseError> errors;
};

/// Parses `text`: optional UTF-8 byte-order mark, CRLF or LF line ends, quoted fields with ""
/// escapes and embedded line breaks. If `separator` is not given it is detected from the first
/// line: ';' if it has more ';' than ',' outside quotes, else ','. Never throws on bad input:
/// problems are reported in `errors` and parsing continues with the next line.
Document parse(std::string_view text, std::optional<char> separator = std::nullopt);

/// Quotes `field` if it contains the separator, a quote, CR or LF; doubles embedded quotes.
std::string escape_field(std::string_view field, char separator = ',');

/// escape_field(), appended to `out` (no temporary: what a large export writes per field).
void append_field(std::string& out, std::string_view field, char separator = ',');

/// Trims ASCII whitespace at both ends.
std::string trim(std::string_view s);

/// True if `s` is well-formed UTF-8 (no overlongs, no surrogates, at most U+10FFFF).
bool is_valid_utf8(std::string_view s);

}  // namespace pakt::csv
