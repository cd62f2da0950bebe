// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// paktctl run in-process against a fresh data directory per test: the school import (all or
// nothing, idempotent, the real Essen data), user creation, schema handling, the audit chain
// check and the demo inventory.
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "agent/collectors.hpp"
#include "agent/config.hpp"
#include "common/time.hpp"
#include "server/domain/inventory.hpp"
#include "server/domain/password.hpp"
#include "server/storage/audit_repository.hpp"
#include "server/storage/migrator.hpp"
#include "tests/integration/paktctl_run.hpp"

namespace {

using ::testing::HasSubstr;
using ::testing::Not;

namespace fs = std::filesystem;

using pakt::test::CtlResult;
using pakt::test::kEssenSchools;

class PaktctlTest : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string pattern = (fs::temp_directory_path() / "pakt-paktctl-XXXXXX").string();
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
        dir_ = pattern;
        data_dir_ = dir_ / "data";
    }

    void TearDown() override {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }

    // paktctl with exactly these arguments (after the program name).
    CtlResult run_raw(const std::vector<std::string>& args, const std::string& stdin_text = "") {
        return pakt::test::run_ctl(args, stdin_text);
    }

    // paktctl on this test's data directory.
    CtlResult ctl(std::initializer_list<std::string> args, const std::string& stdin_text = "") {
        std::vector<std::string> all{"--data-dir", data_dir_.string()};
        all.insert(all.end(), args.begin(), args.end());
        return run_raw(all, stdin_text);
    }

    std::string write_file(const std::string& name, const std::string& content) {
        const fs::path file = dir_ / name;
        std::ofstream(file, std::ios::binary) << content;
        return file.string();
    }

    fs::path database_file() const { return data_dir_ / "pakt.db"; }

    long long query_int(const std::string& sql) {
        SQLite::Database db(database_file().string(), SQLite::OPEN_READONLY);
        return db.execAndGet(sql).getInt64();
    }

    std::string query_text(const std::string& sql) {
        SQLite::Database db(database_file().string(), SQLite::OPEN_READONLY);
        return db.execAndGet(sql).getString();
    }

    // Creates an empty, migrated database, so a test can show that a failed command stored
    // nothing in it.
    void create_database() { ASSERT_EQ(ctl({"migrate"}).code, 0); }

    void import_two_schools() {
        const auto file = write_file("two.csv",
                                     "school_number,name,school_type,address,lat,lon\n"
                                     "164720,Viktoria-Gymnasium,Gymnasium,\"Kurfürstenplatz 1, "
                                     "45138\",51.450798,7.025048\n"
                                     "101771,Antoniusschule,Grundschule,\"Im Haferfeld 39, "
                                     "45279\",51.455859,7.106587\n");
        ASSERT_EQ(ctl({"import", "schools", file}).code, 0);
    }

    // Three audit entries: 1 schema.migrate, 2 school.import, 3 user.create.
    void write_three_audit_entries() {
        import_two_schools();
        ASSERT_EQ(ctl({"user", "add", "--username", "admin", "--role", "city_admin", "--password",
                       "long enough password"})
                      .code,
                  0);
        ASSERT_EQ(query_int("SELECT count(*) FROM audit_log"), 3);
    }

    // Changes the database file behind paktctl's back, as an attacker with file access would.
    void tamper(const std::string& sql) {
        SQLite::Database db(database_file().string(), SQLite::OPEN_READWRITE);
        db.exec(sql);
    }

    void seed_demo() {
        ASSERT_EQ(ctl({"import", "schools", kEssenSchools}).code, 0);
        const auto r = ctl({"demo", "seed"});
        ASSERT_EQ(r.code, 0) << r.err;
    }

    fs::path dir_;
    fs::path data_dir_;
};

TEST_F(PaktctlTest, ImportSchools_RealEssenListAddsAll172Schools) {
    const auto r = ctl({"import", "schools", kEssenSchools});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "172 schools imported from " + kEssenSchools +
                         " (172 added, 0 updated, 0 unchanged)\n");
    EXPECT_EQ(query_int("SELECT count(*) FROM schools"), 172);
    EXPECT_EQ(query_text("SELECT school_type FROM schools WHERE school_number = '164720'"),
              "Gymnasium");
    EXPECT_EQ(query_int("SELECT count(*) FROM audit_log WHERE action = 'school.import' AND "
                        "actor = 'paktctl' AND actor_user_id IS NULL"),
              1);
}

TEST_F(PaktctlTest, ImportSchools_SecondRunOfTheSameFileChangesNothing) {
    ASSERT_EQ(ctl({"import", "schools", kEssenSchools}).code, 0);
    const std::string before = query_text("SELECT group_concat(updated_at) FROM schools");
    const auto r = ctl({"import", "schools", kEssenSchools});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("(0 added, 0 updated, 172 unchanged)"));
    EXPECT_EQ(query_int("SELECT count(*) FROM schools"), 172);
    EXPECT_EQ(query_text("SELECT group_concat(updated_at) FROM schools"), before);
}

