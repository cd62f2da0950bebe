// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "tools/paktctl/commands.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <span>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "common/build_info.hpp"
#include "common/time.hpp"
#include "server/config.hpp"
#include "server/domain/inventory.hpp"
#include "server/domain/manifest.hpp"
#include "server/domain/password.hpp"
#include "server/domain/principal.hpp"
#include "server/domain/validation.hpp"
#include "server/storage/audit_repository.hpp"
#include "server/storage/database.hpp"
#include "server/storage/device_repository.hpp"
#include "server/storage/funding_repository.hpp"
#include "server/storage/migrator.hpp"
#include "server/storage/school_repository.hpp"
#include "server/storage/sql/db.hpp"
#include "server/storage/sql/postgres.hpp"
#include "server/storage/tranche_repository.hpp"
#include "server/storage/user_repository.hpp"
#include "tools/paktctl/backup.hpp"
#include "tools/paktctl/command_support.hpp"
#include "tools/paktctl/copy_to_postgres.hpp"
#include "tools/paktctl/report_commands.hpp"
#include "tools/paktctl/school_import.hpp"
#include "tools/paktctl/user_commands.hpp"

namespace pakt::ctl {
namespace {

struct GlobalOptions {
    std::string config_file;
    std::string data_dir = "pakt-data";
    bool data_dir_given = false;
    std::string database_file;
    std::string database_url;
};

// The same precedence as paktd (flags over the file over the defaults), so paktctl and paktd
// given the same --config and --data-dir always open the same database.
server::ServerConfig resolve_config(const GlobalOptions& options) {
    server::ServerConfig config;
    if (!options.config_file.empty()) config = server::load_config(options.config_file);
    if (options.data_dir_given) config.data_dir = options.data_dir;
    if (!options.database_file.empty()) {
        config.database_file = options.database_file;
        config.database_url.clear();  // the file given on the command line
    }
    if (!options.database_url.empty()) {
        if (!server::sql::is_postgres_url(options.database_url)) {
            throw CommandFailed(fmt::format(
                "--database-url '{}' is not a PostgreSQL URL (postgresql://user@host/database)",
                options.database_url));
        }
        config.database_url = options.database_url;
    }
    return config;
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
        if (list.problems.unlisted() > 0) {
            err << file << ": " << list.problems.unlisted() << " more not listed\n";
        }
        err << "paktctl: " << file << ": " << plural(list.problems.total(), "problem", "problems")
            << "; nothing was imported\n";
        return 1;
    }

