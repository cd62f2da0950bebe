// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// Storage properties of the inventory behind the API: keyset paging that stays exact while
// devices are enrolled, an index behind every device list filter, and a schema that holds no
// person's name (DSGVO) while loan reads leave an audit trail.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdio>
#include <functional>
#include <map>
#include <set>
#include <thread>
#include <vector>

#include "common/time.hpp"
#include "server/storage/database.hpp"
#include "server/storage/device_repository.hpp"
#include "server/storage/migrator.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_server.hpp"

namespace pakt::test {
namespace {

using nlohmann::json;

// A tranche of school A with room for `expected_count` devices; returns its id.
std::int64_t create_tranche(SeededServer& s, int expected_count) {
    json grant = {{"programme", "DP-BASIS"}, {"reference", "AZ-STORAGE"}, {"amount_cents", 2'500'000},
                  {"approved_on", "2023-03-01"}, {"spend_by", "2024-12-31"}};
    auto g = call(*s.http, "POST", "/api/v1/grants", s.admin, grant);
    EXPECT_EQ(g.status, 201) << g.body;
    json tranche = {{"school_number", SeededServer::kSchoolA}, {"grant_id", json_of(g).at("id")},
                    {"delivered_on", "2023-08-21"}, {"unit_price_cents", 44900}, {"expected_count", expected_count}};
    auto t = call(*s.http, "POST", "/api/v1/tranches", s.admin, tranche);
    EXPECT_EQ(t.status, 201) << t.body;
    return json_of(t).at("id").get<std::int64_t>();
}

TEST(InventoryStorage, PagingThroughTenThousandDevicesWhileEnrollingYieldsEachExactlyOnce) {
    SeededServer s;
    const auto tranche = create_tranche(s, 100'000);
    constexpr int kSeeded = 10'000;
    // Seeded serials take the even numbers, enrollments during paging the odd ones, so new devices
    // land both before and after the page being read.
    {
        server::sql::Transaction tx(s.server.db());
        server::sql::Statement insert(s.server.db(),
                                      "INSERT INTO devices (serial_number, tranche_id, "
                                      "school_number, enrolled_at, enrolled_by, "
                                      "updated_at) VALUES (?, ?, ?, ?, 'seed', ?)");
        const std::string now = now_rfc3339();
        for (int i = 0; i < kSeeded; ++i) {
            insert.bind(1, serial("DMPA", 2 * i));
            insert.bind(2, tranche);
            insert.bind(3, SeededServer::kSchoolA);
            insert.bind(4, now);
            insert.bind(5, now);
            insert.exec();
            insert.reset();
        }
        tx.commit();
    }

    std::atomic<bool> paging_done{false};
    std::atomic<int> enrolled{0};
    std::atomic<int> failures{0};
    std::thread enroller([&] {
        auto client = s.server.client();
        // Spread over the whole key space: 7919 is prime and coprime to kSeeded.
        for (int i = 0; !paging_done.load() && i < kSeeded; ++i) {
            const int n = 2 * ((i * 7919) % kSeeded) + 1;
            auto r = call(*client, "POST", "/api/v1/devices", s.it_a, json{{"serial_number", serial("DMPA", n)}, {"tranche_id", tranche}});
            if (r.status == 201) ++enrolled;
            else ++failures;
        }
    });
    while (enrolled.load() == 0 && failures.load() == 0) std::this_thread::yield();

    std::vector<std::string> seen;
    std::string target = "/api/v1/devices?limit=50";
    int pages = 0;
    int enrolled_while_paging = -enrolled.load();
    for (;;) {
        auto r = call(*s.http, "GET", target, s.admin);
        ASSERT_EQ(r.status, 200) << r.body;
        const auto page = json_of(r);
        ++pages;
        for (const auto& d : page.at("items")) seen.push_back(d.at("serial_number").get<std::string>());
        if (page.at("next_cursor").is_null()) break;
        target = "/api/v1/devices?limit=50&cursor=" + page.at("next_cursor").get<std::string>();
    }
    enrolled_while_paging += enrolled.load();
    paging_done = true;
    enroller.join();

    RecordProperty("pages", pages);
    RecordProperty("enrolled_while_paging", enrolled_while_paging);
    EXPECT_EQ(failures.load(), 0);
    EXPECT_GT(enrolled_while_paging, 0) << "no enrollment overlapped the paging";
    EXPECT_GE(pages, kSeeded / 50);
    EXPECT_TRUE(std::adjacent_find(seen.begin(), seen.end(), std::greater_equal<>()) == seen.end())
        << "pages are not in strictly increasing serial order (a duplicate or a step back)";
    std::map<std::string, int> seeded_seen;
    for (const auto& serial_number : seen) {
        const int n = std::stoi(serial_number.substr(4));
        if (n % 2 == 0) ++seeded_seen[serial_number];
    }
    EXPECT_EQ(seeded_seen.size(), static_cast<std::size_t>(kSeeded));
    for (int i = 0; i < kSeeded; ++i) {
        const auto it = seeded_seen.find(serial("DMPA", 2 * i));
        ASSERT_TRUE(it != seeded_seen.end()) << serial("DMPA", 2 * i) << " was skipped";
        ASSERT_EQ(it->second, 1) << serial("DMPA", 2 * i) << " was listed more than once";
    }
}

// The plan SQLite chooses for the device list query of `filter`, one detail line per step.
std::vector<std::string> query_plan(server::sql::Db db, const server::DeviceFilter& filter) {
    server::sql::Statement q(db, "EXPLAIN QUERY PLAN " + server::device_list_sql(filter));
    std::vector<std::string> lines;
    while (q.executeStep()) lines.push_back(q.getColumn(3).getString());
    return lines;
}

std::string joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines) out += "\n  " + l;
    return out;
}

bool uses_an_index_on_devices(const std::vector<std::string>& plan) {
    return std::any_of(plan.begin(), plan.end(), [](const std::string& line) {
        return line.find(" devices ") != std::string::npos &&
               (line.find("USING INDEX") != std::string::npos || line.find("USING PRIMARY KEY") != std::string::npos ||
                line.find("USING COVERING INDEX") != std::string::npos);
    });
}

bool scans_devices_without_index(const std::vector<std::string>& plan) {
    return std::any_of(plan.begin(), plan.end(), [](const std::string& line) {
        return line == "SCAN devices" || (line.rfind("SCAN devices ", 0) == 0 && line.find(" USING ") == std::string::npos);
    });
}

TEST(InventoryStorage, EveryDeviceListFilterIsServedByAnIndex) {
    if (testing_postgres())
        GTEST_SKIP() << "SQLite's query planner; PostgreSQL plans by its statistics";
    TestServer server;
    std::map<std::string, server::DeviceFilter> filters;
    filters["none"] = {};
    filters["school"].school_number = "165432";
    filters["tranche"].tranche_id = 1;
    filters["status"].status = "in_repair";
    filters["school+status"].school_number = "165432";
    filters["school+status"].status = "in_repair";
    filters["q"].serial_prefix = "DMPA";
    filters["q"].asset_tag_prefix = "DMPA";
    filters["scope list"].schools = std::vector<std::string>{"165432", "100018"};
    filters["grant"].grant_id = 1;
    filters["unseen"].unseen_since = "2026-01-01T00:00:00Z";
    filters["school+grant+unseen"].school_number = "165432";
    filters["school+grant+unseen"].grant_id = 1;
    filters["school+grant+unseen"].unseen_since = "2026-01-01T00:00:00Z";
    filters["large grant"].grant_id = 1;
    filters["large grant"].large_grant = true;
    filters["stale"].stale_before = "2026-01-01T00:00:00Z";
    filters["scope list+stale"].schools = std::vector<std::string>{"165432", "100018"};
    filters["scope list+stale"].stale_before = "2026-01-01T00:00:00Z";
    filters["on loan"].on_loan = true;
    filters["school+on loan"].school_number = "165432";
    filters["school+on loan"].on_loan = true;
    filters["scope list+q"].schools = std::vector<std::string>{"165432", "100018"};
    filters["scope list+q"].serial_prefix = "DMPA";
    filters["scope list+q"].asset_tag_prefix = "DMPA";
    for (const auto& [name, filter] : filters) {
        const auto plan = query_plan(server.db(), filter);
        EXPECT_TRUE(uses_an_index_on_devices(plan)) << name << ":" << joined(plan);
        EXPECT_FALSE(scans_devices_without_index(plan)) << name << ":" << joined(plan);
        // Nor any other table (a device's last report, its loans, the grant's tranches).
        for (const auto& line : plan) {
            EXPECT_FALSE(line.rfind("SCAN ", 0) == 0 && line.find(" USING ") == std::string::npos)
                << name << ":" << joined(plan);
        }
    }
}

// A grant with a million devices is listed by walking the serial-number order, not by reading all
// of its devices through their tranches and sorting them for every page.
TEST(InventoryStorage, ALargeGrantsPagesWalkTheSerialOrderWithoutSorting) {
    if (testing_postgres())
        GTEST_SKIP() << "SQLite's query planner; PostgreSQL plans by its statistics";
    TestServer server;
    server::DeviceFilter filter;
    filter.grant_id = 1;
    filter.large_grant = true;
    const std::string large = joined(query_plan(server.db(), filter));
    EXPECT_NE(large.find("SEARCH devices USING PRIMARY KEY (serial_number>?)"), std::string::npos) << large;
    EXPECT_EQ(large.find("TEMP B-TREE"), std::string::npos) << large;
    filter.large_grant = false;  // a small grant: its tranches' devices, then sorted
    const std::string small = joined(query_plan(server.db(), filter));
    EXPECT_NE(small.find("devices_by_tranche (tranche_id=? AND serial_number>?)"), std::string::npos) << small;
}

// A search by serial or asset tag over the whole city reads the two prefix ranges from their
// indexes and looks each match up by key; it does not walk every device in serial order to filter
// them (what the OR of the two ranges did).
TEST(InventoryStorage, ASearchWithoutASchoolReadsOnlyThePrefixRanges) {
    if (testing_postgres())
        GTEST_SKIP() << "SQLite's query planner; PostgreSQL plans by its statistics";
    TestServer server;
    server::DeviceFilter filter;  // a city_admin's search: no school, no scope list
    filter.serial_prefix = "DMPA";
    filter.asset_tag_prefix = "DMPA";
    const std::string text = joined(query_plan(server.db(), filter));
    EXPECT_NE(text.find("devices_by_asset_tag (asset_tag>? AND asset_tag<?)"), std::string::npos) << text;
    EXPECT_NE(text.find("PRIMARY KEY (serial_number>? AND serial_number<?)"), std::string::npos) << text;
    EXPECT_NE(text.find("SEARCH devices USING PRIMARY KEY (serial_number=?)"), std::string::npos) << text;
    EXPECT_EQ(text.find("TEMP B-TREE FOR ORDER BY"), std::string::npos) << text;
}

// Migration 0009 keys each device's last report by its school first, so a check-in's rows lie
// together; reports stored before it keep their content and gain their device's school.
TEST(InventoryStorage, Migration9KeysTheLastReportsByTheDevicesSchool) {
    if (testing_postgres())
        GTEST_SKIP() << "SQLite's migration history; PostgreSQL's schema starts at version 9";
    TempDir dir;
    auto db = server::open_database(dir.path() / "pakt.db", server::OpenMode::read_write, std::chrono::seconds(5));
    ASSERT_EQ(server::migrate(*db, server::embedded_migrations().first(8)), 8);
    db->exec("INSERT INTO schools (school_number, name, created_at, updated_at) VALUES "
             "('100001', 'A', 't', 't'), ('100002', 'B', 't', 't')");
    db->exec("INSERT INTO grants (programme_code, reference, amount_cents, approved_on, spend_by, earmark_end, "
             "created_at, updated_at) VALUES ('DP-BASIS', 'G', 1, 'd', 'd', 'd', 't', 't')");
    db->exec("INSERT INTO tranches (school_number, grant_id, delivered_on, unit_price_cents, expected_count, "
             "created_at, updated_at) VALUES ('100001', 1, 'd', 1, 9, 't', 't'), ('100002', 1, 'd', 1, 9, 't', 't')");
    db->exec("INSERT INTO devices (serial_number, tranche_id, school_number, enrolled_at, enrolled_by, updated_at) "
             "VALUES ('ZZZ000000001', 1, '100001', 't', 'u', 't'), ('AAA000000002', 2, '100002', 't', 'u', 't')");
    db->exec("INSERT INTO device_reports (serial_number, agent_id, seen_at, os_version, managed, report_id, "
             "updated_at) VALUES ('ZZZ000000001', 7, '2026-11-30T08:00:00Z', '17.5.1', 1, 'r1', 't'), "
             "('AAA000000002', 8, '2026-11-29T08:00:00Z', NULL, 0, 'r2', 't')");

    ASSERT_EQ(server::migrate(*db), server::latest_schema_version() - 8);
    server::sql::Statement q(
        *db,
        "SELECT school_number, serial_number, agent_id, seen_at, os_version, managed, report_id "
        "FROM device_reports ORDER BY school_number, serial_number");
    ASSERT_TRUE(q.executeStep());
    EXPECT_EQ(q.getColumn(0).getString(), "100001");
    EXPECT_EQ(q.getColumn(1).getString(), "ZZZ000000001");
    EXPECT_EQ(q.getColumn(2).getInt64(), 7);
    EXPECT_EQ(q.getColumn(3).getString(), "2026-11-30T08:00:00Z");
    EXPECT_EQ(q.getColumn(4).getString(), "17.5.1");
    EXPECT_EQ(q.getColumn(5).getInt(), 1);
    EXPECT_EQ(q.getColumn(6).getString(), "r1");
    ASSERT_TRUE(q.executeStep());
    EXPECT_EQ(q.getColumn(0).getString(), "100002");
    EXPECT_TRUE(q.getColumn(4).isNull());
    EXPECT_FALSE(q.executeStep());
    // The key is (school_number, serial_number): a school's reports are one range of it.
    server::sql::Statement plan(
        *db,
        "EXPLAIN QUERY PLAN SELECT seen_at FROM device_reports WHERE school_number = '100001'");
    ASSERT_TRUE(plan.executeStep());
    EXPECT_NE(plan.getColumn(3).getString().find("USING PRIMARY KEY (school_number=?)"), std::string::npos)
        << plan.getColumn(3).getString();
    // What a device's detail shows comes through the new key.
    const auto report = server::find_device_report(*db, "AAA000000002");
    ASSERT_TRUE(report.has_value());
    EXPECT_EQ(report->agent_id, 8);
}

// SQLite checks a foreign key from the parent's side (deleting a device, a school, an agent) by
// looking for children: without an index whose leading columns are the child columns, that is a
// scan of the whole child table, on the writer, at a state's scale millions of rows.
TEST(InventoryStorage, EveryForeignKeyHasAnIndexOnItsChildColumns) {
    TestServer server;
    const server::sql::Db db = server.db();
    // Parents Pakt never deletes nor re-keys (no statement does), so SQLite never looks for their
    // children; their lists have partial indexes (open and returned loans) or are tiny.
    const std::set<std::string> never_checked = {"loans(school_number)", "agents(secret_id)"};
    if (db.postgres()) {
        // PostgreSQL checks from the parent's side the same way, and indexes no foreign key by
        // itself: each needs a full index whose leading columns are its child columns.
        server::sql::Statement q(db, R"(
            SELECT c.conrelid::regclass::text || '(' ||
                       (SELECT string_agg(a.attname, ', ' ORDER BY k.n)
                        FROM unnest(c.conkey) WITH ORDINALITY AS k(attnum, n)
                        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum) || ')',
                   EXISTS (SELECT 1 FROM pg_index i
                           WHERE i.indrelid = c.conrelid AND i.indpred IS NULL
                             AND (i.indkey::int2[])[0:cardinality(c.conkey) - 1] = c.conkey)
            FROM pg_constraint c WHERE c.contype = 'f')");
        std::string text;
        int keys = 0;
        while (q.executeStep()) {
            ++keys;
            const std::string key = q.getColumn(0).getString();
            if (q.getColumn(1).getInt() == 0 && !never_checked.contains(key)) text += "\n  " + key;
        }
        EXPECT_GT(keys, 10);
        EXPECT_TRUE(text.empty()) << "foreign keys without an index on their child columns:"
                                  << text;
        return;
    }
    std::vector<std::string> tables;
    {
        server::sql::Statement q(
            db, "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'");
        while (q.executeStep()) tables.push_back(q.getColumn(0).getString());
    }
    std::vector<std::string> unindexed;
    for (const auto& table : tables) {
        // Each foreign key's child columns, in order.
        std::map<int, std::vector<std::string>> keys;
        server::sql::Statement fk(
            db, "SELECT id, seq, \"from\" FROM pragma_foreign_key_list(?) ORDER BY id, seq");
        fk.bind(1, table);
        while (fk.executeStep()) keys[fk.getColumn(0).getInt()].push_back(fk.getColumn(2).getString());
        // The leading columns of every full (not partial) index, the primary key's included.
        std::vector<std::vector<std::string>> indexes;
        server::sql::Statement il(db, "SELECT name, partial FROM pragma_index_list(?)");
        il.bind(1, table);
        while (il.executeStep()) {
            if (il.getColumn(1).getInt() != 0) continue;
            server::sql::Statement ii(db, "SELECT name FROM pragma_index_info(?) ORDER BY seqno");
            ii.bind(1, il.getColumn(0).getString());
            std::vector<std::string> columns;
            while (ii.executeStep()) columns.push_back(ii.getColumn(0).getString());
            indexes.push_back(columns);
        }
        // A rowid table's INTEGER PRIMARY KEY is the table itself.
        server::sql::Statement pk(db,
                                  "SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk");
        pk.bind(1, table);
        std::vector<std::string> primary;
        while (pk.executeStep()) primary.push_back(pk.getColumn(0).getString());
        indexes.push_back(primary);
        for (const auto& key : keys) {
            const std::vector<std::string>& columns = key.second;  // not a structured binding: clang 14 cannot capture one
            const bool covered = std::any_of(indexes.begin(), indexes.end(), [&](const auto& index) {
                return index.size() >= columns.size() && std::equal(columns.begin(), columns.end(), index.begin());
            });
            std::string names;
            for (const auto& c : columns) names += (names.empty() ? "" : ", ") + c;
            if (!covered && !never_checked.contains(table + "(" + names + ")")) unindexed.push_back(table + "(" + names + ")");
        }
    }
    std::string text;
    for (const auto& u : unindexed) text += "\n  " + u;
    EXPECT_TRUE(unindexed.empty()) << "foreign keys without an index on their child columns:" << text;
}

// Person-name-like column names: a bare "name", any "*_name", and the words of pupils' names.
bool looks_like_a_person_name(std::string column) {
    std::transform(column.begin(), column.end(), column.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (column == "name") return true;
    if (column.size() > 5 && column.compare(column.size() - 5, 5, "_name") == 0) return true;
    for (const char* word : {"first_name", "firstname", "last_name", "lastname", "surname", "vorname", "nachname",
                             "pupil", "student_name", "borrower_name", "full_name", "fullname"}) {
        if (column.find(word) != std::string::npos) return true;
    }
    return false;
}

TEST(InventoryStorage, NoColumnHoldsAPersonsNameExceptAllowListedOnes) {
    TestServer server;
    // Columns whose names match the patterns but hold no pupil's name, and why.
    const std::map<std::string, std::string> allowed = {
        {"schools.name", "a school's name"},
        {"programmes.name", "a funding programme's name"},
        {"users.display_name", "a staff member's name, needed to log in and be accountable; never a pupil"},
        {"users.username", "a staff login"},
        {"api_tokens.name", "a label its owner gives to a token"},
    };
    std::vector<std::string> columns;
    if (server.postgres()) {
        server::sql::Statement q(
            server.db(),
            "SELECT table_name || '.' || column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND table_name <> 'pakt_schema'");
        while (q.executeStep()) columns.push_back(q.getColumn(0).getString());
    }
    server::sql::Statement tables(
        server.db(),
        server.db().pick(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            "SELECT 1 WHERE false"));
    while (tables.executeStep()) {
        const std::string table = tables.getColumn(0).getString();
        server::sql::Statement info(server.db(), "SELECT name FROM pragma_table_info(?)");
        info.bind(1, table);
        while (info.executeStep()) columns.push_back(table + "." + info.getColumn(0).getString());
    }
    ASSERT_GT(columns.size(), 50u);
    for (const auto& column : columns) {
        const std::string name = column.substr(column.find('.') + 1);
        if (looks_like_a_person_name(name)) {
            EXPECT_TRUE(allowed.count(column)) << column << " looks like it holds a person's name";
        }
    }
    for (const char* required : {"loans.borrower_ref", "loans.agreement_ref", "loans.borrower_kind"}) {
        EXPECT_NE(std::find(columns.begin(), columns.end(), required), columns.end()) << required;
    }
}

TEST(InventoryStorage, PersonNamePatternsCatchTheUsualColumnNames) {
    for (const char* bad : {"name", "first_name", "LastName", "surname", "vorname", "nachname", "pupil_id",
                            "student_name", "borrower_name", "full_name"}) {
        EXPECT_TRUE(looks_like_a_person_name(bad)) << bad;
    }
    for (const char* fine : {"serial_number", "hostname", "borrower_ref", "agreement_ref", "school_number"}) {
        EXPECT_FALSE(looks_like_a_person_name(fine)) << fine;
    }
}

TEST(InventoryStorage, ReadingADeviceOnLoanWritesALoanReadAuditRow) {
    SeededServer s;
    const auto tranche = create_tranche(s, 10);
    const std::string d = serial("DMPY", 1);
    ASSERT_EQ(call(*s.http, "POST", "/api/v1/devices", s.it_a, json{{"serial_number", d}, {"tranche_id", tranche}}).status, 201);
    auto loan = call(*s.http, "POST", "/api/v1/devices/" + d + "/loans", s.it_a,
                     json{{"borrower_ref", "12-0815"}, {"borrower_kind", "teacher"}, {"agreement_ref", "LV-12"}});
    ASSERT_EQ(loan.status, 201) << loan.body;
    const auto loan_id = json_of(loan).at("id").get<std::int64_t>();

    ASSERT_EQ(call(*s.http, "GET", "/api/v1/devices/" + d, s.admin).status, 200);
    server::sql::Statement q(s.server.db(),
                             "SELECT actor, object_type, object_id, school_number FROM audit_log "
                             "WHERE action = 'loan.read'");
    ASSERT_TRUE(q.executeStep());
    EXPECT_EQ(q.getColumn(0).getString(), "admin");
    EXPECT_EQ(q.getColumn(1).getString(), "loan");
    EXPECT_EQ(q.getColumn(2).getString(), std::to_string(loan_id));
    EXPECT_EQ(q.getColumn(3).getString(), SeededServer::kSchoolA);
    EXPECT_FALSE(q.executeStep());
}

}  // namespace
}  // namespace pakt::test
