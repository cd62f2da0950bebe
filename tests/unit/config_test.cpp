// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "server/config.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace pakt::server {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::StartsWith;

const fs::path kShippedConfig = fs::path(PAKT_SOURCE_DIR) / "config" / "paktd.toml";

// ServerConfig has no operator==; naming each field also shows which one differs.
void expect_same_config(const ServerConfig& actual, const ServerConfig& expected) {
    EXPECT_EQ(actual.listen_address, expected.listen_address);
    EXPECT_EQ(actual.listen_port, expected.listen_port);
    EXPECT_EQ(actual.data_dir, expected.data_dir);
    EXPECT_EQ(actual.io_threads, expected.io_threads);
    EXPECT_EQ(actual.handler_threads, expected.handler_threads);
    EXPECT_EQ(actual.ready_file, expected.ready_file);
    EXPECT_EQ(actual.shutdown_grace, expected.shutdown_grace);
    EXPECT_EQ(actual.public_url, expected.public_url);
    EXPECT_EQ(actual.web_dir, expected.web_dir);
    EXPECT_EQ(actual.session_idle, expected.session_idle);
    EXPECT_EQ(actual.organisation_name, expected.organisation_name);
    EXPECT_EQ(actual.tls_enabled, expected.tls_enabled);
    EXPECT_EQ(actual.cert_file, expected.cert_file);
    EXPECT_EQ(actual.key_file, expected.key_file);
    EXPECT_EQ(actual.body_limit_bytes, expected.body_limit_bytes);
    EXPECT_EQ(actual.header_limit_bytes, expected.header_limit_bytes);
    EXPECT_EQ(actual.handshake_timeout, expected.handshake_timeout);
    EXPECT_EQ(actual.read_timeout, expected.read_timeout);
    EXPECT_EQ(actual.write_timeout, expected.write_timeout);
    EXPECT_EQ(actual.max_connections, expected.max_connections);
    EXPECT_EQ(actual.max_connections_per_address, expected.max_connections_per_address);
    EXPECT_EQ(actual.header_timeout, expected.header_timeout);
    EXPECT_EQ(actual.min_body_bytes_per_second, expected.min_body_bytes_per_second);
    EXPECT_EQ(actual.min_body_rate_grace, expected.min_body_rate_grace);
    EXPECT_EQ(actual.max_queued_requests, expected.max_queued_requests);
    EXPECT_EQ(actual.trusted_proxies, expected.trusted_proxies);
    EXPECT_EQ(actual.database_file, expected.database_file);
    EXPECT_EQ(actual.database_url, expected.database_url);
    EXPECT_EQ(actual.read_connections, expected.read_connections);
    EXPECT_EQ(actual.writer_max_batch, expected.writer_max_batch);
    EXPECT_EQ(actual.busy_timeout, expected.busy_timeout);
    EXPECT_EQ(actual.session_ttl, expected.session_ttl);
    EXPECT_EQ(actual.login_free_failures, expected.login_free_failures);
    EXPECT_EQ(actual.login_address_free_failures, expected.login_address_free_failures);
    EXPECT_EQ(actual.login_first_delay, expected.login_first_delay);
    EXPECT_EQ(actual.login_max_delay, expected.login_max_delay);
    EXPECT_EQ(actual.login_forget, expected.login_forget);
    EXPECT_EQ(actual.checkin_interval, expected.checkin_interval);
    EXPECT_EQ(actual.checkin_burst, expected.checkin_burst);
    EXPECT_EQ(actual.checkin_per_minute, expected.checkin_per_minute);
    EXPECT_EQ(actual.checkin_max_decompressed_bytes, expected.checkin_max_decompressed_bytes);
    EXPECT_EQ(actual.enroll_secret_ttl, expected.enroll_secret_ttl);
    EXPECT_EQ(actual.enroll_secret_uses, expected.enroll_secret_uses);
    EXPECT_EQ(actual.log_level, expected.log_level);
    EXPECT_EQ(actual.connectors.interval, expected.connectors.interval);
    EXPECT_EQ(actual.connectors.call_timeout, expected.connectors.call_timeout);
    EXPECT_EQ(actual.connectors.max_attempts, expected.connectors.max_attempts);
    EXPECT_EQ(actual.connectors.retry_backoff, expected.connectors.retry_backoff);
    EXPECT_EQ(actual.connectors.max_retry_after, expected.connectors.max_retry_after);
    EXPECT_EQ(actual.connectors.asm_api.enabled, expected.connectors.asm_api.enabled);
    EXPECT_EQ(actual.connectors.jamf_school.enabled, expected.connectors.jamf_school.enabled);
    EXPECT_EQ(actual.connectors.relution.enabled, expected.connectors.relution.enabled);
}

