// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "server/domain/scan_code.hpp"

#include "server/domain/inventory.hpp"

namespace pakt::server {
namespace {

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t' || text.front() == '\r' ||
                             text.front() == '\n')) {
        text.remove_prefix(1);
    }
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' ||
                             text.back() == '\n')) {
        text.remove_suffix(1);
    }
    return text;
}

bool starts_with_ci(std::string_view text, std::string_view prefix) {
    if (text.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        char c = text[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c != prefix[i]) return false;
    }
    return true;
}

}  // namespace

bool has_apple_serial_length(std::string_view serial) {
    return serial.size() == 10 || serial.size() == 12;
}

ScanCandidates scan_candidates(std::string_view raw) {
    ScanCandidates out;
    const std::string_view code = trim(raw);
    if (starts_with_ci(code, "https://") || starts_with_ci(code, "http://")) {
        // A label URL: the serial is the segment after "/d/" and nothing may follow it but a
        // query or fragment the printer's software might add.
        const auto path_start = code.find('/', code.find("://") + 3);
        if (path_start == std::string_view::npos) return out;
        std::string_view path = code.substr(path_start);
        path = path.substr(0, path.find_first_of("?#"));
        if (!path.starts_with("/d/")) return out;
        path.remove_prefix(3);
        if (!path.empty() && path.back() == '/') path.remove_suffix(1);
        if (path.find('/') != std::string_view::npos) return out;
        std::string serial = normalize_serial(path);
        if (is_valid_serial(serial)) {
            out.serials.push_back(std::move(serial));
            out.from_label_url = true;
        }
        return out;
    }
    std::string literal = normalize_serial(code);
    if (is_valid_serial(literal)) out.serials.push_back(literal);
    if (literal.size() > 1 && literal.front() == 'S') {
        std::string rest = literal.substr(1);
        if (is_valid_serial(rest)) out.serials.push_back(std::move(rest));
    }
    return out;
}

}  // namespace pakt::server
