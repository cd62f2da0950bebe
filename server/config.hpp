// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// paktd's configuration: every field has a default that lets paktd run with no file at all.
// Loaded from TOML (config/paktd.toml documents every key), then overridden by command-line flags.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/toml_entry.hpp"

namespace pakt::server {

/// The most enrollments one enroll secret may allow ([agents] enroll_secret_uses, and "uses" when
/// a secret is created).
inline constexpr unsigned kMaxEnrollSecretUses = 1000;

/// Apple School Manager API ([connectors.asm]): delivery lists by order number.
struct AsmSettings {
    bool enabled = false;                    ///< the table is present (and `enabled` is not false)
    std::string client_id;                   ///< "SCHOOLAPI.<uuid>", shown with the API account
    std::string key_id;                      ///< the key's id, shown with the API account
    std::filesystem::path private_key_file;  ///< the API account's EC P-256 key (PEM), 0600
    std::string api_url = "https://api-school.apple.com";
    std::string token_url = "https://account.apple.com/auth/oauth2/token";
    std::filesystem::path ca_file;  ///< empty: the system's CA store
    unsigned page_size = 1000;      ///< devices per page (the API allows 1 to 1000)
};

/// Jamf School API ([connectors.jamf_school]): MDM state of every device.
struct JamfSchoolSettings {
    bool enabled = false;
    std::string url;                     ///< "https://<instance>.jamfcloud.com/api"
    std::string network_id;              ///< the user name of Basic authentication
    std::filesystem::path api_key_file;  ///< the API key, 0600
    std::filesystem::path ca_file;
    /// Jamf School location id -> school number. Locations not listed here are matched by a
    /// school number in the location's name.
    std::map<std::string, std::string> locations;
};

/// Relution REST API ([connectors.relution]): MDM state of every device.
struct RelutionSettings {
    bool enabled = false;
    std::string url;  ///< the Relution server, e.g. "https://mdm.example.org"
    std::filesystem::path access_token_file;  ///< an API access token, 0600
    std::filesystem::path ca_file;
    unsigned page_size = 500;
    /// Relution organisation UUID -> school number.
    std::map<std::string, std::string> organisations;
};

/// [connectors]: vendor APIs paktd pulls from, on a schedule and on request.
struct ConnectorsSettings {
    /// Between scheduled runs of each connector (spread ±10 %); 0: only on request.
    std::chrono::seconds interval{std::chrono::hours(1)};
    std::chrono::seconds call_timeout{30};  ///< each HTTP call, connect to last byte
    unsigned max_attempts = 6;  ///< per call, counting retries after 429, 5xx or network errors
    std::chrono::milliseconds retry_backoff{1000};  ///< first wait after a 5xx, doubled each time
    std::chrono::seconds max_retry_after{300};      ///< a longer Retry-After fails the run instead
    AsmSettings asm_api;
    JamfSchoolSettings jamf_school;
    RelutionSettings relution;
};

struct ServerConfig {
    // [server]
    std::string listen_address = "0.0.0.0";        ///< address to bind
    std::uint16_t listen_port = 8443;              ///< 0 picks a free port (tests)
    std::filesystem::path data_dir = "pakt-data";  ///< database, generated certificate
    /// Threads running the network; 0 = half the hardware threads (at least 1).
    unsigned io_threads = 0;
    unsigned handler_threads = 16;  ///< threads running request handlers (they wait on commits)
    /// If set, "port fingerprint" is written here once listening.
    std::filesystem::path ready_file;
    std::chrono::milliseconds shutdown_grace{3000};  ///< SIGTERM: time for in-flight requests
    /// The address people reach paktd at, e.g. "https://pakt.example.org" (no path): printed in
    /// QR labels and the only Origin accepted for browser-session changes. Empty: the scheme and
    /// the Host header of each request.
    std::string public_url;
    /// Front-end development only: serve the web UI's files from this directory (server/web)
    /// instead of the embedded copy. Empty: embedded.
    std::filesystem::path web_dir;
    /// Reverse proxies whose X-Forwarded-For is believed: IP addresses or CIDR prefixes, IPv4
    /// or IPv6 (validated on load). A request whose TCP peer is one of them is attributed to the
    /// right-most forwarded address that is not itself a trusted proxy (logs, login throttle);
    /// connections from them are exempt from max_connections_per_address. Empty: the peer is
    /// always the client.
    std::vector<std::string> trusted_proxies;

    // [tls]
    bool tls_enabled = true;          ///< false only behind a TLS-terminating reverse proxy
    std::filesystem::path cert_file;  ///< empty: <data_dir>/tls/cert.pem, generated if missing
    std::filesystem::path key_file;   ///< empty: <data_dir>/tls/key.pem

