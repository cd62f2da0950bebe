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

bool accepts_gzip(const Request& request) {
    auto [first, last] = request.headers.equal_range("Accept-Encoding");
    for (auto it = first; it != last; ++it) {
        std::string_view v = it->second;
        for (std::size_t pos = 0; (pos = v.find("gzip", pos)) != std::string_view::npos; pos += 4) {
            // "gzip;q=0" refuses it.
            const std::string_view after = v.substr(pos + 4);
            const auto comma = after.find(',');
            const std::string_view params = after.substr(0, comma);
            if (params.find("q=0") != std::string_view::npos && params.find("q=0.") == std::string_view::npos) continue;
            return true;
        }
    }
    return false;
}

}  // namespace pakt::server::http