    OpenDatabase open = open_and_migrate(config);
    server::sql::Transaction tx(*open.db);
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
    const server::sql::Db db = *open.db;
    server::sql::Transaction tx(db);
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
    out << "database " << database_name(config) << " is at schema version "
        << server::schema_version(*open.db) << " ("
        << plural(static_cast<std::size_t>(open.applied), "migration", "migrations")
        << " applied)\n";
    return 0;
}

// ---------------------------------------------------------------------------------------------
// audit verify

int verify_audit(const server::ServerConfig& config, std::ostream& out, std::ostream& err) {
    const std::string name = database_name(config);
    std::unique_ptr<server::sql::Connection> db;
    if (config.uses_postgres()) {
        db = std::make_unique<server::sql::Connection>(
            std::make_unique<server::sql::PgConnection>(config.database_url));
        db->db().exec("SET default_transaction_read_only = on");
    } else {
        const std::filesystem::path file = config.effective_database_file();
        std::error_code ec;
        if (!std::filesystem::is_regular_file(file, ec)) {
            throw CommandFailed(
                fmt::format("no database at '{}'; nothing to verify", file.string()));
        }
        // Read-only and never migrated: a check must not change what it checks, and an operator
        // verifying an old backup wants that backup's log as it is.
        db = std::make_unique<server::sql::Connection>(
            server::open_database(file, server::OpenMode::read_only, config.busy_timeout));
    }
    const int version = server::schema_version(*db);
    const int latest = server::latest_schema_version();
    if (version == 0) {
        throw CommandFailed(
            fmt::format("'{}' has no Pakt schema (version 0); nothing to verify", name));
    }
    if (version > latest) {
        // A newer Pakt may hash entries differently; a verdict from this binary could be wrong.
        throw CommandFailed(fmt::format(
            "database '{}' has schema version {}, written by a newer Pakt than this paktctl "
            "(schema version {}); verify it with the paktctl of that version",
            name, version, latest));
    }
    if (version < latest) {
        err << fmt::format(
            "paktctl: note: database '{}' is at schema version {}, older than this paktctl "
            "(schema version {}); verifying it as it is, without migrating "
            "(paktctl migrate upgrades it)\n",
            name, version, latest);
    }

    // One read snapshot for the walk and the last entry, so an entry paktd appends meanwhile
    // cannot make the count and the hash disagree. Rolled back (nothing to commit) on return.
    server::sql::Transaction snapshot(*db, server::sql::Transaction::Kind::snapshot);
    const server::AuditVerification result = server::verify_audit_chain(*db);
    snapshot.commit();
    if (result.first_broken) {
        err << "audit log broken at entry " << result.first_broken->id << ": "
            << result.first_broken->reason << '\n';
        return 1;
    }
    if (result.entries == 0) {
        out << "audit log intact: 0 entries\n";
        return 0;
    }
    out << "audit log intact: "
        << plural(static_cast<std::size_t>(result.entries), "entry", "entries") << ", last hash "
        << result.last_hash << '\n';
    return 0;
}

// ---------------------------------------------------------------------------------------------
// demo seed: the inventory tools/demo shows, written through the same repository functions as
// the API, with the events and audit entries the API would write, in one transaction.

// Who "did" the seeded work in device histories, loans and enrollments.
constexpr const char* kDemoHelper = "demo";
// The first demo grant's reference: present means the demo inventory was seeded already.
constexpr const char* kDemoMarkerReference = "DEMO-BR-D-2021-0815";

struct DemoGrant {
    const char* programme_code;
    const char* reference;
    const char* title;
    std::int64_t amount_cents;
    // DP-BASIS in NRW funds 90 % of the eligible cost; the school authority pays the other 10 %,
    // so the own share is a ninth of the amount granted.
    std::int64_t own_contribution_cents;
    const char* approved_on;
    const char* spend_by;
};

constexpr std::array kDemoGrants{
    DemoGrant{"DP-BASIS", kDemoMarkerReference,
              "DigitalPakt Schule: mobile Endgeräte für Essener Schulen", 240'000'000, 26'666'667,
              "2021-03-15", "2024-12-31"},
    DemoGrant{"DP-SOFORT", "DEMO-SOFORT-2020-0042",
              "Sofortausstattungsprogramm: Leihgeräte für Schülerinnen und Schüler", 120'000'000, 0,
              "2020-09-01", "2021-12-31"},
};

// A loan: the school's pseudonym for the borrower (class and class-list number, or a staff
// number) and the number of the signed agreement. Never a name.
struct DemoLoan {
    const char* borrower_ref;
    const char* agreement_ref;
};

constexpr std::array kViktoriaPupilLoans{
    DemoLoan{"7a-12", "LV-2022-0117"}, DemoLoan{"7a-19", "LV-2022-0118"},
    DemoLoan{"8c-03", "LV-2022-0121"}, DemoLoan{"EF-07", "LV-2022-0140"}};
constexpr std::array kViktoriaTeacherLoans{DemoLoan{"L-014", "LV-L-2022-0009"},
                                           DemoLoan{"L-027", "LV-L-2022-0010"}};
constexpr std::array kAntoniusLoans{DemoLoan{"4b-09", "LV-2022-0003"}};
constexpr std::array kSofortLoans{
    DemoLoan{"6a-05", "LV-2020-0031"}, DemoLoan{"6a-18", "LV-2020-0032"},
    DemoLoan{"7c-11", "LV-2020-0040"}, DemoLoan{"8b-02", "LV-2020-0047"},
    DemoLoan{"9d-15", "LV-2020-0052"}};

struct DemoTranche {
    std::size_t grant;  // index into kDemoGrants
    const char* school_number;
    const char* school_label;  // short name for the summary (the CSV's names are long)
    const char* supplier;
    const char* order_number;
    const char* delivery_note;
    const char* delivered_on;
    const char* model;
    std::int64_t unit_price_cents;
    std::int64_t expected_count;
    const char* borrower_kind;
    std::span<const DemoLoan> loans;
    // Enrolled devices moved on from in_storage, besides those on loan (which are in_use).
    int in_use;
    int in_repair;
    int lost;
};

// Schools from tools/demo-data/essen-schools.csv; 164720 and 101771 have demo logins.
constexpr std::array kDemoTranches{
    // The 2022 delivery of 250 iPads to one Gymnasium (DOMAIN.md).
    DemoTranche{0, "164720", "Viktoria-Gymnasium", "Bechtle AG", "4500187236", "LS-80412279",
                "2022-08-22", "iPad (9th generation) Wi-Fi 64GB", 38900, 250, "student",
                kViktoriaPupilLoans, 16, 3, 1},
    DemoTranche{0, "164720", "Viktoria-Gymnasium", "Bechtle AG", "4500187291", "LS-80413502",
                "2022-09-05", "iPad Air (5th generation) Wi-Fi 64GB", 62900, 30, "teacher",
                kViktoriaTeacherLoans, 0, 1, 0},
    DemoTranche{0, "101771", "Antoniusschule", "Bechtle AG", "4500188014", "LS-80417765",
                "2022-09-12", "iPad (9th generation) Wi-Fi 64GB", 38900, 48, "student",
                kAntoniusLoans, 12, 1, 0},
    // Above DP-SOFORT's 500 EUR per device on purpose: the funding report should flag it.
    DemoTranche{1, "189080", "Frida-Levy-Gesamtschule", "Cancom GmbH", "4500151120",
                "LS-2020-11-0457", "2020-11-26", "iPad (8th generation) Wi-Fi 128GB with case",
                51900, 60, "student", kSofortLoans, 0, 1, 1},
};

// Every tenth manifest entry stays unenrolled, so reconciliation has 'missing' devices to show.
constexpr bool left_unenrolled(std::size_t manifest_index) { return manifest_index % 10 == 9; }

// Apple-style 12-character serial numbers: "DMP" and nine characters of a 32-character alphabet
// without I, O, U and Z, from a fixed-seed generator (splitmix64). The same on every run and
// every machine, and recognisably not a real device.
class DemoSerials {
  public:
    std::string next() {
        for (;;) {
            std::uint64_t bits = next_bits();
            std::string serial = "DMP";
            for (int i = 0; i < 9; ++i) {
                serial += kAlphabet[bits & 31U];
                bits >>= 5U;
            }
            if (issued_.insert(serial).second) return serial;
        }
    }

  private:
    std::uint64_t next_bits() {
        std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30U)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27U)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31U);
    }

    static constexpr std::string_view kAlphabet = "0123456789ABCDEFGHJKLMNPQRSTVWXY";
    std::uint64_t state_ = 0x50414B5444454D4FULL;  // "PAKTDEMO"
    std::set<std::string> issued_;
};

// 31 July, the legal end of the NRW school year, of the school year that contains `today`.
std::string end_of_school_year(std::string_view today) {
    const int year = std::stoi(std::string(today.substr(0, 4)));
    const int month = std::stoi(std::string(today.substr(5, 2)));
    return fmt::format("{}-07-31", month >= 8 ? year + 1 : year);
}

