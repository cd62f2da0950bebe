// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "tools/paktctl/copy_to_postgres.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <fmt/format.h>
#include <libpq-fe.h>

#include <map>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "server/storage/audit_repository.hpp"
#include "server/storage/migrator.hpp"
#include "server/storage/sql/db.hpp"
#include "server/storage/sql/postgres.hpp"
#include "tools/paktctl/command_support.hpp"

namespace pakt::ctl {
namespace {

namespace sql = server::sql;

struct Table {
    std::string name;
    std::vector<std::string> columns;
    std::set<std::string> parents;  ///< tables its foreign keys point to
};

// The target's tables (Pakt's PostgreSQL schema, but its version table) with their columns and
// parents, in an order that puts every parent before its children.
std::vector<Table> target_tables(sql::Db target) {
    std::map<std::string, Table> tables;
    {
        sql::Statement q(target,
                         "SELECT table_name, column_name FROM information_schema.columns "
                         "WHERE table_schema = 'public' AND table_name <> 'pakt_schema' "
                         "ORDER BY table_name, ordinal_position");
        while (q.executeStep()) {
            Table& t = tables[q.getColumn(0).getString()];
            t.name = q.getColumn(0).getString();
            t.columns.push_back(q.getColumn(1).getString());
        }
    }
    {
        sql::Statement q(target,
                         "SELECT conrelid::regclass::text, confrelid::regclass::text "
                         "FROM pg_constraint WHERE contype = 'f'");
        while (q.executeStep()) {
            const std::string child = q.getColumn(0).getString();
            const std::string parent = q.getColumn(1).getString();
            if (child != parent && tables.count(child)) tables[child].parents.insert(parent);
        }
    }
    std::vector<Table> ordered;
    std::set<std::string> placed;
    while (ordered.size() < tables.size()) {
        const std::size_t before = ordered.size();
        for (auto& [name, table] : tables) {
            if (placed.count(name)) continue;
            bool ready = true;
            for (const auto& p : table.parents)
                ready = ready && (placed.count(p) || !tables.count(p));
            if (ready) {
                ordered.push_back(table);
                placed.insert(name);
            }
        }
        if (ordered.size() == before)
            throw CommandFailed("copy-to: the target's foreign keys form a cycle");
    }
    return ordered;
}

// A value in COPY's text format.
void append_copy_value(std::string& line, const SQLite::Column& column) {
    if (column.isNull()) {
        line += "\\N";
        return;
    }
    const char* text = column.getText();
    const int n = column.getBytes();
    for (int i = 0; i < n; ++i) {
        const char c = text[i];
        switch (c) {
            case '\\':
                line += "\\\\";
                break;
            case '\n':
                line += "\\n";
                break;
            case '\r':
                line += "\\r";
                break;
            case '\t':
                line += "\\t";
                break;
            default:
                line += c;
        }
    }
}

void put_copy(PGconn* conn, const std::string& data) {
    if (PQputCopyData(conn, data.data(), static_cast<int>(data.size())) != 1)
        throw sql::PgError(std::string("PostgreSQL: ") + PQerrorMessage(conn), "");
}

// Copies one table's rows by COPY; returns how many.
std::int64_t copy_table(SQLite::Database& source, sql::PgConnection& target, const Table& table) {
    std::string columns;
    for (const auto& c : table.columns)
        columns += (columns.empty() ? "" : ", ") + ("\"" + c + "\"");
    SQLite::Statement rows(source, "SELECT " + columns + " FROM \"" + table.name + "\"");
    PGresult* started = PQexec(
        target.handle(), ("COPY \"" + table.name + "\" (" + columns + ") FROM STDIN").c_str());
    target.check(started, PGRES_COPY_IN, "COPY");
    std::int64_t copied = 0;
    std::string buffer;
    while (rows.executeStep()) {
        for (int i = 0; i < static_cast<int>(table.columns.size()); ++i) {
            if (i > 0) buffer += '\t';
            append_copy_value(buffer, rows.getColumn(i));
        }
        buffer += '\n';
        ++copied;
        if (buffer.size() > (1u << 20)) {
            put_copy(target.handle(), buffer);
            buffer.clear();
        }
    }
    if (!buffer.empty()) put_copy(target.handle(), buffer);
    if (PQputCopyEnd(target.handle(), nullptr) != 1)
        throw sql::PgError(std::string("PostgreSQL: ") + PQerrorMessage(target.handle()), "");
    target.check(PQgetResult(target.handle()), PGRES_COMMAND_OK, "COPY");
    while (PGresult* rest = PQgetResult(target.handle())) PQclear(rest);
    return copied;
}

std::int64_t count_rows(sql::Db db, const std::string& table) {
    return sql::query_int64(db, "SELECT count(*) FROM \"" + table + "\"");
}

}  // namespace

int copy_to_postgres(const server::ServerConfig& config, const std::string& url,
                     std::ostream& out) {
    if (config.uses_postgres()) {
        throw CommandFailed(
            "copy-to: the source must be an SQLite database (--database, --data-dir or --config "
            "without database.url)");
    }
    if (!sql::is_postgres_url(url)) {
        throw CommandFailed(fmt::format(
            "copy-to: '{}' is not a PostgreSQL URL (postgresql://user@host/database)", url));
    }
    const auto opened = open_read_only(config, "copy-to");
    SQLite::Database& source = *opened->sqlite();
    const std::string source_name = database_name(config);
    server::ServerConfig target_config;
    target_config.database_url = url;
    const std::string target_name = database_name(target_config);

    sql::PgConnection target(url);
    const std::int64_t existing = sql::query_int64(
        target, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'");
    if (existing > 0) {
        throw CommandFailed(fmt::format(
            "copy-to: the PostgreSQL database {} is not empty ({} in schema public); copy only "
            "into a new, empty database -- nothing was changed",
            target_name, plural(static_cast<std::size_t>(existing), "table", "tables")));
    }
    server::migrate(target);
    const std::vector<Table> tables = target_tables(target);

    // One read snapshot of the source and one transaction on the target: all or nothing.
    SQLite::Statement(source, "BEGIN").exec();
    std::map<std::string, std::int64_t> copied;
    {
        sql::Transaction tx(target);
        // The schema seeds the funding programmes; the source's own rows replace them.
        target.exec("DELETE FROM programmes");
        for (const Table& table : tables) {
            SQLite::Statement exists(
                source, "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?");
            exists.bind(1, table.name);
            if (!exists.executeStep()) {
                throw CommandFailed(fmt::format("copy-to: {} has no table '{}'; nothing was copied",
                                                source_name, table.name));
            }
            copied[table.name] = copy_table(source, target, table);
        }
        // Identity columns continue after the copied ids.
        sql::Statement identities(target,
                                  "SELECT table_name, column_name FROM information_schema.columns "
                                  "WHERE table_schema = 'public' AND is_identity = 'YES'");
        while (identities.executeStep()) {
            const std::string t = identities.getColumn(0).getString();
            const std::string c = identities.getColumn(1).getString();
            target.exec(
                fmt::format("SELECT setval(pg_get_serial_sequence('\"{0}\"', '{1}'), "
                            "coalesce((SELECT max(\"{1}\") FROM \"{0}\"), 0) + 1, false)",
                            t, c));
        }
        tx.commit();
    }

    // Check what arrived against what was read, from the same source snapshot.
    std::string differences;
    std::int64_t total = 0;
    for (const Table& table : tables) {
        const std::int64_t in_source = count_rows(source, table.name);
        const std::int64_t in_target = count_rows(target, table.name);
        total += in_target;
        if (in_source != in_target || copied[table.name] != in_source) {
            differences += fmt::format("\n  {}: {} in the source, {} in the target", table.name,
                                       in_source, in_target);
        }
    }
    const server::AuditVerification source_chain = server::verify_audit_chain(source);
    SQLite::Statement(source, "COMMIT").exec();
    if (!differences.empty()) throw CommandFailed("copy-to: the row counts differ:" + differences);
    const server::AuditVerification target_chain = server::verify_audit_chain(target);
    if (target_chain.first_broken) {
        throw CommandFailed(fmt::format("copy-to: the copied audit log is broken at entry {}: {}",
                                        target_chain.first_broken->id,
                                        target_chain.first_broken->reason));
    }
    if (target_chain.last_hash != source_chain.last_hash ||
        target_chain.entries != source_chain.entries) {
        throw CommandFailed(fmt::format(
            "copy-to: the copied audit log ends at entry {} (hash {}), the source's at {} ({})",
            target_chain.last_id, target_chain.last_hash, source_chain.last_id,
            source_chain.last_hash));
    }
    out << "copied " << source_name << " to " << target_name << ": "
        << plural(tables.size(), "table", "tables") << ", "
        << plural(static_cast<std::size_t>(total), "row", "rows") << "\n";
    for (const Table& table : tables)
        out << "  " << table.name << ": " << copied[table.name] << "\n";
    out << "row counts match; audit log intact: "
        << plural(static_cast<std::size_t>(target_chain.entries), "entry", "entries");
    if (!target_chain.last_hash.empty()) out << ", last hash " << target_chain.last_hash;
    out << "\n";
    return 0;
}

}  // namespace pakt::ctl