    // [limits]
    std::size_t body_limit_bytes = 2 * 1024 * 1024;  ///< larger bodies get 413
    std::size_t header_limit_bytes = 16 * 1024;      ///< larger headers get 431
    std::chrono::milliseconds handshake_timeout{10000};
    /// How long a kept-alive connection may wait, idle, for its next request.
    std::chrono::milliseconds read_timeout{30000};
    std::chrono::milliseconds write_timeout{30000};
    /// From a connection's start (after the TLS handshake) or the first byte of a later request
    /// to the end of the request's header; a client that sends its header slowly is cut.
    std::chrono::milliseconds header_timeout{10000};
    /// A request body must arrive at least this fast, on average since the header, once the
    /// grace below has passed; slower bodies are cut (slowloris).
    std::size_t min_body_bytes_per_second = 1024;
    std::chrono::milliseconds min_body_rate_grace{5000};
    /// When max_connections are open, the longest-idle keep-alive connection is closed to make
    /// room; only if none is idle is a new connection closed at once.
    std::size_t max_connections = 2048;
    /// Open connections from one client address (an IPv6 client's /64); more are closed at once.
    /// Room for a school behind NAT, but one address gets only an eighth of max_connections.
    /// Trusted proxies are exempt.
    std::size_t max_connections_per_address = 256;
    /// Requests queued or running on the handler threads; beyond it the network layer answers
    /// 503 (type "overloaded") with Retry-After itself, without running the handler.
    std::size_t max_queued_requests = 512;

    // [database]
    std::filesystem::path database_file;  ///< empty: <data_dir>/pakt.db
    /// A PostgreSQL URL ("postgresql://..."): the database is there instead of in the SQLite
    /// file. Empty: SQLite.
    std::string database_url;
    bool uses_postgres() const { return !database_url.empty(); }
    unsigned read_connections = 4;       ///< pooled read-only connections
    std::size_t writer_max_batch = 256;  ///< write commands per group commit
    std::chrono::milliseconds busy_timeout{5000};

    // [auth]
    std::chrono::seconds session_ttl{std::chrono::hours(12)};
    /// A session unused for this long ends (a forgotten browser in a staff room); API tokens
    /// are not affected.
    std::chrono::seconds session_idle{std::chrono::minutes(60)};
    /// Failed logins per (username, client address) before each further attempt has to wait a
    /// delay that doubles with every failure (1 s, 2 s, 4 s, ... up to login_max_delay).
    unsigned login_free_failures = 5;
    /// Failed logins per client address, whatever the usernames, before delays begin there.
    unsigned login_address_free_failures = 20;
    std::chrono::seconds login_first_delay{1};  ///< the first delay, doubled after each failure
    std::chrono::seconds login_max_delay{900};  ///< the longest wait between attempts
    /// A username/address or an address without a failure for this long starts over; more than
    /// login_max_delay.
    std::chrono::seconds login_forget{3600};

    // [agents]
    /// Told to agents as next_checkin_s (spread ±10 %).
    std::chrono::seconds checkin_interval{900};
    unsigned checkin_burst = 60;       ///< check-ins an agent may send back to back (spool drain)
    unsigned checkin_per_minute = 60;  ///< sustained check-ins per agent and minute
    std::size_t checkin_max_decompressed_bytes = 16 * 1024 * 1024;  ///< gzip bodies beyond: 413
    std::chrono::hours enroll_secret_ttl{72};  ///< default lifetime of an agent enroll secret
    /// Enrollments one enroll secret allows by default (1 to kMaxEnrollSecretUses).
    unsigned enroll_secret_uses = 1;

    // [connectors]
    ConnectorsSettings connectors;

    // [organisation]
    /// The municipality that owns the devices (Schulträger), named as lender in loan agreements.
    std::string organisation_name;

    // [log]
    std::string log_level = "info";

    std::filesystem::path effective_database_file() const;
    std::filesystem::path effective_cert_file() const;
    std::filesystem::path effective_key_file() const;
};

/// A configuration error: names the file and the key and says what was expected.
using ConfigError = pakt::ConfigError;

/// Reads `file` over the defaults. Unknown tables or keys, wrong types and out-of-range values
/// throw ConfigError("<file>: key 'limits.body_limit_bytes': expected a positive integer, got
/// string"); a TOML syntax error names the file, line and column.
ServerConfig load_config(const std::filesystem::path& file);

/// Every key load_config accepts, dotted: "server.listen", "connectors.asm.client_id" (the
/// manual, paktd.toml(5), is checked against it).
std::vector<std::string> config_keys();

/// Parses "host:port" or "[v6]:port" into the config; throws ConfigError naming `origin`.
void apply_listen(ServerConfig& config, const std::string& listen, const std::string& origin);

}  // namespace pakt::server
