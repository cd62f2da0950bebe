#include "common/checkin_report.hpp"

#include <fmt/format.h>

#include "common/crypto.hpp"
#include "common/csv.hpp"
#include "common/time.hpp"

namespace pakt {
namespace {

constexpr std::size_t kMaxErrors = 50;

class Reader {
public:
    explicit Reader(std::vector<ReportError>& errors) : errors_(errors) {}

    void error(std::string field, std::string message, bool wrong_type = false) {
        if (errors_.size() < kMaxErrors) errors_.push_back({std::move(field), std::move(message), wrong_type});
    }

    std::optional<std::string> string(const nlohmann::json& obj, const char* key, const std::string& path, bool required) {
        auto it = obj.find(key);
        if (it == obj.end() || it->is_null()) {
            if (required) error(path, "is required");
            return std::nullopt;
        }
        if (!it->is_string()) {
            error(path, "must be a string", true);
            return std::nullopt;
        }
        const auto& s = it->get_ref<const std::string&>();
        if (s.size() > kMaxReportStringBytes) {
            error(path, fmt::format("must be at most {} bytes", kMaxReportStringBytes));
            return std::nullopt;
        }
        if (!csv::is_valid_utf8(s)) {
            error(path, "must be valid UTF-8");
            return std::nullopt;
        }
        return s;
    }

    std::optional<std::int64_t> integer(const nlohmann::json& obj, const char* key, const std::string& path,
                                        std::int64_t min, std::int64_t max) {
        auto it = obj.find(key);
        if (it == obj.end() || it->is_null()) return std::nullopt;
        if (!it->is_number_integer()) {
            error(path, "must be an integer", true);
            return std::nullopt;
        }
        const auto v = it->get<std::int64_t>();
        if (v < min || v > max) {
            error(path, fmt::format("must be between {} and {}", min, max));
            return std::nullopt;
        }
        return v;
    }

    std::optional<bool> boolean(const nlohmann::json& obj, const char* key, const std::string& path) {
        auto it = obj.find(key);
        if (it == obj.end() || it->is_null()) return std::nullopt;
        if (!it->is_boolean()) {
            error(path, "must be a boolean", true);
            return std::nullopt;
        }
        return it->get<bool>();
    }

    void unknown_fields(const nlohmann::json& obj, std::initializer_list<const char*> known, const std::string& prefix) {
        for (const auto& [key, value] : obj.items()) {
            bool ok = false;
            for (const char* k : known) ok = ok || key == k;
            if (!ok) error(prefix + key, "unknown field");
        }
    }

private:
    std::vector<ReportError>& errors_;
};

}  // namespace

bool is_uuid(const std::string& t) {
    if (t.size() != 36) return false;
    for (std::size_t i = 0; i < t.size(); ++i) {
        const char c = t[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-') return false;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
            return false;
        }
    }
    return true;
}

std::string make_uuid() {
    std::string hex = random_hex(16);
    hex[12] = '4';                                                   // version 4
    hex[16] = "89ab"[std::stoi(hex.substr(16, 1), nullptr, 16) & 3];  // RFC 4122 variant
    return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" + hex.substr(16, 4) + "-" +
           hex.substr(20);
}

nlohmann::json to_json(const CheckinReport& report) {
    nlohmann::json devices = nlohmann::json::array();
    for (const auto& d : report.devices) {
        nlohmann::json item = {{"serial_number", d.serial_number}, {"seen_at", d.seen_at}};
        if (d.os_version) item["os_version"] = *d.os_version;
        if (d.battery_pct) item["battery_pct"] = *d.battery_pct;
        if (d.storage_free_mb) item["storage_free_mb"] = *d.storage_free_mb;
        if (d.managed) item["managed"] = *d.managed;
        if (d.ip_address) item["ip_address"] = *d.ip_address;
        devices.push_back(std::move(item));
    }
    return {{"report_id", report.report_id},
            {"generated_at", report.generated_at},
            {"agent_version", report.agent_version},
            {"devices", std::move(devices)}};
}

ParsedReport parse_checkin_report(const nlohmann::json& json) {
    ParsedReport out;
    Reader r(out.errors);
    if (!json.is_object()) {
        r.error("", "the report must be a JSON object", true);
        return out;
    }
    r.unknown_fields(json, {"report_id", "generated_at", "agent_version", "devices"}, "");
    CheckinReport report;
    // Present but empty strings are invalid too: an empty report_id would make every such
    // report share one idempotency key.
    const auto report_id = r.string(json, "report_id", "report_id", true);
    if (report_id && !is_uuid(*report_id)) r.error("report_id", "must be a UUID");
    report.report_id = report_id.value_or("");
    const auto generated_at = r.string(json, "generated_at", "generated_at", true);
    if (generated_at && !parse_rfc3339(*generated_at)) r.error("generated_at", "must be an RFC 3339 time");
    report.generated_at = generated_at.value_or("");
    report.agent_version = r.string(json, "agent_version", "agent_version", true).value_or("");

    auto devices = json.find("devices");
    if (devices == json.end()) {
        r.error("devices", "is required");
    } else if (!devices->is_array()) {
        r.error("devices", "must be an array", true);
    } else if (devices->size() > kMaxDevicesPerReport) {
        r.error("devices", fmt::format("at most {} devices per report, got {}", kMaxDevicesPerReport, devices->size()));
    } else {
        report.devices.reserve(devices->size());
        for (std::size_t i = 0; i < devices->size(); ++i) {
            const auto& item = (*devices)[i];
            const std::string p = fmt::format("devices[{}].", i);
            if (!item.is_object()) {
                r.error(fmt::format("devices[{}]", i), "must be an object", true);
                continue;
            }
            r.unknown_fields(item, {"serial_number", "seen_at", "os_version", "battery_pct", "storage_free_mb", "managed", "ip_address"}, p);
            DeviceObservation d;
            d.serial_number = r.string(item, "serial_number", p + "serial_number", true).value_or("");
            const auto seen_at = r.string(item, "seen_at", p + "seen_at", true);
            if (seen_at && !parse_rfc3339(*seen_at)) r.error(p + "seen_at", "must be an RFC 3339 time");
            d.seen_at = seen_at.value_or("");
            d.os_version = r.string(item, "os_version", p + "os_version", false);
            d.battery_pct = r.integer(item, "battery_pct", p + "battery_pct", 0, 100);
            d.storage_free_mb = r.integer(item, "storage_free_mb", p + "storage_free_mb", 0, 100'000'000);
            d.managed = r.boolean(item, "managed", p + "managed");
            d.ip_address = r.string(item, "ip_address", p + "ip_address", false);
            report.devices.push_back(std::move(d));
        }
    }
    if (out.errors.empty()) out.report = std::move(report);
    return out;
}

}  // namespace pakt
