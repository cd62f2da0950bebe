// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "common/checkin_report.hpp"

#include <fmt/format.h>

#include <array>
#include <cstdint>
#include <limits>
#include <span>

#include "common/crypto.hpp"
#include "common/text.hpp"
#include "common/time.hpp"

namespace pakt {
namespace {

// Reads a report straight from its text with nlohmann's SAX interface: no document tree is built
// (for a check-in of 250 devices the tree would be about two thousand map nodes made and thrown
// away on paktd's hottest route). Values of unknown fields, and containers where a scalar
// belongs, are skipped whole; every problem is collected with its JSON path.
class ReportReader {
  public:
    using json = nlohmann::json;

    ReportReader(ParsedReport& out, std::optional<Clock::time_point> seen_not_after)
        : out_(out), seen_not_after_(seen_not_after) {}

    // A text that parsed to the end with the root object closed.
    bool complete() const { return state_ == State::done; }

    bool null() { return scalar(Scalar{Kind::null}); }
    bool boolean(bool value) { return scalar(Scalar{Kind::boolean, value}); }
    bool number_integer(json::number_integer_t value) {
        return scalar(Scalar{Kind::integer, false, value});
    }
    bool number_unsigned(json::number_unsigned_t value) {
        if (value >
            static_cast<json::number_unsigned_t>(std::numeric_limits<std::int64_t>::max())) {
            return scalar(Scalar{Kind::huge_integer});
        }
        return scalar(Scalar{Kind::integer, false, static_cast<std::int64_t>(value)});
    }
    bool number_float(json::number_float_t, const json::string_t&) {
        return scalar(Scalar{Kind::number});
    }
    bool string(json::string_t& value) { return scalar(Scalar{Kind::string, false, 0, &value}); }
    bool binary(json::binary_t&) { return false; }  // not produced by the text parser

    bool start_object(std::size_t) {
        if (skip_ > 0 || container_misplaced(false)) return ++skip_, true;
        if (state_ == State::top) {
            state_ = State::root;
        } else {  // State::devices: a device
            if (++device_count_ > kMaxDevicesPerReport) return ++skip_, true;
            device_ = DeviceFields{};
            device_seen_ = 0;
            state_ = State::device;
        }
        return true;
    }

    bool start_array(std::size_t) {
        if (skip_ > 0 || container_misplaced(true)) return ++skip_, true;
        state_ = State::devices;  // only root.devices gets here
        devices_present_ = true;
        return true;
    }

    bool end_object() {
        if (skip_ > 0) return --skip_, true;
        if (state_ == State::device) {
            finish_device();
            state_ = State::devices;
        } else {
            finish_root();
            state_ = State::done;
        }
        return true;
    }

    bool end_array() {
        if (skip_ > 0) return --skip_, true;
        if (device_count_ > kMaxDevicesPerReport) {
            device_errors_.clear();
            report_.devices.clear();
            error_to(errors_, "devices",
                     fmt::format("at most {} devices per report, got {}", kMaxDevicesPerReport,
                                 device_count_));
        }
        errors_.append(std::move(device_errors_));
        device_errors_.clear();
        state_ = State::root;
        return true;
    }

    bool key(json::string_t& name) {
        if (skip_ > 0) return true;
        key_ = name;
        const bool root = state_ == State::root;
        const std::span<const char* const> known =
            root ? std::span<const char* const>(kRootFields) : kDeviceFields;
        std::size_t index = 0;
        while (index < known.size() && name != known[index]) ++index;
        auto& errors = root ? errors_ : device_errors_;
        if (index == known.size()) {
            error_to(errors, root ? name : device_path(), "unknown field");
        } else if (auto& seen = root ? root_seen_ : device_seen_; seen & (1u << index)) {
            // JSON leaves repeated names undefined; a report must not depend on which one wins.
            error_to(errors, root ? name : device_path(), "appears more than once");
            // Its first value counts as refused too (no "is required" on top), and the repeated
            // value is ignored like an unknown field's.
            if (StringField* field = root ? root_string() : device_string())
                *field = StringField{std::nullopt, true};
            key_.clear();
        } else {
            seen |= 1u << index;
        }
        return true;
    }

    bool parse_error(std::size_t, const std::string&, const json::exception&) {
        out_.malformed = true;
        return false;
    }

  private:
    static constexpr std::array<const char*, 4> kRootFields{"report_id", "generated_at",
                                                            "agent_version", "devices"};
    static constexpr std::array<const char*, 7> kDeviceFields{
        "serial_number",   "seen_at", "os_version", "battery_pct",
        "storage_free_mb", "managed", "ip_address"};
    enum class State { top, root, devices, device, done };
    enum class Kind { null, boolean, integer, huge_integer, number, string };
    struct Scalar {
        Kind kind;
        bool boolean = false;
        std::int64_t integer = 0;
        const std::string* text = nullptr;
    };
    struct StringField {
        std::optional<std::string> value;
        bool invalid = false;  // present but refused (its error is listed already)
    };
    struct DeviceFields {
        StringField serial_number, seen_at, os_version, ip_address;
        std::optional<std::int64_t> battery_pct, storage_free_mb;
        std::optional<bool> managed;
    };

