#include "tools/paktctl/command_support.hpp"

#include <SQLiteCpp/Transaction.h>
#include <fmt/format.h>

#include <filesystem>
#include <system_error>

#include "server/storage/audit_repository.hpp"
#include "server/storage/database.hpp"
#include "server/storage/migrator.hpp"

namespace pakt::ctl {

std::string plural(std::size_t n, std::string_view one, std::string_view many) {
    return fmt::format("{} {}", n, n == 1 ? one : many);
}

OpenDatabase open_and_migrate(const server::ServerConfig& config) {
    const std::filesystem::path file = config.effective_database_file();
    if (file.has_parent_path()) {
        std::error_code ec;
        std::filesystem::create_directories(file.parent_path(), ec);
        if (ec) {
            throw CommandFailed(fmt::format("cannot create the directory '{}' for the database: {}",
                                            file.parent_path().string(), ec.message()));
        }
    }
    OpenDatabase open;
    open.db = server::open_database(file, server::OpenMode::read_write, config.busy_timeout);
    const int before = server::schema_version(*open.db);
    open.applied = server::migrate(*open.db);
    if (open.applied > 0) {
        // migrate() commits each migration itself, so this entry cannot share their
        // transaction; it is written right after them so the trail shows who changed the schema.
        SQLite::Transaction tx(*open.db, SQLite::TransactionBehavior::IMMEDIATE);
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

}  // namespace pakt::ctl