// "2,400,000 EUR", "519 EUR", "12.50 EUR" (amounts here are never negative).
std::string euros(std::int64_t cents) {
    std::string text = std::to_string(cents / 100);
    for (auto i = static_cast<std::ptrdiff_t>(text.size()) - 3; i > 0; i -= 3) {
        text.insert(static_cast<std::size_t>(i), ",");
    }
    if (cents % 100 != 0) text += fmt::format(".{:02}", cents % 100);
    return text + " EUR";
}

void append_ctl_audit(server::sql::Db db, std::string action, std::string object_type,
                      std::string object_id, std::optional<std::string> school,
                      nlohmann::json detail) {
    server::AuditEntry entry;
    entry.actor = kActor;
    entry.action = std::move(action);
    entry.object_type = std::move(object_type);
    entry.object_id = std::move(object_id);
    entry.school_number = std::move(school);
    entry.detail = std::move(detail);
    server::append_audit(db, entry);
}

struct DemoTrancheResult {
    std::int64_t id = 0;
    std::int64_t in_manifest = 0;
    std::int64_t enrolled = 0;
    std::int64_t loans = 0;
    std::int64_t status_changes = 0;
};

// Moves an enrolled demo device to `status` as PATCH /devices/{serial} would.
void change_demo_status(server::sql::Db db, server::Device& device, std::string_view status) {
    const nlohmann::json detail = {{"from", device.status}, {"to", status}};
    device.status = std::string(status);
    server::update_device(db, device);
    server::append_device_event(db, device.serial_number, "status_changed", kDemoHelper, detail);
    append_ctl_audit(db, "device.status", "device", device.serial_number, device.school_number,
                     detail);
}

// Lends an enrolled demo device as POST /devices/{serial}/loans would.
void lend_demo_device(server::sql::Db db, server::Device& device, const DemoLoan& spec,
                      const std::string& kind, const std::optional<std::string>& due_on) {
    server::Loan loan;
    loan.serial_number = device.serial_number;
    loan.school_number = device.school_number;
    loan.borrower_ref = spec.borrower_ref;
    loan.borrower_kind = kind;
    loan.agreement_ref = spec.agreement_ref;
    loan.due_on = due_on;
    loan.started_by = kDemoHelper;
    const std::int64_t id = server::insert_loan(db, loan);
    device.status = "in_use";
    server::update_device(db, device);
    server::append_device_event(
        db, device.serial_number, "loaned", kDemoHelper,
        {{"loan_id", id},
         {"borrower_ref", loan.borrower_ref},
         {"borrower_kind", loan.borrower_kind},
         {"agreement_ref", loan.agreement_ref},
         {"due_on", due_on ? nlohmann::json(*due_on) : nlohmann::json(nullptr)}});
    append_ctl_audit(db, "loan.create", "loan", std::to_string(id), device.school_number,
                     {{"serial_number", device.serial_number},
                      {"borrower_kind", loan.borrower_kind},
                      {"agreement_ref", loan.agreement_ref}});
}

DemoTrancheResult seed_demo_tranche(server::sql::Db db, const DemoTranche& spec,
                                    std::int64_t grant_id, DemoSerials& serials,
                                    std::map<std::string, int>& asset_numbers,
                                    const std::string& due_on) {
    server::Tranche tranche;
    tranche.school_number = spec.school_number;
    tranche.grant_id = grant_id;
    tranche.supplier = spec.supplier;
    tranche.order_number = spec.order_number;
    tranche.delivery_note = spec.delivery_note;
    tranche.delivered_on = spec.delivered_on;
    tranche.model = spec.model;
    tranche.unit_price_cents = spec.unit_price_cents;
    tranche.expected_count = spec.expected_count;
    DemoTrancheResult result;
    result.id = server::insert_tranche(db, tranche);
    append_ctl_audit(db, "tranche.create", "tranche", std::to_string(result.id),
                     tranche.school_number,
                     {{"grant_id", grant_id},
                      {"expected_count", tranche.expected_count},
                      {"unit_price_cents", tranche.unit_price_cents},
                      {"order_number", tranche.order_number}});

    // The supplier's list: every delivered device with the inventory label stuck on it, numbered
    // per school.
    int& asset_number = asset_numbers[spec.school_number];
    std::vector<server::ManifestRow> manifest;
    for (std::int64_t i = 0; i < spec.expected_count; ++i) {
        server::ManifestRow row;
        row.line = manifest.size() + 2;
        row.serial_number = serials.next();
        row.model = spec.model;
        row.asset_tag = fmt::format("{}-{:05}", spec.school_number, ++asset_number);
        manifest.push_back(std::move(row));
    }
    server::insert_manifest_entries(db, result.id, manifest);
    result.in_manifest = static_cast<std::int64_t>(manifest.size());
    append_ctl_audit(
        db, "tranche.manifest", "tranche", std::to_string(result.id), tranche.school_number,
        {{"rows", manifest.size()}, {"added", manifest.size()}, {"already_present", 0}});

    std::vector<server::Device> enrolled;
    for (std::size_t i = 0; i < manifest.size(); ++i) {
        if (left_unenrolled(i)) continue;
        server::Device device;
        device.serial_number = manifest[i].serial_number;
        device.tranche_id = result.id;
        device.school_number = tranche.school_number;
        device.model = tranche.model;
        device.asset_tag = manifest[i].asset_tag;
        device.enrolled_by = kDemoHelper;
        server::insert_device(db, device);
        server::append_device_event(db, device.serial_number, "enrolled", kDemoHelper,
                                    {{"tranche_id", result.id}, {"off_manifest", false}});
        append_ctl_audit(db, "device.enroll", "device", device.serial_number, device.school_number,
                         {{"tranche_id", result.id}, {"off_manifest", false}});
        enrolled.push_back(std::move(device));
    }
    result.enrolled = static_cast<std::int64_t>(enrolled.size());

    // The serial numbers are random, so taking the first enrolled devices for loans and status
    // changes spreads them over the manifest.
    const std::optional<std::string> due =
        std::string_view(spec.borrower_kind) == "student" ? std::optional(due_on) : std::nullopt;
    auto device = enrolled.begin();
    for (const DemoLoan& loan : spec.loans) {
        lend_demo_device(db, *device++, loan, spec.borrower_kind, due);
        ++result.loans;
    }
    for (const auto& [count, status] :
         {std::pair{spec.in_use, "in_use"}, std::pair{spec.in_repair, "in_repair"},
          std::pair{spec.lost, "lost"}}) {
        for (int i = 0; i < count; ++i) {
            change_demo_status(db, *device++, status);
            ++result.status_changes;
        }
    }
    return result;
}

