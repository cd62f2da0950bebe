#include "tools/paktctl/commands.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Transaction.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "server/config.hpp"
#include "server/domain/password.hpp"
#include "server/domain/principal.hpp"
#include "server/domain/validation.hpp"
#include "server/storage/audit_repository.hpp"
#include "server/storage/database.hpp"
#include "server/storage/migrator.hpp"
#include "server/storage/school_repository.hpp"
#include "server/storage/user_repository.hpp"
#include "tools/paktctl/school_import.hpp"

namespace pakt::ctl {
namespace {

constexpr const char* kActor = "paktctl";

// A failure the operator can act on; printed as "paktctl: <message>" with exit code 1.
class CommandFailed : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct GlobalOptions {
    std::string config_file;
    std::string data_dir = "pakt-data";
    bool data_dir_given = false;
    std::string database_file;
};

// The same precedence as paktd (flags over the file over the defaults), so paktctl and paktd
// given the same --config and --data-dir always open the same database.
server::ServerConfig resolve_config(const GlobalOptions& options) {
    server::ServerConfig config;
    if (!options.config_file.empty()) config = server::load_config(options.config_file);
    if (options.data_dir_given) config.data_dir = options.data_dir;
    if (!options.database_file.empty()) config.database_file = options.database_file;
    return config;
}

struct OpenDatabase {
    std::unique_ptr<SQLite::Database> db;
    int applied = 0;
};

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

std::string read_whole_file(const std::string& file) {
    std::error_code ec;
    if (std::filesystem::is_directory(file, ec)) {
        throw CommandFailed(fmt::format("'{}' is a directory, not a CSV file", file));
    }
    std::ifstream in(file, std::ios::binary);
    if (!in) throw CommandFailed(fmt::format("cannot open '{}': {}", file, std::strerror(errno)));
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad())
        throw CommandFailed(fmt::format("cannot read '{}': {}", file, std::strerror(errno)));
    return std::move(text).str();
}

int import_schools(const server::ServerConfig& config, const std::string& file, std::ostream& out,
                   std::ostream& err) {
    // The whole file is checked before the database is touched: all or nothing, and a wrong
    // file never creates an empty database.
    const SchoolList list = parse_school_list(read_whole_file(file));
    if (!list.problems.empty()) {
        for (const auto& problem : list.problems) {
            err << file << ':' << problem.line << ": " << problem.message << '\n';
        }
        err << "paktctl: " << file << ": " << plural(list.problems.size(), "problem", "problems")
            << "; nothing was imported\n";
        return 1;
    }

    OpenDatabase open = open_and_migrate(config);
    SQLite::Transaction tx(*open.db, SQLite::TransactionBehavior::IMMEDIATE);
    const ImportCounts counts = merge_schools(*open.db, list);
    server::AuditEntry entry;
    entry.actor = kActor;
    entry.action = "school.import";
    entry.object_type = "school";
    entry.object_id = std::filesystem::path(file).filename().string();
    entry.detail = {{"file", file},
                    {"schools", list.schools.size()},
                    {"added", counts.added},
                    {"updated", counts.updated},
                    {"unchanged", counts.unchanged},
                    {"added_schools", counts.added_numbers},
                    {"updated_schools", counts.updated_numbers}};
    server::append_audit(*open.db, entry);
    tx.commit();

    out << plural(list.schools.size(), "school", "schools") << " imported from " << file << " ("
        << counts.added << " added, " << counts.updated << " updated, " << counts.unchanged
        << " unchanged)\n";
    return 0;
}

struct UserAddOptions {
    std::string username;
    std::string role;
    std::vector<std::string> schools;
    std::string display_name;
    std::string password;
    bool password_stdin = false;
    bool if_missing = false;
};

std::string read_password_line(std::istream& in) {
    std::string line;
    if (!std::getline(in, line) && line.empty()) {
        throw CommandFailed(
            "--password-stdin: standard input is empty; pipe the password in, e.g. "
            "printf '%s\\n' \"$PASSWORD\" | paktctl user add ...");
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
}

int add_user(const server::ServerConfig& config, UserAddOptions options, std::istream& in,
             std::ostream& out, std::ostream& err) {
    if (options.password_stdin) options.password = read_password_line(in);

    // The same rules as POST /users, every problem at once.
    std::vector<std::string> problems;
    if (auto p = server::check_username(options.username)) problems.push_back("--username: " + *p);
    if (auto p = server::check_text(options.display_name, 200)) {
        problems.push_back("--display-name: " + *p);
    }
    if (auto p = server::check_password(options.password)) {
        problems.push_back((options.password_stdin ? "--password-stdin: " : "--password: ") + *p);
    }
    const auto role = server::role_from_string(options.role);
    if (!role) {
        problems.push_back(fmt::format(
            "--role: '{}' is not a role; use city_admin, school_it or headteacher", options.role));
    } else if (auto p = server::check_role_schools(*role, options.schools)) {
        problems.push_back(fmt::format("--school: {} ({})", *p, options.role));
    }
    if (!problems.empty()) {
        for (const auto& p : problems) err << "paktctl: user add: " << p << '\n';
        return 1;
    }

    server::UserRecord user;
    user.username = options.username;
    user.display_name = options.display_name;
    user.role = *role;
    user.schools = options.schools;
    std::sort(user.schools.begin(), user.schools.end());
    // Hashing takes a noticeable moment (Argon2id); doing it before the transaction keeps the
    // write lock, which paktd may be waiting for, short.
    user.password_hash = server::hash_password(options.password);

    OpenDatabase open = open_and_migrate(config);
    SQLite::Database& db = *open.db;
    SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
    if (auto existing = server::find_user_by_username(db, user.username)) {
        if (options.if_missing) {
            out << "user '" << existing->username << "' exists already ("
                << to_string(existing->role) << "); left unchanged\n";
            return 0;
        }
        err << "paktctl: user add: a user named '" << existing->username
            << "' exists already (usernames ignore case); nothing was changed\n";
        return 1;
    }
    std::vector<std::string> unknown;
    for (const auto& school : user.schools) {
        if (!server::school_exists(db, school)) unknown.push_back(school);
    }
    if (!unknown.empty()) {
        for (const auto& school : unknown) {
            err << "paktctl: user add: --school: school " << school << " does not exist\n";
        }
        err << "paktctl: user add: import the school list first (paktctl import schools FILE); "
               "nothing was changed\n";
        return 1;
    }
    const std::int64_t id = server::insert_user(db, user);
    server::AuditEntry entry;
    entry.actor = kActor;
    entry.action = "user.create";
    entry.object_type = "user";
    entry.object_id = std::to_string(id);
    entry.detail = {{"username", user.username},
                    {"role", std::string(to_string(user.role))},
                    {"schools", user.schools}};
    server::append_audit(db, entry);
    tx.commit();

    out << "user '" << user.username << "' created (id " << id << ", " << to_string(user.role);
    if (!user.schools.empty()) out << " of " << fmt::format("{}", fmt::join(user.schools, ", "));
    out << ")\n";
    return 0;
}

int migrate_database(const server::ServerConfig& config, std::ostream& out) {
    OpenDatabase open = open_and_migrate(config);
    out << "database " << config.effective_database_file().string() << " is at schema version "
        << server::schema_version(*open.db) << " ("
        << plural(static_cast<std::size_t>(open.applied), "migration", "migrations")
        << " applied)\n";
    return 0;
}

}  // namespace

int run_paktctl(int argc, const char* const* argv, std::istream& in, std::ostream& out,
                std::ostream& err) {
    CLI::App app{"paktctl - administration of a Pakt database (run it on the server machine)",
                 "paktctl"};
    // Global options are accepted after the subcommand too ("paktctl migrate --data-dir x").
    app.fallthrough();
    app.require_subcommand(1);

    GlobalOptions global;
    auto* data_dir_option = app.add_option("--data-dir", global.data_dir,
                                           "paktd's data directory; the database is "
                                           "<DIR>/pakt.db (default: pakt-data, as paktd)");
    app.add_option("--database", global.database_file,
                   "the database file (overrides --data-dir and the configuration)");
    app.add_option("--config", global.config_file,
                   "paktd's TOML configuration, to find the data directory and database");

    auto* import = app.add_subcommand("import", "import data from files");
    import->require_subcommand(1);
    auto* import_schools_command = import->add_subcommand(
        "schools",
        "import or update schools from CSV (columns school_number, name, school_type, district, "
        "address, lat, lon; ',' or ';' separated). All or nothing: any bad line stores nothing. "
        "Safe to repeat: existing schools are updated, unchanged ones left alone.");
    std::string schools_file;
    import_schools_command->add_option("FILE", schools_file, "the CSV file")->required();

    auto* user = app.add_subcommand("user", "manage users");
    user->require_subcommand(1);
    auto* user_add_command = user->add_subcommand(
        "add", "create a user, e.g. the first city_admin of a new installation");
    UserAddOptions user_add;
    user_add_command->add_option("--username", user_add.username, "login name")->required();
    user_add_command->add_option("--role", user_add.role, "city_admin, school_it or headteacher")
        ->required();
    user_add_command
        ->add_option("--school", user_add.schools,
                     "school number of a school role (repeat or separate with ',')")
        ->delimiter(',');
    user_add_command->add_option("--display-name", user_add.display_name, "name shown in the UI");
    auto* password_group = user_add_command->add_option_group("password", "exactly one of");
    password_group->add_flag("--password-stdin", user_add.password_stdin,
                             "read the password from the first line of standard input");
    password_group->add_option("--password", user_add.password,
                               "the password (visible to other users of this machine in the "
                               "process list; prefer --password-stdin)");
    password_group->require_option(1);
    user_add_command->add_flag(
        "--if-missing", user_add.if_missing,
        "if the username exists, say so and succeed without changing it (for scripts)");

    auto* migrate_command =
        app.add_subcommand("migrate", "apply pending schema migrations and print the version");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e, out, err) == 0 ? 0 : 2;
    }
    global.data_dir_given = data_dir_option->count() > 0;

    std::string database_file;
    try {
        const server::ServerConfig config = resolve_config(global);
        database_file = config.effective_database_file().string();
        if (import_schools_command->parsed()) return import_schools(config, schools_file, out, err);
        if (user_add_command->parsed()) return add_user(config, user_add, in, out, err);
        if (migrate_command->parsed()) return migrate_database(config, out);
        err << "paktctl: no command given; see paktctl --help\n";
        return 2;
    } catch (const SQLite::Exception& e) {
        err << "paktctl: database '" << database_file << "': " << e.what() << '\n';
    } catch (const std::exception& e) {
        // CommandFailed, ConfigError and SchemaTooNewError carry complete messages for the
        // operator (SchemaTooNewError names the database and both versions).
        err << "paktctl: " << e.what() << '\n';
    }
    return 1;
}

int run_paktctl(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
    return run_paktctl(argc, argv, std::cin, out, err);
}

}  // namespace pakt::ctl
