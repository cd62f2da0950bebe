// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "agent/collectors.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <unordered_map>
#include <utility>

#include "common/csv.hpp"

namespace pakt::agent {
namespace {

using namespace std::chrono;

// Exports of a few thousand devices are a few megabytes; a file far larger than any school's
// export is a mistake (a disk image dropped into the folder) and must not exhaust memory.
constexpr std::uintmax_t kMaxInputBytes = 256ull * 1024 * 1024;
// An export this old probably means the MDM's scheduled export stopped.
constexpr auto kStaleExportAge = hours(24 * 7);

enum Field : std::size_t {
    kSerial,
    kWifiMac,
    kOsVersion,
    kBattery,
    kStorageFree,
    kManaged,
    kLastContact,
    kFieldCount
};

constexpr std::array<std::string_view, kFieldCount> kFieldNames = {
    "serial number", "Wi-Fi MAC",    "OS version",  "battery level",
    "free storage",  "managed flag", "last contact"};

// The raw cells of one export row, per field; `malformed` marks cells that hold something other
// than a value (a JSON object where a string belongs).
struct Cells {
    std::array<std::optional<std::string>, kFieldCount> values;
    std::array<bool, kFieldCount> malformed{};
};

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string folded(std::string_view text) {
    std::string out = csv::trim(text);
    std::transform(out.begin(), out.end(), out.begin(), lower);
    return out;
}

const std::vector<std::string>& columns_of(const ExportColumns& columns, std::size_t field) {
    switch (field) {
        case kSerial:
            return columns.serial;
        case kWifiMac:
            return columns.wifi_mac;
        case kOsVersion:
            return columns.os_version;
        case kBattery:
            return columns.battery;
        case kStorageFree:
            return columns.storage_free;
        case kManaged:
            return columns.managed;
        default:
            return columns.last_contact;
    }
}

std::string quoted_list(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& name : names) {
        if (!out.empty()) out += ", ";
        out += "\"" + name + "\"";
    }
    return out;
}

// Turns the raw cells of one export row into an MdmDevice; shared by the CSV and JSON readers so
// both normalise alike. Unreadable values are summarised per field (a whole column in the wrong
// unit would otherwise produce one warning per device).
class DeviceBuilder {
  public:
    DeviceBuilder(const std::string& source, const ExportColumns& columns, Diagnostics& diagnostics)
        : source_(source), columns_(columns), diagnostics_(diagnostics) {}

    void add(const std::string& location, const Cells& cells) {
        const std::string raw_serial = cells.values[kSerial].value_or("");
        const auto serial = normalize_serial(raw_serial);
        if (!serial) {
            diagnostics_.warn(source_,
                              fmt::format("{}: {}: {} '{}' is not 8 to 14 letters and "
                                          "digits; row skipped",
                                          source_, location, kFieldNames[kSerial], raw_serial));
            return;
        }
        MdmDevice device;
        device.serial = *serial;
        device.wifi_mac = read(kWifiMac, location, cells, normalize_mac);
        device.os_version = read(kOsVersion, location, cells, [](std::string_view v) {
            std::string text = csv::trim(v);
            // The server refuses a report with a longer string; one odd cell must not cost the
            // whole report.
            if (text.size() > kMaxReportStringBytes || !csv::is_valid_utf8(text)) {
                return std::optional<std::string>();
            }
            return std::optional<std::string>(std::move(text));
        });
        device.battery_pct = read(kBattery, location, cells, parse_battery_pct);
        device.storage_free_mb = read(kStorageFree, location, cells, [this](std::string_view v) {
            return parse_storage_mb(v, columns_.bare_storage_unit);
        });
        device.managed = read(kManaged, location, cells, parse_managed);
        device.last_contact = read(kLastContact, location, cells, [](std::string_view v) {
            return parse_export_time(v, ZonelessTime::local);
        });

        const auto [it, inserted] = index_.try_emplace(device.serial, devices_.size());
        if (inserted) {
            devices_.push_back(std::move(device));
            return;
        }
        ++duplicates_;
        MdmDevice& kept = devices_[it->second];
        if (!kept.last_contact ||
            (device.last_contact && *device.last_contact >= *kept.last_contact)) {
            kept = std::move(device);
        }
    }