int seed_demo(const server::ServerConfig& config, std::ostream& out) {
    OpenDatabase open = open_and_migrate(config);
    const server::sql::Db db = *open.db;
    server::sql::Transaction tx(db);
    if (const auto existing = server::find_grant_by_reference(db, kDemoMarkerReference)) {
        out << "demo inventory exists already (grant " << kDemoMarkerReference << " is id "
            << *existing << "); nothing was changed\n";
        return 0;
    }
    std::vector<std::string> missing_schools;
    for (const auto& tranche : kDemoTranches) {
        if (!server::school_exists(db, tranche.school_number) &&
            std::find(missing_schools.begin(), missing_schools.end(), tranche.school_number) ==
                missing_schools.end()) {
            missing_schools.emplace_back(tranche.school_number);
        }
    }
    if (!missing_schools.empty()) {
        throw CommandFailed(fmt::format(
            "demo seed: the demo schools {} do not exist; import them first (paktctl import "
            "schools tools/demo-data/essen-schools.csv); nothing was changed",
            fmt::join(missing_schools, ", ")));
    }

    std::vector<std::int64_t> grant_ids;
    for (const auto& spec : kDemoGrants) {
        server::Grant grant;
        grant.programme_code = spec.programme_code;
        grant.reference = spec.reference;
        grant.title = spec.title;
        grant.amount_cents = spec.amount_cents;
        grant.own_contribution_cents = spec.own_contribution_cents;
        grant.approved_on = spec.approved_on;
        grant.spend_by = spec.spend_by;
        grant.earmark_end = server::earmark_end(grant.spend_by);
        const std::int64_t id = server::insert_grant(db, grant);
        grant_ids.push_back(id);
        append_ctl_audit(db, "grant.create", "grant", std::to_string(id), std::nullopt,
                         {{"programme", grant.programme_code},
                          {"reference", grant.reference},
                          {"amount_cents", grant.amount_cents},
                          {"own_contribution_cents", grant.own_contribution_cents},
                          {"approved_on", grant.approved_on},
                          {"spend_by", grant.spend_by},
                          {"earmark_end", grant.earmark_end}});
    }

    DemoSerials serials;
    std::map<std::string, int> asset_numbers;
    const std::string due_on = end_of_school_year(now_rfc3339().substr(0, 10));
    std::vector<DemoTrancheResult> results;
    DemoTrancheResult total;
    for (const auto& spec : kDemoTranches) {
        results.push_back(
            seed_demo_tranche(db, spec, grant_ids[spec.grant], serials, asset_numbers, due_on));
        total.in_manifest += results.back().in_manifest;
        total.enrolled += results.back().enrolled;
        total.loans += results.back().loans;
        total.status_changes += results.back().status_changes;
    }
    std::set<std::string> schools;
    for (const auto& spec : kDemoTranches) schools.insert(spec.school_number);
    append_ctl_audit(db, "demo.seed", "demo", kDemoMarkerReference, std::nullopt,
                     {{"grants", kDemoGrants.size()},
                      {"tranches", kDemoTranches.size()},
                      {"schools", schools},
                      {"manifest_entries", total.in_manifest},
                      {"devices_enrolled", total.enrolled},
                      {"loans", total.loans},
                      {"status_changes", total.status_changes}});
    tx.commit();

    out << "demo inventory seeded:\n";
    for (std::size_t i = 0; i < kDemoGrants.size(); ++i) {
        const auto& g = kDemoGrants[i];
        out << fmt::format("  grant {} {} {}: {} granted, spend by {}\n", grant_ids[i],
                           g.programme_code, g.reference, euros(g.amount_cents), g.spend_by);
    }
    for (std::size_t i = 0; i < kDemoTranches.size(); ++i) {
        const auto& t = kDemoTranches[i];
        const auto& r = results[i];
        out << fmt::format(
            "  tranche {} {} {}: {} x {} at {} ({}), {} enrolled, {} missing, {} on loan\n", r.id,
            t.school_number, t.school_label, t.expected_count, t.model, euros(t.unit_price_cents),
            kDemoGrants[t.grant].programme_code, r.enrolled, r.in_manifest - r.enrolled, r.loans);
    }
    out << fmt::format(
        "  total: {} grants, {} tranches at {} schools, {} devices in manifests, {} enrolled, "
        "{} on loan, {} status changes\n",
        kDemoGrants.size(), kDemoTranches.size(), schools.size(), total.in_manifest, total.enrolled,
        total.loans, total.status_changes);
    return 0;
}

// ---------------------------------------------------------------------------------------------
// demo agent-files: what a school's site agent would find on its network box, simulated for
// tools/demo: a Jamf School device export of the school's enrolled iPads (and two iPads nobody
// enrolled) and dnsmasq's lease file. Each device's values follow from its serial number, so the
// files read the same on every run except for the times.