    static bool is_one_of(const std::string& name, std::initializer_list<const char*> names) {
        for (const char* n : names) {
            if (name == n) return true;
        }
        return false;
    }

    static void error_to(ProblemList<ReportError>& errors, std::string field, std::string message,
                         bool wrong_type = false) {
        errors.add({std::move(field), std::move(message), wrong_type});
    }

    std::string device_path() const {
        return fmt::format("devices[{}].{}", device_count_ - 1, key_);
    }

    // A '{' or '[' where the position wants something else: reports the type error and has the
    // caller skip the container. Returns false where the container belongs.
    bool container_misplaced(bool is_array) {
        switch (state_) {
            case State::top:
                if (is_array) {
                    error_to(errors_, "", "the report must be a JSON object", true);
                    state_ = State::done;  // once the skipped array has closed
                }
                return is_array;
            case State::root:
                if (key_ == "devices") {
                    if (!is_array) error_to(errors_, "devices", "must be an array", true);
                    return !is_array;
                }
                if (StringField* field = root_string(); field != nullptr) {
                    *field = StringField{std::nullopt, true};
                    error_to(errors_, key_, "must be a string", true);
                }
                return true;
            case State::devices:
                if (is_array) {
                    ++device_count_;
                    if (device_count_ <= kMaxDevicesPerReport) {
                        error_to(device_errors_, fmt::format("devices[{}]", device_count_ - 1),
                                 "must be an object", true);
                    }
                }
                return is_array;
            case State::device:
                device_type_error();
                return true;
            case State::done:
                return true;
        }
        return true;
    }

    bool scalar(const Scalar& v) {
        if (skip_ > 0) return true;
        switch (state_) {
            case State::top:
                error_to(errors_, "", "the report must be a JSON object", true);
                state_ = State::done;
                break;
            case State::root:
                root_value(v);
                break;
            case State::devices:
                if (++device_count_ <= kMaxDevicesPerReport) {
                    error_to(device_errors_, fmt::format("devices[{}]", device_count_ - 1),
                             "must be an object", true);
                }
                break;
            case State::device:
                device_value(v);
                break;
            case State::done:
                break;
        }
        return true;
    }

    StringField* root_string() {
        if (key_ == "report_id") return &report_id_;
        if (key_ == "generated_at") return &generated_at_;
        if (key_ == "agent_version") return &agent_version_;
        return nullptr;
    }

    StringField* device_string() {
        if (key_ == "serial_number") return &device_.serial_number;
        if (key_ == "seen_at") return &device_.seen_at;
        if (key_ == "os_version") return &device_.os_version;
        if (key_ == "ip_address") return &device_.ip_address;
        return nullptr;
    }

    void root_value(const Scalar& v) {
        if (StringField* field = root_string())
            read_string(errors_, *field, v, [this] { return key_; });
        else if (key_ == "devices")
            error_to(errors_, "devices", "must be an array", true);
    }

    void device_value(const Scalar& v) {
        DeviceFields& d = device_;
        if (StringField* field = device_string())
            read_string(device_errors_, *field, v, [this] { return device_path(); });
        else if (key_ == "battery_pct")
            d.battery_pct = read_integer(v, 0, 100);
        else if (key_ == "storage_free_mb")
            d.storage_free_mb = read_integer(v, 0, 100'000'000);
        else if (key_ == "managed") {
            d.managed.reset();
            if (v.kind == Kind::boolean)
                d.managed = v.boolean;
            else if (v.kind != Kind::null)
                error_to(device_errors_, device_path(), "must be a boolean", true);
        }
    }

    void device_type_error() {
        const char* expected = nullptr;
        if (StringField* field = device_string()) {
            *field = StringField{std::nullopt, true};
            expected = "must be a string";
        } else if (is_one_of(key_, {"battery_pct", "storage_free_mb"}))
            expected = "must be an integer";
        else if (key_ == "managed")
            expected = "must be a boolean";
        if (expected) error_to(device_errors_, device_path(), expected, true);
    }

    // `path()` names the field; only called for an error (formatting it per field was a
    // measurable share of reading a large report).
    template <class Path>
    static void read_string(ProblemList<ReportError>& errors, StringField& field, const Scalar& v,
                            const Path& path) {
        field = StringField{};
        if (v.kind == Kind::null) return;
        field.invalid = true;
        if (v.kind != Kind::string) {
            error_to(errors, path(), "must be a string", true);
        } else if (v.text->size() > kMaxReportStringBytes) {
            error_to(errors, path(),
                     fmt::format("must be at most {} bytes", kMaxReportStringBytes));
        } else if (auto problem = text_problem(*v.text, TextKind::single_line)) {
            error_to(errors, path(), std::move(*problem));
        } else {
            field.value = *v.text;
            field.invalid = false;
        }
    }

