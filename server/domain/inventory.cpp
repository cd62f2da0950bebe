// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "server/domain/inventory.hpp"

#include <array>

#include "common/csv.hpp"

namespace pakt::server {
namespace {

constexpr std::array<std::string_view, 6> kStatusNames = {"in_storage", "in_use", "in_repair",
                                                          "lost",       "stolen", "retired"};
constexpr std::array<std::string_view, 3> kReasonNames = {"lost", "stolen",
                                                          "damaged_beyond_repair"};

bool is_ref_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '/' || c == '-';
}

}  // namespace

std::string normalize_serial(std::string_view raw) {
    std::string s = csv::trim(raw);
    for (char& c : s) {
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    }
    return s;
}

bool is_valid_serial(std::string_view serial) {
    if (serial.size() < 8 || serial.size() > 14) return false;
    for (char c : serial) {
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
    }
    return true;
}

std::string_view to_string(DeviceStatus status) {
    return kStatusNames[static_cast<std::size_t>(status)];
}

std::optional<DeviceStatus> device_status_from_string(std::string_view text) {
    for (std::size_t i = 0; i < kStatusNames.size(); ++i) {
        if (kStatusNames[i] == text) return static_cast<DeviceStatus>(i);
    }
    return std::nullopt;
}

bool is_allowed_transition(DeviceStatus from, DeviceStatus to) {
    using S = DeviceStatus;
    if (from == to) return true;
    if (from == S::retired) return false;
    switch (to) {
        case S::lost:
        case S::stolen:
        case S::retired:
            return true;
        case S::in_repair:
            return from == S::in_storage || from == S::in_use;
        case S::in_use:
            return from == S::in_storage || from == S::in_repair;
        case S::in_storage:
            return from == S::in_use || from == S::in_repair || from == S::lost ||
                   from == S::stolen;
    }
    return false;
}

std::string_view to_string(RetireReason reason) {
    return kReasonNames[static_cast<std::size_t>(reason)];
}

std::optional<RetireReason> retire_reason_from_string(std::string_view text) {
    for (std::size_t i = 0; i < kReasonNames.size(); ++i) {
        if (kReasonNames[i] == text) return static_cast<RetireReason>(i);
    }
    return std::nullopt;
}

std::string earmark_end(std::string_view spend_by) {
    const int year = std::stoi(std::string(spend_by.substr(0, 4)));
    return std::to_string(year + 5) + "-12-31";
}

bool within_earmark(std::string_view earmark_end_date, std::string_view today) {
    return today <= earmark_end_date;
}

std::optional<std::string> check_borrower_ref(std::string_view ref) {
    if (ref.empty() || ref.size() > 32) return "must be 1 to 32 characters long";
    bool digit = false;
    for (char c : ref) {
        if (!is_ref_char(c)) {
            return "must be a pseudonymous reference such as a class-list number (letters, digits, "
                   ". _ / -), never a name";
        }
        digit = digit || (c >= '0' && c <= '9');
    }
    if (!digit)
        return "must contain a digit: use a pseudonymous number such as \"5b-17\", never a name";
    return std::nullopt;
}

std::optional<std::string> check_document_ref(std::string_view ref) {
    if (ref.empty() || ref.size() > 64) return "must be 1 to 64 characters long";
    for (char c : ref) {
        if (!is_ref_char(c)) return "may contain only letters, digits and . _ / -";
    }
    return std::nullopt;
}

}  // namespace pakt::server