// "# name = value" -> "name = value"; any other line unchanged. (std::regex trips a false
// -Wmaybe-uninitialized in g++ 12.)
std::string uncomment_key(const std::string& line) {
    if (!line.starts_with("# ")) return line;
    const auto equals = line.find(" = ");
    if (equals == std::string::npos || equals == 2) return line;
    for (std::size_t i = 2; i < equals; ++i) {
        if (!((line[i] >= 'a' && line[i] <= 'z') || line[i] == '_')) return line;
    }
    return line.substr(2);
}

std::string read_text(const fs::path& file) {
    std::ifstream in(file);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// Each test gets its own directory for the files it writes, removed afterwards.
class ConfigTest : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string pattern = (fs::temp_directory_path() / "pakt-config-test-XXXXXX").string();
        ASSERT_NE(mkdtemp(pattern.data()), nullptr);
        dir_ = pattern;
    }

    void TearDown() override {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }

    fs::path write_config(const std::string& text) const {
        const fs::path file = dir_ / "paktd.toml";
        std::ofstream(file) << text;
        return file;
    }

    // The message of the ConfigError that loading `text` throws; fails the test if none does.
    std::string load_error(const std::string& text) const {
        return load_error_of(write_config(text));
    }

    static std::string load_error_of(const fs::path& file) {
        try {
            load_config(file);
        } catch (const ConfigError& error) {
            return error.what();
        }
        ADD_FAILURE() << "load_config(" << file << ") did not throw ConfigError";
        return {};
    }

    fs::path dir_;
};

TEST(ConfigDefaults, DefaultsLetPaktdRunWithNoFile) {
    const ServerConfig config;
    EXPECT_EQ(config.listen_address, "0.0.0.0");
    EXPECT_EQ(config.listen_port, 8443);
    EXPECT_EQ(config.data_dir, fs::path("pakt-data"));
    EXPECT_EQ(config.io_threads, 0u);
    EXPECT_EQ(config.handler_threads, 16u);
    EXPECT_TRUE(config.ready_file.empty());
    EXPECT_EQ(config.shutdown_grace, milliseconds(3000));
    EXPECT_TRUE(config.tls_enabled);
    EXPECT_EQ(config.body_limit_bytes, 2u * 1024 * 1024);
    EXPECT_EQ(config.header_limit_bytes, 16u * 1024);
    EXPECT_EQ(config.handshake_timeout, milliseconds(10000));
    EXPECT_EQ(config.read_timeout, milliseconds(30000));
    EXPECT_EQ(config.write_timeout, milliseconds(30000));
    EXPECT_EQ(config.max_connections, 2048u);
    EXPECT_EQ(config.max_connections_per_address, 256u);
    EXPECT_EQ(config.header_timeout, milliseconds(10000));
    EXPECT_EQ(config.min_body_bytes_per_second, 1024u);
    EXPECT_EQ(config.min_body_rate_grace, milliseconds(5000));
    EXPECT_EQ(config.max_queued_requests, 512u);
    EXPECT_TRUE(config.trusted_proxies.empty());
    EXPECT_EQ(config.read_connections, 4u);
    EXPECT_EQ(config.writer_max_batch, 256u);
    EXPECT_EQ(config.busy_timeout, milliseconds(5000));
    EXPECT_EQ(config.session_ttl, minutes(720));
    EXPECT_EQ(config.login_free_failures, 5u);
    EXPECT_EQ(config.login_address_free_failures, 20u);
    EXPECT_EQ(config.login_first_delay, seconds(1));
    EXPECT_EQ(config.login_max_delay, seconds(900));
    EXPECT_EQ(config.login_forget, seconds(3600));
    EXPECT_EQ(config.enroll_secret_uses, 1u);
    EXPECT_EQ(config.log_level, "info");
}

