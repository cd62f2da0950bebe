#include "agent/config.hpp"

#include <toml++/toml.h>

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <system_error>
#include <utility>

namespace pakt::agent {

namespace {

// Upper bounds are sanity limits that catch a value in the wrong unit (milliseconds where seconds
// were meant) and keep every accepted value far from overflow when added to a time point.
constexpr std::int64_t kMaxIntervalS = 24LL * 60 * 60;     // a day
constexpr std::int64_t kMaxBackoffS = 7LL * 24 * 60 * 60;  // a week
constexpr std::int64_t kMaxLeaseTimeS = 366LL * 24 * 60 * 60;
// Coalescing merges at least two reports into one, so a bound below 2 could never be kept.
constexpr std::int64_t kMinSpoolReports = 2;
constexpr std::int64_t kMaxSpoolReports = 1'000'000;

constexpr std::array<std::string_view, 6> kLogLevels = {"trace", "debug", "info",
                                                        "warn",  "error", "off"};
constexpr std::array<std::string_view, 2> kFormats = {"csv", "json"};
constexpr std::array<std::string_view, 3> kMappings = {"jamf-school", "relution", "custom"};
constexpr std::array<std::string_view, 6> kStorageUnits = {"", "B", "KB", "MB", "GB", "TB"};

std::string_view type_name(toml::node_type type) {
    switch (type) {
        case toml::node_type::table:
            return "table";
        case toml::node_type::array:
            return "array";
        case toml::node_type::string:
            return "string";
        case toml::node_type::integer:
            return "integer";
        case toml::node_type::floating_point:
            return "floating-point number";
        case toml::node_type::boolean:
            return "boolean";
        case toml::node_type::date:
            return "date";
        case toml::node_type::time:
            return "time";
        case toml::node_type::date_time:
            return "date-time";
        case toml::node_type::none:
            break;
    }
    return "nothing";
}

// One key/value of the file being applied; every error it raises names the file and the key.
class Entry {
  public:
    Entry(const std::string& file, std::string key, const toml::node& node)
        : file_(file), key_(std::move(key)), node_(node) {}

    std::string origin() const { return file_ + ": key '" + key_ + "'"; }

    [[noreturn]] void fail(std::string_view expected, std::string_view got) const {
        throw ConfigError(origin() + ": expected " + std::string(expected) + ", got " +
                          std::string(got));
    }

    const std::string& text() const {
        if (const auto* value = node_.as_string()) return value->get();
        fail("a string", type_name(node_.type()));
    }

    // A string that becomes part of a file name or a column name: NUL would silently cut it short.
    std::string name(bool allow_empty) const {
        const std::string& value = text();
        if (value.empty() && !allow_empty) fail("a non-empty string", "an empty string");
        if (value.find('\0') != std::string::npos) fail("a string", "a string containing NUL");
        return value;
    }

    std::filesystem::path path(bool allow_empty) const { return name(allow_empty); }

    template <typename T>
    T integer(std::int64_t min, std::int64_t max) const {
        const auto* value = node_.as_integer();
        if (value == nullptr) {
            fail(min > 0 ? "a positive integer" : "a non-negative integer",
                 type_name(node_.type()));
        }
        const std::int64_t n = value->get();
        if (n < min || n > max) {
            fail("an integer from " + std::to_string(min) + " to " + std::to_string(max),
                 std::to_string(n));
        }
        return static_cast<T>(n);
    }

    std::string one_of(std::span<const std::string_view> allowed) const {
        std::string expected = "one of";
        for (std::size_t i = 0; i < allowed.size(); ++i) {
            expected += i == 0 ? " " : ", ";
            expected += "\"" + std::string(allowed[i]) + "\"";
        }
        const auto* value = node_.as_string();
        if (value == nullptr) fail(expected, type_name(node_.type()));
        for (std::string_view candidate : allowed) {
            if (value->get() == candidate) return value->get();
        }
        fail(expected, "'" + value->get() + "'");
    }