TEST_F(PaktctlTest, ImportSchools_ChangedRowIsUpdatedAndMissingColumnsKeepTheirValues) {
    const auto first = write_file("a.csv",
                                  "school_number,name,district,lat,lon\n"
                                  "164720,Viktoria-Gymnasium,Rüttenscheid,51.45,7.02\n"
                                  "101771,Antoniusschule,Kray,,\n");
    ASSERT_EQ(ctl({"import", "schools", first}).code, 0);
    const auto second = write_file("b.csv",
                                   "school_number,name\n"
                                   "164720,Viktoria-Gymnasium Essen\n"
                                   "101771,Antoniusschule\n"
                                   "101801,Bischof-von-Ketteler-Schule\n");
    const auto r = ctl({"import", "schools", second});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("3 schools imported from " + second +
                                 " (1 added, 1 updated, 1 unchanged)"));
    EXPECT_EQ(query_text("SELECT name FROM schools WHERE school_number = '164720'"),
              "Viktoria-Gymnasium Essen");
    EXPECT_EQ(query_text("SELECT district FROM schools WHERE school_number = '164720'"),
              "Rüttenscheid");
    EXPECT_EQ(query_int("SELECT CAST(round(latitude * 100) AS INTEGER) FROM schools WHERE "
                        "school_number = '164720'"),
              5145);
}

TEST_F(PaktctlTest, ImportSchools_KeepsEmptyNamesAndInnerSpacingTrimmingOnlyTheEnds) {
    const auto file = write_file("odd.csv",
                                 "school_number,name,school_type,address,lat,lon\n"
                                 "123456,\"  Schule  am   Park \",Grundschule,,,\n"
                                 "223456,,Förderschule,\" Weg 1,  45127 \",,\n");
    const auto r = ctl({"import", "schools", file});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(query_text("SELECT name FROM schools WHERE school_number = '123456'"),
              "Schule  am   Park");
    EXPECT_EQ(query_text("SELECT name FROM schools WHERE school_number = '223456'"), "");
    EXPECT_EQ(query_text("SELECT address FROM schools WHERE school_number = '223456'"),
              "Weg 1,  45127");
    EXPECT_EQ(query_int("SELECT count(*) FROM schools WHERE latitude IS NULL"), 2);
}

TEST_F(PaktctlTest, ImportSchools_ThousandBadLinesListFiftyAndCountTheRest) {
    create_database();
    std::string text = "school_number,name\n";
    for (int i = 0; i < 1000; ++i) text += "16472X,Kaputt\n";
    const auto file = write_file("many.csv", text);
    const auto r = ctl({"import", "schools", file});
    EXPECT_EQ(r.code, 1);
    EXPECT_THAT(r.err, HasSubstr(file + ":2: school_number '16472X' is not six digits"));
    EXPECT_THAT(r.err, HasSubstr(file + ":51: school_number"));
    EXPECT_THAT(r.err, Not(HasSubstr(file + ":52: ")));
    EXPECT_THAT(r.err, HasSubstr(file + ": 950 more not listed"));
    EXPECT_THAT(r.err, HasSubstr("1000 problems; nothing was imported"));
    EXPECT_EQ(query_int("SELECT count(*) FROM schools"), 0);
}

TEST_F(PaktctlTest, ImportSchools_BadLinesAreAllReportedAndNothingIsStored) {
    create_database();
    const auto file = write_file("bad.csv",
                                 "school_number,name,school_type,address,lat,lon\n"
                                 "164720,Viktoria-Gymnasium,Gymnasium,,51.45,7.02\n"
                                 "16472X,Kaputt,Gymnasium,,51.45,7.02\n"
                                 "101771,Antoniusschule,Grundschule,,51.45,7.10\n"
                                 "101801,Ketteler-Schule,Grundschule,,151.45,7.10\n"
                                 "101813,Christophorusschule,Grundschule,,51.46,7.08\n");
    const auto r = ctl({"import", "schools", file});
    EXPECT_EQ(r.code, 1);
    EXPECT_THAT(r.err, HasSubstr(file + ":3: school_number '16472X' is not six digits"));
    EXPECT_THAT(r.err, HasSubstr(file + ":5: lat 151.45 is out of range"));
    EXPECT_THAT(r.err, HasSubstr("nothing was imported"));
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(query_int("SELECT count(*) FROM schools"), 0);
    EXPECT_EQ(query_int("SELECT count(*) FROM audit_log WHERE action = 'school.import'"), 0);
}

TEST_F(PaktctlTest, ImportSchools_DuplicateNumberNamesBothLines) {
    const auto file = write_file("dup.csv",
                                 "school_number,name\n"
                                 "164720,Viktoria-Gymnasium\n"
                                 "101771,Antoniusschule\n"
                                 "164720,Noch einmal\n");
    const auto r = ctl({"import", "schools", file});
    EXPECT_EQ(r.code, 1);
    EXPECT_THAT(r.err,
                HasSubstr(file + ":4: school_number 164720 appears twice: already on line 2"));
}

