// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// The man pages against the binaries: every flag and command that --help lists (of every
// command, recursively) is in paktd(8), paktctl(8) or pakt-agent(8); every key paktd.toml and
// pakt-agent.toml accept is in paktd.toml(5) or pakt-agent.toml(5), in its table's section, and
// those pages document no key that does not exist.
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "agent/config.hpp"
#include "server/config.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/temp_dir.hpp"

namespace pakt::test {
namespace {

using namespace std::chrono_literals;

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// The page's text with roff's escapes undone: "\-" is "-", "\e" a backslash, fonts dropped.
std::string plain(std::string roff) {
    static const std::regex font(R"(\\f[BIRP])");
    roff = std::regex_replace(roff, font, "");
    std::string out;
    for (std::size_t i = 0; i < roff.size(); ++i) {
        if (roff[i] == '\\' && i + 1 < roff.size()) {
            const char next = roff[i + 1];
            if (next == '-')
                out += '-';
            else if (next == 'e')
                out += '\\';
            else if (next != '&')
                out += roff.substr(i, 2);
            ++i;
        } else {
            out += roff[i];
        }
    }
    return out;
}

std::string escape_regex(const std::string& text) {
    static const std::regex special(R"([.^$|()\[\]{}*+?\\])");
    return std::regex_replace(text, special, R"(\$&)");
}

class HelpReader {
  public:
    explicit HelpReader(std::string program) : program_(std::move(program)) {}

    // `--help` of the command `path` ("" the program itself).
    std::string help(const std::vector<std::string>& path) {
        std::vector<std::string> args = path;
        args.push_back("--help");
        ChildProcess child(program_, args, dir_.path() / ("help-" + std::to_string(++runs_)));
        const auto status = child.wait_for_exit(60s);
        EXPECT_EQ(status, 0) << program_ << " " << testing::PrintToString(args) << child.output();
        return child.output();
    }

    /// Every flag of every command, and every command without subcommands (as "user add").
    void walk(const std::vector<std::string>& path, std::set<std::string>& flags,
              std::set<std::string>& leaves) {
        const std::string text = help(path);
        static const std::regex flag(R"((^|[\s,])(--[a-z][a-z0-9-]*))");
        for (auto it = std::sregex_iterator(text.begin(), text.end(), flag);
             it != std::sregex_iterator(); ++it)
            flags.insert((*it)[2]);
        std::vector<std::string> subcommands;
        std::istringstream lines(text.substr(std::min(text.size(), text.find("Subcommands:"))));
        std::string line;
        std::getline(lines, line);  // "Subcommands:"
        while (std::getline(lines, line) && line.rfind("  ", 0) == 0) {
            std::istringstream words(line);
            std::string name;
            words >> name;
            subcommands.push_back(name);
        }
        if (subcommands.empty() && !path.empty()) {
            std::string leaf;
            for (const auto& part : path) leaf += (leaf.empty() ? "" : " ") + part;
            leaves.insert(leaf);
        }
        for (const auto& sub : subcommands) {
            auto next = path;
            next.push_back(sub);
            walk(next, flags, leaves);
        }
    }