    std::vector<MdmDevice> finish() {
        for (std::size_t field = 0; field < kFieldCount; ++field) {
            const BadValues& bad = bad_[field];
            if (bad.count == 0) continue;
            diagnostics_.warn(
                source_, fmt::format("{}: {} {} value(s) could not be read and were left "
                                     "out (first at {}: '{}')",
                                     source_, bad.count, kFieldNames[field], bad.first_location,
                                     bad.first_value));
        }
        if (duplicates_ > 0) {
            diagnostics_.warn(source_, fmt::format("{}: {} duplicate serial number row(s); the one "
                                                   "with the newest last contact was kept",
                                                   source_, duplicates_));
        }
        return std::move(devices_);
    }

  private:
    struct BadValues {
        std::size_t count = 0;
        std::string first_location;
        std::string first_value;
    };

    template <typename Parse>
    auto read(std::size_t field, const std::string& location, const Cells& cells, Parse parse)
        -> decltype(parse(std::string_view{})) {
        const auto& raw = cells.values[field];
        const bool malformed = cells.malformed[field];
        if (!raw || (!malformed && is_blank_value(*raw))) return std::nullopt;
        auto parsed = malformed ? decltype(parse(*raw)){} : parse(*raw);
        if (!parsed) {
            BadValues& bad = bad_[field];
            if (bad.count++ == 0) {
                bad.first_location = location;
                bad.first_value = raw->substr(0, 64);
            }
        }
        return parsed;
    }

    const std::string& source_;
    const ExportColumns& columns_;
    Diagnostics& diagnostics_;
    std::vector<MdmDevice> devices_;
    std::unordered_map<std::string, std::size_t> index_;
    std::array<BadValues, kFieldCount> bad_{};
    std::size_t duplicates_ = 0;
};

std::vector<std::string_view> split_whitespace(std::string_view line) {
    std::vector<std::string_view> out;
    std::size_t pos = 0;
    while (pos < line.size()) {
        while (pos < line.size() && (line[pos] == ' ' || line[pos] == '\t')) ++pos;
        const std::size_t start = pos;
        while (pos < line.size() && line[pos] != ' ' && line[pos] != '\t') ++pos;
        if (pos > start) out.push_back(line.substr(start, pos - start));
    }
    return out;
}

// Calls `each(line_number, line)` for every physical line (LF or CRLF), without the line end.
template <typename Each>
void for_each_line(std::string_view text, Each each) {
    std::size_t line_number = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(pos, end - pos);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        each(++line_number, line);
        pos = end + 1;
    }
}

std::optional<std::int64_t> parse_int(std::string_view text) {
    if (text.empty() || text.size() > 18) return std::nullopt;
    std::int64_t value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
        value = value * 10 + (c - '0');
    }
    return value;
}

// --- ISC dhcpd lease file -------------------------------------------------------------------

struct Token {
    std::string text;
    std::size_t line = 0;
    bool quoted = false;
};

// dhcpd.leases syntax: words, quoted strings (which may contain ';' and braces), '{', '}', ';'
// and '#' comments.
std::vector<Token> tokenize_dhcpd(std::string_view text) {
    std::vector<Token> tokens;
    std::size_t line = 1;
    std::size_t pos = 0;
    while (pos < text.size()) {
        const char c = text[pos];
        if (c == '\n') {
            ++line;
            ++pos;
        } else if (c == ' ' || c == '\t' || c == '\r') {
            ++pos;
        } else if (c == '#') {
            while (pos < text.size() && text[pos] != '\n') ++pos;
        } else if (c == '{' || c == '}' || c == ';') {
            tokens.push_back({std::string(1, c), line, false});
            ++pos;
        } else if (c == '"') {
            Token token{"", line, true};
            ++pos;
            while (pos < text.size() && text[pos] != '"') {
                if (text[pos] == '\\' && pos + 1 < text.size()) ++pos;
                if (text[pos] == '\n') ++line;
                token.text.push_back(text[pos++]);
            }
            ++pos;
            tokens.push_back(std::move(token));
        } else {
            const std::size_t start = pos;
            // Not strchr: it finds a NUL byte (the string's terminator), which then ended the
            // word before its first character, and the loop never advanced.
            constexpr std::string_view kWordEnd = " \t\r\n{};\"#";
            while (pos < text.size() && kWordEnd.find(text[pos]) == std::string_view::npos) ++pos;
            tokens.push_back({std::string(text.substr(start, pos - start)), line, false});
        }
    }
    return tokens;
}

bool is_symbol(const Token& token, std::string_view symbol) {
    return !token.quoted && token.text == symbol;
}

struct DhcpdLease {
    std::size_t line = 0;
    std::string ip;
    std::optional<Clock::time_point> starts;
    std::optional<Clock::time_point> ends;  ///< nullopt with ends_never
    bool ends_never = false;
    std::optional<Clock::time_point> cltt;
    std::string binding_state;
    std::optional<std::string> mac;
    std::string mac_text;
    bool bad_time = false;
};

