// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "server/config.hpp"

#include <arpa/inet.h>
#include <toml++/toml.h>

#include <array>
#include <charconv>
#include <cstdint>
#include <span>
#include <string_view>
#include <system_error>
#include <utility>

#include "common/https_url.hpp"
#include "server/net/client_address.hpp"

namespace pakt::server {

namespace {

// Upper bounds are sanity limits: they catch a misplaced digit or a value in the wrong unit (a
// timeout in microseconds), and keep every accepted value far from overflow when it is later
// added to a time point or multiplied.
constexpr std::int64_t kMaxThreads = 1024;
constexpr std::int64_t kMinBodyLimit = 1024;
constexpr std::int64_t kMaxBodyLimit = std::int64_t{1} << 30;  // 1 GiB
constexpr std::int64_t kMinHeaderLimit = 1024;
constexpr std::int64_t kMaxHeaderLimit = std::int64_t{1} << 20;  // 1 MiB
constexpr std::int64_t kMaxTimeoutMs = 24LL * 60 * 60 * 1000;    // a day
constexpr std::int64_t kMaxConnections = 1'000'000;
constexpr std::int64_t kMaxQueuedRequests = 1'000'000;
constexpr std::int64_t kMaxReadConnections = 256;
constexpr std::int64_t kMaxWriterBatch = 100'000;
constexpr std::int64_t kMaxSessionTtlMinutes = 366LL * 24 * 60;  // a year
constexpr std::int64_t kMaxLoginFailures = 1'000'000;
constexpr std::int64_t kMaxLoginPeriodS = 30LL * 24 * 60 * 60;  // a month

constexpr std::array<std::string_view, 6> kLogLevels = {"trace", "debug", "info",
                                                        "warn",  "error", "off"};

using Entry = TomlEntry;

// "https://host[:port]" without a path: an origin as browsers send it.
std::string public_url(const std::string& text, const std::string& origin) {
    std::string url = text;
    while (!url.empty() && url.back() == '/') url.pop_back();
    if (url.empty()) return url;  // the default: each request's scheme and Host
    const bool scheme_ok = url.starts_with("https://") || url.starts_with("http://");
    const auto host_start = url.find("://") + 3;
    if (!scheme_ok || url.size() <= host_start || url.find('/', host_start) != std::string::npos ||
        url.find_first_of(" ?#@\\", host_start) != std::string::npos) {
        throw ConfigError(origin +
                          ": expected an origin such as \"https://pakt.example.org\" "
                          "(scheme and host, optionally a port, no path), got '" +
                          text + "'");
    }
    // Browsers leave a scheme's default port out of the Origin they send.
    if (url.starts_with("https://") && url.ends_with(":443")) url.resize(url.size() - 4);
    if (url.starts_with("http://") && url.ends_with(":80")) url.resize(url.size() - 3);
    return url;
}

[[noreturn]] void refuse_lockout_key(const Entry& e, ServerConfig& /*unused*/) {
    throw ConfigError(e.origin() +
                      ": no longer supported: failed logins no longer lock a username out; "
                      "they make further attempts from the same address wait growing delays. "
                      "Use login_free_failures, login_address_free_failures, login_first_delay_s, "
                      "login_max_delay_s and login_forget_s instead");
}

struct KeySpec {
    std::string_view name;
    void (*apply)(const Entry&, ServerConfig&);
};

struct TableSpec {
    std::string_view name;
    std::span<const KeySpec> keys;
};

using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

const KeySpec kServerKeys[] = {
    {"listen", [](const Entry& e, ServerConfig& c) { apply_listen(c, e.text(), e.origin()); }},
    {"data_dir", [](const Entry& e, ServerConfig& c) { c.data_dir = e.path(false); }},
    {"io_threads",
     [](const Entry& e, ServerConfig& c) { c.io_threads = e.integer<unsigned>(0, kMaxThreads); }},
    {"handler_threads",
     [](const Entry& e, ServerConfig& c) {
         c.handler_threads = e.integer<unsigned>(1, kMaxThreads);
     }},
    {"ready_file", [](const Entry& e, ServerConfig& c) { c.ready_file = e.path(true); }},
    {"shutdown_grace_ms",
     [](const Entry& e, ServerConfig& c) {
         c.shutdown_grace = milliseconds(e.integer<std::int64_t>(0, kMaxTimeoutMs));
     }},
    {"public_url",
     [](const Entry& e, ServerConfig& c) { c.public_url = public_url(e.text(), e.origin()); }},
    {"web_dir", [](const Entry& e, ServerConfig& c) { c.web_dir = e.path(true); }},
    {"trusted_proxies",
     [](const Entry& e, ServerConfig& c) {
         c.trusted_proxies = e.text_list();
         for (const auto& prefix : c.trusted_proxies) {
             if (!net::parse_ip_prefix(prefix)) {
                 e.fail("a list of IP addresses or CIDR prefixes such as \"10.0.0.0/8\"",
                        "'" + prefix + "'");
             }
         }
     }},
};

const KeySpec kTlsKeys[] = {
    {"enabled", [](const Entry& e, ServerConfig& c) { c.tls_enabled = e.boolean(); }},
    {"cert_file", [](const Entry& e, ServerConfig& c) { c.cert_file = e.path(true); }},
    {"key_file", [](const Entry& e, ServerConfig& c) { c.key_file = e.path(true); }},
};

const KeySpec kLimitsKeys[] = {
    {"body_limit_bytes",
     [](const Entry& e, ServerConfig& c) {
         c.body_limit_bytes = e.integer<std::size_t>(kMinBodyLimit, kMaxBodyLimit);
     }},
    {"header_limit_bytes",
     [](const Entry& e, ServerConfig& c) {
         c.header_limit_bytes = e.integer<std::size_t>(kMinHeaderLimit, kMaxHeaderLimit);
     }},
    {"handshake_timeout_ms",
     [](const Entry& e, ServerConfig& c) {
         c.handshake_timeout = milliseconds(e.integer<std::int64_t>(1, kMaxTimeoutMs));
     }},
    {"read_timeout_ms",
     [](const Entry& e, ServerConfig& c) {
         c.read_timeout = milliseconds(e.integer<std::int64_t>(1, kMaxTimeoutMs));
     }},
    {"write_timeout_ms",
     [](const Entry& e, ServerConfig& c) {
         c.write_timeout = milliseconds(e.integer<std::int64_t>(1, kMaxTimeoutMs));
     }},
    {"max_connections",
     [](const Entry& e, ServerConfig& c) {
         c.max_connections = e.integer<std::size_t>(1, kMaxConnections);
     }},
    {"max_connections_per_address",
     [](const Entry& e, ServerConfig& c) {
         c.max_connections_per_address = e.integer<std::size_t>(1, kMaxConnections);
     }},
    {"header_timeout_ms",
     [](const Entry& e, ServerConfig& c) {
         c.header_timeout = milliseconds(e.integer<std::int64_t>(1, kMaxTimeoutMs));
     }},
    {"min_body_bytes_per_second",
     [](const Entry& e, ServerConfig& c) {
         c.min_body_bytes_per_second = e.integer<std::size_t>(1, kMaxBodyLimit);
     }},
    {"min_body_rate_grace_ms",
     [](const Entry& e, ServerConfig& c) {
         c.min_body_rate_grace = milliseconds(e.integer<std::int64_t>(0, kMaxTimeoutMs));
     }},
    {"max_queued_requests",
     [](const Entry& e, ServerConfig& c) {
         c.max_queued_requests = e.integer<std::size_t>(1, kMaxQueuedRequests);
     }},
};

const KeySpec kDatabaseKeys[] = {
    {"file", [](const Entry& e, ServerConfig& c) { c.database_file = e.path(true); }},
    {"url",
     [](const Entry& e, ServerConfig& c) {
         const std::string url = e.name(true);
         if (!url.empty() && url.rfind("postgresql://", 0) != 0 && url.rfind("postgres://", 0) != 0)
             e.fail("a PostgreSQL URL such as \"postgresql://pakt@db.example.org/pakt\" or \"\"",
                    "\"" + url + "\"");
         c.database_url = url;
     }},
    {"read_connections",
     [](const Entry& e, ServerConfig& c) {
         c.read_connections = e.integer<unsigned>(1, kMaxReadConnections);
     }},
    {"writer_max_batch",
     [](const Entry& e, ServerConfig& c) {
         c.writer_max_batch = e.integer<std::size_t>(1, kMaxWriterBatch);
     }},
    {"busy_timeout_ms",
     [](const Entry& e, ServerConfig& c) {
         c.busy_timeout = milliseconds(e.integer<std::int64_t>(1, kMaxTimeoutMs));
     }},
};

const KeySpec kAuthKeys[] = {
    {"session_ttl_minutes",
     [](const Entry& e, ServerConfig& c) {
         c.session_ttl = minutes(e.integer<std::int64_t>(1, kMaxSessionTtlMinutes));
     }},
    {"session_idle_minutes",
     [](const Entry& e, ServerConfig& c) {
         c.session_idle = minutes(e.integer<std::int64_t>(1, kMaxSessionTtlMinutes));
     }},
    {"login_free_failures",
     [](const Entry& e, ServerConfig& c) {
         c.login_free_failures = e.integer<unsigned>(1, kMaxLoginFailures);
     }},
    {"login_address_free_failures",
     [](const Entry& e, ServerConfig& c) {
         c.login_address_free_failures = e.integer<unsigned>(1, kMaxLoginFailures);
     }},
    {"login_first_delay_s",
     [](const Entry& e, ServerConfig& c) {
         c.login_first_delay = seconds(e.integer<std::int64_t>(1, kMaxLoginPeriodS));
     }},
    {"login_max_delay_s",
     [](const Entry& e, ServerConfig& c) {
         c.login_max_delay = seconds(e.integer<std::int64_t>(1, kMaxLoginPeriodS));
     }},
    {"login_forget_s",
     [](const Entry& e, ServerConfig& c) {
         c.login_forget = seconds(e.integer<std::int64_t>(2, kMaxLoginPeriodS));
     }},
    // The lockout these configured let anyone lock a username out for everybody; the keys are
    // refused rather than ignored, so nobody believes a setting is in force that is not.
    {"login_max_failures", refuse_lockout_key},
    {"login_window_s", refuse_lockout_key},
    {"login_lockout_s", refuse_lockout_key},
};

const KeySpec kAgentsKeys[] = {
    {"checkin_interval_s",
     [](const Entry& e, ServerConfig& c) {
         c.checkin_interval = seconds(e.integer<std::int64_t>(10, 86400));
     }},
    {"checkin_burst",
     [](const Entry& e, ServerConfig& c) { c.checkin_burst = e.integer<unsigned>(1, 100000); }},
    {"checkin_per_minute",
     [](const Entry& e, ServerConfig& c) {
         c.checkin_per_minute = e.integer<unsigned>(1, 100000);
     }},
    {"checkin_max_decompressed_bytes",
     [](const Entry& e, ServerConfig& c) {
         c.checkin_max_decompressed_bytes = e.integer<std::size_t>(kMinBodyLimit, kMaxBodyLimit);
     }},
    {"enroll_secret_ttl_hours",
     [](const Entry& e, ServerConfig& c) {
         c.enroll_secret_ttl = std::chrono::hours(e.integer<std::int64_t>(1, 24 * 90));
     }},
    {"enroll_secret_uses",
     [](const Entry& e, ServerConfig& c) {
         c.enroll_secret_uses = e.integer<unsigned>(1, kMaxEnrollSecretUses);
     }},
};

// Applies the keys of a table nested in a table ([connectors.asm] in [connectors]).
void apply_nested(const Entry& entry, std::span<const KeySpec> keys, ServerConfig& config) {
    for (const auto& [key, node] : entry.table()) {
        const KeySpec* match = nullptr;
        for (const KeySpec& candidate : keys) {
            if (candidate.name == key.str()) match = &candidate;
        }
        const Entry child = entry.child(key.str(), node);
        if (match == nullptr) {
            throw ConfigError(child.file() + ": unknown key '" + child.key() + "'");
        }
        match->apply(child, config);
    }
}

std::string https_url(const Entry& e) {
    const std::string text = e.name(false);
    std::string why;
    if (!parse_server_url(text, &why)) {
        throw ConfigError(e.origin() + ": expected an https URL, got '" + text + "' (" + why + ")");
    }
    return text;
}

// A table of id -> school number (connectors' location and organisation maps).
std::map<std::string, std::string> school_map(const Entry& e) {
    std::map<std::string, std::string> out;
    for (const auto& [key, node] : e.table()) {
        const Entry value = e.child(key.str(), node);
        std::string school = value.name(false);
        if (school.size() > 32) throw ConfigError(value.origin() + ": expected a school number");
        out.emplace(std::string(key.str()), std::move(school));
    }
    return out;
}

const KeySpec kAsmKeys[] = {
    {"enabled",
     [](const Entry& e, ServerConfig& c) { c.connectors.asm_api.enabled = e.boolean(); }},
    {"client_id",
     [](const Entry& e, ServerConfig& c) { c.connectors.asm_api.client_id = e.name(false); }},
    {"key_id",
     [](const Entry& e, ServerConfig& c) { c.connectors.asm_api.key_id = e.name(false); }},
    {"private_key_file",
     [](const Entry& e, ServerConfig& c) {
         c.connectors.asm_api.private_key_file = e.path(false);
     }},
    {"api_url",
     [](const Entry& e, ServerConfig& c) { c.connectors.asm_api.api_url = https_url(e); }},
    {"token_url",
     [](const Entry& e, ServerConfig& c) { c.connectors.asm_api.token_url = https_url(e); }},
    {"ca_file",
     [](const Entry& e, ServerConfig& c) { c.connectors.asm_api.ca_file = e.path(true); }},
    {"page_size",
     [](const Entry& e, ServerConfig& c) {
         c.connectors.asm_api.page_size = e.integer<unsigned>(1, 1000);
     }},
};

const KeySpec kJamfSchoolKeys[] = {
    {"enabled",
     [](const Entry& e, ServerConfig& c) { c.connectors.jamf_school.enabled = e.boolean(); }},
    {"url", [](const Entry& e, ServerConfig& c) { c.connectors.jamf_school.url = https_url(e); }},
    {"network_id",
     [](const Entry& e, ServerConfig& c) { c.connectors.jamf_school.network_id = e.name(false); }},
    {"api_key_file",
     [](const Entry& e, ServerConfig& c) {
         c.connectors.jamf_school.api_key_file = e.path(false);
     }},
    {"ca_file",
     [](const Entry& e, ServerConfig& c) { c.connectors.jamf_school.ca_file = e.path(true); }},
    {"locations",
     [](const Entry& e, ServerConfig& c) { c.connectors.jamf_school.locations = school_map(e); }},
};

const KeySpec kRelutionKeys[] = {
    {"enabled",
     [](const Entry& e, ServerConfig& c) { c.connectors.relution.enabled = e.boolean(); }},
    {"url", [](const Entry& e, ServerConfig& c) { c.connectors.relution.url = https_url(e); }},
    {"access_token_file",
     [](const Entry& e, ServerConfig& c) {
         c.connectors.relution.access_token_file = e.path(false);
     }},
    {"ca_file",
     [](const Entry& e, ServerConfig& c) { c.connectors.relution.ca_file = e.path(true); }},
    {"page_size",
     [](const Entry& e, ServerConfig& c) {
         c.connectors.relution.page_size = e.integer<unsigned>(1, 10000);
     }},
    {"organisations",
     [](const Entry& e, ServerConfig& c) { c.connectors.relution.organisations = school_map(e); }},
};

const KeySpec kConnectorsKeys[] = {
    {"interval_s",
     [](const Entry& e, ServerConfig& c) {
         c.connectors.interval = seconds(e.integer<std::int64_t>(0, 7 * 86400));
     }},
    {"call_timeout_s",
     [](const Entry& e, ServerConfig& c) {
         c.connectors.call_timeout = seconds(e.integer<std::int64_t>(1, 3600));
     }},
    {"max_attempts",
     [](const Entry& e, ServerConfig& c) {
         c.connectors.max_attempts = e.integer<unsigned>(1, 100);
     }},
    {"retry_backoff_ms",
     [](const Entry& e, ServerConfig& c) {
         c.connectors.retry_backoff = milliseconds(e.integer<std::int64_t>(1, 600'000));
     }},
    {"max_retry_after_s",
     [](const Entry& e, ServerConfig& c) {
         c.connectors.max_retry_after = seconds(e.integer<std::int64_t>(1, 86400));
     }},
    {"asm",
     [](const Entry& e, ServerConfig& c) {
         c.connectors.asm_api.enabled = true;
         apply_nested(e, kAsmKeys, c);
     }},
    {"jamf_school",
     [](const Entry& e, ServerConfig& c) {
         c.connectors.jamf_school.enabled = true;
         apply_nested(e, kJamfSchoolKeys, c);
     }},
    {"relution",
     [](const Entry& e, ServerConfig& c) {
         c.connectors.relution.enabled = true;
         apply_nested(e, kRelutionKeys, c);
     }},
};

// An enabled connector needs its credentials; the message names the missing key.
void require_connector_keys(const std::string& file, const ConnectorsSettings& c) {
    const auto missing = [&](bool absent, const char* key) {
        if (absent) {
            throw ConfigError(file + ": key 'connectors." + key +
                              "' is required when the connector is configured");
        }
    };
    if (c.asm_api.enabled) {
        missing(c.asm_api.client_id.empty(), "asm.client_id");
        missing(c.asm_api.key_id.empty(), "asm.key_id");
        missing(c.asm_api.private_key_file.empty(), "asm.private_key_file");
    }
    if (c.jamf_school.enabled) {
        missing(c.jamf_school.url.empty(), "jamf_school.url");
        missing(c.jamf_school.network_id.empty(), "jamf_school.network_id");
        missing(c.jamf_school.api_key_file.empty(), "jamf_school.api_key_file");
    }
    if (c.relution.enabled) {
        missing(c.relution.url.empty(), "relution.url");
        missing(c.relution.access_token_file.empty(), "relution.access_token_file");
    }
}

const KeySpec kOrganisationKeys[] = {
    {"name",
     [](const Entry& e, ServerConfig& c) {
         c.organisation_name = e.text();
         if (c.organisation_name.size() > 200) {
             throw ConfigError(e.origin() + ": expected at most 200 characters");
         }
     }},
};

const KeySpec kLogKeys[] = {
    {"level", [](const Entry& e, ServerConfig& c) { c.log_level = e.one_of(kLogLevels); }},
};

const TableSpec kTables[] = {
    {"server", kServerKeys},
    {"tls", kTlsKeys},
    {"limits", kLimitsKeys},
    {"database", kDatabaseKeys},
    {"auth", kAuthKeys},
    {"agents", kAgentsKeys},
    {"connectors", kConnectorsKeys},
    {"organisation", kOrganisationKeys},
    {"log", kLogKeys},
};

// The tables nested in [connectors], for config_keys().
const TableSpec kConnectorTables[] = {
    {"connectors.asm", kAsmKeys},
    {"connectors.jamf_school", kJamfSchoolKeys},
    {"connectors.relution", kRelutionKeys},
};

void apply_table(const std::string& file, const TableSpec& spec, const toml::table& table,
                 ServerConfig& config) {
    for (const auto& [key, node] : table) {
        std::string dotted = std::string(spec.name) + "." + std::string(key.str());
        const KeySpec* match = nullptr;
        for (const KeySpec& candidate : spec.keys) {
            if (candidate.name == key.str()) match = &candidate;
        }
        if (match == nullptr) throw ConfigError(file + ": unknown key '" + dotted + "'");
        match->apply(Entry(file, std::move(dotted), node), config);
    }
}

bool is_digits(std::string_view text) {
    if (text.empty()) return false;
    for (char ch : text) {
        if (ch < '0' || ch > '9') return false;
    }
    return true;
}

}  // namespace

std::filesystem::path ServerConfig::effective_database_file() const {
    return database_file.empty() ? data_dir / "pakt.db" : database_file;
}

std::filesystem::path ServerConfig::effective_cert_file() const {
    return cert_file.empty() ? data_dir / "tls" / "cert.pem" : cert_file;
}

std::filesystem::path ServerConfig::effective_key_file() const {
    return key_file.empty() ? data_dir / "tls" / "key.pem" : key_file;
}

std::vector<std::string> config_keys() {
    std::vector<std::string> keys;
    const auto add = [&keys](const TableSpec& spec) {
        for (const KeySpec& key : spec.keys) {
            if (key.apply == refuse_lockout_key) continue;  // known only to be refused
            keys.push_back(std::string(spec.name) + "." + std::string(key.name));
        }
    };
    for (const TableSpec& spec : kTables) add(spec);
    for (const TableSpec& spec : kConnectorTables) add(spec);
    return keys;
}

ServerConfig load_config(const std::filesystem::path& file) {
    const std::string name = file.string();
    const toml::table root = parse_toml_file(file);

    ServerConfig config;
    apply_top_level_tables(name, root, std::span<const TableSpec>(kTables),
                           [&](const TableSpec& spec, const toml::table& table) {
                               apply_table(name, spec, table, config);
                           });
    if (config.login_max_delay < config.login_first_delay) {
        throw ConfigError(name +
                          ": key 'auth.login_max_delay_s': expected at least "
                          "auth.login_first_delay_s (" +
                          std::to_string(config.login_first_delay.count()) + "), got " +
                          std::to_string(config.login_max_delay.count()));
    }
    if (config.login_forget <= config.login_max_delay) {
        throw ConfigError(name +
                          ": key 'auth.login_forget_s': expected more than "
                          "auth.login_max_delay_s (" +
                          std::to_string(config.login_max_delay.count()) + "), got " +
                          std::to_string(config.login_forget.count()) +
                          " (failures would be forgotten while a client still waits)");
    }
    require_connector_keys(name, config.connectors);
    return config;
}

void apply_listen(ServerConfig& config, const std::string& listen, const std::string& origin) {
    const auto fail = [&](std::string_view why) {
        throw ConfigError(origin + ": expected host:port or [ipv6]:port, got '" + listen + "' (" +
                          std::string(why) + ")");
    };

    std::string host;
    std::string_view port_text;
    const std::string_view text = listen;
    if (text.starts_with('[')) {
        const auto close = text.find(']');
        if (close == std::string_view::npos) fail("missing ']'");
        if (close + 1 >= text.size() || text[close + 1] != ':') fail("missing ':port'");
        host = std::string(text.substr(1, close - 1));
        port_text = text.substr(close + 2);
        in6_addr address{};
        if (inet_pton(AF_INET6, host.c_str(), &address) != 1) {
            fail("the host is not an IPv6 address");
        }
    } else {
        const auto colon = text.rfind(':');
        if (colon == std::string_view::npos) fail("missing ':port'");
        host = std::string(text.substr(0, colon));
        port_text = text.substr(colon + 1);
        if (host.find(':') != std::string::npos) fail("an IPv6 address must be in brackets");
        in_addr address{};
        if (inet_pton(AF_INET, host.c_str(), &address) != 1) {
            fail("the host is not an IPv4 address");
        }
    }

    if (!is_digits(port_text)) fail("the port must be digits");
    unsigned port = 0;
    const auto [end, error] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (error != std::errc{} || end != port_text.data() + port_text.size() || port > 65535) {
        fail("the port must be 0 to 65535");
    }

    config.listen_address = std::move(host);
    config.listen_port = static_cast<std::uint16_t>(port);
}

}  // namespace pakt::server