// A 64-bit hash of `serial` for one simulated `attribute` (FNV-1a, then splitmix64's finaliser
// to spread the bits): independent values per attribute, the same on every machine.
std::uint64_t demo_pick(std::string_view serial, std::string_view attribute) {
    std::uint64_t h = 0xCBF29CE484222325ULL;
    const auto mix = [&h](std::string_view text) {
        for (const char c : text) {
            h ^= static_cast<unsigned char>(c);
            h *= 0x100000001B3ULL;
        }
    };
    mix(serial);
    mix("/");
    mix(attribute);
    h = (h ^ (h >> 30U)) * 0xBF58476D1CE4E5B9ULL;
    h = (h ^ (h >> 27U)) * 0x94D049BB133111EBULL;
    return h ^ (h >> 31U);
}

// About one in twenty enrolled devices is missing from the export (switched off in a cupboard,
// wiped, out for repair), so the demo has devices that stay "not seen".
bool demo_left_out_of_export(std::string_view serial) {
    return demo_pick(serial, "export") % 20 == 0;
}

// About four in five devices hold a current DHCP lease: they are on the school network now.
bool demo_on_network(std::string_view serial) { return demo_pick(serial, "lease") % 10 < 8; }

// Organisationally unique identifiers Apple uses for iPad Wi-Fi interfaces. The demo assumes the
// MDM's Wi-Fi payload turns private addresses off, so the leases show the hardware address.
constexpr std::array<std::uint32_t, 8> kAppleOuis{0xA483E7, 0xF01898, 0x3C22FB, 0xDCA904,
                                                  0x8C8590, 0xF40F24, 0xBCD074, 0x60F81D};

std::string format_mac(std::uint64_t mac) {
    return fmt::format("{:02X}:{:02X}:{:02X}:{:02X}:{:02X}:{:02X}", (mac >> 40U) & 0xFFU,
                       (mac >> 32U) & 0xFFU, (mac >> 24U) & 0xFFU, (mac >> 16U) & 0xFFU,
                       (mac >> 8U) & 0xFFU, mac & 0xFFU);
}

// "2026-03-02 08:41:12" in this machine's time zone, as Jamf School exports in the admin's time
// (pakt-agent reads a time without a zone as local time).
std::string local_export_time(std::int64_t epoch_seconds) {
    const auto t = static_cast<std::time_t>(epoch_seconds);
    std::tm tm{};
    ::localtime_r(&t, &tm);
    std::array<char, 32> text{};
    const std::size_t n = std::strftime(text.data(), text.size(), "%Y-%m-%d %H:%M:%S", &tm);
    return std::string(text.data(), n);
}

// Jamf School's short model name: "iPad (9th generation)" from "iPad (9th generation) Wi-Fi
// 64GB".
std::string jamf_model_name(const std::string& model) {
    const auto close = model.find(')');
    return close == std::string::npos ? model : model.substr(0, close + 1);
}

// The storage the model name states ("... 128GB ..."), in GB; 64 if it states none.
int model_capacity_gb(const std::string& model) {
    for (const int gb : {512, 256, 128, 64, 32}) {
        if (model.find(fmt::format("{}GB", gb)) != std::string::npos ||
            model.find(fmt::format("{} GB", gb)) != std::string::npos) {
            return gb;
        }
    }
    return 64;
}

struct DemoExportDevice {
    std::string serial;
    std::string name;
    std::string model;  // the DB's model text
    bool enrolled = true;
    std::uint64_t wifi_mac = 0;
    bool on_network = false;
};

// Every field quoted, as Jamf School writes its export.
std::string jamf_quoted(std::string_view field) {
    std::string out = "\"";
    for (const char c : field) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + '"';
}

std::string demo_export_row(const DemoExportDevice& d, const std::string& location,
                            std::int64_t now) {
    const std::string_view s = d.serial;
    const std::uint64_t os_pick = demo_pick(s, "os") % 100;
    // Most on the current iPadOS, some a point release behind, a few still on the previous major
    // version (the rollout funnel's stragglers).
    const char* os_version = os_pick < 8 ? "18.7.2" : (os_pick < 30 ? "26.0.1" : "26.1");
    const auto battery = 5 + demo_pick(s, "battery") % 96;
    const int capacity = model_capacity_gb(d.model);
    // Free storage between 1.5 GB and 70 % of the capacity, in hundredths of a GB.
    const auto free_min = std::uint64_t{150};
    const auto free_max = static_cast<std::uint64_t>(capacity) * 70;
    const auto free_cgb = free_min + demo_pick(s, "storage") % (free_max - free_min);
    const bool managed = demo_pick(s, "managed") % 25 != 0;  // about 4 % lost their MDM profile
    // On the network: checked in with the MDM within the last three hours. Off the network: last
    // seen between two hours and twelve days ago, so some fall out of "seen in the last 7 days".
    const std::int64_t ago =
        d.on_network
            ? static_cast<std::int64_t>(demo_pick(s, "checkin") % (3 * 3600))
            : static_cast<std::int64_t>(2 * 3600 + demo_pick(s, "checkin") % (12 * 24 * 3600));
    const std::uint64_t udid = demo_pick(s, "udid");
    const std::uint64_t bluetooth =
        (d.wifi_mac & ~std::uint64_t{0xFF}) | ((d.wifi_mac + 1) & 0xFFU);
    const std::vector<std::string> fields{
        d.name,
        d.serial,
        fmt::format("00008030-{:016X}", udid),
        jamf_model_name(d.model),
        os_version,
        fmt::format("{}%", battery),
        fmt::format("{}.{:02} GB", free_cgb / 100, free_cgb % 100),
        fmt::format("{} GB", capacity),
        format_mac(d.wifi_mac),
        format_mac(bluetooth),
        managed ? "Yes" : "No",
        managed ? "Yes" : "No",
        local_export_time(now - ago),
        location};
    std::string row;
    for (const auto& field : fields) {
        if (!row.empty()) row += ',';
        row += jamf_quoted(field);
    }
    return row + '\n';
}

