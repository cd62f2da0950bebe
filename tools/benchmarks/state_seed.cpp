// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "tools/benchmarks/state_seed.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Transaction.h>
#include <fmt/format.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <stdexcept>
#include <unordered_set>

#include "common/checkin_report.hpp"
#include "common/crypto.hpp"
#include "common/time.hpp"
#include "server/domain/checkin.hpp"
#include "server/domain/manifest.hpp"
#include "server/domain/password.hpp"
#include "server/storage/agent_repository.hpp"
#include "server/storage/audit_repository.hpp"
#include "server/storage/database.hpp"
#include "server/storage/device_repository.hpp"
#include "server/storage/funding_repository.hpp"
#include "server/storage/migrator.hpp"
#include "server/storage/session_repository.hpp"
#include "server/storage/sql_repositories.hpp"
#include "server/storage/tranche_repository.hpp"
#include "server/storage/user_repository.hpp"
#include "tools/paktctl/school_import.hpp"

namespace pakt::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr unsigned kSchoolsPerTransaction = 50;
constexpr int kAwayDays = 14;  // as paktd's check-in handler
// Apple's serial alphabet since 2021: digits and capitals without the easily confused I and O.
constexpr std::string_view kSerialAlphabet = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ";

struct GrantSpec {
    const char* programme;
    const char* reference;
    const char* delivered_on;
    const char* model;
    std::int64_t unit_price_cents;
};
// A school's deliveries: the 2020 loan devices, the 2022 DigitalPakt devices and teachers' iPads.
// Shares of a school's devices: 25 %, 65 %, 10 %.
constexpr GrantSpec kGrants[] = {
    {"DP-SOFORT", "48.03-SOFORT-2020-001", "2020-11-16", "iPad (8. Generation)", 37'900},
    {"DP-BASIS", "48.03-DPS-2021-001", "2022-08-01", "iPad (9. Generation)", 39'900},
    {"DP-LEHRER", "48.03-LEHRER-2021-001", "2021-06-14", "iPad Air (4. Generation)", 49'900},
};
constexpr unsigned kGrantShare[] = {25, 65, 10};

// Status of a device in service or not, by a number in [0, 1000): what a city's fleet looks like
// a few years in (DOMAIN.md: a few per cent damaged or lost each year).
const char* status_for(unsigned per_mille) {
    if (per_mille < 820) return "in_use";
    if (per_mille < 910) return "in_storage";
    if (per_mille < 940) return "in_repair";
    if (per_mille < 955) return "lost";
    if (per_mille < 965) return "stolen";
    return "retired";
}

bool in_service(const std::string& status) {
    return status == "in_use" || status == "in_storage" || status == "in_repair";
}

class Seeder {
  public:
    Seeder(SQLite::Database& db, const StatePlan& plan)
        : db_(db), plan_(plan), rng_(plan.random_seed) {}

    std::string serial(const std::string& school_number, std::size_t index) {
        if (plan_.adjacent_serials) {
            // One prefix per school, then a sequence: the school's devices are neighbours.
            return fmt::format("S{}{:05}", school_number, index);
        }
        std::uniform_int_distribution<std::size_t> pick(0, kSerialAlphabet.size() - 1);
        for (;;) {
            std::string s(12, '0');
            for (char& c : s) c = kSerialAlphabet[pick(rng_)];
            if (used_serials_.insert(s).second) return s;
        }
    }

    server::AuditEntry audit(std::string actor, std::string action, std::string type,
                             std::string id, const std::string& school) {
        server::AuditEntry e;
        e.actor = std::move(actor);
        e.action = std::move(action);
        e.object_type = std::move(type);
        e.object_id = std::move(id);
        e.school_number = school;
        e.request_id = make_uuid();
        ++state_.audit_entries;
        return e;
    }

    void seed_grants() {
        for (const auto& spec : kGrants) {
            server::Grant grant;
            grant.programme_code = spec.programme;
            grant.reference = spec.reference;
            grant.title = fmt::format("{} (Land NRW)", spec.programme);
            grant.amount_cents = 900'000'000'000;
            grant.approved_on = "2020-10-01";
            grant.spend_by = "2024-12-31";
            grant.earmark_end = "2029-12-31";
            grant_ids_.push_back(server::insert_grant(db_, grant));
            server::append_audit(db_, audit("paktctl", "grant.create", "grant",
                                            std::to_string(grant_ids_.back()), {}));
        }
        state_.grant_id = grant_ids_[1];
    }

    void seed_users(const std::string& first_school) {
        const auto add = [&](const std::string& username, server::Role role,
                             std::vector<std::string> schools) {
            server::UserRecord user;
            user.username = username;
            user.role = role;
            user.schools = std::move(schools);
            user.password_hash = server::hash_password(random_token());
            user.id = server::insert_user(db_, user);
            const std::string token = random_token();
            server::insert_api_token(db_, user.id, "bench", sha256_hex(token), std::nullopt);
            return token;
        };
        state_.admin_token = add("admin", server::Role::city_admin, {});
        state_.school_it_token = add("it-" + first_school, server::Role::school_it, {first_school});
        state_.headteacher_token =
            add("sl-" + first_school, server::Role::headteacher, {first_school});
    }

    void seed_school(const std::string& school_number, std::size_t device_count,
                     const std::string& now) {
        SeededSchool school;
        school.school_number = school_number;
        school.devices = device_count;
        const std::string helper = "it-" + school_number;
        std::uniform_int_distribution<unsigned> per_mille(0, 999);

        std::size_t next_device = 0;
        std::vector<std::string> serials;
        for (std::size_t g = 0; g < std::size(kGrants); ++g) {
            const std::size_t count = g + 1 == std::size(kGrants)
                                          ? device_count - next_device
                                          : device_count * kGrantShare[g] / 100;
            if (count == 0) continue;
            server::Tranche tranche;
            tranche.school_number = school_number;
            tranche.grant_id = grant_ids_[g];
            tranche.supplier = g == 0 ? "Bechtle" : "Cancom";
            tranche.order_number = fmt::format("PO-{}-{}", school_number, g + 1);
            tranche.delivered_on = kGrants[g].delivered_on;
            tranche.model = kGrants[g].model;
            tranche.unit_price_cents = kGrants[g].unit_price_cents;
            tranche.expected_count = static_cast<std::int64_t>(count);
            tranche.id = server::insert_tranche(db_, tranche);
            school.tranche_ids.push_back(tranche.id);
            server::append_audit(db_, audit("paktctl", "tranche.create", "tranche",
                                            std::to_string(tranche.id), school_number));

            // The delivery list, then the devices enrolled from it by scanning.
            std::vector<server::ManifestRow> manifest;
            manifest.reserve(count);
            for (std::size_t i = 0; i < count; ++i) {
                server::ManifestRow row;
                row.line = i + 2;
                row.serial_number = serial(school_number, next_device + i);
                row.model = tranche.model;
                if (per_mille(rng_) < 600)
                    row.asset_tag = fmt::format("INV-{}-{:05}", school_number, next_device + i);
                manifest.push_back(std::move(row));
            }
            server::insert_manifest_entries(db_, tranche.id, manifest);
            for (const auto& row : manifest) {
                server::Device device;
                device.serial_number = row.serial_number;
                device.tranche_id = tranche.id;
                device.school_number = school_number;
                device.asset_tag = row.asset_tag;
                device.model = row.model;
                device.status = status_for(per_mille(rng_));
                if (device.status == "retired") device.retired_reason = "damaged_beyond_repair";
                device.enrolled_by = helper;
                server::insert_device(db_, device);
                server::append_device_event(db_, device.serial_number, "enrolled", helper,
                                            {{"tranche_id", tranche.id}, {"off_manifest", false}});
                auto enrolled =
                    audit(helper, "device.enroll", "device", device.serial_number, school_number);
                enrolled.detail = {{"tranche_id", tranche.id}, {"off_manifest", false}};
                server::append_audit(db_, enrolled);
                if (device.status != "in_storage") {
                    server::append_device_event(db_, device.serial_number, "status_changed", helper,
                                                {{"from", "in_storage"}, {"to", device.status}});
                    server::append_audit(db_, audit(helper, "device.status", "device",
                                                    device.serial_number, school_number));
                }
                if (device.status == "in_use" && per_mille(rng_) < 250)
                    lend(device, helper, per_mille(rng_) < 200);
                if (!row.asset_tag.empty() && state_.sample_asset_tags.size() < 64 &&
                    per_mille(rng_) < 20) {
                    state_.sample_asset_tags.push_back(row.asset_tag);
                }
                if (in_service(device.status))
                    school.present_serials.push_back(device.serial_number);
            }
            next_device += count;
        }
        state_.devices += device_count;

        school.node_key = random_token();
        const std::int64_t secret_id = server::insert_agent_secret(
            db_, school_number, sha256_hex(random_token()), helper, "2099-01-01T00:00:00Z");
        server::Agent agent;
        agent.school_number = school_number;
        agent.hostname = "pakt-" + school_number;
        agent.agent_version = "0.9.0";
        school.agent_id = server::insert_agent(db_, agent, sha256_hex(school.node_key), secret_id);
        agent.id = school.agent_id;
        server::append_audit(
            db_, audit(helper, "agent.enroll", "agent", std::to_string(agent.id), school_number));

        // The agent's first reports, through the check-in code: most devices seen a day ago (the
        // benchmark's check-ins bring them up to date), a few last seen three weeks ago (stale).
        for (const bool stale : {true, false}) {
            CheckinReport report;
            report.report_id = make_uuid();
            const auto seen =
                Clock::now() - (stale ? std::chrono::hours(24 * 21) : std::chrono::hours(25));
            report.generated_at = format_rfc3339(seen);
            report.agent_version = agent.agent_version;
            for (std::size_t i = 0; i < school.present_serials.size(); ++i) {
                if ((i % 25 == 0) != stale) continue;  // 4 % stale
                DeviceObservation o;
                o.serial_number = school.present_serials[i];
                o.seen_at = report.generated_at;
                o.os_version = "17.5.1";
                o.battery_pct = static_cast<std::int64_t>(i % 100);
                o.storage_free_mb = 20'000;
                o.managed = true;
                o.ip_address = fmt::format("10.{}.{}.{}", i / 250 % 250, 16, i % 250 + 2);
                report.devices.push_back(std::move(o));
            }
            server::SqlRepositories repositories(db_);
            server::apply_checkin(repositories, agent, report, now, kAwayDays);
        }
        state_.schools.push_back(std::move(school));
    }

    void lend(const server::Device& device, const std::string& helper, bool returned_before) {
        server::Loan loan;
        loan.serial_number = device.serial_number;
        loan.school_number = device.school_number;
        loan.borrower_ref =
            fmt::format("S-{:06}", std::uniform_int_distribution<int>(0, 999'999)(rng_));
        loan.borrower_kind = "student";
        loan.agreement_ref = "LV-" + loan.borrower_ref;
        loan.due_on = "2027-07-31";
        loan.started_by = helper;
        if (returned_before) {
            // An earlier pupil's loan, returned: history the device list and loan list carry.
            const auto id = server::insert_loan(db_, loan);
            server::close_loan(db_, id, "ok", "", helper);
            server::append_audit(db_, audit(helper, "loan.return", "loan", std::to_string(id),
                                            device.school_number));
        }
        const auto id = server::insert_loan(db_, loan);
        server::append_device_event(db_, device.serial_number, "loaned", helper, {{"loan_id", id}});
        server::append_audit(
            db_, audit(helper, "loan.create", "loan", std::to_string(id), device.school_number));
        ++state_.loans_open;
    }

    SeededState& state() { return state_; }

  private:
    SQLite::Database& db_;
    const StatePlan& plan_;
    std::mt19937_64 rng_;
    std::unordered_set<std::string> used_serials_;
    std::vector<std::int64_t> grant_ids_;
    SeededState state_;
};

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path.string());
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

nlohmann::json plan_json(const StatePlan& plan) {
    return {{"schools", plan.schools},
            {"devices", plan.devices},
            {"adjacent_serials", plan.adjacent_serials}};
}

}  // namespace

void save_seeded_state(const std::filesystem::path& file, const StatePlan& plan,
                       const SeededState& state) {
    nlohmann::json schools = nlohmann::json::array();
    for (const auto& s : state.schools) {
        schools.push_back({{"school_number", s.school_number},
                           {"agent_id", s.agent_id},
                           {"node_key", s.node_key},
                           {"tranche_ids", s.tranche_ids},
                           {"present_serials", s.present_serials},
                           {"devices", s.devices}});
    }
    const nlohmann::json j = {{"plan", plan_json(plan)},
                              {"schools", std::move(schools)},
                              {"grant_id", state.grant_id},
                              {"sample_asset_tags", state.sample_asset_tags},
                              {"devices", state.devices},
                              {"loans_open", state.loans_open},
                              {"audit_entries", state.audit_entries},
                              {"admin_token", state.admin_token},
                              {"school_it_token", state.school_it_token},
                              {"headteacher_token", state.headteacher_token},
                              {"seconds", state.seconds}};
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    // It holds credentials (node keys, API tokens) of the benchmark's database: the owner's only.
    std::filesystem::permissions(
        file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    out << j.dump();
    if (!out.flush()) throw std::runtime_error("cannot write " + file.string());
}

std::optional<SeededState> load_seeded_state(const std::filesystem::path& file,
                                             const StatePlan& plan) {
    if (!std::filesystem::exists(file)) return std::nullopt;
    const auto j = nlohmann::json::parse(read_file(file));
    if (j.at("plan") != plan_json(plan)) {
        throw std::runtime_error(
            fmt::format("{} was seeded for {}, not for {}: use another directory", file.string(),
                        j.at("plan").dump(), plan_json(plan).dump()));
    }
    SeededState state;
    for (const auto& s : j.at("schools")) {
        SeededSchool school;
        school.school_number = s.at("school_number").get<std::string>();
        school.agent_id = s.at("agent_id").get<std::int64_t>();
        school.node_key = s.at("node_key").get<std::string>();
        school.tranche_ids = s.at("tranche_ids").get<std::vector<std::int64_t>>();
        school.present_serials = s.at("present_serials").get<std::vector<std::string>>();
        school.devices = s.at("devices").get<std::size_t>();
        state.schools.push_back(std::move(school));
    }
    state.grant_id = j.at("grant_id").get<std::int64_t>();
    state.sample_asset_tags = j.at("sample_asset_tags").get<std::vector<std::string>>();
    state.devices = j.at("devices").get<std::size_t>();
    state.loans_open = j.at("loans_open").get<std::size_t>();
    state.audit_entries = j.at("audit_entries").get<std::size_t>();
    state.admin_token = j.at("admin_token").get<std::string>();
    state.school_it_token = j.at("school_it_token").get<std::string>();
    state.headteacher_token = j.at("headteacher_token").get<std::string>();
    state.seconds = j.at("seconds").get<double>();
    return state;
}

SeededState seed_state(const std::filesystem::path& database_file, const StatePlan& plan) {
    const auto start = SteadyClock::now();
    ctl::SchoolList list = ctl::parse_school_list(read_file(plan.schools_csv));
    if (!list.problems.empty()) {
        const auto& first = *list.problems.begin();
        throw std::runtime_error(
            fmt::format("{}:{}: {}", plan.schools_csv.string(), first.line, first.message));
    }
    if (plan.schools == 0 || plan.schools > list.schools.size()) {
        throw std::invalid_argument(fmt::format("--schools must be 1 to {} (the schools in {})",
                                                list.schools.size(), plan.schools_csv.string()));
    }
    if (plan.devices < plan.schools)
        throw std::invalid_argument("--devices must be at least --schools");
    // Every k-th school of the list, so a smaller state still spans the whole land.
    ctl::SchoolList chosen;
    chosen.columns = list.columns;
    for (unsigned i = 0; i < plan.schools; ++i) {
        const std::size_t at = static_cast<std::size_t>(i) * list.schools.size() / plan.schools;
        chosen.schools.push_back(list.schools[at]);
        chosen.lines.push_back(list.lines[at]);
    }

    auto db = server::open_database(database_file, server::OpenMode::read_write,
                                    std::chrono::seconds(10));
    server::migrate(*db);
    Seeder seeder(*db, plan);
    {
        SQLite::Transaction tx(*db);
        ctl::merge_schools(*db, chosen);
        seeder.seed_grants();
        seeder.seed_users(chosen.schools.front().school_number);
        tx.commit();
    }
    const std::string now = now_rfc3339();
    for (unsigned first = 0; first < plan.schools; first += kSchoolsPerTransaction) {
        SQLite::Transaction tx(*db);
        for (unsigned s = first; s < std::min(plan.schools, first + kSchoolsPerTransaction); ++s) {
            const std::size_t count =
                plan.devices * (s + 1) / plan.schools - plan.devices * s / plan.schools;
            seeder.seed_school(chosen.schools[s].school_number, count, now);
        }
        tx.commit();
        const unsigned done = std::min(plan.schools, first + kSchoolsPerTransaction);
        if (done * 10 / plan.schools != first * 10 / plan.schools || done == plan.schools) {
            std::cerr << fmt::format(
                "  seeded {} of {} schools ({:.0f} s)\n", done, plan.schools,
                std::chrono::duration<double>(SteadyClock::now() - start).count());
        }
    }
    db->exec("PRAGMA wal_checkpoint(TRUNCATE)");
    SeededState state = std::move(seeder.state());
    state.seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
    return state;
}

}  // namespace pakt::bench