TEST_F(PaktctlTest, ImportSchools_SyntaxErrorAndWrongFieldCountNameTheirLines) {
    const auto file = write_file("broken.csv",
                                 "school_number,name\n"
                                 "164720,\"Viktoria\"-Gymnasium\n"
                                 "101771,Antoniusschule,extra\n"
                                 "101801,Ketteler-Schule\n");
    const auto r = ctl({"import", "schools", file});
    EXPECT_EQ(r.code, 1);
    EXPECT_THAT(r.err, HasSubstr(file + ":2: "));
    EXPECT_THAT(r.err, HasSubstr(file + ":3: has 3 fields, but the header has 2 columns"));
    EXPECT_THAT(r.err, Not(HasSubstr(file + ":4:")));
}

TEST_F(PaktctlTest, ImportSchools_MissingFileFailsNamingIt) {
    const std::string missing = (dir_ / "no-such.csv").string();
    const auto r = ctl({"import", "schools", missing});
    EXPECT_EQ(r.code, 1);
    EXPECT_THAT(r.err, HasSubstr("cannot open '" + missing + "'"));
    EXPECT_FALSE(fs::exists(database_file()));
}

TEST_F(PaktctlTest, ImportSchools_UnknownColumnIsAnErrorNamingIt) {
    const auto file = write_file("extra.csv",
                                 "school_number,name,Schulform\n"
                                 "164720,Viktoria-Gymnasium,Gymnasium\n");
    const auto r = ctl({"import", "schools", file});
    EXPECT_EQ(r.code, 1);
    EXPECT_THAT(r.err, HasSubstr(file + ":1: unknown column 'Schulform'"));
}

TEST_F(PaktctlTest, ImportSchools_MissingRequiredColumnIsAnError) {
    const auto file = write_file("nonumber.csv", "name,school_type\nViktoria,Gymnasium\n");
    const auto r = ctl({"import", "schools", file});
    EXPECT_EQ(r.code, 1);
    EXPECT_THAT(r.err, HasSubstr(file + ":1: missing column 'school_number'"));
}

TEST_F(PaktctlTest, ImportSchools_SemicolonSeparatedFileWithBomAndDecimalCommaIsAccepted) {
    const auto file =
        write_file("excel.csv",
                   "\xEF\xBB\xBFSchool_Number;NAME;District;Lat;Lon\r\n"
                   "164720;Viktoria-Gymnasium, Essen;Rüttenscheid;51,450798;7,025048\r\n"
                   "101771;Antoniusschule;Kray;;\r\n");
    const auto r = ctl({"import", "schools", file});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("2 schools imported"));
    EXPECT_EQ(query_text("SELECT name FROM schools WHERE school_number = '164720'"),
              "Viktoria-Gymnasium, Essen");
    EXPECT_EQ(query_int("SELECT CAST(round(latitude * 1000000) AS INTEGER) FROM schools WHERE "
                        "school_number = '164720'"),
              51450798);
    EXPECT_EQ(query_text("SELECT district FROM schools WHERE school_number = '101771'"), "Kray");
}

TEST_F(PaktctlTest, UserAdd_CreatesUserWithVerifiablePasswordAndAuditEntry) {
    const auto r = ctl({"user", "add", "--username", "admin", "--role", "city_admin",
                        "--display-name", "Stadt Essen", "--password-stdin"},
                       "correct horse battery\n");
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("user 'admin' created"));
    EXPECT_EQ(query_text("SELECT role FROM users WHERE username = 'admin'"), "city_admin");
    EXPECT_EQ(query_text("SELECT display_name FROM users WHERE username = 'admin'"), "Stadt Essen");
    const std::string hash = query_text("SELECT password_hash FROM users WHERE username = 'admin'");
    EXPECT_TRUE(pakt::server::verify_password("correct horse battery", hash));
    EXPECT_FALSE(pakt::server::verify_password("correct horse battery\n", hash));
    EXPECT_EQ(query_int("SELECT count(*) FROM audit_log WHERE action = 'user.create' AND "
                        "actor = 'paktctl' AND actor_user_id IS NULL"),
              1);
}

