// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "server/http/json_input.hpp"

#include <algorithm>
#include <cctype>

namespace pakt::server::http {
namespace {

bool is_json_content_type(const std::optional<std::string>& value) {
    if (!value) return false;
    std::string v;
    for (char c : *value) {
        if (c != ' ' && c != '\t') v += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return v == "application/json" || v == "application/json;charset=utf-8";
}

// Measured before parsing so a body of a million '[' cannot exhaust the stack or the heap of
// the parser: a linear scan that skips strings.
int nesting_depth(std::string_view text) {
    int depth = 0;
    int max_depth = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_string) {
            if (c == '\\') ++i;
            else if (c == '"') in_string = false;
            continue;
        }
        if (c == '"') in_string = true;
        else if (c == '[' || c == '{') max_depth = std::max(max_depth, ++depth);
        else if (c == ']' || c == '}') --depth;
        if (max_depth > kMaxJsonDepth) break;
    }
    return max_depth;
}

std::string type_name(const nlohmann::json& v) {
    if (v.is_null()) return "null";
    if (v.is_boolean()) return "boolean";
    if (v.is_number_integer() || v.is_number_unsigned()) return "integer";
    if (v.is_number()) return "number";
    if (v.is_string()) return "string";
    if (v.is_array()) return "array";
    return "object";
}

}  // namespace

void check_json_body(const Request& request) {
    if (!is_json_content_type(request.header("Content-Type"))) {
        throw ApiError::unsupported_media_type(
            "this endpoint accepts only 'Content-Type: application/json'");
    }
    if (request.body.empty()) throw ApiError::bad_request("the request body is empty; a JSON object is required");
    if (nesting_depth(request.body) > kMaxJsonDepth) {
        throw ApiError::bad_request("the JSON body is nested more than 32 levels deep");
    }
}

nlohmann::json parse_json_body(const Request& request) {
    check_json_body(request);
    nlohmann::json value = nlohmann::json::parse(request.body, nullptr, /*allow_exceptions=*/false);
    if (value.is_discarded()) {
        throw ApiError::bad_request("the request body is not valid JSON");
    }
    if (!value.is_object()) throw ApiError::bad_request("the request body must be a JSON object");
    return value;
}

ObjectReader::ObjectReader(const nlohmann::json& object,
                           std::initializer_list<std::string_view> allowed)
    : object_(object) {
    // A hostile body may hold a hundred thousand unknown keys: only the listed ones are copied.
    for (auto it = object_.begin(); it != object_.end(); ++it) {
        const std::string& key = it.key();
        if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
            invalid_.add_with([&key] { return FieldError{key, "unknown field", std::nullopt}; });
        }
    }
}

bool ObjectReader::has(std::string_view field) const { return lookup(field) != nullptr; }

const nlohmann::json* ObjectReader::lookup(std::string_view field) const {
    auto it = object_.find(field);
    if (it == object_.end()) return nullptr;
    return &*it;
}

void ObjectReader::wrong_type(std::string_view field, std::string_view expected) {
    type_errors_.add_with([&] {
        return FieldError{std::string(field),
                          "must be " + std::string(expected) + ", got " + type_name(*lookup(field)),
                          std::nullopt};
    });
}

std::optional<std::string> ObjectReader::optional_string(std::string_view field, TextKind kind) {
    const auto* v = lookup(field);
    if (!v) return std::nullopt;
    if (!v->is_string()) {
        wrong_type(field, "a string");
        return std::nullopt;
    }
    const auto& text = v->get_ref<const std::string&>();
    if (auto problem = text_problem(text, kind)) invalid(field, std::move(*problem));
    return text;
}

std::string ObjectReader::required_string(std::string_view field, TextKind kind) {
    if (!has(field)) {
        invalid(field, "is required");
        return {};
    }
    return optional_string(field, kind).value_or("");
}

std::optional<std::int64_t> ObjectReader::optional_integer(std::string_view field) {
    const auto* v = lookup(field);
    if (!v) return std::nullopt;
    // nlohmann stores every non-negative integer as unsigned; only those above INT64_MAX do not
    // fit (they would wrap to negative numbers).
    if (v->is_number_unsigned() && v->get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) {
        invalid(field, "is out of range");
        return std::nullopt;
    }
    if (v->is_number_integer()) return v->get<std::int64_t>();
    wrong_type(field, "an integer");
    return std::nullopt;
}

std::optional<bool> ObjectReader::optional_bool(std::string_view field) {
    const auto* v = lookup(field);
    if (!v) return std::nullopt;
    if (!v->is_boolean()) {
        wrong_type(field, "a boolean");
        return std::nullopt;
    }
    return v->get<bool>();
}

std::optional<double> ObjectReader::optional_number(std::string_view field) {
    const auto* v = lookup(field);
    if (!v || v->is_null()) return std::nullopt;
    if (!v->is_number()) {
        wrong_type(field, "a number");
        return std::nullopt;
    }
    return v->get<double>();
}

bool ObjectReader::is_null(std::string_view field) const {
    const auto* v = lookup(field);
    return v && v->is_null();
}

std::optional<std::vector<std::string>> ObjectReader::optional_string_array(std::string_view field) {
    const auto* v = lookup(field);
    if (!v) return std::nullopt;
    if (!v->is_array() || !std::all_of(v->begin(), v->end(), [](const auto& e) { return e.is_string(); })) {
        wrong_type(field, "an array of strings");
        return std::nullopt;
    }
    auto values = v->get<std::vector<std::string>>();
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (auto problem = text_problem(values[i])) {
            invalid(std::string(field) + "[" + std::to_string(i) + "]", std::move(*problem));
        }
    }
    return values;
}

void ObjectReader::invalid(std::string_view field, std::string message) {
    for (const auto& e : invalid_) {
        if (e.field == field && e.message == message) return;
    }
    invalid_.add({std::string(field), std::move(message), std::nullopt});
}

void ObjectReader::finish() const {
    if (!type_errors_.empty()) {
        throw ApiError::bad_request("fields of the request body have the wrong type", type_errors_);
    }
    if (!invalid_.empty()) {
        throw ApiError::unprocessable("the request body has invalid fields", invalid_);
    }
}

std::string dump(const nlohmann::json& value) {
    return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace pakt::server::http
