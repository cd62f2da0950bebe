// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// Strict reading of one key of a TOML configuration file, shared by paktd and pakt-agent: every
// error names the file and the dotted key and says what was expected.
#include <toml++/toml.h>

#include <cstdint>
#include <filesystem>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace pakt {

/// A configuration error: names the file and the key and says what was expected.
class ConfigError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

/// "string", "integer", "table", ... for messages.
std::string_view toml_type_name(toml::node_type type);

/// One key/value of a configuration file being applied. Holds references: `file` and `node`
/// must outlive it.
class TomlEntry {
  public:
    TomlEntry(const std::string& file, std::string key, const toml::node& node)
        : file_(file), key_(std::move(key)), node_(node) {}

    /// "<file>: key '<dotted key>'"
    std::string origin() const { return file_ + ": key '" + key_ + "'"; }

    /// Throws ConfigError("<origin>: expected <expected>, got <got>").
    [[noreturn]] void fail(std::string_view expected, std::string_view got) const;

    bool boolean() const;
    const std::string& text() const;
    /// An array of strings (possibly empty).
    std::vector<std::string> text_list() const;
    /// A string without NUL (which would silently cut a file or column name short); empty only
    /// if `allow_empty` (callers use empty for "the default").
    std::string name(bool allow_empty) const;
    /// Like name(), worded for paths.
    std::filesystem::path path(bool allow_empty) const;
    /// An integer within [min, max]; `min` of 0 or 1 decides how a non-integer is reported.
    std::int64_t integer(std::int64_t min, std::int64_t max) const;
    template <typename T>
    T integer(std::int64_t min, std::int64_t max) const {
        return static_cast<T>(integer(min, max));
    }
    const std::string& file() const { return file_; }
    const std::string& key() const { return key_; }

    /// An entry for `key` of this entry's table (its origin names the dotted key).
    TomlEntry child(std::string_view key, const toml::node& node) const {
        return TomlEntry(file_, key_ + "." + std::string(key), node);
    }
    /// The value as a table (for tables nested in a table); fails unless it is one.
    const toml::table& table() const;
    /// One of `allowed` (strings).
    std::string one_of(std::span<const std::string_view> allowed) const;

  private:
    const std::string& file_;
    std::string key_;
    const toml::node& node_;
};

/// Walks the top-level tables of `root`: each must be one of `specs` (matched by `.name`) and
/// must be a table; `apply(spec, table)` handles its keys. Unknown tables or keys at the top
/// level, and a top-level value that is not a table, throw ConfigError naming the file.
template <class Spec, class Apply>
void apply_top_level_tables(const std::string& file, const toml::table& root,
                            std::span<const Spec> specs, Apply&& apply) {
    for (const auto& [key, node] : root) {
        const Spec* match = nullptr;
        for (const Spec& candidate : specs) {
            if (candidate.name == key.str()) match = &candidate;
        }
        if (match == nullptr) {
            const char* kind = node.is_table() ? "table" : "key";
            throw ConfigError(file + ": unknown " + kind + " '" + std::string(key.str()) + "'");
        }
        const auto* table = node.as_table();
        if (table == nullptr)
            TomlEntry(file, std::string(key.str()), node)
                .fail("a table", toml_type_name(node.type()));
        apply(*match, *table);
    }
}

/// Parses `file` with toml++; a missing file or a syntax error becomes a ConfigError naming the
/// file (and line and column for syntax errors).
toml::table parse_toml_file(const std::filesystem::path& file);

}  // namespace pakt