TEST(ConfigDefaults, EffectivePathsDefaultIntoDataDir) {
    ServerConfig config;
    config.data_dir = "/var/lib/pakt";
    EXPECT_EQ(config.effective_database_file(), fs::path("/var/lib/pakt/pakt.db"));
    EXPECT_EQ(config.effective_cert_file(), fs::path("/var/lib/pakt/tls/cert.pem"));
    EXPECT_EQ(config.effective_key_file(), fs::path("/var/lib/pakt/tls/key.pem"));
}

TEST(ConfigDefaults, EffectivePathsUseExplicitFiles) {
    ServerConfig config;
    config.database_file = "/srv/db/fleet.db";
    config.cert_file = "/etc/pakt/cert.pem";
    config.key_file = "/etc/pakt/key.pem";
    EXPECT_EQ(config.effective_database_file(), fs::path("/srv/db/fleet.db"));
    EXPECT_EQ(config.effective_cert_file(), fs::path("/etc/pakt/cert.pem"));
    EXPECT_EQ(config.effective_key_file(), fs::path("/etc/pakt/key.pem"));
}

TEST_F(ConfigTest, ShippedConfigLoadsAsTheDefaults) {
    expect_same_config(load_config(kShippedConfig), ServerConfig{});
}

// The shipped file documents each key as a commented-out default; uncommenting all of them must
// still load (names and types are right) and change nothing (the documented defaults are true).
TEST_F(ConfigTest, ShippedConfigUncommentedListsEveryKeyWithItsDefault) {
    std::istringstream shipped(read_text(kShippedConfig));
    std::string uncommented;
    int keys = 0;
    for (std::string line; std::getline(shipped, line);) {
        const std::string active = uncomment_key(line);
        if (active != line) ++keys;
        uncommented += active + "\n";
    }
    EXPECT_EQ(
        keys,
        48);  // every top-level table key load_config accepts (the vendor tables are examples)
    expect_same_config(load_config(write_config(uncommented)), ServerConfig{});
}

TEST_F(ConfigTest, DatabaseUrlSelectsPostgresAndMustBeOne) {
    const auto config = load_config(
        write_config("[database]\nurl = \"postgresql://pakt@db.example.org:5432/pakt\"\n"));
    EXPECT_EQ(config.database_url, "postgresql://pakt@db.example.org:5432/pakt");
    EXPECT_TRUE(config.uses_postgres());
    EXPECT_FALSE(ServerConfig{}.uses_postgres());
    const std::string error = load_error("[database]\nurl = \"mysql://db/pakt\"\n");
    EXPECT_NE(error.find("database.url"), std::string::npos) << error;
    EXPECT_NE(error.find("PostgreSQL URL"), std::string::npos) << error;
}

TEST_F(ConfigTest, EmptyFileGivesDefaults) {
    expect_same_config(load_config(write_config("")), ServerConfig{});
}

