// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// The cells of Pakt's CSV reports, in the two dialects people open them with. Shared by paktd's
// report endpoints and paktctl's reports, so a file looks the same whichever produced it.
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pakt::server {

/// UTF-8 byte-order mark: spreadsheet programs read the file as UTF-8 only with it.
inline constexpr std::string_view kCsvBom = "\xEF\xBB\xBF";

/// `standard`: ',' ISO dates, '.' decimals. `excel_de`: what German spreadsheet programs read as
/// numbers and dates when they open the file: ';', decimal comma, DD.MM.YYYY.
enum class CsvDialect { standard, excel_de };

/// Appends cells and rows (CRLF line ends) to a caller's string, so a streamed export can hand
/// out the string in chunks. Not thread-safe; one writer per output.
class CsvWriter {
  public:
    explicit CsvWriter(CsvDialect dialect);

    /// Free text. A leading = + - @ (or TAB/CR) would make a spreadsheet program run the cell as
    /// a formula, so such text gets a leading apostrophe (OWASP's CSV injection advice).
    void text(std::string& out, std::string_view value);
    /// A code of the API (serial number, status, school number): never a formula, kept verbatim.
    void code(std::string& out, std::string_view value);
    void integer(std::string& out, std::int64_t value);
    void empty(std::string& out);
    /// Cents as euros with two decimals: 123456 -> "1234.56" (or "1234,56").
    void euros(std::string& out, std::int64_t cents);
    void optional_euros(std::string& out, const std::optional<std::int64_t>& cents);
    /// Hundredths of a percent as a percentage with two decimals: 1234 -> "12.34".
    void percent(std::string& out, const std::optional<std::int64_t>& basis_points);
    void yes_no(std::string& out, bool value);
    /// YYYY-MM-DD, or DD.MM.YYYY in excel-de; "" stays empty.
    void date(std::string& out, std::string_view iso);
    /// RFC 3339 UTC as is, or "DD.MM.YYYY HH:MM:SS" (UTC) in excel-de; "" stays empty.
    void timestamp(std::string& out, std::string_view rfc3339);
    /// Space-separated ids in one cell.
    void ids(std::string& out, const std::vector<std::int64_t>& values);
    /// Space-separated codes in one cell.
    void codes(std::string& out, const std::vector<std::string>& values);
    /// A whole header row.
    void header(std::string& out, std::initializer_list<std::string_view> names);
    /// Ends the row.
    void end(std::string& out);

  private:
    void start(std::string& out);
    void fixed2(std::string& out, std::int64_t hundredths);

    char separator_;
    char decimal_;
    bool german_dates_;
    bool first_ = true;
};

}  // namespace pakt::server