class DhcpdParser {
  public:
    DhcpdParser(std::vector<Token> tokens, const std::string& source, Diagnostics& diagnostics)
        : tokens_(std::move(tokens)), source_(source), diagnostics_(diagnostics) {}

    std::map<std::string, DhcpdLease> run() {
        std::map<std::string, DhcpdLease> by_address;
        while (pos_ < tokens_.size()) {
            if (is_symbol(tokens_[pos_], "lease") && pos_ + 2 < tokens_.size() &&
                is_symbol(tokens_[pos_ + 2], "{")) {
                if (auto lease = lease_block()) {
                    // The journal appends a new block on every change: the last one is current.
                    const std::string ip = lease->ip;
                    by_address[ip] = std::move(*lease);
                }
            } else {
                skip_statement();
            }
        }
        return by_address;
    }

  private:
    void warn(std::size_t line, const std::string& message) {
        diagnostics_.warn(source_, fmt::format("{}:{}: {}", source_, line, message));
    }

    // Skips one statement or block at the current position (a "host ... { ... }" block, a
    // "server-duid ...;" line, a stray token).
    void skip_statement() {
        const std::size_t start_line = tokens_[pos_].line;
        int depth = 0;
        while (pos_ < tokens_.size()) {
            const Token& token = tokens_[pos_++];
            if (is_symbol(token, "{")) {
                ++depth;
            } else if (is_symbol(token, "}")) {
                if (--depth <= 0) return;
            } else if (is_symbol(token, ";") && depth == 0) {
                return;
            }
        }
        if (depth > 0) warn(start_line, "block is not terminated; ignored");
    }

    std::optional<Clock::time_point> read_time(const std::vector<const Token*>& words,
                                               DhcpdLease& lease) {
        // "starts 4 2026/03/02 08:15:00" or "starts epoch 1772439300" (db-time-format local).
        if (words.size() == 3 && words[1]->text == "epoch") {
            if (const auto n = parse_int(words[2]->text)) {
                if (auto t = from_epoch_seconds(*n)) return t;
            }
        } else if (words.size() == 4) {
            if (auto t =
                    parse_export_time(words[2]->text + " " + words[3]->text, ZonelessTime::utc)) {
                return t;
            }
        }
        lease.bad_time = true;
        return std::nullopt;
    }

    void apply_statement(const std::vector<const Token*>& words, DhcpdLease& lease) {
        if (words.empty()) return;
        const std::string& keyword = words[0]->text;
        if (keyword == "starts") {
            lease.starts = read_time(words, lease);
        } else if (keyword == "cltt") {
            lease.cltt = read_time(words, lease);
        } else if (keyword == "ends") {
            if (words.size() == 2 && words[1]->text == "never") {
                lease.ends_never = true;
            } else {
                lease.ends = read_time(words, lease);
            }
        } else if (keyword == "binding" && words.size() == 3 && words[1]->text == "state") {
            lease.binding_state = words[2]->text;
        } else if (keyword == "hardware" && words.size() == 3) {
            lease.mac_text = words[2]->text;
            lease.mac = normalize_mac(words[2]->text);
        }
    }

    std::optional<DhcpdLease> lease_block() {
        DhcpdLease lease;
        lease.line = tokens_[pos_].line;
        lease.ip = tokens_[pos_ + 1].text;
        pos_ += 3;
        std::vector<const Token*> words;
        while (pos_ < tokens_.size()) {
            const Token& token = tokens_[pos_];
            if (is_symbol(token, "}")) {
                ++pos_;
                return validated(std::move(lease));
            }
            if (is_symbol(token, "{")) {
                // A nested block ("on expiry { ... }"): nothing the agent needs.
                skip_nested();
                words.clear();
                continue;
            }
            ++pos_;
            if (is_symbol(token, ";")) {
                apply_statement(words, lease);
                words.clear();
            } else {
                words.push_back(&token);
            }
        }
        warn(lease.line, "lease block is not terminated; ignored");
        return std::nullopt;
    }

    void skip_nested() {
        int depth = 0;
        while (pos_ < tokens_.size()) {
            const Token& token = tokens_[pos_++];
            if (is_symbol(token, "{")) ++depth;
            if (is_symbol(token, "}") && --depth == 0) return;
        }
    }