    std::optional<std::int64_t> read_integer(const Scalar& v, std::int64_t min, std::int64_t max) {
        if (v.kind == Kind::null) return std::nullopt;
        if (v.kind != Kind::integer && v.kind != Kind::huge_integer) {
            error_to(device_errors_, device_path(), "must be an integer", true);
            return std::nullopt;
        }
        if (v.kind == Kind::huge_integer || v.integer < min || v.integer > max) {
            error_to(device_errors_, device_path(),
                     fmt::format("must be between {} and {}", min, max));
            return std::nullopt;
        }
        return v.integer;
    }

    static void require(ProblemList<ReportError>& errors, const StringField& field,
                        std::string path) {
        if (!field.value && !field.invalid) error_to(errors, std::move(path), "is required");
    }

    std::string device_field(const char* name) const {
        return fmt::format("devices[{}].{}", device_count_ - 1, name);
    }

    void finish_device() {
        DeviceFields& d = device_;
        if (!d.serial_number.value && !d.serial_number.invalid)
            error_to(device_errors_, device_field("serial_number"), "is required");
        if (!d.seen_at.value && !d.seen_at.invalid)
            error_to(device_errors_, device_field("seen_at"), "is required");
        if (d.seen_at.value) {
            if (auto problem = time_problem(*d.seen_at.value)) {
                error_to(device_errors_, device_field("seen_at"), std::move(*problem));
            } else if (seen_not_after_ && *parse_rfc3339(*d.seen_at.value) > *seen_not_after_) {
                error_to(device_errors_, device_field("seen_at"),
                         "is later than the server's clock allows (" +
                             format_rfc3339(*seen_not_after_) + "); check the agent's clock");
            }
        }
        if (!device_errors_.empty()) return;  // the report is refused: no need to keep devices
        DeviceObservation o;
        o.serial_number = std::move(*d.serial_number.value);
        o.seen_at = std::move(*d.seen_at.value);
        o.os_version = std::move(d.os_version.value);
        o.ip_address = std::move(d.ip_address.value);
        o.battery_pct = d.battery_pct;
        o.storage_free_mb = d.storage_free_mb;
        o.managed = d.managed;
        report_.devices.push_back(std::move(o));
    }

    void finish_root() {
        require(errors_, report_id_, "report_id");
        if (report_id_.value && !is_uuid(*report_id_.value))
            error_to(errors_, "report_id", "must be a UUID");
        require(errors_, generated_at_, "generated_at");
        if (generated_at_.value) {
            if (auto problem = time_problem(*generated_at_.value))
                error_to(errors_, "generated_at", std::move(*problem));
        }
        require(errors_, agent_version_, "agent_version");
        if (!devices_present_ && !has_error_for("devices"))
            error_to(errors_, "devices", "is required");
        report_.report_id = report_id_.value.value_or("");
        report_.generated_at = generated_at_.value.value_or("");
        report_.agent_version = agent_version_.value.value_or("");
    }

    bool has_error_for(const std::string& field) const {
        for (const auto& e : errors_) {
            if (e.field == field) return true;
        }
        return false;
    }

  public:
    // After a complete parse: the report, or every problem found.
    void finish() {
        if (!complete()) return;
        out_.errors = std::move(errors_);
        if (out_.errors.empty()) out_.report = std::move(report_);
    }

  private:
    ParsedReport& out_;
    std::optional<Clock::time_point> seen_not_after_;
    State state_ = State::top;
    int skip_ = 0;  // depth inside a value being skipped
    std::string key_;
    StringField report_id_, generated_at_, agent_version_;
    bool devices_present_ = false;
    unsigned root_seen_ = 0;    // bit i: kRootFields[i] was read
    unsigned device_seen_ = 0;  // bit i: kDeviceFields[i] was read, in the current device
    std::size_t device_count_ = 0;
    DeviceFields device_;
    CheckinReport report_;
    ProblemList<ReportError> errors_;
    ProblemList<ReportError>
        device_errors_;  // merged when the array closes (or dropped if too long)
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
    hex[12] = '4';                                                    // version 4
    hex[16] = "89ab"[std::stoi(hex.substr(16, 1), nullptr, 16) & 3];  // RFC 4122 variant
    return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
           hex.substr(16, 4) + "-" + hex.substr(20);
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

ParsedReport parse_checkin_report(std::string_view text,
                                  std::optional<Clock::time_point> seen_not_after) {
    ParsedReport out;
    ReportReader reader(out, seen_not_after);
    const bool parsed = nlohmann::json::sax_parse(text.begin(), text.end(), &reader);
    if (!parsed || !reader.complete()) {
        out.malformed = true;
        out.errors.clear();
        out.report.reset();
        return out;
    }
    reader.finish();
    return out;
}

}  // namespace pakt
