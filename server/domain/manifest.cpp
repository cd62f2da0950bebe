// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "server/domain/manifest.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>

#include "common/csv.hpp"
#include "server/domain/inventory.hpp"
#include "server/domain/validation.hpp"

namespace pakt::server {
namespace {

enum class Column { serial_number, model, asset_tag, imei };

std::optional<Column> column_for(std::string_view header) {
    std::string h;
    for (char c : csv::trim(header)) {
        if (c == '_' || c == ' ' || c == '-') continue;
        h += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
    if (h == "serialnumber" || h == "seriennummer" || h == "serial") return Column::serial_number;
    if (h == "model" || h == "devicemodel" || h == "modell") return Column::model;
    if (h == "assettag" || h == "inventarnummer") return Column::asset_tag;
    if (h == "imei") return Column::imei;
    return std::nullopt;
}

bool is_imei(std::string_view s) {
    return s.size() == 15 &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

ParsedManifest parse_manifest(std::string_view text) {
    ParsedManifest out;
    const csv::Document doc = csv::parse(text);
    // The syntax errors are merged in by line, so the list is in line order without sorting
    // and its first entries are the file's first problems.
    std::size_t next_syntax_error = 0;
    const auto syntax_errors_before = [&](std::size_t line) {
        for (; next_syntax_error < doc.errors.size() && doc.errors[next_syntax_error].line < line;
             ++next_syntax_error) {
            const csv::ParseError& e = doc.errors[next_syntax_error];
            out.errors.add({e.line, "", e.message});
        }
    };
    const auto finish = [&]() -> ParsedManifest {
        syntax_errors_before(static_cast<std::size_t>(-1));
        out.errors.count_unlisted(doc.errors.unlisted());
        return std::move(out);
    };
    if (doc.rows.empty()) {
        if (doc.errors.empty())
            out.errors.add({1, "serial_number", "the manifest is empty; a header row is required"});
        return finish();
    }

    const csv::Row& header = doc.rows.front();
    syntax_errors_before(header.line + 1);
    std::map<Column, std::size_t> index;
    for (std::size_t i = 0; i < header.fields.size(); ++i) {
        if (auto column = column_for(header.fields[i])) {
            if (index.count(*column)) {
                out.errors.add(
                    {header.line, header.fields[i], "the column appears twice in the header"});
            }
            index.emplace(*column, i);
        }
    }
    if (!index.count(Column::serial_number)) {
        out.errors.add({header.line, "serial_number",
                        "the header has no serial number column (serial_number, serialNumber or "
                        "Seriennummer)"});
        return finish();
    }

    std::map<std::string, std::size_t> first_line;
    for (std::size_t r = 1; r < doc.rows.size(); ++r) {
        const csv::Row& row = doc.rows[r];
        syntax_errors_before(row.line + 1);
        if (row.fields.size() != header.fields.size()) {
            out.errors.add({row.line, "",
                            fmt::format("has {} fields, the header has {}", row.fields.size(),
                                        header.fields.size())});
            continue;
        }
        auto field = [&](Column c) -> std::string {
            auto it = index.find(c);
            return it == index.end() ? std::string() : csv::trim(row.fields[it->second]);
        };
        ManifestRow m;
        m.line = row.line;
        m.serial_number = normalize_serial(field(Column::serial_number));
        m.model = field(Column::model);
        m.asset_tag = field(Column::asset_tag);
        m.imei = field(Column::imei);
        const std::size_t errors_before = out.errors.total();
        if (m.serial_number.empty()) {
            out.errors.add({row.line, "serial_number", "is empty"});
        } else if (!is_valid_serial(m.serial_number)) {
            out.errors.add({row.line, "serial_number",
                            fmt::format("'{}' is not a serial number (8 to 14 letters and digits)",
                                        m.serial_number)});
        } else if (auto [it, inserted] = first_line.emplace(m.serial_number, row.line); !inserted) {
            out.errors.add({row.line, "serial_number",
                            fmt::format("'{}' is listed twice (first on line {})", m.serial_number,
                                        it->second)});
        }
        if (auto p = check_text(m.model, 100)) out.errors.add({row.line, "model", *p});
        if (auto p = check_text(m.asset_tag, 64)) out.errors.add({row.line, "asset_tag", *p});
        if (!m.imei.empty() && !is_imei(m.imei))
            out.errors.add({row.line, "imei", "must be 15 digits"});
        if (out.errors.total() == errors_before) out.rows.push_back(std::move(m));
    }
    return finish();
}

}  // namespace pakt::server
