// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "common/text.hpp"

#include "common/csv.hpp"

namespace pakt {

std::optional<std::string> text_problem(std::string_view text, TextKind kind) {
    if (!csv::is_valid_utf8(text)) return "must be valid UTF-8";
    if (kind == TextKind::opaque) return std::nullopt;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (kind == TextKind::multi_line &&
            (c == '\t' || c == '\n' || (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n'))) {
            continue;
        }
        // In valid UTF-8 the C1 controls U+0080..U+009F are exactly the pairs C2 80..C2 9F.
        const bool c1 =
            c == 0xc2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) <= 0x9f;
        if (c < 0x20 || c == 0x7f || c1) {
            return kind == TextKind::multi_line
                       ? "must not contain control characters other than tabs and line breaks"
                       : "must not contain control characters";
        }
    }
    return std::nullopt;
}

}  // namespace pakt
