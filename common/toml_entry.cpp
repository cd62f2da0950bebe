// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "common/toml_entry.hpp"

namespace pakt {

std::string_view toml_type_name(toml::node_type type) {
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

void TomlEntry::fail(std::string_view expected, std::string_view got) const {
    throw ConfigError(origin() + ": expected " + std::string(expected) + ", got " +
                      std::string(got));
}

bool TomlEntry::boolean() const {
    if (const auto* value = node_.as_boolean()) return value->get();
    fail("a boolean (true or false)", toml_type_name(node_.type()));
}

const std::string& TomlEntry::text() const {
    if (const auto* value = node_.as_string()) return value->get();
    fail("a string", toml_type_name(node_.type()));
}

const toml::table& TomlEntry::table() const {
    const auto* t = node_.as_table();
    if (t == nullptr) fail("a table", toml_type_name(node_.type()));
    return *t;
}

std::vector<std::string> TomlEntry::text_list() const {
    const auto* array = node_.as_array();
    if (array == nullptr) fail("an array of strings", toml_type_name(node_.type()));
    std::vector<std::string> out;
    for (const auto& element : *array) {
        const auto* value = element.as_string();
        if (value == nullptr) {
            fail("an array of strings",
                 "an array containing " + std::string(toml_type_name(element.type())));
        }
        out.push_back(value->get());
    }
    return out;
}

std::string TomlEntry::name(bool allow_empty) const {
    const std::string& value = text();
    if (value.empty() && !allow_empty) fail("a non-empty string", "an empty string");
    if (value.find('\0') != std::string::npos) fail("a string", "a string containing NUL");
    return value;
}

std::filesystem::path TomlEntry::path(bool allow_empty) const {
    const std::string& value = text();
    if (value.empty() && !allow_empty) fail("a non-empty path", "an empty string");
    if (value.find('\0') != std::string::npos) fail("a path", "a string containing NUL");
    return value;
}

std::int64_t TomlEntry::integer(std::int64_t min, std::int64_t max) const {
    const auto* value = node_.as_integer();
    if (value == nullptr) {
        fail(min > 0 ? "a positive integer" : "a non-negative integer",
             toml_type_name(node_.type()));
    }
    const std::int64_t n = value->get();
    if (n < min || n > max) {
        fail("an integer from " + std::to_string(min) + " to " + std::to_string(max),
             std::to_string(n));
    }
    return n;
}

std::string TomlEntry::one_of(std::span<const std::string_view> allowed) const {
    std::string expected = "one of";
    for (std::size_t i = 0; i < allowed.size(); ++i) {
        expected += i == 0 ? " " : ", ";
        expected += allowed[i];
    }
    const auto* value = node_.as_string();
    if (value == nullptr) fail(expected, toml_type_name(node_.type()));
    for (std::string_view candidate : allowed) {
        if (value->get() == candidate) return value->get();
    }
    fail(expected, "'" + value->get() + "'");
}

toml::table parse_toml_file(const std::filesystem::path& file) {
    const std::string name = file.string();
    std::error_code ec;
    const auto status = std::filesystem::status(file, ec);
    if (!std::filesystem::exists(status))
        throw ConfigError(name + ": configuration file not found");
    if (!std::filesystem::is_regular_file(status)) {
        throw ConfigError(name + ": configuration file is not a regular file");
    }
    try {
        return toml::parse_file(name);
    } catch (const toml::parse_error& error) {
        const auto& begin = error.source().begin;
        throw ConfigError(name + ":" + std::to_string(begin.line) + ":" +
                          std::to_string(begin.column) + ": " + std::string(error.description()));
    }
}

}  // namespace pakt
