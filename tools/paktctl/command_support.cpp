// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "tools/paktctl/command_support.hpp"

#include <SQLiteCpp/Database.h>
#include <fmt/format.h>

#include <filesystem>
#include <system_error>

#include "server/storage/audit_repository.hpp"
#include "server/storage/database.hpp"
#include "server/storage/migrator.hpp"
#include "server/storage/sql/postgres.hpp"

namespace pakt::ctl {
namespace {
OpenDatabase migrate_opened(OpenDatabase open);
}  // namespace

std::string plural(std::size_t n, std::string_view one, std::string_view many) {
    return fmt::format("{} {}", n, n == 1 ? one : many);
}

std::string database_name(const server::ServerConfig& config) {
    if (!config.uses_postgres()) return config.effective_database_file().string();
    // postgresql://user:secret@host/db -> postgresql://user@host/db
    std::string url = config.database_url;
    const auto scheme = url.find("://");
    const auto at = url.find('@', scheme == std::string::npos ? 0 : scheme + 3);
    if (scheme != std::string::npos && at != std::string::npos) {
        const auto colon = url.find(':', scheme + 3);
        if (colon != std::string::npos && colon < at) url.erase(colon, at - colon);
    }
    return url;
}

std::unique_ptr<server::sql::Connection> open_read_only(const server::ServerConfig& config,
                                                        std::string_view command) {
    std::unique_ptr<server::sql::Connection> db;
    const std::string name = database_name(config);
    if (config.uses_postgres()) {
        auto pg = std::make_unique<server::sql::PgConnection>(config.database_url);
        pg->exec("SET default_transaction_read_only = on");
        db = std::make_unique<server::sql::Connection>(std::move(pg));
    } else {
        const std::filesystem::path file = config.effective_database_file();
        std::error_code ec;
        if (!std::filesystem::is_regular_file(file, ec)) {
            throw CommandFailed(fmt::format(
                "{}: no database at '{}' (paktctl finds it like paktd: --database, --data-dir, "
                "--database-url or --config); nothing was created",
                command, file.string()));
        }
        db = std::make_unique<server::sql::Connection>(
            server::open_database(file, server::OpenMode::read_only, config.busy_timeout));
    }
    const int version = server::schema_version(*db);
    const int latest = server::latest_schema_version();
    if (version == 0) {
        throw CommandFailed(fmt::format("{}: '{}' has no Pakt schema (version 0)", command, name));
    }
    if (version > latest) {
        throw CommandFailed(fmt::format(
            "{}: database '{}' has schema version {}, written by a newer Pakt than this paktctl "
            "(schema version {}); use the paktctl of that version",
            command, name, version, latest));
    }
    if (version < latest) {
        // Reading an old schema with today's queries would fail on missing tables or columns;
        // migrating here would change a database the operator only wanted to read.
        throw CommandFailed(fmt::format(
            "{}: database '{}' is at schema version {}, older than this paktctl (schema version "
            "{}); run paktctl migrate first (stop an older paktd serving it before), or use the "
            "paktctl of that version",
            command, name, version, latest));
    }
    return db;
}

OpenDatabase open_and_migrate(const server::ServerConfig& config) {
    OpenDatabase open;
    if (config.uses_postgres()) {
        open.db = std::make_unique<server::sql::Connection>(
            std::make_unique<server::sql::PgConnection>(config.database_url));
        return migrate_opened(std::move(open));
    }
    const std::filesystem::path file = config.effective_database_file();
    if (file.has_parent_path()) {
        // Created owner-only, as paktd creates its data directory.
        try {
            server::make_private_directory(file.parent_path(), false);
        } catch (const std::system_error& e) {
            throw CommandFailed(fmt::format("cannot create the directory '{}' for the database: {}",
                                            file.parent_path().string(), e.code().message()));
        }
    }
    open.db = std::make_unique<server::sql::Connection>(
        server::open_database(file, server::OpenMode::read_write, config.busy_timeout));
    return migrate_opened(std::move(open));
}

namespace {

// Applies pending migrations on the newly opened database, with the audit entry.
OpenDatabase migrate_opened(OpenDatabase open) {
    const int before = server::schema_version(*open.db);
    open.applied = server::migrate(*open.db);
    if (open.applied > 0) {
        // migrate() commits each migration itself, so this entry cannot share their
        // transaction; it is written right after them so the trail shows who changed the schema.
        server::sql::Transaction tx(*open.db);
        server::AuditEntry entry;
        entry.actor = kActor;
        entry.action = "schema.migrate";
        entry.object_type = "schema";
        entry.object_id = std::to_string(server::schema_version(*open.db));
        entry.detail = {{"from_version", before},
                        {"to_version", server::schema_version(*open.db)},
                        {"migrations_applied", open.applied}};
        server::append_audit(*open.db, entry);
        tx.commit();
    }
    return open;
}

}  // namespace

}  // namespace pakt::ctl