TEST_F(ConfigTest, EveryKeyOverridesItsDefault) {
    const ServerConfig config = load_config(write_config(R"(
[server]
listen = "127.0.0.1:9443"
data_dir = "/srv/pakt"
io_threads = 3
handler_threads = 7
ready_file = "/run/pakt/ready"
shutdown_grace_ms = 1500
trusted_proxies = ["10.0.0.5", "192.168.0.0/16", "2001:db8::/32"]

[tls]
enabled = false
cert_file = "/etc/pakt/cert.pem"
key_file = "/etc/pakt/key.pem"

[limits]
body_limit_bytes = 4096
header_limit_bytes = 8192
handshake_timeout_ms = 2000
read_timeout_ms = 3000
write_timeout_ms = 4000
max_connections = 99
max_connections_per_address = 9
header_timeout_ms = 1200
min_body_bytes_per_second = 300
min_body_rate_grace_ms = 0
max_queued_requests = 77

[database]
file = "/srv/db/fleet.db"
read_connections = 2
writer_max_batch = 64
busy_timeout_ms = 250

[auth]
session_ttl_minutes = 60
login_free_failures = 3
login_address_free_failures = 12
login_first_delay_s = 2
login_max_delay_s = 600
login_forget_s = 1200

[log]
level = "debug"
)"));
    EXPECT_EQ(config.listen_address, "127.0.0.1");
    EXPECT_EQ(config.listen_port, 9443);
    EXPECT_EQ(config.data_dir, fs::path("/srv/pakt"));
    EXPECT_EQ(config.io_threads, 3u);
    EXPECT_EQ(config.handler_threads, 7u);
    EXPECT_EQ(config.ready_file, fs::path("/run/pakt/ready"));
    EXPECT_EQ(config.shutdown_grace, milliseconds(1500));
    EXPECT_FALSE(config.tls_enabled);
    EXPECT_EQ(config.cert_file, fs::path("/etc/pakt/cert.pem"));
    EXPECT_EQ(config.key_file, fs::path("/etc/pakt/key.pem"));
    EXPECT_EQ(config.body_limit_bytes, 4096u);
    EXPECT_EQ(config.header_limit_bytes, 8192u);
    EXPECT_EQ(config.handshake_timeout, milliseconds(2000));
    EXPECT_EQ(config.read_timeout, milliseconds(3000));
    EXPECT_EQ(config.write_timeout, milliseconds(4000));
    EXPECT_EQ(config.max_connections, 99u);
    EXPECT_EQ(config.max_connections_per_address, 9u);
    EXPECT_EQ(config.header_timeout, milliseconds(1200));
    EXPECT_EQ(config.min_body_bytes_per_second, 300u);
    EXPECT_EQ(config.min_body_rate_grace, milliseconds(0));
    EXPECT_EQ(config.max_queued_requests, 77u);
    EXPECT_EQ(config.trusted_proxies,
              (std::vector<std::string>{"10.0.0.5", "192.168.0.0/16", "2001:db8::/32"}));
    EXPECT_EQ(config.database_file, fs::path("/srv/db/fleet.db"));
    EXPECT_EQ(config.read_connections, 2u);
    EXPECT_EQ(config.writer_max_batch, 64u);
    EXPECT_EQ(config.busy_timeout, milliseconds(250));
    EXPECT_EQ(config.session_ttl, minutes(60));
    EXPECT_EQ(config.login_free_failures, 3u);
    EXPECT_EQ(config.login_address_free_failures, 12u);
    EXPECT_EQ(config.login_first_delay, seconds(2));
    EXPECT_EQ(config.login_max_delay, seconds(600));
    EXPECT_EQ(config.login_forget, seconds(1200));
    EXPECT_EQ(config.log_level, "debug");
}

TEST_F(ConfigTest, KeysLeftOutKeepTheirDefaults) {
    const ServerConfig config = load_config(write_config("[limits]\nmax_connections = 10\n"));
    EXPECT_EQ(config.max_connections, 10u);
    ServerConfig expected;
    expected.max_connections = 10;
    expect_same_config(config, expected);
}

TEST_F(ConfigTest, RelativeDataDirStaysRelative) {
    const ServerConfig config = load_config(write_config("[server]\ndata_dir = \"state/pakt\"\n"));
    EXPECT_EQ(config.data_dir, fs::path("state/pakt"));
    EXPECT_EQ(config.effective_database_file(), fs::path("state/pakt/pakt.db"));
}

TEST_F(ConfigTest, IoThreadsZeroIsAccepted) {
    EXPECT_EQ(load_config(write_config("[server]\nio_threads = 0\n")).io_threads, 0u);
}

TEST_F(ConfigTest, IPv6ListenInFileIsApplied) {
    const ServerConfig config = load_config(write_config("[server]\nlisten = \"[::1]:0\"\n"));
    EXPECT_EQ(config.listen_address, "::1");
    EXPECT_EQ(config.listen_port, 0);
}

TEST_F(ConfigTest, UnknownKeyNamesFileAndKey) {
    const fs::path file = write_config("[server]\nlistn = \"0.0.0.0:8443\"\n");
    EXPECT_EQ(load_error_of(file), file.string() + ": unknown key 'server.listn'");
}

TEST_F(ConfigTest, UnknownTableNamesFileAndTable) {
    const fs::path file = write_config("[limit]\nbody_limit_bytes = 4096\n");
    EXPECT_EQ(load_error_of(file), file.string() + ": unknown table 'limit'");
}

TEST_F(ConfigTest, KeyOutsideAnyTableIsUnknown) {
    const fs::path file = write_config("listen = \"0.0.0.0:8443\"\n");
    EXPECT_EQ(load_error_of(file), file.string() + ": unknown key 'listen'");
}

TEST_F(ConfigTest, SubtableOfKnownTableIsUnknown) {
    const fs::path file = write_config("[server.tls]\nenabled = true\n");
    EXPECT_EQ(load_error_of(file), file.string() + ": unknown key 'server.tls'");
}

TEST_F(ConfigTest, KnownTableGivenAsValueNamesExpectedTable) {
    const fs::path file = write_config("server = 1\n");
    EXPECT_EQ(load_error_of(file), file.string() + ": key 'server': expected a table, got integer");
}

TEST_F(ConfigTest, WrongTypeNamesKeyExpectedAndActualType) {
    const fs::path file = write_config("[limits]\nbody_limit_bytes = \"2MB\"\n");
    EXPECT_EQ(
        load_error_of(file),
        file.string() + ": key 'limits.body_limit_bytes': expected a positive integer, got string");
}

TEST_F(ConfigTest, WrongTypesOfEachKindAreRejected) {
    struct Case {
        std::string text;
        std::string message;
    };
    const std::vector<Case> cases = {
        {"[tls]\nenabled = \"yes\"\n", "key 'tls.enabled': expected a boolean"},
        {"[server]\nlisten = 8443\n", "key 'server.listen': expected a string, got integer"},
        {"[server]\ndata_dir = [\"a\"]\n", "key 'server.data_dir': expected a string, got array"},
        {"[server]\nio_threads = 2.0\n",
         "key 'server.io_threads': expected a non-negative integer, got floating-point number"},
        {"[database]\nfile = true\n", "key 'database.file': expected a string, got boolean"},
        {"[log]\nlevel = 3\n",
         "key 'log.level': expected one of trace, debug, info, warn, error, "
         "off, got integer"},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.text);
        EXPECT_THAT(load_error(c.text), HasSubstr(c.message));
    }
}