TEST_F(PaktctlTest, UserAdd_SchoolRoleIsAssignedItsSchools) {
    import_two_schools();
    const auto r = ctl({"user", "add", "--username", "it-164720", "--role", "school_it", "--school",
                        "164720", "--school", "101771", "--password", "long enough password"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(query_text("SELECT group_concat(school_number) FROM (SELECT school_number FROM "
                         "user_schools JOIN users ON users.id = user_id WHERE username = "
                         "'it-164720' ORDER BY school_number)"),
              "101771,164720");
}

TEST_F(PaktctlTest, UserAdd_ExistingUsernameFailsIgnoringCase) {
    ASSERT_EQ(ctl({"user", "add", "--username", "admin", "--role", "city_admin", "--password",
                   "first password"})
                  .code,
              0);
    const auto r = ctl({"user", "add", "--username", "Admin", "--role", "city_admin", "--password",
                        "second password"});
    EXPECT_EQ(r.code, 1);
    EXPECT_THAT(r.err, HasSubstr("a user named 'admin' exists already"));
    EXPECT_EQ(query_int("SELECT count(*) FROM users"), 1);
    EXPECT_TRUE(pakt::server::verify_password(
        "first password", query_text("SELECT password_hash FROM users WHERE username = 'admin'")));
}

TEST_F(PaktctlTest, UserAdd_IfMissingLeavesAnExistingUserUnchangedAndSucceeds) {
    ASSERT_EQ(ctl({"user", "add", "--username", "admin", "--role", "city_admin", "--password",
                   "first password"})
                  .code,
              0);
    const auto r = ctl({"user", "add", "--username", "admin", "--role", "city_admin", "--password",
                        "second password", "--if-missing"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("exists already"));
    EXPECT_TRUE(pakt::server::verify_password(
        "first password", query_text("SELECT password_hash FROM users WHERE username = 'admin'")));
    EXPECT_EQ(query_int("SELECT count(*) FROM audit_log WHERE action = 'user.create'"), 1);
}

TEST_F(PaktctlTest, UserAdd_UnknownRoleFailsNamingIt) {
    create_database();
    const auto r = ctl({"user", "add", "--username", "boss", "--role", "superuser", "--password",
                        "long enough password"});
    EXPECT_EQ(r.code, 1);
    EXPECT_THAT(r.err, HasSubstr("--role: 'superuser' is not a role"));
    EXPECT_EQ(query_int("SELECT count(*) FROM users"), 0);
}

TEST_F(PaktctlTest, UserAdd_SchoolRoleWithoutSchoolFails) {
    create_database();
    const auto r = ctl({"user", "add", "--username", "leitung", "--role", "headteacher",
                        "--password", "long enough password"});
    EXPECT_EQ(r.code, 1);
    EXPECT_THAT(r.err, HasSubstr("--school: must list at least one school"));
    EXPECT_EQ(query_int("SELECT count(*) FROM users"), 0);
}

TEST_F(PaktctlTest, UserAdd_UnknownSchoolFailsNamingIt) {
    import_two_schools();
    const auto r = ctl({"user", "add", "--username", "leitung", "--role", "headteacher", "--school",
                        "164720", "--school", "999999", "--password", "long enough password"});
    EXPECT_EQ(r.code, 1);
    EXPECT_THAT(r.err, HasSubstr("school 999999 does not exist"));
    EXPECT_THAT(r.err, Not(HasSubstr("school 164720 does not exist")));
    EXPECT_EQ(query_int("SELECT count(*) FROM users"), 0);
    EXPECT_EQ(query_int("SELECT count(*) FROM audit_log WHERE action = 'user.create'"), 0);
}

TEST_F(PaktctlTest, UserAdd_ShortPasswordFails) {
    create_database();
    const auto r =
        ctl({"user", "add", "--username", "admin", "--role", "city_admin", "--password-stdin"},
            "short\n");
    EXPECT_EQ(r.code, 1);
    EXPECT_THAT(r.err, HasSubstr("--password-stdin: must be at least 10 characters long"));
    EXPECT_EQ(query_int("SELECT count(*) FROM users"), 0);
}

TEST_F(PaktctlTest, UserAdd_WithoutAnyPasswordOptionIsAUsageError) {
    const auto r = ctl({"user", "add", "--username", "admin", "--role", "city_admin"});
    EXPECT_EQ(r.code, 2);
    EXPECT_THAT(r.err, HasSubstr("--password"));
    EXPECT_FALSE(fs::exists(database_file()));
}

TEST_F(PaktctlTest, Migrate_FreshDatabaseReachesTheLatestVersion) {
    const auto r = ctl({"migrate"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("schema version " +
                                 std::to_string(pakt::server::latest_schema_version())));
    EXPECT_EQ(query_int("PRAGMA user_version"), pakt::server::latest_schema_version());
    const auto again = ctl({"migrate"});
    EXPECT_THAT(again.out, HasSubstr("(0 migrations applied)"));
}

TEST_F(PaktctlTest, Database_NewerSchemaIsRefusedAndLeftAlone) {
    create_database();
    const int newer = pakt::server::latest_schema_version() + 1;
    {
        SQLite::Database db(database_file().string(), SQLite::OPEN_READWRITE);
        db.exec("PRAGMA user_version = " + std::to_string(newer));
    }
    const auto migrate = ctl({"migrate"});
    EXPECT_EQ(migrate.code, 1);
    EXPECT_THAT(migrate.err, HasSubstr("written by a newer Pakt"));
    const auto import = ctl({"import", "schools", kEssenSchools});
    EXPECT_EQ(import.code, 1);
    EXPECT_THAT(import.err, HasSubstr("has schema version " + std::to_string(newer)));
    EXPECT_EQ(query_int("PRAGMA user_version"), newer);
    EXPECT_EQ(query_int("SELECT count(*) FROM schools"), 0);
}

TEST_F(PaktctlTest, GlobalOptions_ConfigFileChoosesTheDataDirAndDatabaseOverridesIt) {
    const fs::path configured = dir_ / "from-config";
    const auto config =
        write_file("paktd.toml", "[server]\ndata_dir = \"" + configured.string() + "\"\n");
    ASSERT_EQ(run_raw({"--config", config, "migrate"}).code, 0);
    EXPECT_TRUE(fs::exists(configured / "pakt.db"));

    const fs::path explicit_file = dir_ / "elsewhere" / "x.db";
    ASSERT_EQ(run_raw({"--config", config, "--database", explicit_file.string(), "migrate"}).code,
              0);
    EXPECT_TRUE(fs::exists(explicit_file));
}

TEST_F(PaktctlTest, GlobalOptions_BadConfigFileFailsNamingIt) {
    const auto config = write_file("bad.toml", "[server]\nno_such_key = 1\n");
    const auto r = run_raw({"--config", config, "migrate"});
    EXPECT_EQ(r.code, 1);
    EXPECT_THAT(r.err, HasSubstr(config));
}

TEST_F(PaktctlTest, Help_OfASubcommandExitsZeroAndDescribesIt) {
    const auto r = ctl({"import", "schools", "--help"});
    EXPECT_EQ(r.code, 0);
    EXPECT_THAT(r.out, HasSubstr("school_number"));
    EXPECT_FALSE(fs::exists(database_file()));
}

TEST_F(PaktctlTest, AuditVerify_IntactLogPrintsEntryCountAndLastHash) {
    write_three_audit_entries();
    const auto r = ctl({"audit", "verify"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "audit log intact: 3 entries, last hash " +
                         query_text("SELECT hash FROM audit_log WHERE id = 3") + "\n");
    EXPECT_EQ(r.err, "");
}

TEST_F(PaktctlTest, AuditVerify_EditedDetailBreaksTheChainAtThatEntry) {
    write_three_audit_entries();
    tamper(R"(UPDATE audit_log SET detail = '{"x":1}' WHERE id = 2)");
    const auto r = ctl({"audit", "verify"});
    EXPECT_EQ(r.code, 1);
    EXPECT_EQ(r.err, "audit log broken at entry 2: hash does not match the entry's content\n");
    EXPECT_EQ(r.out, "");
}

TEST_F(PaktctlTest, AuditVerify_DeletedMiddleEntryIsNamedAsMissing) {
    write_three_audit_entries();
    tamper("DELETE FROM audit_log WHERE id = 2");
    const auto r = ctl({"audit", "verify"});
    EXPECT_EQ(r.code, 1);
    EXPECT_EQ(r.err, "audit log broken at entry 2: entry 2 is missing\n");
}

TEST_F(PaktctlTest, AuditVerify_ChangedHashIsNamedAtThatEntry) {
    write_three_audit_entries();
    tamper("UPDATE audit_log SET hash = '" + std::string(64, 'f') + "' WHERE id = 2");
    const auto r = ctl({"audit", "verify"});
    EXPECT_EQ(r.code, 1);
    EXPECT_EQ(r.err, "audit log broken at entry 2: hash does not match the entry's content\n");
}

TEST_F(PaktctlTest, AuditVerify_OlderSchemaIsVerifiedWithoutMigrating) {
    fs::create_directories(data_dir_);
    {
        SQLite::Database db(database_file().string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        pakt::server::migrate(db, pakt::server::embedded_migrations().first(1));
        pakt::server::AuditEntry entry;
        entry.actor = "paktctl";
        entry.action = "school.import";
        entry.object_type = "school";
        entry.object_id = "old.csv";
        pakt::server::append_audit(db, entry);
        pakt::server::append_audit(db, entry);
    }
    ASSERT_LT(1, pakt::server::latest_schema_version());
    const auto r = ctl({"audit", "verify"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("audit log intact: 2 entries"));
    EXPECT_THAT(r.err, HasSubstr("is at schema version 1, older than this paktctl"));
    EXPECT_EQ(query_int("PRAGMA user_version"), 1);
    EXPECT_EQ(query_int("SELECT count(*) FROM audit_log"), 2);
}

TEST_F(PaktctlTest, AuditVerify_MissingDatabaseFailsAndIsNotCreated) {
    const auto r = ctl({"audit", "verify"});
    EXPECT_EQ(r.code, 1);
    EXPECT_THAT(r.err, HasSubstr("no database at '" + database_file().string() + "'"));
    EXPECT_FALSE(fs::exists(database_file()));
}

TEST_F(PaktctlTest, DemoSeed_SecondRunAddsNothing) {
    seed_demo();
    const std::string counts_sql =
        "SELECT (SELECT count(*) FROM grants) || '/' || (SELECT count(*) FROM tranches) || '/' || "
        "(SELECT count(*) FROM manifest_entries) || '/' || (SELECT count(*) FROM devices) || '/' "
        "|| (SELECT count(*) FROM loans) || '/' || (SELECT count(*) FROM device_events) || '/' || "
        "(SELECT count(*) FROM audit_log)";
    const std::string first = query_text(counts_sql);
    EXPECT_EQ(query_int("SELECT count(*) FROM grants"), 2);
    EXPECT_EQ(query_int("SELECT count(*) FROM tranches"), 4);

    const auto again = ctl({"demo", "seed"});
    ASSERT_EQ(again.code, 0) << again.err;
    EXPECT_THAT(again.out, HasSubstr("demo inventory exists already"));
    EXPECT_EQ(query_text(counts_sql), first);
}

TEST_F(PaktctlTest, DemoSeed_AuditChainVerifiesAfterwards) {
    seed_demo();
    const auto r = ctl({"audit", "verify"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_THAT(
        r.out, HasSubstr("audit log intact: " +
                         std::to_string(query_int("SELECT count(*) FROM audit_log")) + " entries"));
    EXPECT_EQ(query_int("SELECT count(*) FROM audit_log WHERE action = 'demo.seed' AND actor = "
                        "'paktctl'"),
              1);
}

TEST_F(PaktctlTest, DemoSeed_NoTrancheHasMoreDevicesEnrolledThanExpected) {
    seed_demo();
    EXPECT_EQ(query_int("SELECT count(*) FROM tranches t WHERE (SELECT count(*) FROM devices d "
                        "WHERE d.tranche_id = t.id) BETWEEN 1 AND t.expected_count"),
              4);
}

TEST_F(PaktctlTest, DemoSeed_EveryTrancheHasManifestEntriesLeftUnenrolled) {
    seed_demo();
    EXPECT_EQ(query_int("SELECT count(*) FROM tranches t WHERE (SELECT count(*) FROM "
                        "manifest_entries m WHERE m.tranche_id = t.id AND NOT EXISTS (SELECT 1 "
                        "FROM devices d WHERE d.serial_number = m.serial_number)) > 0"),
              4);
}

TEST_F(PaktctlTest, DemoSeed_DemoLoginSchoolsHaveDevicesOnLoan) {
    seed_demo();
    for (const std::string school : {"164720", "101771"}) {
        EXPECT_GT(query_int("SELECT count(*) FROM loans WHERE returned_at IS NULL AND "
                            "school_number = '" +
                            school + "'"),
                  0)
            << school;
    }
}

TEST_F(PaktctlTest, DemoSeed_OnlyTheSofortTrancheExceedsItsProgrammesUnitPriceCap) {
    seed_demo();
    EXPECT_EQ(query_text("SELECT group_concat(g.reference) FROM tranches t JOIN grants g ON g.id "
                         "= t.grant_id JOIN programmes p ON p.code = g.programme_code WHERE "
                         "t.unit_price_cents > p.max_unit_price_cents"),
              "DEMO-SOFORT-2020-0042");
}

TEST_F(PaktctlTest, DemoSeed_BorrowerRefsArePseudonyms) {
    seed_demo();
    SQLite::Database db(database_file().string(), SQLite::OPEN_READONLY);
    SQLite::Statement q(db, "SELECT borrower_ref FROM loans");
    int loans = 0;
    while (q.executeStep()) {
        const std::string ref = q.getColumn(0).getString();
        EXPECT_EQ(pakt::server::check_borrower_ref(ref), std::nullopt) << ref;
        ++loans;
    }
    EXPECT_GT(loans, 0);
}

TEST_F(PaktctlTest, DemoSeed_SerialNumbersAreTheSameTwelveCharactersInEveryDatabase) {
    seed_demo();
    const fs::path other = dir_ / "other";
    ASSERT_EQ(run_raw({"--data-dir", other.string(), "import", "schools", kEssenSchools}).code, 0);
    ASSERT_EQ(run_raw({"--data-dir", other.string(), "demo", "seed"}).code, 0);
    const std::string serials_sql =
        "SELECT group_concat(serial_number) FROM (SELECT serial_number FROM manifest_entries ORDER "
        "BY serial_number)";
    SQLite::Database db(database_file().string(), SQLite::OPEN_READONLY);
    SQLite::Database other_db((other / "pakt.db").string(), SQLite::OPEN_READONLY);
    EXPECT_EQ(db.execAndGet(serials_sql).getString(), other_db.execAndGet(serials_sql).getString());
    EXPECT_EQ(query_int("SELECT count(*) FROM manifest_entries WHERE length(serial_number) = 12 "
                        "AND serial_number GLOB 'DMP[0-9A-Z][0-9A-Z][0-9A-Z][0-9A-Z][0-9A-Z]"
                        "[0-9A-Z][0-9A-Z][0-9A-Z][0-9A-Z]'"),
              query_int("SELECT count(*) FROM manifest_entries"));
}

TEST_F(PaktctlTest, DemoSeed_WithoutTheSchoolsFailsAndStoresNothing) {
    create_database();
    const auto r = ctl({"demo", "seed"});
    EXPECT_EQ(r.code, 1);
    EXPECT_THAT(r.err, HasSubstr("the demo schools 164720, 101771, 189080 do not exist"));
    EXPECT_EQ(query_int("SELECT count(*) FROM grants"), 0);
    EXPECT_EQ(query_int("SELECT count(*) FROM audit_log WHERE action <> 'schema.migrate'"), 0);
}

// ---------------------------------------------------------------------------------------------
// demo agent-files: what tools/demo's site agent reads, checked with the agent's own collectors.

struct DemoAgentFiles {
    std::vector<fs::path> exports;  // every file in <out>/mdm
    std::vector<pakt::agent::MdmDevice> devices;
    std::vector<pakt::agent::NetworkSighting> leases;
    pakt::agent::Collection collection;  // the agent's whole cycle over both files
    std::vector<std::string> warnings;
};

std::string read_text(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

DemoAgentFiles read_demo_agent_files(const fs::path& out_dir) {
    namespace agent = pakt::agent;
    agent::AgentConfig config;  // the defaults: csv, jamf-school, as in the demo's config
    config.export_dir = out_dir / "mdm";
    config.dnsmasq_leases = out_dir / "dnsmasq.leases";
    config.arp_table = "";
    DemoAgentFiles files;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(config.export_dir, ec)) {
        files.exports.push_back(entry.path());
    }
    agent::Diagnostics diagnostics;
    if (const auto newest = agent::newest_export(config.export_dir, config.format)) {
        files.devices = agent::parse_mdm_csv(read_text(*newest), newest->string(),
                                             agent::export_columns(config), diagnostics);
    }
    const auto now = pakt::Clock::now();
    files.leases = agent::parse_dnsmasq_leases(read_text(config.dnsmasq_leases), "dnsmasq.leases",
                                               config.dnsmasq_lease_time, now, diagnostics);
    files.collection = agent::collect(config, now, diagnostics);
    diagnostics.finish();
    files.warnings = diagnostics.warnings();
    return files;
}

TEST_F(PaktctlTest, DemoAgentFiles_ExportHoldsMostEnrolledDevicesAndTwoNobodyEnrolled) {
    seed_demo();
    const fs::path out = dir_ / "agent";
    const auto r = ctl({"demo", "agent-files", "--school", "164720", "--out", out.string()});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("demo agent files for school 164720 (Viktoria-Gymnasium"));
    ASSERT_TRUE(fs::is_regular_file(out / "dnsmasq.leases"));

    const DemoAgentFiles files = read_demo_agent_files(out);
    ASSERT_EQ(files.exports.size(), 1U);
    EXPECT_THAT(files.exports[0].filename().string(), ::testing::StartsWith("devices-"));
    EXPECT_EQ(files.exports[0].extension(), ".csv");
    EXPECT_THAT(files.warnings, ::testing::IsEmpty());

    const long long enrolled =
        query_int("SELECT count(*) FROM devices WHERE school_number = '164720'");
    ASSERT_GT(enrolled, 200);
    long long enrolled_here = 0;
    std::vector<std::string> nobodys;
    std::size_t managed = 0;
    std::size_t older_os = 0;
    std::set<std::string> os_versions;
    for (const auto& d : files.devices) {
        if (query_int("SELECT count(*) FROM devices WHERE school_number = '164720' AND "
                      "serial_number = '" +
                      d.serial + "'") == 1) {
            ++enrolled_here;
        } else {
            EXPECT_EQ(
                query_int("SELECT count(*) FROM devices WHERE serial_number = '" + d.serial + "'") +
                    query_int("SELECT count(*) FROM manifest_entries WHERE serial_number = '" +
                              d.serial + "'"),
                0)
                << d.serial << " is not ours but known elsewhere";
            nobodys.push_back(d.serial);
        }
        // Every column the agent reports is there and readable.
        EXPECT_TRUE(d.wifi_mac.has_value()) << d.serial;
        ASSERT_TRUE(d.os_version.has_value()) << d.serial;
        EXPECT_TRUE(d.battery_pct.has_value()) << d.serial;
        EXPECT_TRUE(d.storage_free_mb.has_value()) << d.serial;
        EXPECT_TRUE(d.last_contact.has_value()) << d.serial;
        ASSERT_TRUE(d.managed.has_value()) << d.serial;
        if (*d.managed) ++managed;
        os_versions.insert(*d.os_version);
        if (d.os_version->starts_with("18.")) ++older_os;
    }
    EXPECT_EQ(nobodys.size(), 2U);
    // About 5 % left out: some, but no more than one in ten.
    EXPECT_LT(enrolled_here, enrolled);
    EXPECT_GE(enrolled_here * 10, enrolled * 9);
    EXPECT_THAT(r.out, HasSubstr(std::to_string(enrolled_here) + " of the " +
                                 std::to_string(enrolled) + " enrolled here"));
    EXPECT_EQ(static_cast<long long>(files.devices.size()), enrolled_here + 2);
    EXPECT_GE(managed * 10, files.devices.size() * 9);
    EXPECT_LT(managed, files.devices.size());
    EXPECT_GE(os_versions.size(), 2U);
    EXPECT_GT(older_os, 0U);
    EXPECT_LT(older_os * 5, files.devices.size());
    std::set<std::string> macs;
    for (const auto& d : files.devices) macs.insert(d.wifi_mac.value_or(""));
    EXPECT_EQ(macs.size(), files.devices.size()) << "Wi-Fi MACs are unique";
}

TEST_F(PaktctlTest, DemoAgentFiles_LeasesPutAboutFourInFiveOnTheNetwork) {
    seed_demo();
    const fs::path out = dir_ / "agent";
    ASSERT_EQ(ctl({"demo", "agent-files", "--school", "164720", "--out", out.string()}).code, 0);
    const DemoAgentFiles files = read_demo_agent_files(out);
    ASSERT_FALSE(files.devices.empty());

    for (const auto& lease : files.leases) {
        EXPECT_THAT(lease.ip_address, ::testing::StartsWith("10.")) << lease.mac;
        EXPECT_TRUE(lease.present) << lease.mac << ": the lease is current";
    }
    const auto& join = files.collection.join;
    EXPECT_EQ(files.collection.mdm_devices, files.devices.size());
    EXPECT_EQ(join.observations.size(), files.devices.size()) << "every device is reported";
    EXPECT_GE(join.on_network * 10, files.devices.size() * 7);
    EXPECT_LE(join.on_network * 10, files.devices.size() * 9);
    // Besides the iPads' leases: a teacher's phone, which matches no iPad, and the printer's
    // static (infinite) lease, which the agent does not count as a sighting.
    EXPECT_EQ(join.mac_only, 1U);
    EXPECT_EQ(join.ambiguous_macs, 0U);
    EXPECT_EQ(files.leases.size(), join.on_network + 1);
    // The two iPads nobody enrolled are on the network, so they show up as unknown devices.
    for (const auto& o : join.observations) {
        if (o.serial_number.starts_with("DMP")) continue;
        EXPECT_TRUE(o.ip_address.has_value()) << o.serial_number;
    }
}

TEST_F(PaktctlTest, DemoAgentFiles_SameDevicesAndValuesOnEveryRun) {
    seed_demo();
    const fs::path first = dir_ / "first";
    const fs::path second = dir_ / "second";
    ASSERT_EQ(ctl({"demo", "agent-files", "--school", "101771", "--out", first.string()}).code, 0);
    ASSERT_EQ(ctl({"demo", "agent-files", "--school", "101771", "--out", second.string()}).code, 0);
    ASSERT_EQ(ctl({"demo", "agent-files", "--school", "101771", "--out", second.string()}).code, 0);
    const DemoAgentFiles a = read_demo_agent_files(first);
    const DemoAgentFiles b = read_demo_agent_files(second);
    EXPECT_EQ(b.exports.size(), 1U) << "a second run replaces the export";
    const auto values = [](const DemoAgentFiles& files) {
        std::vector<std::string> rows;
        for (const auto& d : files.devices) {
            rows.push_back(d.serial + " " + d.wifi_mac.value_or("-") + " " +
                           d.os_version.value_or("-") + " " +
                           std::to_string(d.battery_pct.value_or(-1)) + " " +
                           std::to_string(d.storage_free_mb.value_or(-1)) + " " +
                           (d.managed.value_or(false) ? "managed" : "unmanaged"));
        }
        for (const auto& l : files.leases) rows.push_back(l.mac + " " + l.ip_address);
        return rows;
    };
    EXPECT_FALSE(a.devices.empty());
    EXPECT_EQ(values(a), values(b));
}

TEST_F(PaktctlTest, DemoAgentFiles_UnknownSchoolFailsAndWritesNothing) {
    seed_demo();
    const fs::path out = dir_ / "agent";
    const auto r = ctl({"demo", "agent-files", "--school", "999999", "--out", out.string()});
    EXPECT_EQ(r.code, 1);
    EXPECT_THAT(r.err, HasSubstr("school 999999 does not exist"));
    EXPECT_FALSE(fs::exists(out));
}

}  // namespace
