// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "server/connectors/vendor_client.hpp"

#include <sys/stat.h>

#include <charconv>
#include <condition_variable>
#include <ctime>
#include <fstream>
#include <mutex>
#include <sstream>
#include <system_error>

namespace pakt::server::connectors {

tls::ClientTrust vendor_trust(const std::filesystem::path& ca_file) {
    tls::ClientTrust trust;
    if (ca_file.empty())
        trust.system_store = true;
    else
        trust.ca_file = ca_file;
    return trust;
}

ServerUrl vendor_url(const std::string& url) {
    std::string why;
    auto parsed = parse_server_url(url, &why);
    if (!parsed) throw SyncFailed("the URL '" + url + "' is not usable: " + why);
    return *parsed;
}

std::string read_credential_file(const std::filesystem::path& file, CredentialKind kind) {
    struct stat info {};
    if (::stat(file.c_str(), &info) != 0) {
        throw SyncFailed("cannot read the credential file " + file.string() + ": " +
                         std::generic_category().message(errno));
    }
    if ((info.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(info.st_mode & 07777));
        throw SyncFailed("the credential file " + file.string() +
                         " is readable by others than its owner (mode " + mode +
                         "); make it owner-only: chmod 600");
    }
    std::ifstream in(file, std::ios::binary);
    std::ostringstream content;
    content << in.rdbuf();
    if (!in) throw SyncFailed("cannot read the credential file " + file.string());
    std::string text = content.str();
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ' ||
                             text.back() == '\t')) {
        text.pop_back();
    }
    if (text.empty()) throw SyncFailed("the credential file " + file.string() + " is empty");
    // A key or token goes into an HTTP header: a line break in it would split the header.
    if (kind == CredentialKind::single_line) {
        for (const char c : text) {
            if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
                throw SyncFailed("the credential file " + file.string() +
                                 " has more than one line or a control character; it must hold "
                                 "only the key or token");
            }
        }
    }
    return text;
}

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                      std::chrono::system_clock::time_point now) {
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
    if (value.empty()) return std::nullopt;
    std::int64_t seconds = 0;
    const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (error == std::errc{} && end == value.data() + value.size()) {
        if (seconds < 0) return std::nullopt;
        return std::chrono::seconds(seconds);
    }
    if (error == std::errc::result_out_of_range && end == value.data() + value.size() &&
        value.front() != '-') {
        return std::chrono::seconds(std::chrono::hours(24 * 366));  // "much too long"
    }
    // An HTTP date (IMF-fixdate): "Sun, 06 Nov 1994 08:49:37 GMT".
    std::tm tm{};
    const std::string text(value);
    const char* parsed = ::strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (parsed == nullptr || *parsed != '\0') return std::nullopt;
    const auto at = std::chrono::system_clock::from_time_t(::timegm(&tm));
    const auto delta = std::chrono::duration_cast<std::chrono::seconds>(at - now);
    return std::max(delta, std::chrono::seconds(0));
}

VendorClient::VendorClient(std::string api, const ServerUrl& url, tls::ClientTrust trust,
                           CallPolicy policy, std::stop_token stop)
    : api_(std::move(api)), url_(url), policy_(policy), stop_(std::move(stop)) {
    try {
        client_ =
            std::make_unique<HttpsClient>(url.host, url.port, std::move(trust), policy.timeout);
    } catch (const std::exception& e) {
        // A CA file that cannot be read, for instance: the configuration, not the vendor.
        throw SyncFailed(api_ + ": cannot set up TLS: " + e.what());
    }
}

void VendorClient::wait(std::chrono::milliseconds how_long) {
    std::mutex mutex;
    std::condition_variable_any wake;
    std::unique_lock lock(mutex);
    wake.wait_for(lock, stop_, how_long, [] { return false; });
    waited_ += how_long;
    if (stop_.stop_requested()) throw SyncFailed(api_ + ": stopped (paktd is shutting down)");
}

HttpResponse VendorClient::call(std::string_view method, std::string_view path,
                                std::string_view body, const HeaderList& headers) {
    const std::string target = url_.target(path);
    // The path without its query: cursors and offsets make messages long and say little.
    const std::string what =
        api_ + ": " + std::string(method) + " " + target.substr(0, target.find('?'));
    auto backoff = policy_.retry_backoff;
    std::string last_problem;
    for (unsigned attempt = 1;; ++attempt) {
        if (stop_.stop_requested()) throw SyncFailed(api_ + ": stopped (paktd is shutting down)");
        ++calls_;
        std::optional<std::chrono::milliseconds> pause;
        try {
            HttpResponse response = client_->request(method, target, body, headers);
            const bool throttled = response.status == 429;
            const bool server_error = response.status >= 500;
            if (!throttled && !server_error) return response;
            last_problem = "HTTP " + std::to_string(response.status);
            const auto retry_after =
                parse_retry_after(response.header("Retry-After"), std::chrono::system_clock::now());
            if (retry_after) {
                if (*retry_after > policy_.max_retry_after) {
                    throw SyncFailed(
                        what + ": HTTP " + std::to_string(response.status) + " asks to wait " +
                        std::to_string(retry_after->count()) +
                        " s (Retry-After), longer than connectors.max_retry_after_s (" +
                        std::to_string(policy_.max_retry_after.count()) +
                        " s); the next run tries again");
                }
                pause = *retry_after;
            }
            // A 5xx or a 429 without Retry-After: the client's own backoff.
        } catch (const std::system_error& e) {
            last_problem = e.what();
            client_->close();
            // A certificate that does not verify will not verify on the next attempt either, nor
            // will an answer grow smaller.
            if (last_problem.find("certificate") != std::string::npos) {
                throw SyncFailed(what + ": " + last_problem);
            }
            if (last_problem.find("body limit exceeded") != std::string::npos) {
                throw SyncFailed(what + ": the answer is larger than " +
                                 std::to_string(kMaxAnswerBytes >> 20) + " MiB");
            }
        }
        if (attempt >= policy_.max_attempts) {
            throw SyncFailed(what + ": " + last_problem + " after " + std::to_string(attempt) +
                             (attempt == 1 ? " attempt" : " attempts"));
        }
        ++retries_;
        if (!pause) {
            pause = backoff;
            backoff = std::min(backoff * 2, std::chrono::milliseconds(std::chrono::minutes(1)));
        }
        wait(*pause);
    }
}

nlohmann::json parse_json_body(const VendorClient& client, std::string_view call,
                               const HttpResponse& response) {
    auto json = nlohmann::json::parse(response.body, nullptr, false);
    if (json.is_discarded()) {
        throw SyncFailed(client.api() + ": " + std::string(call) +
                         " answered with invalid or truncated JSON (" +
                         std::to_string(response.body.size()) + " bytes)");
    }
    return json;
}

std::string url_encode(std::string_view text) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (std::isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~') {
            out += c;
        } else {
            out += '%';
            out += kHex[u >> 4];
            out += kHex[u & 15];
        }
    }
    return out;
}

}  // namespace pakt::server::connectors