TEST_F(ConfigTest, TheOldLoginLockoutKeysAreRefusedNamingTheirReplacements) {
    for (const char* key :
         {"login_max_failures = 5", "login_window_s = 900", "login_lockout_s = 900"}) {
        SCOPED_TRACE(key);
        const std::string error = load_error(std::string("[auth]\n") + key + "\n");
        EXPECT_THAT(error, HasSubstr("no longer supported"));
        EXPECT_THAT(error, HasSubstr("login_free_failures"));
    }
}

TEST_F(ConfigTest, LoginMaxDelayIsAtLeastTheFirstDelay) {
    EXPECT_THAT(
        load_error("[auth]\nlogin_first_delay_s = 60\nlogin_max_delay_s = 30\n"),
        HasSubstr("key 'auth.login_max_delay_s': expected at least auth.login_first_delay_s"));
}

TEST_F(ConfigTest, LoginForgetMustOutlastTheLongestDelay) {
    EXPECT_THAT(load_error("[auth]\nlogin_max_delay_s = 600\nlogin_forget_s = 600\n"),
                HasSubstr("key 'auth.login_forget_s': expected more than auth.login_max_delay_s"));
}

TEST_F(ConfigTest, EnrollSecretUsesAreBetweenOneAndTheMaximum) {
    EXPECT_THAT(load_error("[agents]\nenroll_secret_uses = 0\n"),
                HasSubstr("key 'agents.enroll_secret_uses': expected an integer from 1 to 1000"));
    EXPECT_THAT(load_error("[agents]\nenroll_secret_uses = 1001\n"),
                HasSubstr("key 'agents.enroll_secret_uses': expected an integer from 1 to 1000"));
    EXPECT_EQ(load_config(write_config("[agents]\nenroll_secret_uses = 3\n")).enroll_secret_uses,
              3u);
}

