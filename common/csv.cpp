// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "common/csv.hpp"

#include <algorithm>

namespace pakt::csv {
namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

bool is_line_break(char c) { return c == '\n' || c == '\r'; }

// A single-pass reader over the whole text. It tracks the physical line so that every row and
// error names the line a user sees in an editor, even after fields that span several lines.
class Parser {
  public:
    Parser(std::string_view text, char separator, Document& document)
        : text_(text), separator_(separator), document_(document) {}

    void run() {
        while (pos_ < text_.size()) parse_record();
    }

  private:
    bool at_end() const { return pos_ >= text_.size(); }

    // CRLF, LF and a lone CR (old Mac exports) each end one line.
    void consume_line_break() {
        if (text_[pos_] == '\r' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n') ++pos_;
        ++pos_;
        ++line_;
    }

    // Error recovery: drop the rest of the current physical line, so one bad line does not
    // poison the records after it.
    void skip_rest_of_line() {
        while (!at_end() && !is_line_break(text_[pos_])) ++pos_;
        if (!at_end()) consume_line_break();
    }

    // Position of the first character at or after `from` that is not a space or tab (unless that
    // blank is the separator itself).
    std::size_t skip_blanks(std::size_t from) const {
        while (from < text_.size() && (text_[from] == ' ' || text_[from] == '\t') &&
               text_[from] != separator_) {
            ++from;
        }
        return from;
    }

    void report(std::size_t line, std::string message) {
        document_.errors.add(ParseError{line, std::move(message)});
    }

    // Reads a quoted field starting at the opening quote. Returns false (after reporting and
    // repositioning) if the field is malformed.
    bool read_quoted(std::string& field) {
        const std::size_t open_pos = pos_;
        const std::size_t open_line = line_;
        ++pos_;
        for (;;) {
            if (at_end()) {
                // Everything up to the end of the file would otherwise be one field. Resuming on
                // the line after the opening quote keeps the following rows, which are usually
                // fine (the typical cause is a single stray quote).
                report(open_line, "unterminated quoted field");
                pos_ = open_pos;
                line_ = open_line;
                skip_rest_of_line();
                return false;
            }
            const char c = text_[pos_];
            if (c == '"') {
                if (pos_ + 1 < text_.size() && text_[pos_ + 1] == '"') {
                    field.push_back('"');
                    pos_ += 2;
                    continue;
                }
                ++pos_;
                break;
            }
            if (is_line_break(c)) {
                const std::size_t before = pos_;
                consume_line_break();
                field.append(text_.substr(before, pos_ - before));
                continue;
            }
            field.push_back(c);
            ++pos_;
        }
        const std::size_t next = skip_blanks(pos_);
        if (next < text_.size() && text_[next] != separator_ && !is_line_break(text_[next])) {
            report(line_, "unexpected character after closing quote");
            skip_rest_of_line();
            return false;
        }
        return true;
    }

    bool read_unquoted(std::string& field) {
        while (!at_end() && text_[pos_] != separator_ && !is_line_break(text_[pos_])) {
            if (text_[pos_] == '"') {
                report(line_, "stray quote in unquoted field");
                skip_rest_of_line();
                return false;
            }
            field.push_back(text_[pos_]);
            ++pos_;
        }
        return true;
    }

    void parse_record() {
        Row row;
        row.line = line_;
        bool any_quoted = false;
        for (;;) {
            std::string field;
            // Hand-written files often have `a, "b"`; the blanks around a quoted field are
            // dropped instead of turning the quote into a stray one.
            const std::size_t after_blanks = skip_blanks(pos_);
            if (after_blanks < text_.size() && text_[after_blanks] == '"') {
                any_quoted = true;
                pos_ = after_blanks;
                if (!read_quoted(field)) return;
                pos_ = skip_blanks(pos_);
            } else if (!read_unquoted(field)) {
                return;
            }
            row.fields.push_back(std::move(field));
            if (at_end()) break;
            if (text_[pos_] == separator_) {
                ++pos_;
                continue;
            }
            consume_line_break();
            break;
        }

        if (!any_quoted && row.fields.size() == 1 && trim(row.fields.front()).empty()) return;

        for (std::size_t i = 0; i < row.fields.size(); ++i) {
            if (!is_valid_utf8(row.fields[i])) {
                // Usually a Latin-1 export from an old spreadsheet; saying so saves a support call.
                report(row.line, "invalid UTF-8 in field " + std::to_string(i + 1) +
                                     " (save the file as UTF-8)");
                return;
            }
        }
        document_.rows.push_back(std::move(row));
    }

    std::string_view text_;
    char separator_;
    Document& document_;
    std::size_t pos_ = 0;
    std::size_t line_ = 1;
};

// Spreadsheets in locales with a decimal comma (de, fr, nl, ...) export with ';'. The first
// non-blank line is the header in every file we read, and a header rarely contains either
// character by accident.
char detect_separator(std::string_view text) {
    std::size_t pos = 0;
    while (pos < text.size() &&
           (is_line_break(text[pos]) || text[pos] == ' ' || text[pos] == '\t')) {
        ++pos;
    }
    std::size_t commas = 0;
    std::size_t semicolons = 0;
    bool quoted = false;
    for (; pos < text.size(); ++pos) {
        const char c = text[pos];
        if (c == '"') {
            quoted = !quoted;  // a doubled "" toggles twice and so changes nothing
        } else if (!quoted) {
            if (is_line_break(c)) break;
            if (c == ',') ++commas;
            if (c == ';') ++semicolons;
        }
    }
    return semicolons > commas ? ';' : ',';
}

bool is_ascii_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

}  // namespace

Document parse(std::string_view text, std::optional<char> separator) {
    if (text.starts_with(kUtf8Bom)) text.remove_prefix(kUtf8Bom.size());
    Document document;
    document.separator = separator.value_or(detect_separator(text));
    Parser(text, document.separator, document).run();
    return document;
}

void append_field(std::string& out, std::string_view field, char separator) {
    const bool needs_quotes = std::any_of(field.begin(), field.end(), [separator](char c) {
        return c == '"' || c == '\r' || c == '\n' || c == separator;
    });
    if (!needs_quotes) {
        out.append(field);
        return;
    }
    out.push_back('"');
    for (std::size_t from = 0;;) {
        const std::size_t quote = field.find('"', from);
        out.append(field.substr(
            from, quote == std::string_view::npos ? std::string_view::npos : quote + 1 - from));
        if (quote == std::string_view::npos) break;
        out.push_back('"');  // a quote is doubled
        from = quote + 1;
    }
    out.push_back('"');
}

std::string escape_field(std::string_view field, char separator) {
    std::string out;
    append_field(out, field, separator);
    return out;
}

std::string trim(std::string_view s) {
    while (!s.empty() && is_ascii_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_ascii_space(s.back())) s.remove_suffix(1);
    return std::string(s);
}

bool is_valid_utf8(std::string_view s) {
    std::size_t i = 0;
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    while (i < s.size()) {
        const unsigned char b0 = byte(i);
        if (b0 < 0x80) {
            ++i;
            continue;
        }
        std::size_t length = 0;
        // The allowed range of the second byte excludes overlong forms (E0, F0), UTF-16
        // surrogates (ED) and code points above U+10FFFF (F4).
        unsigned char lo = 0x80;
        unsigned char hi = 0xBF;
        if (b0 >= 0xC2 && b0 <= 0xDF) {
            length = 2;
        } else if (b0 >= 0xE0 && b0 <= 0xEF) {
            length = 3;
            if (b0 == 0xE0) lo = 0xA0;
            if (b0 == 0xED) hi = 0x9F;
        } else if (b0 >= 0xF0 && b0 <= 0xF4) {
            length = 4;
            if (b0 == 0xF0) lo = 0x90;
            if (b0 == 0xF4) hi = 0x8F;
        } else {
            return false;
        }
        if (i + length > s.size()) return false;
        if (byte(i + 1) < lo || byte(i + 1) > hi) return false;
        for (std::size_t k = 2; k < length; ++k) {
            if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return false;
        }
        i += length;
    }
    return true;
}

}  // namespace pakt::csv