    std::optional<DhcpdLease> validated(DhcpdLease lease) {
        if (!is_ip_address(lease.ip)) {
            warn(lease.line, fmt::format("'{}' is not an IP address; lease ignored", lease.ip));
            return std::nullopt;
        }
        if (lease.bad_time || !lease.starts) {
            warn(lease.line,
                 fmt::format("lease {} has a malformed or missing time; ignored", lease.ip));
            return std::nullopt;
        }
        if (!lease.mac_text.empty() && !lease.mac) {
            warn(lease.line, fmt::format("lease {}: '{}' is not a MAC address; ignored", lease.ip,
                                         lease.mac_text));
            return std::nullopt;
        }
        return lease;
    }

    std::vector<Token> tokens_;
    const std::string& source_;
    Diagnostics& diagnostics_;
    std::size_t pos_ = 0;
};

// --- JSON export ------------------------------------------------------------------------------

const nlohmann::json* find_key(const nlohmann::json& object, std::string_view name) {
    if (!object.is_object()) return nullptr;
    for (auto it = object.begin(); it != object.end(); ++it) {
        if (folded(it.key()) == name) return &it.value();
    }
    return nullptr;
}

// `name` is folded; a dotted name reaches into nested objects when no key has the whole name.
const nlohmann::json* find_column(const nlohmann::json& object, std::string_view name) {
    if (const auto* value = find_key(object, name)) return value;
    const auto dot = name.find('.');
    if (dot == std::string_view::npos) return nullptr;
    const auto* inner = find_key(object, name.substr(0, dot));
    return inner == nullptr ? nullptr : find_column(*inner, name.substr(dot + 1));
}

std::optional<std::string> scalar_text(const nlohmann::json& value) {
    switch (value.type()) {
        case nlohmann::json::value_t::string:
            return value.get<std::string>();
        case nlohmann::json::value_t::boolean:
            return value.get<bool>() ? "true" : "false";
        case nlohmann::json::value_t::number_integer:
        case nlohmann::json::value_t::number_unsigned:
        case nlohmann::json::value_t::number_float:
            return value.dump();
        default:
            return std::nullopt;
    }
}

std::size_t line_of_offset(std::string_view text, std::size_t offset) {
    offset = std::min(offset, text.size());
    return static_cast<std::size_t>(
               std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(offset), '\n')) +
           1;
}

std::optional<std::string> read_input(const std::filesystem::path& file, Diagnostics& diagnostics) {
    const std::string name = file.string();
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        diagnostics.warn(name, fmt::format("{}: cannot open: {}", name, std::strerror(errno)));
        return std::nullopt;
    }
    // Read in chunks rather than by file size: /proc files report a size of 0.
    std::string text;
    std::array<char, 65536> buffer;
    while (in.read(buffer.data(), buffer.size()) || in.gcount() > 0) {
        text.append(buffer.data(), static_cast<std::size_t>(in.gcount()));
        if (text.size() > kMaxInputBytes) {
            diagnostics.warn(name, fmt::format("{}: larger than {} MB; not read", name,
                                               kMaxInputBytes / (1024 * 1024)));
            return std::nullopt;
        }
    }
    if (in.bad()) {
        diagnostics.warn(name, fmt::format("{}: read error", name));
        return std::nullopt;
    }
    return text;
}

bool is_ignored_name(const std::string& name) {
    if (name.empty() || name.front() == '.' || name.back() == '~') return true;
    const std::string lowered = folded(name);
    return lowered.ends_with(".tmp") || lowered.ends_with(".part");
}

}  // namespace

void Diagnostics::warn(const std::string& source, const std::string& message) {
    auto it = std::find_if(counts_.begin(), counts_.end(),
                           [&](const auto& entry) { return entry.first == source; });
    if (it == counts_.end()) {
        counts_.emplace_back(source, 0);
        it = counts_.end() - 1;
    }
    if (it->second++ < max_per_source_) warnings_.push_back(message);
}

void Diagnostics::finish() {
    for (auto& [source, count] : counts_) {
        if (count > max_per_source_) {
            warnings_.push_back(
                fmt::format("{}: {} more warning(s) not shown", source, count - max_per_source_));
        }
        count = std::min(count, max_per_source_);
    }
}