TEST_F(ConfigTest, OutOfRangeValuesNameKeyAndExpectedRange) {
    struct Case {
        std::string text;
        std::string message;
    };
    const std::vector<Case> cases = {
        {"[server]\nhandler_threads = 0\n",
         "key 'server.handler_threads': expected an integer from 1 to 1024, got 0"},
        {"[server]\nio_threads = -1\n",
         "key 'server.io_threads': expected an integer from 0 to 1024, got -1"},
        {"[server]\ndata_dir = \"\"\n",
         "key 'server.data_dir': expected a non-empty path, got an empty string"},
        {"[limits]\nbody_limit_bytes = 1023\n",
         "key 'limits.body_limit_bytes': expected an integer from 1024 to"},
        {"[limits]\nheader_limit_bytes = -16384\n",
         "key 'limits.header_limit_bytes': expected an integer from 1024 to"},
        {"[limits]\nread_timeout_ms = 0\n",
         "key 'limits.read_timeout_ms': expected an integer from 1 to"},
        {"[limits]\nmax_connections = 0\n",
         "key 'limits.max_connections': expected an integer from 1 to"},
        {"[limits]\nmax_connections_per_address = 0\n",
         "key 'limits.max_connections_per_address': expected an integer from 1 to"},
        {"[limits]\nheader_timeout_ms = 0\n",
         "key 'limits.header_timeout_ms': expected an integer from 1 to"},
        {"[limits]\nmin_body_bytes_per_second = 0\n",
         "key 'limits.min_body_bytes_per_second': expected an integer from 1 to"},
        {"[limits]\nmin_body_rate_grace_ms = -1\n",
         "key 'limits.min_body_rate_grace_ms': expected an integer from 0 to"},
        {"[limits]\nmax_queued_requests = 0\n",
         "key 'limits.max_queued_requests': expected an integer from 1 to"},
        {"[limits]\nmax_queued_requests = 1000001\n",
         "key 'limits.max_queued_requests': expected an integer from 1 to 1000000, got 1000001"},
        {"[database]\nread_connections = 0\n",
         "key 'database.read_connections': expected an integer from 1 to"},
        {"[auth]\nsession_ttl_minutes = 9223372036854775807\n",
         "key 'auth.session_ttl_minutes': expected an integer from 1 to"},
        {"[log]\nlevel = \"verbose\"\n",
         "key 'log.level': expected one of trace, debug, info, warn, error, off, got 'verbose'"},
        {"[server]\nlisten = \"0.0.0.0:65536\"\n", "key 'server.listen': expected host:port"},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.text);
        EXPECT_THAT(load_error(c.text), HasSubstr(c.message));
    }
}

TEST_F(ConfigTest, TrustedProxiesMustBeAListOfAddressesOrPrefixes) {
    struct Case {
        std::string text;
        std::string message;
    };
    const std::vector<Case> cases = {
        {"[server]\ntrusted_proxies = \"10.0.0.5\"\n",
         "key 'server.trusted_proxies': expected an array of strings, got string"},
        {"[server]\ntrusted_proxies = [10]\n",
         "key 'server.trusted_proxies': expected an array of strings, got an array containing "
         "integer"},
        {"[server]\ntrusted_proxies = [\"10.0.0.5\", \"proxy.example.org\"]\n",
         "key 'server.trusted_proxies': expected a list of IP addresses or CIDR prefixes such as "
         "\"10.0.0.0/8\", got 'proxy.example.org'"},
        {"[server]\ntrusted_proxies = [\"10.0.0.1/8\"]\n",
         "key 'server.trusted_proxies': expected a list of IP addresses or CIDR prefixes"},
        {"[server]\ntrusted_proxies = [\"2001:db8::/129\"]\n",
         "key 'server.trusted_proxies': expected a list of IP addresses or CIDR prefixes"},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.text);
        EXPECT_THAT(load_error(c.text), HasSubstr(c.message));
    }
}

TEST_F(ConfigTest, ErrorsStartWithTheFileName) {
    const fs::path file = write_config("[limits]\nbody_limit_bytes = 1\n");
    EXPECT_THAT(load_error_of(file), StartsWith(file.string() + ": "));
}

TEST_F(ConfigTest, SyntaxErrorNamesFileLineAndColumn) {
    const fs::path file = write_config("[server]\nio_threads = 2\nhandler_threads = = 4\n");
    const std::string message = load_error_of(file);
    EXPECT_THAT(message, StartsWith(file.string() + ":3:"));
    EXPECT_THAT(message, ::testing::MatchesRegex(".*:3:[0-9]+: .+"));
}

TEST_F(ConfigTest, DuplicateKeyIsASyntaxError) {
    const fs::path file = write_config("[log]\nlevel = \"info\"\nlevel = \"debug\"\n");
    EXPECT_THAT(load_error_of(file), StartsWith(file.string() + ":3:"));
}

