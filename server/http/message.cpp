// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "server/http/message.hpp"

namespace pakt::server::http {

std::optional<std::string> Request::header(std::string_view name) const {
    auto it = headers.find(name);
    if (it == headers.end()) return std::nullopt;
    return it->second;
}

std::string_view Request::path() const {
    std::string_view t = target;
    return t.substr(0, t.find('?'));
}

std::string_view Request::query_string() const {
    std::string_view t = target;
    const auto q = t.find('?');
    return q == std::string_view::npos ? std::string_view{} : t.substr(q + 1);
}

void Response::set_header(std::string name, std::string value) {
    headers.erase(name);
    headers.emplace(std::move(name), std::move(value));
}

std::optional<std::string> Response::header(std::string_view name) const {
    auto it = headers.find(name);
    if (it == headers.end()) return std::nullopt;
    return it->second;
}

Response json_response(int status, const std::string& json_text) {
    Response r;
    r.status = status;
    r.set_header("Content-Type", "application/json; charset=utf-8");
    r.body = json_text;
    return r;
}

Response no_content() {
    Response r;
    r.status = 204;
    return r;
}

namespace {
int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}
}  // namespace

std::optional<std::string> percent_decode(std::string_view text, bool plus_as_space) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '%') {
            if (i + 2 >= text.size()) return std::nullopt;
            const int hi = hex_value(text[i + 1]);
            const int lo = hex_value(text[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else if (c == '+' && plus_as_space) {
            out += ' ';
        } else {
            out += c;
        }
    }
    return out;
}

std::optional<std::map<std::string, std::string>> parse_query(std::string_view query) {
    std::map<std::string, std::string> params;
    while (!query.empty()) {
        const auto amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        if (pair.empty()) continue;
        const auto eq = pair.find('=');
        auto name = percent_decode(pair.substr(0, eq), true);
        auto value = percent_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1), true);
        if (!name || !value) return std::nullopt;
        params[*name] = *value;
    }
    return params;
}

namespace {

// The q-value of one Accept-Encoding element ("gzip;q=0.5" → 0.5; none → 1).
double q_value(std::string_view params) {
    const auto q = params.find("q=");
    if (q == std::string_view::npos) return 1.0;
    std::string_view v = params.substr(q + 2);
    double value = 0;
    double scale = 1;
    bool fraction = false;
    for (char c : v) {
        if (c == '.') {
            fraction = true;
        } else if (c >= '0' && c <= '9') {
            if (fraction) value += (scale /= 10) * (c - '0');
            else value = value * 10 + (c - '0');
        } else {
            break;
        }
    }
    return value;
}

std::string_view trim_spaces(std::string_view v) {
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    return v;
}

}  // namespace

bool accepts_gzip(const Request& request) {
    // gzip is accepted if named with q > 0, or if "*" is (with gzip not named).
    std::optional<double> gzip;
    std::optional<double> any;
    auto [first, last] = request.headers.equal_range("Accept-Encoding");
    for (auto it = first; it != last; ++it) {
        std::string_view rest = it->second;
        while (!rest.empty()) {
            const auto comma = rest.find(',');
            const std::string_view element = rest.substr(0, comma);
            rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
            const auto semi = element.find(';');
            const std::string_view coding = trim_spaces(element.substr(0, semi));
            const double q = semi == std::string_view::npos ? 1.0 : q_value(element.substr(semi + 1));
            if (coding.size() == 4 && (coding[0] | 0x20) == 'g' && (coding[1] | 0x20) == 'z' &&
                (coding[2] | 0x20) == 'i' && (coding[3] | 0x20) == 'p') {
                gzip = q;
            } else if (coding == "*") {
                any = q;
            }
        }
    }
    if (gzip) return *gzip > 0;
    return any && *any > 0;
}

}  // namespace pakt::server::http
