// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// Strict reading of JSON request bodies. Malformed JSON, a body nested too deeply and a value of
// the wrong type are 400; a wrong Content-Type is 415; unknown fields, missing required fields and
// invalid values are 422 listing the fields at fault (the first kMaxListedProblems, and a count of
// the rest). Every string read passes the one text rule (common/text.hpp).
#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/text.hpp"
#include "server/http/api_error.hpp"
#include "server/http/message.hpp"

namespace pakt::server::http {

/// Maximum nesting of arrays and objects accepted in a request body.
inline constexpr int kMaxJsonDepth = 32;

/// Checks Content-Type (application/json, optionally with charset=utf-8), that there is a body,
/// and its nesting depth, without parsing it. Throws ApiError (415 or 400).
void check_json_body(const Request& request);

/// check_json_body, then the syntax, and that the top level is an object. Throws ApiError (415
/// or 400).
nlohmann::json parse_json_body(const Request& request);

/// Reads fields of one JSON object, collecting the problems before reporting (the first
/// kMaxListedProblems of each kind listed, the rest counted). Type errors make finish() throw
/// 400; otherwise missing, unknown or invalid fields make it throw 422.
class ObjectReader {
public:
    /// `allowed` lists every field the object may have; others are reported as unknown.
    ObjectReader(const nlohmann::json& object, std::initializer_list<std::string_view> allowed);

    bool has(std::string_view field) const;

    /// A string field; a value that breaks the text rule of `kind` (control characters; see
    /// TextKind) is recorded as invalid (422 naming the field) and still returned.
    std::optional<std::string> optional_string(std::string_view field,
                                               TextKind kind = TextKind::single_line);
    std::string required_string(std::string_view field, TextKind kind = TextKind::single_line);
    std::optional<std::int64_t> optional_integer(std::string_view field);
    std::optional<bool> optional_bool(std::string_view field);
    std::optional<double> optional_number(std::string_view field);
    /// True if the field is present with value null (used to clear optional values).
    bool is_null(std::string_view field) const;
    std::optional<std::vector<std::string>> optional_string_array(std::string_view field);

    /// Records a validation problem (422) for `field`; the same message for the same field is
    /// recorded once (a handler's own check may repeat the reader's text rule).
    void invalid(std::string_view field, std::string message);

    /// Throws if anything was recorded.
    void finish() const;

private:
    const nlohmann::json* lookup(std::string_view field) const;
    void wrong_type(std::string_view field, std::string_view expected);

    const nlohmann::json& object_;
    FieldErrors type_errors_;
    FieldErrors invalid_;
};

/// Serialises a JSON value for a response; invalid UTF-8 in stored strings is replaced rather
/// than failing the request.
std::string dump(const nlohmann::json& value);

/// An optional field of an answer: its value, or JSON null.
template <typename T>
nlohmann::json nullable(const std::optional<T>& value) {
    return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

}  // namespace pakt::server::http