TEST_F(ConfigTest, MissingFileNamesTheFile) {
    const fs::path file = dir_ / "absent.toml";
    const std::string message = load_error_of(file);
    EXPECT_THAT(message, StartsWith(file.string() + ": "));
    EXPECT_THAT(message, HasSubstr("not found"));
}

TEST_F(ConfigTest, DirectoryInsteadOfFileNamesThePath) {
    EXPECT_EQ(load_error_of(dir_), dir_.string() + ": configuration file is not a regular file");
}

TEST(ApplyListen, ParsesIPv4HostAndPort) {
    ServerConfig config;
    apply_listen(config, "127.0.0.1:9000", "--listen");
    EXPECT_EQ(config.listen_address, "127.0.0.1");
    EXPECT_EQ(config.listen_port, 9000);
}

TEST(ApplyListen, ParsesBracketedIPv6HostAndPort) {
    ServerConfig config;
    apply_listen(config, "[::1]:8443", "--listen");
    EXPECT_EQ(config.listen_address, "::1");
    EXPECT_EQ(config.listen_port, 8443);

    apply_listen(config, "[::]:443", "--listen");
    EXPECT_EQ(config.listen_address, "::");
    EXPECT_EQ(config.listen_port, 443);
}

TEST(ApplyListen, AcceptsPortZeroAndPort65535) {
    ServerConfig config;
    apply_listen(config, "0.0.0.0:0", "--listen");
    EXPECT_EQ(config.listen_port, 0);
    apply_listen(config, "0.0.0.0:65535", "--listen");
    EXPECT_EQ(config.listen_port, 65535);
}

TEST(ApplyListen, RejectsMalformedAddressesNamingTheOrigin) {
    const std::vector<std::string> bad = {
        "0.0.0.0:65536",          // port out of range
        "0.0.0.0:99999999999",    // port overflows
        "0.0.0.0",                // no port
        "0.0.0.0:",               // empty port
        "0.0.0.0:84a3",           // not digits
        "0.0.0.0:+80",            // sign
        "0.0.0.0: 80",            // space
        "0.0.0.0:-1",             // negative
        ":8443",                  // no host
        "::1:8443",               // IPv6 without brackets
        "[::1]8443",              // no colon after ']'
        "[::1:8443",              // no ']'
        "[::1]:",                 // empty port
        "[127.0.0.1]:8443",       // IPv4 in brackets
        "[]:8443",                // empty IPv6 host
        "999.0.0.1:8443",         // not an address
        "pakt.example.org:8443",  // a name, not an address
        "",
    };
    for (const std::string& listen : bad) {
        SCOPED_TRACE(listen);
        ServerConfig config;
        try {
            apply_listen(config, listen, "--listen");
            ADD_FAILURE() << "accepted '" << listen << "'";
        } catch (const ConfigError& error) {
            EXPECT_THAT(error.what(), StartsWith("--listen: expected host:port or [ipv6]:port, "
                                                 "got '" +
                                                 listen + "'"));
        }
    }
}

TEST(ApplyListen, RejectionLeavesConfigUnchanged) {
    ServerConfig config;
    EXPECT_THROW(apply_listen(config, "10.0.0.1:70000", "--listen"), ConfigError);
    EXPECT_EQ(config.listen_address, "0.0.0.0");
    EXPECT_EQ(config.listen_port, 8443);
}

TEST_F(ConfigTest, BadListenInFileNamesFileAndKey) {
    const fs::path file = write_config("[server]\nlisten = \"localhost\"\n");
    EXPECT_THAT(load_error_of(file), StartsWith(file.string() + ": key 'server.listen': expected "
                                                                "host:port or [ipv6]:port"));
}

TEST(ApplyListen, ReasonIsGivenInTheMessage) {
    ServerConfig config;
    try {
        apply_listen(config, "0.0.0.0:65536", "--listen");
        FAIL() << "accepted port 65536";
    } catch (const ConfigError& error) {
        EXPECT_THAT(error.what(), EndsWith("(the port must be 0 to 65535)"));
    }
}

}  // namespace
}  // namespace pakt::server