ExportColumns export_columns(const AgentConfig& config) {
    ExportColumns columns;
    switch (config.mapping) {
        case ColumnMapping::jamf_school:
            // Jamf School's device list export (CSV) and its API's JSON keys.
            columns.serial = {"Serial Number", "serialNumber", "Serial"};
            columns.wifi_mac = {"WiFi MAC", "Wi-Fi MAC", "WiFi MAC Address", "Wi-Fi MAC Address",
                                "WiFiMAC"};
            columns.os_version = {"OS Version", "osVersion", "os.version"};
            columns.battery = {"Battery Level", "batteryLevel"};
            columns.storage_free = {"Available Capacity", "availableCapacity", "Free Space"};
            columns.managed = {"Managed", "isManaged", "Supervised", "isSupervised"};
            columns.last_contact = {"Last Check-in", "Last Checkin", "lastCheckin", "Last Seen"};
            columns.bare_storage_unit = StorageUnit::gigabytes;
            break;
        case ColumnMapping::relution:
            // Relution's device export (CSV) and its REST API's JSON keys.
            columns.serial = {"serialNumber", "Serial number", "Seriennummer"};
            columns.wifi_mac = {"wifiMacAddress", "WiFi MAC address", "WLAN-MAC-Adresse",
                                "macAddress"};
            columns.os_version = {"osVersion", "OS version", "Betriebssystemversion"};
            columns.battery = {"batteryLevel", "Battery level", "Akkustand"};
            columns.storage_free = {"freeStorage", "Free storage", "availableStorage"};
            columns.managed = {"managed", "status", "Status"};
            columns.last_contact = {"lastConnectionDate", "Last connection", "lastConnection",
                                    "Letzte Verbindung"};
            columns.bare_storage_unit = StorageUnit::bytes;
            break;
        case ColumnMapping::custom: {
            const auto one = [](const std::string& name) {
                return name.empty() ? std::vector<std::string>{} : std::vector<std::string>{name};
            };
            columns.serial = one(config.columns.serial);
            columns.wifi_mac = one(config.columns.wifi_mac);
            columns.os_version = one(config.columns.os_version);
            columns.battery = one(config.columns.battery);
            columns.storage_free = one(config.columns.storage_free);
            columns.managed = one(config.columns.managed);
            columns.last_contact = one(config.columns.last_contact);
            columns.bare_storage_unit = StorageUnit::megabytes;
            break;
        }
    }
    if (const auto unit = storage_unit_from_name(config.storage_unit)) {
        columns.bare_storage_unit = *unit;
    }
    return columns;
}

std::vector<MdmDevice> parse_mdm_csv(std::string_view text, const std::string& source,
                                     const ExportColumns& columns, Diagnostics& diagnostics) {
    const csv::Document document = csv::parse(text);
    for (const auto& error : document.errors) {
        diagnostics.warn(source,
                         fmt::format("{}:{}: {}; line skipped", source, error.line, error.message));
    }
    if (document.errors.unlisted() > 0) {
        diagnostics.warn(source, fmt::format("{}: {} more malformed lines skipped", source,
                                             document.errors.unlisted()));
    }
    if (document.rows.empty()) {
        diagnostics.warn(source, fmt::format("{}: the export is empty", source));
        return {};
    }

    const auto& header = document.rows.front().fields;
    std::array<std::optional<std::size_t>, kFieldCount> index;
    for (std::size_t field = 0; field < kFieldCount; ++field) {
        for (const auto& name : columns_of(columns, field)) {
            const std::string wanted = folded(name);
            for (std::size_t i = 0; i < header.size() && !index[field]; ++i) {
                if (folded(header[i]) == wanted) index[field] = i;
            }
            if (index[field]) break;
        }
    }
    if (!index[kSerial]) {
        diagnostics.warn(
            source, fmt::format("{}:{}: no serial number column (looked for {}); "
                                "export not read",
                                source, document.rows.front().line, quoted_list(columns.serial)));
        return {};
    }

    DeviceBuilder builder(source, columns, diagnostics);
    for (std::size_t r = 1; r < document.rows.size(); ++r) {
        const csv::Row& row = document.rows[r];
        if (row.fields.size() != header.size()) {
            diagnostics.warn(source,
                             fmt::format("{}:{}: {} fields where the header has {}; "
                                         "line skipped",
                                         source, row.line, row.fields.size(), header.size()));
            continue;
        }
        Cells cells;
        for (std::size_t field = 0; field < kFieldCount; ++field) {
            if (index[field]) cells.values[field] = row.fields[*index[field]];
        }
        builder.add(fmt::format("line {}", row.line), cells);
    }
    return builder.finish();
}

