// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "server/domain/report_csv.hpp"

#include <charconv>
#include <iterator>

#include "common/csv.hpp"

namespace pakt::server {

CsvWriter::CsvWriter(CsvDialect dialect)
    : separator_(dialect == CsvDialect::excel_de ? ';' : ','),
      decimal_(dialect == CsvDialect::excel_de ? ',' : '.'),
      german_dates_(dialect == CsvDialect::excel_de) {}

void CsvWriter::text(std::string& out, std::string_view value) {
    start(out);
    if (!value.empty() && (value[0] == '=' || value[0] == '+' || value[0] == '-' ||
                           value[0] == '@' || value[0] == '\t' || value[0] == '\r')) {
        // Appended, not "'" + value: g++ 12 at -O3 misreads the prepend as an overlapping copy
        // (-Wrestrict, GCC bug 105329).
        std::string guarded(1, '\'');
        guarded.append(value);
        csv::append_field(out, guarded, separator_);
    } else {
        csv::append_field(out, value, separator_);
    }
}

void CsvWriter::code(std::string& out, std::string_view value) {
    start(out);
    csv::append_field(out, value, separator_);
}

void CsvWriter::integer(std::string& out, std::int64_t value) {
    start(out);
    char digits[24];
    const auto end = std::to_chars(std::begin(digits), std::end(digits), value).ptr;
    out.append(digits, end);
}

void CsvWriter::empty(std::string& out) { start(out); }

void CsvWriter::euros(std::string& out, std::int64_t cents) { fixed2(out, cents); }

void CsvWriter::optional_euros(std::string& out, const std::optional<std::int64_t>& cents) {
    if (cents)
        fixed2(out, *cents);
    else
        empty(out);
}

void CsvWriter::percent(std::string& out, const std::optional<std::int64_t>& basis_points) {
    if (basis_points)
        fixed2(out, *basis_points);
    else
        empty(out);
}

void CsvWriter::yes_no(std::string& out, bool value) { code(out, value ? "yes" : "no"); }

void CsvWriter::date(std::string& out, std::string_view iso) {
    start(out);
    if (iso.size() < 10) return;
    if (!german_dates_) {
        out += iso.substr(0, 10);
        return;
    }
    out += iso.substr(8, 2);
    out += '.';
    out += iso.substr(5, 2);
    out += '.';
    out += iso.substr(0, 4);
}

void CsvWriter::timestamp(std::string& out, std::string_view rfc3339) {
    if (!german_dates_ || rfc3339.size() < 19) {
        code(out, rfc3339);
        return;
    }
    date(out, rfc3339.substr(0, 10));
    out += ' ';
    out += rfc3339.substr(11, 8);
}

void CsvWriter::ids(std::string& out, const std::vector<std::int64_t>& values) {
    std::string joined;
    for (auto v : values) {
        if (!joined.empty()) joined += ' ';
        joined += std::to_string(v);
    }
    code(out, joined);
}

void CsvWriter::codes(std::string& out, const std::vector<std::string>& values) {
    std::string joined;
    for (const auto& v : values) {
        if (!joined.empty()) joined += ' ';
        joined += v;
    }
    code(out, joined);
}

void CsvWriter::header(std::string& out, std::initializer_list<std::string_view> names) {
    for (auto name : names) code(out, name);
    end(out);
}

void CsvWriter::end(std::string& out) {
    out += "\r\n";
    first_ = true;
}

void CsvWriter::start(std::string& out) {
    if (!first_) out += separator_;
    first_ = false;
}

void CsvWriter::fixed2(std::string& out, std::int64_t hundredths) {
    start(out);
    if (hundredths < 0) out += '-';
    const std::uint64_t magnitude = hundredths < 0 ? 0 - static_cast<std::uint64_t>(hundredths)
                                                   : static_cast<std::uint64_t>(hundredths);
    out += std::to_string(magnitude / 100);
    out += decimal_;
    const auto rest = static_cast<unsigned>(magnitude % 100);
    out += static_cast<char>('0' + rest / 10);
    out += static_cast<char>('0' + rest % 10);
}

}  // namespace pakt::server
