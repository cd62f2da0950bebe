// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// HTTPS calls to a vendor API the way a good API citizen makes them: a timeout on every call,
// Retry-After honoured after 429 (and 503), exponential backoff after 5xx and network errors,
// a bounded number of attempts, and a stop that interrupts any wait. Errors are SyncFailed with a
// message fit for the connector's status page: it names the API and the call, never a
// credential (requests carry credentials only in headers, never in the URL).
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <string_view>

#include "common/https_client.hpp"
#include "common/https_url.hpp"
#include "common/tls.hpp"

namespace pakt::server::connectors {

/// Why a sync run failed. The message is stored with the run and shown in the API and UI.
class SyncFailed : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct CallPolicy {
    std::chrono::milliseconds timeout{30000};
    unsigned max_attempts = 6;
    std::chrono::milliseconds retry_backoff{1000};  ///< first wait after a 5xx, doubled each time
    std::chrono::seconds max_retry_after{300};
};

/// The trust for a vendor API: `ca_file` if set, else the system's CA store.
tls::ClientTrust vendor_trust(const std::filesystem::path& ca_file);

/// Parses a configured URL (validated when the configuration was loaded).
ServerUrl vendor_url(const std::string& url);

enum class CredentialKind {
    single_line,  ///< an API key or token, sent in a header
    pem,          ///< a private key in PEM (several lines)
};

/// Reads a credential file: the whole content without trailing white space. The file must be
/// readable by its owner only (no group or other permission bits), as an SSH key must. Throws
/// SyncFailed naming the file, never its content.
std::string read_credential_file(const std::filesystem::path& file,
                                 CredentialKind kind = CredentialKind::single_line);

/// The largest answer a vendor call accepts (a whole city's unpaged Jamf School device list is
/// some tens of MiB).
inline constexpr std::size_t kMaxAnswerBytes = std::size_t{1} << 30;

/// Seconds to wait from a Retry-After value (delta-seconds or an HTTP date); nullopt if absent
/// or unreadable.
std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                      std::chrono::system_clock::time_point now);

class VendorClient {
  public:
    /// `api` names the API in messages ("Apple School Manager").
    VendorClient(std::string api, const ServerUrl& url, tls::ClientTrust trust, CallPolicy policy,
                 std::stop_token stop);

    /// Sends `method` `path` (base path + path and query) and returns the first answer that is
    /// neither 429 nor 5xx (2xx and 4xx are the caller's to judge). Throws SyncFailed when the
    /// attempts run out, a Retry-After is longer than max_retry_after, or stop is requested.
    HttpResponse call(std::string_view method, std::string_view path, std::string_view body = {},
                      const HeaderList& headers = {});

    const ServerUrl& url() const { return url_; }
    const std::string& api() const { return api_; }
    std::int64_t calls() const { return calls_; }
    std::int64_t retries() const { return retries_; }
    /// Total time spent waiting before retries.
    std::chrono::milliseconds waited() const { return waited_; }

  private:
    void wait(std::chrono::milliseconds how_long);

    std::string api_;
    ServerUrl url_;
    CallPolicy policy_;
    std::stop_token stop_;
    std::unique_ptr<HttpsClient> client_;
    std::int64_t calls_ = 0;
    std::int64_t retries_ = 0;
    std::chrono::milliseconds waited_{0};
};

/// The response's body as JSON; SyncFailed ("... answered with invalid or truncated JSON") if
/// it is not.
nlohmann::json parse_json_body(const VendorClient& client, std::string_view call,
                               const HttpResponse& response);

/// Percent-encodes `text` for a query string or a form body (RFC 3986 unreserved kept).
std::string url_encode(std::string_view text);

}  // namespace pakt::server::connectors
