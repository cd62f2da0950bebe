// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// The one rule for strings Pakt stores and shows back (JSON fields, CSV fields, check-in reports):
// valid UTF-8 and no control characters, so a value cannot carry terminal escape sequences, NUL
// bytes or bells into logs, CSV exports, paktctl output or a browser.
#include <optional>
#include <string>
#include <string_view>

namespace pakt {

enum class TextKind {
    /// Names, references, versions, addresses: no control character at all (C0 U+0000..U+001F,
    /// DEL U+007F, C1 U+0080..U+009F).
    single_line,
    /// Free text a person types into a text area (notes, descriptions, reasons): like
    /// single_line, but TAB, LF and CR directly before LF are allowed.
    multi_line,
    /// Secrets and passwords, which are compared and hashed but never stored or shown as text:
    /// only valid UTF-8 is required.
    opaque,
};

/// What is wrong with `text` under `kind` (for a person, e.g. "must not contain control
/// characters"), or nullopt if it is acceptable.
std::optional<std::string> text_problem(std::string_view text,
                                        TextKind kind = TextKind::single_line);

}  // namespace pakt