std::vector<MdmDevice> parse_mdm_json(std::string_view text, const std::string& source,
                                      const ExportColumns& columns, Diagnostics& diagnostics) {
    nlohmann::json document;
    try {
        document = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& error) {
        diagnostics.warn(source, fmt::format("{}:{}: not valid JSON ({}); export not read", source,
                                             line_of_offset(text, error.byte), error.what()));
        return {};
    } catch (const nlohmann::json::exception& error) {
        // A number beyond double's range ("3e712") is valid JSON that nlohmann refuses with
        // out_of_range (406), not parse_error; uncaught, it escaped the reader.
        diagnostics.warn(source, fmt::format("{}: not readable JSON ({}); export not read", source,
                                             error.what()));
        return {};
    }

    const nlohmann::json* items = &document;
    if (document.is_object()) {
        items = nullptr;
        for (const char* key : {"devices", "results", "items", "data"}) {
            const auto* candidate = find_key(document, key);
            if (candidate != nullptr && candidate->is_array()) {
                items = candidate;
                break;
            }
        }
    }
    if (items == nullptr || !items->is_array()) {
        diagnostics.warn(source, fmt::format("{}: expected an array of devices (or an object with "
                                             "\"devices\", \"results\", \"items\" or \"data\"); "
                                             "export not read",
                                             source));
        return {};
    }

    std::array<std::vector<std::string>, kFieldCount> wanted;
    for (std::size_t field = 0; field < kFieldCount; ++field) {
        for (const auto& name : columns_of(columns, field)) wanted[field].push_back(folded(name));
    }

    DeviceBuilder builder(source, columns, diagnostics);
    for (std::size_t i = 0; i < items->size(); ++i) {
        const auto& item = (*items)[i];
        const std::string location = fmt::format("device {}", i + 1);
        if (!item.is_object()) {
            diagnostics.warn(source,
                             fmt::format("{}: {}: not a JSON object; skipped", source, location));
            continue;
        }
        Cells cells;
        for (std::size_t field = 0; field < kFieldCount; ++field) {
            for (const auto& name : wanted[field]) {
                const auto* value = find_column(item, name);
                if (value == nullptr || value->is_null()) continue;
                cells.values[field] = scalar_text(*value);
                if (!cells.values[field]) {
                    // Kept as JSON text so that the warning shows what was there.
                    cells.values[field] = value->dump();
                    cells.malformed[field] = true;
                }
                break;
            }
        }
        builder.add(location, cells);
    }
    return builder.finish();
}

std::optional<std::filesystem::path> newest_export(const std::filesystem::path& dir,
                                                   ExportFormat format) {
    const std::string extension = format == ExportFormat::csv ? ".csv" : ".json";
    std::error_code ec;
    std::filesystem::directory_iterator it(dir, ec);
    if (ec) return std::nullopt;
    std::optional<std::filesystem::path> best;
    std::filesystem::file_time_type best_time;
    for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
        if (ec) break;
        const auto& entry = *it;
        const std::string name = entry.path().filename().string();
        if (is_ignored_name(name) || folded(entry.path().extension().string()) != extension) {
            continue;
        }
        std::error_code entry_ec;
        if (!entry.is_regular_file(entry_ec)) continue;
        const auto time = entry.last_write_time(entry_ec);
        if (entry_ec) continue;
        if (!best || time > best_time ||
            (time == best_time && entry.path().filename() > best->filename())) {
            best = entry.path();
            best_time = time;
        }
    }
    return best;
}

std::vector<NetworkSighting> parse_dnsmasq_leases(std::string_view text, const std::string& source,
                                                  std::chrono::seconds lease_time,
                                                  Clock::time_point now, Diagnostics& diagnostics) {
    std::vector<NetworkSighting> sightings;
    bool ipv6_section = false;
    for_each_line(text, [&](std::size_t line, std::string_view content) {
        const auto fields = split_whitespace(content);
        if (fields.empty()) return;
        if (fields[0] == "duid") {
            // dnsmasq writes the server DUID and then the DHCPv6 leases, which carry an IAID
            // where the MAC would be.
            ipv6_section = true;
            return;
        }
        if (ipv6_section) return;
        const auto skip = [&](const std::string& why) {
            diagnostics.warn(source, fmt::format("{}:{}: {}; line skipped", source, line, why));
        };
        if (fields.size() < 3) return skip("expected '<expiry> <mac> <ip> <hostname> <client-id>'");
        const auto expiry = parse_int(fields[0]);
        if (!expiry) return skip(fmt::format("'{}' is not an expiry time", fields[0]));
        std::string_view mac_text = fields[1];
        // Non-Ethernet hardware types are written as "<type>-<address>".
        if (const auto dash = mac_text.find('-'); dash != std::string_view::npos && dash <= 3 &&
                                                  mac_text.find(':') != std::string_view::npos) {
            mac_text.remove_prefix(dash + 1);
        }
        const auto mac = normalize_mac(mac_text);
        if (!mac) return skip(fmt::format("'{}' is not a MAC address", fields[1]));
        const std::string ip(fields[2]);
        if (!is_ip_address(ip)) return skip(fmt::format("'{}' is not an IP address", ip));
        // An infinite lease (expiry 0) is a static reservation: it says nothing about when the
        // device was last there.
        if (*expiry == 0) return;
        const auto expires = from_epoch_seconds(*expiry);
        if (!expires) return skip(fmt::format("'{}' is not an expiry time", fields[0]));
        sightings.push_back({*mac, ip, std::min(now, *expires - lease_time), *expires > now,
                             SightingSource::dhcp_lease});
    });
    return sightings;
}

