// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "tools/paktctl/user_commands.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Transaction.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "server/domain/user_output.hpp"
#include "server/storage/audit_repository.hpp"
#include "server/storage/session_repository.hpp"
#include "server/storage/user_repository.hpp"
#include "tools/paktctl/command_support.hpp"

namespace pakt::ctl {
namespace {

constexpr int kPage = 500;

// Terminal columns a UTF-8 string takes (one per code point: enough for names with umlauts).
std::size_t display_width(std::string_view text) {
    return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0U) != 0x80U;
    }));
}

}  // namespace

int list_users(const server::ServerConfig& config, bool as_json, std::ostream& out) {
    const auto opened = open_read_only(config, "user list");
    const server::sql::Db db = *opened;
    std::vector<server::UserRecord> users;
    {
        server::sql::Transaction snapshot(db, server::sql::Transaction::Kind::snapshot);
        for (std::int64_t after = 0;;) {
            auto page = server::list_users(db, after, kPage);
            if (page.empty()) break;
            after = page.back().id;
            users.insert(users.end(), std::make_move_iterator(page.begin()),
                         std::make_move_iterator(page.end()));
        }
    }

    if (as_json) {
        nlohmann::json items = nlohmann::json::array();
        for (const auto& u : users) items.push_back(server::user_json(u));
        out << items.dump(2) << '\n';
        return 0;
    }
    if (users.empty()) {
        out << "no users; create the first city_admin with paktctl user add --role city_admin\n";
        return 0;
    }
    using Row = std::array<std::string, 5>;
    std::vector<Row> rows{{"USERNAME", "ROLE", "SCHOOLS", "DISABLED", "CREATED"}};
    for (const auto& u : users) {
        rows.push_back({u.username, std::string(to_string(u.role)),
                        u.schools.empty() ? "-" : fmt::format("{}", fmt::join(u.schools, ",")),
                        u.disabled ? "yes" : "no", u.created_at});
    }
    std::array<std::size_t, 5> widths{};
    for (const auto& row : rows) {
        for (std::size_t i = 0; i < row.size(); ++i) {
            widths[i] = std::max(widths[i], display_width(row[i]));
        }
    }
    for (const auto& row : rows) {
        std::string line;
        for (std::size_t i = 0; i < row.size(); ++i) {
            line += row[i];
            if (i + 1 < row.size()) line += std::string(widths[i] - display_width(row[i]) + 2, ' ');
        }
        out << line << '\n';
    }
    return 0;
}

int disable_user(const server::ServerConfig& config, const std::string& username,
                 std::ostream& out) {
    OpenDatabase open = open_and_migrate(config);
    const server::sql::Db db = *open.db;
    server::sql::Transaction tx(db);
    auto user = server::find_user_by_username(db, username);
    if (!user) {
        throw CommandFailed(fmt::format(
            "user disable: there is no user '{}' (paktctl user list shows them); nothing was "
            "changed",
            username));
    }
    if (user->disabled) {
        out << fmt::format("user '{}' is disabled already; nothing was changed\n", user->username);
        return 0;
    }
    // The rule PATCH /users/{id} enforces: someone must remain who can manage users.
    if (user->role == server::Role::city_admin && server::count_enabled_city_admins(db) <= 1) {
        throw CommandFailed(fmt::format(
            "user disable: '{}' is the last enabled city_admin; create another one first "
            "(paktctl user add --role city_admin); nothing was changed",
            user->username));
    }
    user->disabled = true;
    server::update_user(db, *user);
    const server::RevokedAccess revoked = server::revoke_user_access(db, user->id);
    server::AuditEntry entry;
    entry.actor = kActor;
    entry.action = "user.update";
    entry.object_type = "user";
    entry.object_id = std::to_string(user->id);
    entry.detail = {{"disabled", true},
                    {"sessions_ended", revoked.sessions},
                    {"api_tokens_deleted", revoked.api_tokens}};
    server::append_audit(db, entry);
    tx.commit();

    out << fmt::format(
        "user '{}' disabled ({} ended, {} deleted)\n", user->username,
        plural(static_cast<std::size_t>(revoked.sessions), "session", "sessions"),
        plural(static_cast<std::size_t>(revoked.api_tokens), "API token", "API tokens"));
    return 0;
}

}  // namespace pakt::ctl