  private:
    const std::string& file_;
    std::string key_;
    const toml::node& node_;
};

struct KeySpec {
    std::string_view name;
    void (*apply)(const Entry&, AgentConfig&);
};

struct TableSpec {
    std::string_view name;
    std::span<const KeySpec> keys;
    std::span<const TableSpec> subtables;
};

using std::chrono::seconds;

const KeySpec kAgentKeys[] = {
    {"state_dir", [](const Entry& e, AgentConfig& c) { c.state_dir = e.path(false); }},
    {"interval_s",
     [](const Entry& e, AgentConfig& c) {
         c.interval = seconds(e.integer<std::int64_t>(1, kMaxIntervalS));
     }},
    {"max_backoff_s",
     [](const Entry& e, AgentConfig& c) {
         c.max_backoff = seconds(e.integer<std::int64_t>(0, kMaxBackoffS));
     }},
    {"spool_max_reports",
     [](const Entry& e, AgentConfig& c) {
         c.spool_max_reports = e.integer<std::size_t>(kMinSpoolReports, kMaxSpoolReports);
     }},
};

const KeySpec kColumnKeys[] = {
    {"serial", [](const Entry& e, AgentConfig& c) { c.columns.serial = e.name(false); }},
    {"wifi_mac", [](const Entry& e, AgentConfig& c) { c.columns.wifi_mac = e.name(true); }},
    {"os_version", [](const Entry& e, AgentConfig& c) { c.columns.os_version = e.name(true); }},
    {"battery", [](const Entry& e, AgentConfig& c) { c.columns.battery = e.name(true); }},
    {"storage_free", [](const Entry& e, AgentConfig& c) { c.columns.storage_free = e.name(true); }},
    {"managed", [](const Entry& e, AgentConfig& c) { c.columns.managed = e.name(true); }},
    {"last_contact", [](const Entry& e, AgentConfig& c) { c.columns.last_contact = e.name(true); }},
};

const TableSpec kMdmSubtables[] = {{"columns", kColumnKeys, {}}};

const KeySpec kMdmKeys[] = {
    {"export_dir", [](const Entry& e, AgentConfig& c) { c.export_dir = e.path(false); }},
    {"format",
     [](const Entry& e, AgentConfig& c) {
         c.format = e.one_of(kFormats) == "csv" ? ExportFormat::csv : ExportFormat::json;
     }},
    {"mapping",
     [](const Entry& e, AgentConfig& c) {
         const std::string value = e.one_of(kMappings);
         c.mapping = value == "jamf-school" ? ColumnMapping::jamf_school
                     : value == "relution"  ? ColumnMapping::relution
                                            : ColumnMapping::custom;
     }},
    {"storage_unit",
     [](const Entry& e, AgentConfig& c) { c.storage_unit = e.one_of(kStorageUnits); }},
};

const KeySpec kNetworkKeys[] = {
    {"dnsmasq_leases", [](const Entry& e, AgentConfig& c) { c.dnsmasq_leases = e.path(true); }},
    {"dnsmasq_lease_time_s",
     [](const Entry& e, AgentConfig& c) {
         c.dnsmasq_lease_time = seconds(e.integer<std::int64_t>(1, kMaxLeaseTimeS));
     }},
    {"dhcpd_leases", [](const Entry& e, AgentConfig& c) { c.dhcpd_leases = e.path(true); }},
    {"arp_table", [](const Entry& e, AgentConfig& c) { c.arp_table = e.path(true); }},
};

const KeySpec kLogKeys[] = {
    {"level", [](const Entry& e, AgentConfig& c) { c.log_level = e.one_of(kLogLevels); }},
};

const TableSpec kTables[] = {
    {"agent", kAgentKeys, {}},
    {"mdm", kMdmKeys, kMdmSubtables},
    {"network", kNetworkKeys, {}},
    {"log", kLogKeys, {}},
};

void apply_table(const std::string& file, const std::string& prefix, const TableSpec& spec,
                 const toml::table& table, AgentConfig& config) {
    for (const auto& [key, node] : table) {
        std::string dotted = prefix + std::string(key.str());
        const TableSpec* subtable = nullptr;
        for (const TableSpec& candidate : spec.subtables) {
            if (candidate.name == key.str()) subtable = &candidate;
        }
        if (subtable != nullptr) {
            const auto* inner = node.as_table();
            if (inner == nullptr) {
                Entry(file, std::move(dotted), node).fail("a table", type_name(node.type()));
            }
            apply_table(file, dotted + ".", *subtable, *inner, config);
            continue;
        }
        const KeySpec* match = nullptr;
        for (const KeySpec& candidate : spec.keys) {
            if (candidate.name == key.str()) match = &candidate;
        }
        if (match == nullptr) {
            const char* kind = node.is_table() ? "table" : "key";
            throw ConfigError(file + ": unknown " + kind + " '" + dotted + "'");
        }
        match->apply(Entry(file, std::move(dotted), node), config);
    }
}

}  // namespace

std::chrono::seconds AgentConfig::backoff_cap(std::chrono::seconds current_interval) const {
    return max_backoff.count() > 0 ? max_backoff : current_interval;
}

AgentConfig load_config(const std::filesystem::path& file) {
    const std::string name = file.string();
    std::error_code ec;
    const auto status = std::filesystem::status(file, ec);
    if (!std::filesystem::exists(status)) {
        throw ConfigError(name + ": configuration file not found");
    }
    if (!std::filesystem::is_regular_file(status)) {
        throw ConfigError(name + ": configuration file is not a regular file");
    }

    toml::table root;
    try {
        root = toml::parse_file(name);
    } catch (const toml::parse_error& error) {
        const auto& begin = error.source().begin;
        throw ConfigError(name + ":" + std::to_string(begin.line) + ":" +
                          std::to_string(begin.column) + ": " + std::string(error.description()));
    }

    AgentConfig config;
    for (const auto& [key, node] : root) {
        const TableSpec* match = nullptr;
        for (const TableSpec& candidate : kTables) {
            if (candidate.name == key.str()) match = &candidate;
        }
        if (match == nullptr) {
            const char* kind = node.is_table() ? "table" : "key";
            throw ConfigError(name + ": unknown " + kind + " '" + std::string(key.str()) + "'");
        }
        const auto* table = node.as_table();
        if (table == nullptr) {
            Entry(name, std::string(key.str()), node).fail("a table", type_name(node.type()));
        }
        apply_table(name, std::string(key.str()) + ".", *match, *table, config);
    }
    return config;
}

}  // namespace pakt::agent