std::vector<NetworkSighting> parse_dhcpd_leases(std::string_view text, const std::string& source,
                                                Clock::time_point now, Diagnostics& diagnostics) {
    DhcpdParser parser(tokenize_dhcpd(text), source, diagnostics);
    std::vector<NetworkSighting> sightings;
    for (auto& [ip, lease] : parser.run()) {
        if (!lease.mac) continue;  // abandoned or free leases without a client
        Clock::time_point seen = *lease.starts;
        if (lease.cltt) seen = std::max(seen, *lease.cltt);
        const bool active = lease.binding_state.empty() || lease.binding_state == "active";
        const bool unexpired = lease.ends_never || (lease.ends && *lease.ends > now);
        sightings.push_back(
            {*lease.mac, ip, std::min(seen, now), active && unexpired, SightingSource::dhcp_lease});
    }
    return sightings;
}

std::vector<NetworkSighting> parse_arp_table(std::string_view text, const std::string& source,
                                             Clock::time_point now, Diagnostics& diagnostics) {
    constexpr unsigned long kCompleteFlag = 0x2;  // ATF_COM
    std::vector<NetworkSighting> sightings;
    for_each_line(text, [&](std::size_t line, std::string_view content) {
        if (line == 1 && content.starts_with("IP address")) return;
        const auto fields = split_whitespace(content);
        if (fields.empty()) return;
        const auto skip = [&](const std::string& why) {
            diagnostics.warn(source, fmt::format("{}:{}: {}; line skipped", source, line, why));
        };
        if (fields.size() < 4) return skip("expected 'IP HW-type Flags HW-address Mask Device'");
        const std::string flags_text(fields[2]);
        char* end = nullptr;
        errno = 0;
        const unsigned long flags = std::strtoul(flags_text.c_str(), &end, 16);
        if (errno != 0 || end == flags_text.c_str() || *end != '\0') {
            return skip(fmt::format("'{}' is not a flags value", flags_text));
        }
        if ((flags & kCompleteFlag) == 0) return;  // still resolving or failed: not present
        const auto mac = normalize_mac(fields[3]);
        if (!mac) {
            if (fields[3] == "00:00:00:00:00:00") return;
            return skip(fmt::format("'{}' is not a MAC address", fields[3]));
        }
        const std::string ip(fields[0]);
        if (!is_ip_address(ip)) return skip(fmt::format("'{}' is not an IP address", ip));
        sightings.push_back({*mac, ip, now, true, SightingSource::neighbour_table});
    });
    return sightings;
}