namespace pakt::server {
namespace {

TEST_F(ConfigTest, WebUiKeysAreRead) {
    const ServerConfig c = load_config(write_config(
        "[server]\npublic_url = \"https://pakt.example.org/\"\nweb_dir = \"web\"\n"
        "[auth]\nsession_idle_minutes = 15\n[organisation]\nname = \"Stadt Essen\"\n"));
    EXPECT_EQ(c.public_url, "https://pakt.example.org");  // the trailing slash of an origin goes
    EXPECT_EQ(c.web_dir, "web");
    EXPECT_EQ(c.session_idle, std::chrono::minutes(15));
    EXPECT_EQ(c.organisation_name, "Stadt Essen");
}

TEST_F(ConfigTest, PublicUrlWithAPathIsRefusedNamingTheKey) {
    const fs::path file = write_config("[server]\npublic_url = \"https://pakt.example.org/pakt\"\n");
    EXPECT_THAT(load_error_of(file), StartsWith(file.string() + ": key 'server.public_url': expected an origin"));
    EXPECT_THAT(load_error(("[server]\npublic_url = \"pakt.example.org\"\n")), HasSubstr("server.public_url"));
}

TEST_F(ConfigTest, PublicUrlDropsTheSchemesDefaultPortAsBrowsersDo) {
    EXPECT_EQ(load_config(write_config("[server]\npublic_url = \"https://pakt.example.org:443\"\n")).public_url,
              "https://pakt.example.org");
    EXPECT_EQ(load_config(write_config("[server]\npublic_url = \"https://pakt.example.org:8443\"\n")).public_url,
              "https://pakt.example.org:8443");
}

TEST_F(ConfigTest, ConnectorTablesAreReadWithTheirLocationMaps) {
    const auto c = load_config(write_config(R"([connectors]
interval_s = 0
max_attempts = 3
retry_backoff_ms = 50
[connectors.asm]
client_id = "SCHOOLAPI.abc"
key_id = "kid-1"
private_key_file = "/etc/pakt/asm-key.pem"
page_size = 200
[connectors.jamf_school]
url = "https://essen.jamfcloud.com/api"
network_id = "12345678"
api_key_file = "/etc/pakt/jamf.key"
[connectors.jamf_school.locations]
"1" = "165200"
"7" = "165211"
[connectors.relution]
enabled = false
url = "https://mdm.example.org"
access_token_file = "/etc/pakt/relution.token"
)")).connectors;
    EXPECT_EQ(c.interval, std::chrono::seconds(0));
    EXPECT_EQ(c.max_attempts, 3u);
    EXPECT_EQ(c.retry_backoff, std::chrono::milliseconds(50));
    EXPECT_TRUE(c.asm_api.enabled);
    EXPECT_EQ(c.asm_api.client_id, "SCHOOLAPI.abc");
    EXPECT_EQ(c.asm_api.api_url, "https://api-school.apple.com");  // the default
    EXPECT_EQ(c.asm_api.page_size, 200u);
    EXPECT_TRUE(c.jamf_school.enabled);
    EXPECT_EQ(c.jamf_school.locations, (std::map<std::string, std::string>{{"1", "165200"}, {"7", "165211"}}));
    EXPECT_FALSE(c.relution.enabled);  // present but switched off
}

TEST_F(ConfigTest, ConnectorErrorsNameTheFileAndTheDottedKey) {
    const std::string file = (dir_ / "paktd.toml").string();
    EXPECT_EQ(load_error("[connectors.asm]\nclient_id = \"x\"\nkey_id = \"y\"\n"),
              file + ": key 'connectors.asm.private_key_file' is required when the connector is configured");
    EXPECT_EQ(load_error("[connectors.jamf_school]\nnetwork = \"1\"\n"),
              file + ": unknown key 'connectors.jamf_school.network'");
    EXPECT_THAT(load_error("[connectors.relution]\nurl = \"http://mdm.example.org\"\n"),
                HasSubstr(file + ": key 'connectors.relution.url': expected an https URL, got 'http://mdm.example.org'"));
    EXPECT_THAT(load_error("[connectors.jamf_school.locations]\n\"1\" = 165200\n"),
                HasSubstr("key 'connectors.jamf_school.locations.1'"));
    EXPECT_THAT(load_error("[connectors]\nasm = 1\n"), HasSubstr("key 'connectors.asm': expected a table"));
    EXPECT_THAT(load_error("[connectors.asm]\npage_size = 5000\n"), HasSubstr("key 'connectors.asm.page_size'"));
}

}  // namespace
}  // namespace pakt::server
