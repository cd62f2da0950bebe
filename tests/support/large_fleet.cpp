// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "tests/support/large_fleet.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <fmt/format.h>

#include <chrono>
#include <stdexcept>

#include "common/crypto.hpp"
#include "common/time.hpp"
#include "server/domain/password.hpp"
#include "server/storage/agent_repository.hpp"
#include "server/storage/database.hpp"
#include "server/storage/funding_repository.hpp"
#include "server/storage/migrator.hpp"
#include "server/storage/school_repository.hpp"
#include "server/storage/sql/db.hpp"
#include "server/storage/tranche_repository.hpp"
#include "server/storage/user_repository.hpp"

namespace pakt::test {
namespace {

constexpr const char* kInsertDevice =
    "INSERT INTO devices (serial_number, tranche_id, school_number, asset_tag, model, status, "
    "retired_reason, enrolled_at, enrolled_by, updated_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, '2023-09-01T08:00:00Z', 'seed', '2023-09-01T08:00:00Z')";
constexpr const char* kInsertReport =
    "INSERT INTO device_reports (school_number, serial_number, agent_id, seen_at, os_version, "
    "battery_pct, storage_free_mb, managed, ip_address, report_id, updated_at) "
    "VALUES ((SELECT school_number FROM devices WHERE serial_number = ?1), ?1, ?, ?, ?, ?, ?, ?, ?, "
    "?, ?)";
constexpr const char* kInsertLoan =
    "INSERT INTO loans (serial_number, school_number, borrower_ref, borrower_kind, agreement_ref, "
    "due_on, started_at, started_by) VALUES (?, ?, ?, 'student', ?, '2026-07-31', "
    "'2025-09-01T08:00:00Z', 'seed')";
constexpr const char* kModel = "iPad (10. Generation)";

}  // namespace

LargeFleet seed_large_fleet(const std::filesystem::path& database_file,
                            const LargeFleetPlan& plan) {
    auto db = server::open_database(database_file, server::OpenMode::read_write,
                                    std::chrono::seconds(10));
    return seed_large_fleet(*db, plan);
}

LargeFleet seed_large_fleet(server::sql::Db db, const LargeFleetPlan& plan) {
    if (plan.schools == 0 || plan.tranches_per_school == 0 || plan.devices < plan.schools) {
        throw std::invalid_argument(
            "a fleet needs schools, tranches and a device per school at least");
    }
    server::migrate(db);

    LargeFleet fleet;
    fleet.admin_username = "admin";
    fleet.admin_password = "correct horse battery";
    fleet.serials_in_report_order.reserve(plan.devices);

    server::sql::Transaction tx(db);
    server::UserRecord admin;
    admin.username = fleet.admin_username;
    admin.role = server::Role::city_admin;
    admin.password_hash = server::hash_password(fleet.admin_password);
    server::insert_user(db, admin);

    server::Grant grant;
    grant.programme_code = "DP-BASIS";
    grant.reference = "EXPORT-2021-0001";
    grant.title = "Endgeräte für Schülerinnen und Schüler";
    grant.amount_cents = 100'000'000'000;
    grant.approved_on = "2021-03-15";
    grant.spend_by = "2024-12-31";
    grant.earmark_end = "2029-12-31";
    const std::int64_t grant_id = server::insert_grant(db, grant);

    server::sql::Statement device(db, kInsertDevice);
    server::sql::Statement report(db, kInsertReport);
    server::sql::Statement loan(db, kInsertLoan);
    const std::string seen_at = format_rfc3339(Clock::now() - std::chrono::hours(2));
    const std::string report_id = make_uuid();
    std::size_t n = 0;  // devices so far, over all schools
    for (unsigned s = 0; s < plan.schools; ++s) {
        server::School school;
        school.school_number = fmt::format("{:06}", 100000 + s);
        school.name = fmt::format("Städtische Gesamtschule Nord {}", s + 1);
        school.school_type = "Gesamtschule";
        server::insert_school(db, school);

        const std::string node_key = random_token();
        const std::int64_t secret_id = server::insert_agent_secret(
            db, school.school_number, sha256_hex(random_token()), "seed", "2099-01-01T00:00:00Z");
        server::Agent agent;
        agent.school_number = school.school_number;
        agent.hostname = fmt::format("pakt-box-{}", s + 1);
        agent.agent_version = "0.1.0";
        const std::int64_t agent_id =
            server::insert_agent(db, agent, sha256_hex(node_key), secret_id);
        if (s == 0) {
            fleet.node_key = node_key;
            fleet.agent_school = school.school_number;
        }

        const std::size_t school_devices =
            plan.devices * (s + 1) / plan.schools - plan.devices * s / plan.schools;
        std::vector<std::int64_t> tranche_ids;
        for (unsigned t = 0; t < plan.tranches_per_school; ++t) {
            server::Tranche tranche;
            tranche.school_number = school.school_number;
            tranche.grant_id = grant_id;
            tranche.supplier = "Bechtle";
            tranche.delivered_on = t == 0 ? "2022-08-01" : "2023-08-15";
            tranche.model = kModel;
            tranche.unit_price_cents = 39'900;
            tranche.expected_count =
                static_cast<std::int64_t>(school_devices / plan.tranches_per_school + 1);
            tranche_ids.push_back(server::insert_tranche(db, tranche));
        }

        for (std::size_t i = 0; i < school_devices; ++i, ++n) {
            // Serial numbers ascend with i, so generation order is the report's order.
            std::string serial = fmt::format("DMQ{:02}{:07}", s, i);
            const std::size_t bucket = n % 1000;
            const bool loaned = bucket < plan.loaned_per_mille;
            const char* status = loaned || n % 10 < 7 ? "in_use"
                                 : n % 10 < 9         ? "in_storage"
                                 : n % 20 == 9        ? "in_repair"
                                                      : "retired";
            device.reset();
            device.bind(1, serial);
            device.bind(2, tranche_ids[i * plan.tranches_per_school / school_devices]);
            device.bind(3, school.school_number);
            // Now and then a tag that CSV has to quote.
            device.bind(4, i % 1000 == 0 ? fmt::format("S{}-{} \"Süd\", Raum 1", s, i)
                                         : fmt::format("S{}-{:06}", s, i));
            device.bind(5, kModel);
            device.bind(6, status);
            if (std::string_view(status) == "retired")
                device.bind(7, "damaged_beyond_repair");
            else
                device.bind(7);
            device.exec();

            // Reported devices are spread over the whole fleet, not the first ones.
            if ((bucket * 7919) % 1000 < plan.reported_per_mille) {
                report.reset();
                report.bind(1, serial);
                report.bind(2, agent_id);
                report.bind(3, seen_at);
                report.bind(4, n % 10 == 0 ? "17.4.1" : "17.5.1");
                report.bind(5, static_cast<std::int64_t>(n % 96 + 5));
                report.bind(6, static_cast<std::int64_t>(n % 50'000 + 800));
                report.bind(7, n % 25 != 0 ? 1 : 0);
                report.bind(8, fmt::format("10.{}.{}.{}", s, i / 250 % 256, i % 250 + 2));
                report.bind(9, report_id);
                report.bind(10, seen_at);
                report.exec();
            }
            if (loaned) {
                loan.reset();
                loan.bind(1, serial);
                loan.bind(2, school.school_number);
                loan.bind(3, fmt::format("S-{:06}", n));
                loan.bind(4, fmt::format("LV-{}-{:06}", s, i));
                loan.exec();
            }
            if (s == 0 && fleet.agent_serials.size() < plan.checkin_devices)
                fleet.agent_serials.push_back(serial);
            fleet.serials_in_report_order.push_back(std::move(serial));
        }
    }
    tx.commit();
    return fleet;
}

CheckinReport fleet_checkin_report(const LargeFleet& fleet) {
    CheckinReport report;
    report.report_id = make_uuid();
    report.generated_at = now_rfc3339();
    report.agent_version = "0.1.0";
    report.devices.reserve(fleet.agent_serials.size());
    for (std::size_t d = 0; d < fleet.agent_serials.size(); ++d) {
        DeviceObservation o;
        o.serial_number = fleet.agent_serials[d];
        o.seen_at = report.generated_at;
        o.os_version = "17.5.1";
        o.battery_pct = static_cast<std::int64_t>(d % 96 + 5);
        o.storage_free_mb = static_cast<std::int64_t>(d * 37 % 50'000 + 800);
        o.managed = true;
        o.ip_address = fmt::format("10.0.{}.{}", d / 250, d % 250 + 2);
        report.devices.push_back(std::move(o));
    }
    return report;
}

}  // namespace pakt::test