JoinResult join_observations(const std::vector<MdmDevice>& devices,
                             const std::vector<NetworkSighting>& sightings, Clock::time_point now) {
    struct Presence {
        std::optional<Clock::time_point> present_seen;
        const NetworkSighting* address = nullptr;  // the sighting whose IP is reported
        std::optional<Clock::time_point> stale_seen;
        bool claimed = false;
    };
    std::unordered_map<std::string, Presence> by_mac;
    for (const auto& sighting : sightings) {
        Presence& p = by_mac[sighting.mac];
        if (!sighting.present) {
            p.stale_seen = std::max(p.stale_seen.value_or(sighting.seen_at), sighting.seen_at);
            continue;
        }
        p.present_seen = std::max(p.present_seen.value_or(sighting.seen_at), sighting.seen_at);
        // The neighbour table shows the address in use now; a lease only the one handed out.
        const auto rank = [](const NetworkSighting& s) {
            return std::pair(s.source == SightingSource::neighbour_table, s.seen_at);
        };
        if (p.address == nullptr || rank(sighting) > rank(*p.address)) p.address = &sighting;
    }

    std::unordered_map<std::string, std::size_t> claims;
    for (const auto& device : devices) {
        if (device.wifi_mac) ++claims[*device.wifi_mac];
    }

    JoinResult result;
    for (const auto& [mac, count] : claims) {
        if (count > 1) ++result.ambiguous_macs;
    }
    for (const auto& device : devices) {
        const Presence* presence = nullptr;
        if (device.wifi_mac && claims[*device.wifi_mac] == 1) {
            auto it = by_mac.find(*device.wifi_mac);
            if (it != by_mac.end()) {
                it->second.claimed = true;
                presence = &it->second;
            }
        } else if (device.wifi_mac) {
            // Still "claimed": the MAC belongs to a known device, just not to one in particular.
            if (auto it = by_mac.find(*device.wifi_mac); it != by_mac.end())
                it->second.claimed = true;
        }

        std::optional<Clock::time_point> seen;
        std::optional<std::string> ip;
        if (presence != nullptr && presence->present_seen) {
            seen = presence->present_seen;
            ip = presence->address->ip_address;
            ++result.on_network;
        } else {
            seen = device.last_contact;
            if (presence != nullptr && presence->stale_seen) {
                seen = std::max(seen.value_or(*presence->stale_seen), *presence->stale_seen);
            }
        }
        if (!seen) {
            ++result.without_sighting;
            continue;
        }
        DeviceObservation observation;
        observation.serial_number = device.serial;
        observation.seen_at = format_rfc3339(std::min(*seen, now));
        observation.os_version = device.os_version;
        observation.battery_pct = device.battery_pct;
        observation.storage_free_mb = device.storage_free_mb;
        observation.managed = device.managed;
        observation.ip_address = std::move(ip);
        result.observations.push_back(std::move(observation));
    }
    for (const auto& [mac, presence] : by_mac) {
        if (!presence.claimed) ++result.mac_only;
    }
    std::sort(result.observations.begin(), result.observations.end(),
              [](const auto& a, const auto& b) { return a.serial_number < b.serial_number; });
    return result;
}

Collection collect(const AgentConfig& config, Clock::time_point now, Diagnostics& diagnostics) {
    Collection collection;
    std::vector<MdmDevice> devices;
    const std::string dir = config.export_dir.string();
    collection.export_file = newest_export(config.export_dir, config.format);
    if (!collection.export_file) {
        diagnostics.warn(dir, fmt::format("{}: no {} MDM export found", dir,
                                          config.format == ExportFormat::csv ? ".csv" : ".json"));
    } else {
        const std::string name = collection.export_file->string();
        std::error_code ec;
        const auto written = std::filesystem::last_write_time(*collection.export_file, ec);
        if (!ec) {
            const auto age = std::filesystem::file_time_type::clock::now() - written;
            if (age > kStaleExportAge) {
                diagnostics.warn(name, fmt::format("{}: the newest export is {} days old; is the "
                                                   "MDM's scheduled export still running?",
                                                   name, duration_cast<hours>(age).count() / 24));
            }
        }
        if (const auto text = read_input(*collection.export_file, diagnostics)) {
            const ExportColumns columns = export_columns(config);
            devices = config.format == ExportFormat::csv
                          ? parse_mdm_csv(*text, name, columns, diagnostics)
                          : parse_mdm_json(*text, name, columns, diagnostics);
        }
    }
    collection.mdm_devices = devices.size();

    std::vector<NetworkSighting> sightings;
    const auto append = [&](std::vector<NetworkSighting> more) {
        sightings.insert(sightings.end(), std::make_move_iterator(more.begin()),
                         std::make_move_iterator(more.end()));
    };
    if (!config.dnsmasq_leases.empty()) {
        if (const auto text = read_input(config.dnsmasq_leases, diagnostics)) {
            append(parse_dnsmasq_leases(*text, config.dnsmasq_leases.string(),
                                        config.dnsmasq_lease_time, now, diagnostics));
        }
    }
    if (!config.dhcpd_leases.empty()) {
        if (const auto text = read_input(config.dhcpd_leases, diagnostics)) {
            append(parse_dhcpd_leases(*text, config.dhcpd_leases.string(), now, diagnostics));
        }
    }
    if (!config.arp_table.empty()) {
        if (const auto text = read_input(config.arp_table, diagnostics)) {
            append(parse_arp_table(*text, config.arp_table.string(), now, diagnostics));
        }
    }
    collection.sightings = sightings.size();
    collection.join = join_observations(devices, sightings, now);
    return collection;
}

}  // namespace pakt::agent