  private:
    std::string program_;
    TempDir dir_;
    int runs_ = 0;
};

struct Binary {
    const char* name;
    const char* path;
};

class ManPage : public ::testing::TestWithParam<Binary> {};

TEST_P(ManPage, NamesEveryFlagAndCommandOfHelp) {
    const Binary binary = GetParam();
    const std::string page =
        plain(read_file(std::string(PAKT_MAN_SOURCE_DIR) + "/" + binary.name + ".8"));
    HelpReader reader(binary.path);
    std::set<std::string> flags;
    std::set<std::string> leaves;
    reader.walk({}, flags, leaves);
    ASSERT_FALSE(flags.empty());
    for (const auto& flag : flags) {
        const std::regex whole(escape_regex(flag) + "(?![a-z0-9-])");
        EXPECT_TRUE(std::regex_search(page, whole))
            << binary.name << "(8) does not mention " << flag;
    }
    // Each command has its entry: a line ".B <command> ..." (or .BI "<command> " ARG).
    for (const auto& leaf : leaves) {
        const std::regex entry("(^|\\n)\\.B[IR]* \"?" + escape_regex(leaf) + "(?![a-z0-9-])");
        EXPECT_TRUE(std::regex_search(page, entry))
            << binary.name << "(8) has no entry for the command '" << leaf << "'";
    }
}

INSTANTIATE_TEST_SUITE_P(Binaries, ManPage,
                         ::testing::Values(Binary{"paktd", PAKTD_PATH},
                                           Binary{"paktctl", PAKTCTL_PATH},
                                           Binary{"pakt-agent", PAKT_AGENT_PATH}),
                         [](const auto& param_info) {
                             std::string name = param_info.param.name;
                             std::erase(name, '-');
                             return name;
                         });

// The sections of a configuration page: "[table]" -> its text.
std::map<std::string, std::string> sections(const std::string& page) {
    std::map<std::string, std::string> out;
    static const std::regex heading(R"(\n\.SS \[([a-z_.]+)\]\n)");
    std::smatch m;
    std::string rest = page;
    std::string current;
    while (std::regex_search(rest, m, heading)) {
        if (!current.empty()) out[current] = m.prefix();
        current = m[1];
        rest = m.suffix();
    }
    if (!current.empty()) out[current] = rest.substr(0, rest.find("\n.SH "));
    return out;
}

void expect_keys_documented(const std::string& page_name, const std::vector<std::string>& keys) {
    const std::string page = plain(read_file(std::string(PAKT_MAN_BUILD_DIR) + "/" + page_name));
    const auto tables = sections(page);
    ASSERT_FALSE(tables.empty()) << page_name;
    std::set<std::string> known(keys.begin(), keys.end());
    for (const auto& key : keys) {
        // The longest table of the key that has a section: [mdm.columns] for mdm.columns.serial;
        // [connectors] for connectors.asm.client_id (its tables are shown as examples there).
        std::string table = key.substr(0, key.rfind('.'));
        while (!tables.contains(table) && table.find('.') != std::string::npos)
            table = table.substr(0, table.rfind('.'));
        ASSERT_TRUE(tables.contains(table))
            << page_name << " has no section [" << table << "] for " << key;
        const std::string& text = tables.at(table);
        const std::string leaf = key.substr(key.rfind('.') + 1);
        const std::regex entry("(^|\\n) *" + escape_regex(leaf) + " = ");
        const bool is_table = text.find("[" + key + "]") != std::string::npos;
        EXPECT_TRUE(is_table || std::regex_search(text, entry))
            << page_name << " does not document " << key << " in [" << table << "]";
    }
    // And the other way round: each key entry (".TP", then "key = default") is a real key.
    for (const auto& [table, text] : tables) {
        static const std::regex documented(R"(\n\.TP\n([a-z_]+) = )");
        for (auto it = std::sregex_iterator(text.begin(), text.end(), documented);
             it != std::sregex_iterator(); ++it) {
            const std::string key = table + "." + std::string((*it)[1]);
            EXPECT_TRUE(known.contains(key))
                << page_name << " documents " << key << ", which is no key";
        }
    }
}

TEST(ManPages, PaktdTomlDocumentsEveryKeyOfTheServerConfiguration) {
    expect_keys_documented("paktd.toml.5", server::config_keys());
}

TEST(ManPages, PaktAgentTomlDocumentsEveryKeyOfTheAgentConfiguration) {
    expect_keys_documented("pakt-agent.toml.5", agent::config_keys());
}

// The check has teeth: a key the configuration gained without its documentation is found.
TEST(ManPages, AKeyMissingFromThePageIsReported) {
    auto keys = server::config_keys();
    keys.push_back("limits.undocumented_key");
    testing::TestPartResultArray failures;
    {
        testing::ScopedFakeTestPartResultReporter reporter(
            testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, &failures);
        expect_keys_documented("paktd.toml.5", keys);
    }
    ASSERT_EQ(failures.size(), 1);
    EXPECT_NE(std::string(failures.GetTestPartResult(0).message()).find("limits.undocumented_key"),
              std::string::npos);
}

}  // namespace
}  // namespace pakt::test