// Writes `content` to `file` through a temporary name and a rename, so a reader (pakt-agent
// ignores names ending in .tmp) never sees half a file.
void write_file_atomically(const std::filesystem::path& file, const std::string& content) {
    const std::filesystem::path temporary = file.string() + ".tmp";
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        if (!out) {
            throw CommandFailed(
                fmt::format("cannot create '{}': {}", temporary.string(), std::strerror(errno)));
        }
        out << content;
        out.flush();
        if (!out) {
            throw CommandFailed(
                fmt::format("cannot write '{}': {}", temporary.string(), std::strerror(errno)));
        }
    }
    std::error_code ec;
    std::filesystem::rename(temporary, file, ec);
    if (ec) {
        throw CommandFailed(fmt::format("cannot rename '{}' to '{}': {}", temporary.string(),
                                        file.string(), ec.message()));
    }
}

struct AgentFilesOptions {
    std::string school;
    std::string out_dir;
};

int write_demo_agent_files(const server::ServerConfig& config, const AgentFilesOptions& options,
                           std::ostream& out) {
    OpenDatabase open = open_and_migrate(config);
    const server::sql::Db db = *open.db;
    // One read snapshot: the school, its devices and the serial check agree.
    server::sql::Transaction snapshot(db, server::sql::Transaction::Kind::snapshot);

    server::sql::Statement school_query(db, "SELECT name FROM schools WHERE school_number = ?");
    school_query.bind(1, options.school);
    if (!school_query.executeStep()) {
        throw CommandFailed(
            fmt::format("demo agent-files: school {} does not exist; import the schools first",
                        options.school));
    }
    const std::string school_name = school_query.getColumn(0).getString();

    std::vector<DemoExportDevice> devices;
    std::size_t enrolled = 0;
    std::size_t left_out = 0;
    server::sql::Statement device_query(
        db,
        "SELECT serial_number, asset_tag, model, status FROM devices WHERE school_number = ? "
        "ORDER BY serial_number");
    device_query.bind(1, options.school);
    while (device_query.executeStep()) {
        ++enrolled;
        DemoExportDevice d;
        d.serial = device_query.getColumn(0).getString();
        if (demo_left_out_of_export(d.serial)) {
            ++left_out;
            continue;
        }
        const std::string asset_tag = device_query.getColumn(1).getString();
        d.name = "iPad " + (asset_tag.empty() ? d.serial : asset_tag);
        d.model = device_query.getColumn(2).getString();
        // A device at the repairer's, lost or stolen is in the MDM but not on the school network.
        const std::string status = device_query.getColumn(3).getString();
        d.on_network = demo_on_network(d.serial) && (status == "in_storage" || status == "in_use");
        devices.push_back(std::move(d));
    }

    // Two iPads on the school's Wi-Fi and in its MDM that nobody enrolled in Pakt: serial
    // numbers that no manifest and no device has, from a generator seeded with the school number.
    server::sql::Statement known(
        db,
        "SELECT EXISTS (SELECT 1 FROM devices WHERE serial_number = ?1) OR "
        "EXISTS (SELECT 1 FROM manifest_entries WHERE serial_number = ?1)");
    constexpr std::string_view kAlphabet = "0123456789ABCDEFGHJKLMNPQRSTVWXY";
    constexpr std::size_t kNotEnrolled = 2;
    for (std::uint64_t attempt = 0; devices.size() < enrolled - left_out + kNotEnrolled;
         ++attempt) {
        std::uint64_t bits = demo_pick(options.school, fmt::format("unenrolled-{}", attempt));
        std::string serial = "F9F";
        for (int i = 0; i < 9; ++i) {
            serial += kAlphabet[bits & 31U];
            bits >>= 5U;
        }
        known.reset();
        known.bind(1, serial);
        known.executeStep();
        if (known.getColumn(0).getInt() != 0) continue;
        DemoExportDevice d;
        d.serial = serial;
        d.name = "iPad";  // a device set up by hand keeps Apple's default name
        d.model = "iPad (10th generation) Wi-Fi 64GB";
        d.enrolled = false;
        d.on_network = true;
        devices.push_back(std::move(d));
    }

    // Wi-Fi MACs from the serial number; a (very unlikely) clash is resolved by hashing again.
    std::set<std::uint64_t> macs;
    for (auto& d : devices) {
        for (int round = 0;; ++round) {
            const std::uint64_t oui =
                kAppleOuis[demo_pick(d.serial, fmt::format("oui-{}", round)) % kAppleOuis.size()];
            const std::uint64_t mac =
                (oui << 24U) | (demo_pick(d.serial, fmt::format("mac-{}", round)) & 0xFFFFFFU);
            if (macs.insert(mac).second) {
                d.wifi_mac = mac;
                break;
            }
        }
    }
    std::sort(devices.begin(), devices.end(), [](const auto& a, const auto& b) {
        return std::tie(a.name, a.serial) < std::tie(b.name, b.serial);
    });

    const std::int64_t now =
        std::chrono::duration_cast<std::chrono::seconds>(Clock::now().time_since_epoch()).count();
    std::string csv =
        "\"Name\",\"Serial Number\",\"UDID\",\"Model\",\"OS Version\",\"Battery Level\","
        "\"Available Capacity\",\"Total Capacity\",\"WiFi MAC\",\"Bluetooth MAC\",\"Managed\","
        "\"Supervised\",\"Last Check-in\",\"Location\"\n";
    for (const auto& d : devices) csv += demo_export_row(d, school_name, now);

    // dnsmasq's lease file: "<expiry> <mac> <ip> <hostname> <client-id>", current leases of one
    // hour from now, in a 10.x network of the school's own. Besides the iPads, the staff room's
    // printer (a static, infinite lease) and a teacher's phone, which match no device.
    const int octet = 16 + std::stoi(options.school) % 200;
    std::string leases;
    std::size_t lease_count = 0;
    for (const auto& d : devices) {
        if (!d.on_network) continue;
        const std::size_t host = lease_count++;
        std::string hostname = d.name;
        std::replace(hostname.begin(), hostname.end(), ' ', '-');
        std::string mac = format_mac(d.wifi_mac);
        std::transform(mac.begin(), mac.end(), mac.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        leases += fmt::format("{} {} 10.{}.{}.{} {} 01:{}\n", now + 3600, mac, octet,
                              1 + host / 250, 10 + host % 250, hostname, mac);
    }
    leases += fmt::format("{} 3c:22:fb:5e:71:0a 10.{}.0.57 Lehrer-iPhone *\n", now + 2400, octet);
    leases += fmt::format("0 00:1b:a9:11:22:33 10.{}.0.2 drucker-lehrerzimmer *\n", octet);

    const std::filesystem::path out_dir = options.out_dir;
    const std::filesystem::path mdm_dir = out_dir / "mdm";
    std::error_code ec;
    std::filesystem::create_directories(mdm_dir, ec);
    if (ec) {
        throw CommandFailed(
            fmt::format("cannot create the directory '{}': {}", mdm_dir.string(), ec.message()));
    }
    const std::string stamp = local_export_time(now);  // "2026-03-02 08:41:12"
    const std::string export_name =
        fmt::format("devices-{}-{}{}{}.csv", stamp.substr(0, 10), stamp.substr(11, 2),
                    stamp.substr(14, 2), stamp.substr(17, 2));
    const std::filesystem::path export_file = mdm_dir / export_name;
    write_file_atomically(export_file, csv);
    // The drop folder keeps only the newest export this command wrote.
    for (const auto& entry : std::filesystem::directory_iterator(mdm_dir, ec)) {
        const std::string name = entry.path().filename().string();
        if (name != export_name && name.starts_with("devices-") && name.ends_with(".csv")) {
            std::filesystem::remove(entry.path(), ec);
        }
    }
    const std::filesystem::path leases_file = out_dir / "dnsmasq.leases";
    write_file_atomically(leases_file, leases);

    out << fmt::format("demo agent files for school {} ({}):\n", options.school, school_name);
    out << fmt::format(
        "  MDM export {}: {} devices ({} of the {} enrolled here, {} left out so they stay not "
        "seen; {} nobody enrolled)\n",
        export_file.string(), devices.size(), enrolled - left_out, enrolled, left_out,
        kNotEnrolled);
    out << fmt::format("  dnsmasq leases {}: {} iPads on the network and 2 other clients\n",
                       leases_file.string(), lease_count);
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
    app.set_version_flag("--version", version_line("paktctl"));

    GlobalOptions global;
    auto* data_dir_option = app.add_option("--data-dir", global.data_dir,
                                           "paktd's data directory; the database is "
                                           "<DIR>/pakt.db (default: pakt-data, as paktd)");
    app.add_option("--database", global.database_file,
                   "the database file (overrides --data-dir and the configuration)");
    app.add_option("--database-url", global.database_url,
                   "a PostgreSQL database (postgresql://user@host/database; overrides the "
                   "configuration's database.url; the password from ~/.pgpass or PGPASSWORD)");
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

    auto* user_list_command = user->add_subcommand(
        "list",
        "list every user: username, role, schools, disabled, created. Reads an existing "
        "database read-only (never creates or migrates it)");
    bool user_list_json = false;
    user_list_command->add_flag("--json", user_list_json,
                                "print a JSON array of the objects GET /api/v1/users returns");
    auto* user_disable_command = user->add_subcommand(
        "disable",
        "disable a user as PATCH /api/v1/users/{id} {\"disabled\": true} does: it can no longer "
        "log in, its sessions end and its API tokens are deleted, with an audit entry. A user "
        "disabled already is left as it is (exit 0). The last enabled city_admin cannot be "
        "disabled.");
    std::string disable_username;
    user_disable_command->add_option("USERNAME", disable_username, "the user's login name")
        ->required();

    auto* migrate_command =
        app.add_subcommand("migrate", "apply pending schema migrations and print the version");

    auto* backup_command = app.add_subcommand(
        "backup",
        "write a consistent copy of the database to FILE while paktd serves: one snapshot copied "
        "with SQLite's online backup API into a temporary file next to FILE, synced, checked "
        "with PRAGMA integrity_check and renamed into place. Reads the database only (never "
        "migrates it). Refuses an existing FILE unless --force; leaves nothing behind on "
        "failure.");
    BackupOptions backup_options;
    backup_command->add_option("FILE", backup_options.file, "the backup file to write")
        ->required();
    backup_command->add_flag("--force", backup_options.force, "replace FILE if it exists");

    auto* restore_command = app.add_subcommand(
        "restore",
        "replace the database with the backup FILE. Refuses while paktd runs on that database "
        "(stop it first) and keeps paktd from starting until done. Checks FILE (integrity_check, "
        "a Pakt schema not newer than this paktctl), builds the restored database in a "
        "temporary file beside it (backup API, migrated if older, audit entry "
        "database.restore, integrity_check) and renames it over the database; on failure the "
        "database is left as it was. A database that is not empty, or looks damaged, is "
        "replaced only with --force. Run it as paktd's user.");
    RestoreOptions restore_options;
    restore_command->add_option("FILE", restore_options.file, "the backup file to restore")
        ->required();
    restore_command->add_flag("--force", restore_options.force,
                              "replace the existing database and everything in it");

    std::string copy_to_url;
    auto* copy_to_command = app.add_subcommand(
        "copy-to",
        "copy the SQLite database into an empty PostgreSQL database, then compare every table's "
        "row count and verify the audit chain there (stop paktd first)");
    copy_to_command->add_option("URL", copy_to_url, "the PostgreSQL database (postgresql://...)")
        ->required();

    auto* report = app.add_subcommand("report", "print reports");
    report->require_subcommand(1);
    auto* report_funding_command = report->add_subcommand(
        "funding",
        "the funding report (proof of use figures) of one grant for every school, computed as "
        "GET /api/v1/reports/funding does: a readable summary, or --json / --csv as the API "
        "gives them. Reads an existing database read-only (never creates or migrates it)");
    FundingReportOptions funding_options;
    report_funding_command
        ->add_option("--grant", funding_options.grant, "the grant's id or reference (Aktenzeichen)")
        ->required();
    bool funding_csv = false;
    bool funding_json = false;
    std::string funding_dialect;
    auto* csv_flag = report_funding_command->add_flag(
        "--csv", funding_csv, "CSV for spreadsheets (UTF-8 with BOM), as GET ...?format=csv");
    auto* json_flag = report_funding_command->add_flag(
        "--json", funding_json, "the API's JSON document");
    csv_flag->excludes(json_flag);
    auto* dialect_option =
        report_funding_command
            ->add_option("--dialect", funding_dialect,
                         "CSV dialect: standard (',', '.' decimals) or excel-de (';', decimal "
                         "comma, DD.MM.YYYY); implies --csv")
            ->check(CLI::IsMember({"standard", "excel-de"}));
    dialect_option->excludes(json_flag);

    auto* audit = app.add_subcommand("audit", "check the audit log");
    audit->require_subcommand(1);
    auto* audit_verify_command = audit->add_subcommand(
        "verify",
        "check the audit log's SHA-256 hash chain from the first entry. Opens the database "
        "read-only and never migrates it. Exit 0 and the number of entries and the last hash "
        "if intact; exit 1 naming the first broken entry otherwise.");

    // Not in the main help (an empty group hides it): demo data is for tools/demo, not for
    // production databases.
    auto* demo = app.add_subcommand("demo", "demo data for tools/demo")->group("");
    demo->require_subcommand(1);
    auto* demo_seed_command = demo->add_subcommand(
        "seed",
        "write the demo inventory (two grants, four tranches at three Essen schools, manifests, "
        "enrolled devices, loans) in one transaction. Needs the Essen schools imported. Does "
        "nothing if the demo grant " +
            std::string(kDemoMarkerReference) + " exists.");
    auto* demo_agent_files_command = demo->add_subcommand(
        "agent-files",
        "write what a site agent at the school would read: OUT/mdm/devices-<time>.csv, a Jamf "
        "School device export of the school's enrolled devices (about 5 % left out) and two "
        "iPads nobody enrolled, and OUT/dnsmasq.leases with current leases for about 80 % of "
        "them. The same devices and values on every run; only the times change. Older "
        "devices-*.csv files in OUT/mdm are removed.");
    AgentFilesOptions agent_files;
    demo_agent_files_command->add_option("--school", agent_files.school, "the school number")
        ->required();
    demo_agent_files_command->add_option("--out", agent_files.out_dir, "the directory to write to")
        ->required();

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e, out, err) == 0 ? 0 : 2;
    }
    global.data_dir_given = data_dir_option->count() > 0;

    std::string database_file;
    try {
        const server::ServerConfig config = resolve_config(global);
        database_file = database_name(config);
        if (import_schools_command->parsed()) return import_schools(config, schools_file, out, err);
        if (user_add_command->parsed()) return add_user(config, user_add, in, out, err);
        if (user_list_command->parsed()) return list_users(config, user_list_json, out);
        if (user_disable_command->parsed()) return disable_user(config, disable_username, out);
        if (migrate_command->parsed()) return migrate_database(config, out);
        if ((backup_command->parsed() || restore_command->parsed()) && config.uses_postgres()) {
            throw CommandFailed(fmt::format(
                "{}: {} is a PostgreSQL database; back it up with pg_dump and restore it with "
                "pg_restore (paktctl backup and restore are for the SQLite file)",
                backup_command->parsed() ? "backup" : "restore", database_file));
        }
        if (backup_command->parsed()) return backup_database(config, backup_options, out);
        if (restore_command->parsed()) return restore_database(config, restore_options, out);
        if (copy_to_command->parsed()) return copy_to_postgres(config, copy_to_url, out);
        if (report_funding_command->parsed()) {
            funding_options.format = funding_json                            ? ReportFormat::json
                                     : funding_csv || !funding_dialect.empty() ? ReportFormat::csv
                                                                             : ReportFormat::text;
            funding_options.excel_de = funding_dialect == "excel-de";
            return report_funding(config, funding_options, out);
        }
        if (audit_verify_command->parsed()) return verify_audit(config, out, err);
        if (demo_seed_command->parsed()) return seed_demo(config, out);
        if (demo_agent_files_command->parsed()) {
            return write_demo_agent_files(config, agent_files, out);
        }
        err << "paktctl: no command given; see paktctl --help\n";
        return 2;
    } catch (const SQLite::Exception& e) {
        err << "paktctl: database '" << database_file << "': " << e.what() << '\n';
    } catch (const server::sql::PgError& e) {
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
