// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// paktctl's operator commands in-process against temporary data directories: backup (an intact,
// self-contained copy, atomic, never over an existing file), restore (refused under paktd's
// lock, checks the backup, handles a stale -wal, migrates, audits), user list and disable (the
// same effects as the API), report funding (the server's computation and CSV writer) and the
// database lock paktd takes. The end-to-end test takes a backup while agents check in over HTTPS
// and restores it.
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/resource.h>

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/checkin_report.hpp"
#include "common/csv.hpp"
#include "common/time.hpp"
#include "server/domain/funding_report_output.hpp"
#include "server/storage/audit_repository.hpp"
#include "server/storage/database.hpp"
#include "server/storage/database_lock.hpp"
#include "server/storage/funding_repository.hpp"
#include "server/storage/migrator.hpp"
#include "server/storage/report_repository.hpp"
#include "server/storage/session_repository.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_server.hpp"
#include "tests/integration/paktctl_run.hpp"

namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

namespace fs = std::filesystem;

using pakt::test::CtlResult;
using pakt::test::kEssenSchools;
using pakt::test::run_ctl;

// Every file name in `dir` (not recursive).
std::set<std::string> files_in(const fs::path& dir) {
    std::set<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir)) names.insert(entry.path().filename());
    return names;
}

std::string integrity_of(const fs::path& file) {
    SQLite::Database db(file.string(), SQLite::OPEN_READONLY);
    return db.execAndGet("PRAGMA integrity_check").getString();
}

long long query_int_in(const fs::path& file, const std::string& sql) {
    SQLite::Database db(file.string(), SQLite::OPEN_READONLY);
    return db.execAndGet(sql).getInt64();
}

std::string query_text_in(const fs::path& file, const std::string& sql) {
    SQLite::Database db(file.string(), SQLite::OPEN_READONLY);
    return db.execAndGet(sql).getString();
}

std::string read_file(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

void write_file(const fs::path& file, const std::string& content) {
    std::ofstream(file, std::ios::binary) << content;
}

// Overwrites one 4 KiB page (counted from 1) with garbage: the file still opens, but
// integrity_check fails (page 2 is part of the schema in every Pakt database, so even reading the
// schema fails; the last page holds rows). The database must be closed (checkpointed).
void corrupt_page(const fs::path& file, std::uintmax_t page) {
    std::fstream f(file, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(static_cast<std::streamoff>((page - 1) * 4096));
    const std::string garbage(4096, '\x5A');
    f.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
}

class PaktctlOpsTest : public ::testing::Test {
  protected:
    pakt::test::TempDir dir_;
    const fs::path data_dir_ = dir_.path() / "data";
    const fs::path other_dir_ = dir_.path() / "other";
    const fs::path backups_ = dir_.path() / "backups";

    void SetUp() override { fs::create_directories(backups_); }

    CtlResult ctl(std::initializer_list<std::string> args, const std::string& stdin_text = "") {
        return ctl_in(data_dir_, args, stdin_text);
    }
    static CtlResult ctl_in(const fs::path& data_dir, std::initializer_list<std::string> args,
                            const std::string& stdin_text = "") {
        std::vector<std::string> all{"--data-dir", data_dir.string()};
        all.insert(all.end(), args.begin(), args.end());
        return run_ctl(all, stdin_text);
    }

    fs::path database() const { return data_dir_ / "pakt.db"; }
    fs::path other_database() const { return other_dir_ / "pakt.db"; }
    long long query_int(const std::string& sql) { return query_int_in(database(), sql); }

    void import_two_schools(const fs::path& data_dir) {
        const fs::path file = dir_.path() / "two.csv";
        write_file(file,
                   "school_number,name,school_type,address,lat,lon\n"
                   "164720,Viktoria-Gymnasium,Gymnasium,\"Kurfürstenplatz 1, 45138\",51.45,7.02\n"
                   "101771,Antoniusschule,Grundschule,\"Im Haferfeld 39, 45279\",51.45,7.10\n");
        ASSERT_EQ(ctl_in(data_dir, {"import", "schools", file.string()}).code, 0);
    }

    void add_user(const std::string& username, const std::string& role,
                  const std::string& school = "") {
        std::vector<std::string> args{
            "--data-dir", data_dir_.string(), "user", "add",        "--username",
            username,     "--role",           role,   "--password", "long enough password"};
        if (!school.empty()) {
            args.push_back("--school");
            args.push_back(school);
        }
        const auto r = run_ctl(args);
        ASSERT_EQ(r.code, 0) << r.err;
    }

    // The Essen schools and the demo inventory (two grants, four tranches, devices, loans).
    void seed_demo() {
        ASSERT_EQ(ctl({"import", "schools", kEssenSchools}).code, 0);
        const auto r = ctl({"demo", "seed"});
        ASSERT_EQ(r.code, 0) << r.err;
    }

    // A database with two schools and one user, and a backup of it.
    fs::path make_backup() {
        import_two_schools(data_dir_);
        add_user("admin", "city_admin");
        const fs::path file = backups_ / "pakt-backup.db";
        const auto r = ctl({"backup", file.string()});
        EXPECT_EQ(r.code, 0) << r.err;
        return file;
    }
};

// ---------------------------------------------------------------------------------------------
// backup

TEST_F(PaktctlOpsTest, Backup_WritesAnIntactSelfContainedCopyAndSaysWhatItHolds) {
    import_two_schools(data_dir_);
    add_user("admin", "city_admin");
    const fs::path file = backups_ / "nightly.db";
    const auto r = ctl({"backup", file.string()});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr(file.string()));
    EXPECT_THAT(r.out,
                HasSubstr(fmt::format("schema version {}", pakt::server::latest_schema_version())));
    EXPECT_THAT(r.out, HasSubstr("2 schools, 1 user, 0 devices, 0 check-in reports"));
    EXPECT_THAT(r.out, HasSubstr(std::to_string(fs::file_size(file)) + " bytes"));
    EXPECT_THAT(r.out, HasSubstr("integrity_check ok"));
    // One file, no temporary or -wal file beside it: the copy is complete on its own.
    EXPECT_EQ(files_in(backups_), std::set<std::string>{"nightly.db"});
    EXPECT_EQ(integrity_of(file), "ok");
    EXPECT_EQ(query_text_in(file, "PRAGMA journal_mode"), "delete");
    EXPECT_EQ(query_int_in(file, "SELECT count(*) FROM schools"), 2);
    EXPECT_EQ(query_int_in(file, "PRAGMA user_version"), pakt::server::latest_schema_version());
    // It holds password hashes and borrower pseudonyms: readable by its owner only.
    EXPECT_EQ(fs::status(file).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
}

TEST_F(PaktctlOpsTest, Backup_LeavesTheDatabaseUnchanged) {
    import_two_schools(data_dir_);
    const auto audit_before = query_int("SELECT count(*) FROM audit_log");
    ASSERT_EQ(ctl({"backup", (backups_ / "b.db").string()}).code, 0);
    EXPECT_EQ(query_int("SELECT count(*) FROM audit_log"), audit_before);
}

TEST_F(PaktctlOpsTest, Backup_ExistingFileIsRefusedAndKeptUnlessForced) {
    import_two_schools(data_dir_);
    const fs::path file = backups_ / "keep.db";
    write_file(file, "an older backup");
    const auto refused = ctl({"backup", file.string()});
    EXPECT_EQ(refused.code, 1);
    EXPECT_THAT(refused.err, HasSubstr("'" + file.string() + "' exists already"));
    EXPECT_THAT(refused.err, HasSubstr("--force"));
    EXPECT_EQ(read_file(file), "an older backup");
    EXPECT_EQ(files_in(backups_), std::set<std::string>{"keep.db"});

    const auto forced = ctl({"backup", "--force", file.string()});
    ASSERT_EQ(forced.code, 0) << forced.err;
    EXPECT_EQ(integrity_of(file), "ok");
    EXPECT_EQ(query_int_in(file, "SELECT count(*) FROM schools"), 2);
}

TEST_F(PaktctlOpsTest, Backup_MissingDatabaseFailsNamingItAndCreatesNothing) {
    const fs::path file = backups_ / "b.db";
    const auto r = ctl({"backup", file.string()});
    EXPECT_EQ(r.code, 1);
    EXPECT_THAT(r.err, HasSubstr("no database at '" + database().string() + "'"));
    EXPECT_FALSE(fs::exists(database()));
    EXPECT_TRUE(files_in(backups_).empty());
}

TEST_F(PaktctlOpsTest, Backup_MissingDirectoryFailsNamingIt) {
    import_two_schools(data_dir_);
    const fs::path file = dir_.path() / "no-such-dir" / "b.db";
    const auto r = ctl({"backup", file.string()});
    EXPECT_EQ(r.code, 1);
    EXPECT_THAT(r.err, HasSubstr("the directory '" + file.parent_path().string() + "' for '" +
                                 file.string() + "' does not exist"));
}

TEST_F(PaktctlOpsTest, Backup_DirectoryAsFileFailsNamingIt) {
    import_two_schools(data_dir_);
    const auto r = ctl({"backup", backups_.string()});
    EXPECT_EQ(r.code, 1);
    EXPECT_THAT(r.err, HasSubstr("'" + backups_.string() + "' is a directory"));
    EXPECT_TRUE(files_in(backups_).empty());
}

TEST_F(PaktctlOpsTest, Backup_OfTheDatabaseOntoItselfIsRefused) {
    import_two_schools(data_dir_);
    const auto r = ctl({"backup", "--force", database().string()});
    EXPECT_EQ(r.code, 1);
    EXPECT_THAT(r.err, HasSubstr("is the database itself"));
    EXPECT_EQ(integrity_of(database()), "ok");
    EXPECT_EQ(query_int("SELECT count(*) FROM schools"), 2);
}

TEST_F(PaktctlOpsTest, Backup_CorruptDatabaseFailsTheIntegrityCheckAndLeavesNothing) {
    import_two_schools(data_dir_);
    corrupt_page(database(), fs::file_size(database()) / 4096);
    const fs::path file = backups_ / "b.db";
    const auto r = ctl({"backup", file.string()});
    EXPECT_EQ(r.code, 1);
    EXPECT_THAT(r.err, HasSubstr("fails PRAGMA integrity_check"));
    EXPECT_THAT(r.err, HasSubstr("nothing was written to '" + file.string() + "'"));
    EXPECT_TRUE(files_in(backups_).empty());
}

// Limits the size of files this process writes (root included); a write beyond it fails with
// EFBIG instead of raising SIGXFSZ. Restored on destruction (tests share the process).
class FileSizeLimit {
  public:
    explicit FileSizeLimit(rlim_t bytes) {
        ::getrlimit(RLIMIT_FSIZE, &saved_);
        saved_signal_ = std::signal(SIGXFSZ, SIG_IGN);
        rlimit limit = saved_;
        limit.rlim_cur = bytes;
        ::setrlimit(RLIMIT_FSIZE, &limit);
    }
    ~FileSizeLimit() {
        ::setrlimit(RLIMIT_FSIZE, &saved_);
        std::signal(SIGXFSZ, saved_signal_);
    }
    FileSizeLimit(const FileSizeLimit&) = delete;
    FileSizeLimit& operator=(const FileSizeLimit&) = delete;

  private:
    rlimit saved_{};
    void (*saved_signal_)(int) = SIG_DFL;
};

TEST_F(PaktctlOpsTest, Backup_WriteErrorOnTheCopyNamesTheBackupNotTheDatabase) {
    ASSERT_EQ(ctl({"import", "schools", kEssenSchools}).code, 0);
    ASSERT_GT(fs::file_size(database()), 96u * 1024u);
    const fs::path file = backups_ / "b.db";
    CtlResult r;
    {
        // Room for the database's 32 KiB -shm (opening it read-only creates one), not for the copy.
        const FileSizeLimit limit(48 * 1024);
        r = ctl({"backup", file.string()});
    }
    EXPECT_EQ(r.code, 1);
    EXPECT_THAT(r.err,
                HasSubstr("backup: copying '" + database().string() + "' into the temporary file"));
    EXPECT_THAT(r.err, HasSubstr("nothing was written to '" + file.string() + "'"));
    EXPECT_THAT(r.err, Not(HasSubstr("paktctl: database '")));
    EXPECT_TRUE(files_in(backups_).empty());
    EXPECT_EQ(query_int("SELECT count(*) FROM schools"), 172);
}

TEST_F(PaktctlOpsTest, Backup_UnderARegularFileFailsNamingTheTargetNotTheDatabase) {
    // Fails for root too: no one can create a file below a regular file.
    import_two_schools(data_dir_);
    const fs::path plain = dir_.path() / "plain-file";
    write_file(plain, "x");
    const fs::path target = plain / "pakt-backup.db";
    const auto r = ctl({"backup", target.string()});
    EXPECT_EQ(r.code, 1);
    EXPECT_THAT(r.err, HasSubstr("'" + target.string() + "'"));
    EXPECT_THAT(r.err, Not(HasSubstr("database '" + database().string() + "'")));
    EXPECT_EQ(read_file(plain), "x");
}

TEST_F(PaktctlOpsTest, Backup_WithoutFileIsAUsageError) {
    const auto r = ctl({"backup"});
    EXPECT_EQ(r.code, 2);
    EXPECT_THAT(r.err, HasSubstr("FILE"));
}

// ---------------------------------------------------------------------------------------------
// restore

TEST_F(PaktctlOpsTest, Restore_IntoAFreshDataDirRecreatesTheDatabaseAndAuditsIt) {
    const fs::path backup = make_backup();
    const auto r = ctl_in(other_dir_, {"restore", backup.string()});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_THAT(r.out,
                HasSubstr("restored " + other_database().string() + " from " + backup.string()));
    EXPECT_THAT(r.out, HasSubstr("2 schools, 1 user"));
    EXPECT_EQ(integrity_of(other_database()), "ok");
    EXPECT_EQ(query_text_in(other_database(), "PRAGMA journal_mode"), "wal");
    EXPECT_EQ(query_int_in(other_database(), "SELECT count(*) FROM schools"), 2);
    EXPECT_EQ(query_text_in(other_database(), "SELECT username FROM users"), "admin");
    EXPECT_EQ(
        query_text_in(other_database(),
                      "SELECT action || ' ' || actor FROM audit_log ORDER BY id DESC LIMIT 1"),
        "database.restore paktctl");
    const auto verify = ctl_in(other_dir_, {"audit", "verify"});
    EXPECT_EQ(verify.code, 0) << verify.err;
}

TEST_F(PaktctlOpsTest, Restore_IsRefusedWhileTheDatabaseLockIsHeld) {
    const fs::path backup = make_backup();
    import_two_schools(other_dir_);
    const auto audit_before = query_int_in(other_database(), "SELECT count(*) FROM audit_log");
    // What a running paktd holds.
    auto lock = pakt::server::DatabaseLock::try_acquire(other_database());
    ASSERT_TRUE(lock.has_value());
    const auto r = ctl_in(other_dir_, {"restore", "--force", backup.string()});
    EXPECT_EQ(r.code, 1);
    EXPECT_THAT(r.err,
                HasSubstr("paktd is running on the database '" + other_database().string() + "'"));
    EXPECT_EQ(query_int_in(other_database(), "SELECT count(*) FROM audit_log"), audit_before);

    lock.reset();
    EXPECT_EQ(ctl_in(other_dir_, {"restore", "--force", backup.string()}).code, 0);
}

TEST_F(PaktctlOpsTest, Restore_LeavesTheLockFreeForPaktdAfterwards) {
    // The lock restore takes is paktd's: free again once restore has finished, and exclusive.
    const fs::path backup = make_backup();
    ASSERT_EQ(ctl_in(other_dir_, {"restore", backup.string()}).code, 0);
    auto lock = pakt::server::DatabaseLock::try_acquire(other_database());
    ASSERT_TRUE(lock.has_value());
    EXPECT_FALSE(pakt::server::DatabaseLock::try_acquire(other_database()).has_value());
}

TEST_F(PaktctlOpsTest, Restore_OverADatabaseWithDataNeedsForce) {
    const fs::path backup = make_backup();
    ASSERT_EQ(ctl({"import", "schools", kEssenSchools}).code, 0);  // changes after the backup
    ASSERT_EQ(query_int("SELECT count(*) FROM schools"), 172);
    const auto refused = ctl({"restore", backup.string()});
    EXPECT_EQ(refused.code, 1);
    EXPECT_THAT(refused.err, HasSubstr("the database '" + database().string() + "' exists"));
    EXPECT_THAT(refused.err, HasSubstr("--force"));
    EXPECT_EQ(query_int("SELECT count(*) FROM schools"), 172);

    const auto forced = ctl({"restore", "--force", backup.string()});
    ASSERT_EQ(forced.code, 0) << forced.err;
    EXPECT_EQ(query_int("SELECT count(*) FROM schools"), 2);
    EXPECT_EQ(ctl({"audit", "verify"}).code, 0);
}

TEST_F(PaktctlOpsTest, Restore_StaleWalOfTheOldDatabaseIsNotReplayedOverTheBackup) {
    const fs::path backup = make_backup();
    import_two_schools(other_dir_);
    const fs::path db_file = other_database();
    const fs::path wal_file = db_file.string() + "-wal";
    const fs::path saved_db = dir_.path() / "crashed.db";
    const fs::path saved_wal = dir_.path() / "crashed.db-wal";
    {
        // A committed change that only the -wal holds, as after a crash of paktd.
        SQLite::Database db(db_file.string(), SQLite::OPEN_READWRITE);
        db.exec("PRAGMA wal_autocheckpoint = 0");
        db.exec("UPDATE schools SET name = 'Stale WAL school'");
        fs::copy_file(db_file, saved_db);
        fs::copy_file(wal_file, saved_wal);
    }
    fs::copy_file(saved_db, db_file, fs::copy_options::overwrite_existing);
    fs::copy_file(saved_wal, wal_file, fs::copy_options::overwrite_existing);
    fs::remove(db_file.string() + "-shm");
    ASSERT_EQ(query_int_in(db_file, "SELECT count(*) FROM schools WHERE name = 'Stale WAL school'"),
              2);

    const auto r = ctl_in(other_dir_, {"restore", "--force", backup.string()});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(integrity_of(db_file), "ok");
    EXPECT_EQ(query_int_in(db_file, "SELECT count(*) FROM schools WHERE name = 'Stale WAL school'"),
              0);
    EXPECT_EQ(query_text_in(db_file, "SELECT name FROM schools WHERE school_number = '164720'"),
              "Viktoria-Gymnasium");
    EXPECT_EQ(ctl_in(other_dir_, {"audit", "verify"}).code, 0);
}

TEST_F(PaktctlOpsTest, Restore_OlderBackupIsMigratedToThisVersion) {
    const fs::path backup = backups_ / "old.db";
    {
        SQLite::Database db(backup.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        pakt::server::migrate(db, pakt::server::embedded_migrations().first(1));
    }
    ASSERT_LT(1, pakt::server::latest_schema_version());
    const auto r = ctl({"restore", backup.string()});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("migrated from schema version 1"));
    EXPECT_EQ(query_int("PRAGMA user_version"), pakt::server::latest_schema_version());
    EXPECT_EQ(query_int("SELECT count(*) FROM audit_log WHERE action = 'database.restore' AND "
                        "json_extract(detail, '$.backup_schema_version') = 1"),
              1);
    // The backup itself is left as it was.
    EXPECT_EQ(query_int_in(backup, "PRAGMA user_version"), 1);
}

TEST_F(PaktctlOpsTest, Restore_MissingBackupFileFailsNamingIt) {
    const fs::path file = backups_ / "missing.db";
    const auto r = ctl({"restore", file.string()});
    EXPECT_EQ(r.code, 1);
    EXPECT_THAT(r.err, HasSubstr("no backup file at '" + file.string() + "'"));
    EXPECT_FALSE(fs::exists(database()));
}

TEST_F(PaktctlOpsTest, Restore_FileThatIsNoDatabaseFailsNamingIt) {
    const fs::path file = backups_ / "notes.txt";
    write_file(file, std::string(8192, 'x'));
    const auto r = ctl({"restore", file.string()});
    EXPECT_EQ(r.code, 1);
    EXPECT_THAT(r.err, HasSubstr("'" + file.string() + "' is not a readable SQLite database"));
    EXPECT_FALSE(fs::exists(database()));
}

TEST_F(PaktctlOpsTest, Restore_SqliteDatabaseOfAnotherProgramIsRefused) {
    const fs::path file = backups_ / "other.db";
    {
        SQLite::Database db(file.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        db.exec("CREATE TABLE recipes (name TEXT)");
    }
    const auto r = ctl({"restore", file.string()});
    EXPECT_EQ(r.code, 1);
    EXPECT_THAT(r.err, HasSubstr("'" + file.string() + "' is not a Pakt database"));
    EXPECT_FALSE(fs::exists(database()));
}

TEST_F(PaktctlOpsTest, Restore_BackupFromANewerPaktIsRefused) {
    const fs::path backup = make_backup();
    const int newer = pakt::server::latest_schema_version() + 1;
    {
        SQLite::Database db(backup.string(), SQLite::OPEN_READWRITE);
        db.exec("PRAGMA user_version = " + std::to_string(newer));
    }
    const auto r = ctl_in(other_dir_, {"restore", backup.string()});
    EXPECT_EQ(r.code, 1);
    EXPECT_THAT(r.err,
                HasSubstr(fmt::format("has schema version {}, written by a newer Pakt", newer)));
    EXPECT_FALSE(fs::exists(other_database()));
}

TEST_F(PaktctlOpsTest, Restore_CorruptBackupIsRefusedAndTheDatabaseKept) {
    const fs::path backup = make_backup();
    corrupt_page(backup, 2);
    const auto r = ctl({"restore", "--force", backup.string()});
    EXPECT_EQ(r.code, 1);
    EXPECT_THAT(r.err, HasSubstr("'" + backup.string() + "' fails PRAGMA integrity_check"));
    EXPECT_EQ(integrity_of(database()), "ok");
    EXPECT_EQ(query_int("SELECT count(*) FROM schools"), 2);
}

TEST_F(PaktctlOpsTest, Restore_OfTheDatabaseOntoItselfIsRefused) {
    import_two_schools(data_dir_);
    const auto r = ctl({"restore", "--force", database().string()});
    EXPECT_EQ(r.code, 1);
    EXPECT_THAT(r.err, HasSubstr("is the database itself"));
    EXPECT_EQ(query_int("SELECT count(*) FROM schools"), 2);
}

TEST_F(PaktctlOpsTest, Restore_TargetDirectoryThatCannotBeCreatedFailsNamingIt) {
    const fs::path backup = make_backup();
    const fs::path not_a_dir = dir_.path() / "plain-file";
    write_file(not_a_dir, "x");
    const auto r =
        run_ctl({"--database", (not_a_dir / "pakt.db").string(), "restore", backup.string()});
    EXPECT_EQ(r.code, 1);
    EXPECT_THAT(r.err, HasSubstr("cannot create the directory '" + not_a_dir.string() + "'"));
    EXPECT_EQ(read_file(not_a_dir), "x");
}

TEST_F(PaktctlOpsTest, Restore_OverAFileOfGarbageBytesNeedsForceAndThenReplacesIt) {
    const fs::path backup = make_backup();
    fs::create_directories(other_dir_);
    write_file(other_database(), std::string(8192, '\x5A'));
    const auto refused = ctl_in(other_dir_, {"restore", backup.string()});
    EXPECT_EQ(refused.code, 1);
    EXPECT_THAT(refused.err, HasSubstr("the database '" + other_database().string() +
                                       "' exists but looks damaged"));
    EXPECT_THAT(refused.err, HasSubstr("--force"));
    EXPECT_EQ(read_file(other_database()), std::string(8192, '\x5A'));

    const auto forced = ctl_in(other_dir_, {"restore", "--force", backup.string()});
    ASSERT_EQ(forced.code, 0) << forced.err;
    // No temporary file is left beside the database (checked before the read-only connections
    // below, which leave a -wal and -shm beside a WAL database).
    EXPECT_EQ(files_in(other_dir_), (std::set<std::string>{"pakt.db", "pakt.db.lock"}));
    EXPECT_EQ(integrity_of(other_database()), "ok");
    EXPECT_EQ(query_int_in(other_database(), "SELECT count(*) FROM schools"), 2);
    EXPECT_EQ(query_text_in(other_database(), "SELECT username FROM users"), "admin");
    EXPECT_EQ(ctl_in(other_dir_, {"audit", "verify"}).code, 0);
}

TEST_F(PaktctlOpsTest, Restore_FailureBeforeTheRenameLeavesTheOldDatabaseByteIdentical) {
    // A backup at schema version 1 that already has a table migration 2 creates: it passes the
    // checks, and migrating the restored copy fails.
    const fs::path backup = backups_ / "clashing.db";
    {
        SQLite::Database db(backup.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        pakt::server::migrate(db, pakt::server::embedded_migrations().first(1));
        db.exec("CREATE TABLE programmes (x INTEGER)");
    }
    import_two_schools(data_dir_);
    const std::string before = read_file(database());
    auto files_after = files_in(data_dir_);
    files_after.insert("pakt.db.lock");  // the lock restore takes; nothing else may be left

    const auto r = ctl({"restore", "--force", backup.string()});
    EXPECT_EQ(r.code, 1);
    EXPECT_THAT(r.err, HasSubstr("restoring '" + backup.string() + "' into the temporary file"));
    EXPECT_THAT(r.err, HasSubstr("nothing was changed"));
    EXPECT_THAT(r.err, Not(HasSubstr("database '" + database().string() + "'")));
    EXPECT_EQ(read_file(database()), before);
    EXPECT_EQ(files_in(data_dir_), files_after);
    EXPECT_EQ(ctl({"audit", "verify"}).code, 0);
}

TEST_F(PaktctlOpsTest, Restore_SideFileThatCannotBeRemovedStopsBeforeTheRename) {
    const fs::path backup = make_backup();
    ASSERT_EQ(ctl({"import", "schools", kEssenSchools}).code, 0);
    const std::string before = read_file(database());
    // A -shm that is a non-empty directory cannot be removed, also not by root.
    const fs::path shm = database().string() + "-shm";
    fs::create_directories(shm / "x");
    const auto r = ctl({"restore", "--force", backup.string()});
    EXPECT_EQ(r.code, 1);
    EXPECT_THAT(r.err, HasSubstr("cannot remove '" + shm.string() + "'"));
    EXPECT_THAT(r.err, HasSubstr("the database was not replaced"));
    EXPECT_EQ(read_file(database()), before);
    fs::remove_all(shm);
    EXPECT_EQ(query_int("SELECT count(*) FROM schools"), 172);
}

TEST_F(PaktctlOpsTest, Restore_OverADirectoryFailsNamingItAndLeavesNoTemporaryFile) {
    const fs::path backup = make_backup();
    fs::create_directories(other_database() / "x");
    const auto r = ctl_in(other_dir_, {"restore", "--force", backup.string()});
    EXPECT_EQ(r.code, 1);
    EXPECT_THAT(r.err, HasSubstr("cannot move the restored database into place as '" +
                                 other_database().string() + "'"));
    EXPECT_EQ(files_in(other_dir_), (std::set<std::string>{"pakt.db", "pakt.db.lock"}));
}

TEST_F(PaktctlOpsTest, Restore_WithoutFileIsAUsageError) { EXPECT_EQ(ctl({"restore"}).code, 2); }

// ---------------------------------------------------------------------------------------------
// user list, user disable

TEST_F(PaktctlOpsTest, UserList_ShowsEveryUserWithRoleSchoolsAndState) {
    import_two_schools(data_dir_);
    add_user("admin", "city_admin");
    add_user("it-164720", "school_it", "164720,101771");
    const auto r = ctl({"user", "list"});
    ASSERT_EQ(r.code, 0) << r.err;
    std::istringstream lines(r.out);
    std::string header, admin, it, extra;
    std::getline(lines, header);
    std::getline(lines, admin);
    std::getline(lines, it);
    EXPECT_FALSE(std::getline(lines, extra));
    EXPECT_THAT(header, HasSubstr("USERNAME"));
    EXPECT_THAT(header, HasSubstr("CREATED"));
    EXPECT_THAT(admin, ::testing::MatchesRegex("admin +city_admin +- +no +20[0-9-]+T.*Z"));
    EXPECT_THAT(it, ::testing::MatchesRegex("it-164720 +school_it +101771,164720 +no +20.*Z"));
}

TEST_F(PaktctlOpsTest, UserList_JsonHasTheApisUserFields) {
    import_two_schools(data_dir_);
    add_user("leitung-101771", "headteacher", "101771");
    const auto r = ctl({"user", "list", "--json"});
    ASSERT_EQ(r.code, 0) << r.err;
    const auto users = json::parse(r.out);
    ASSERT_EQ(users.size(), 1u);
    EXPECT_EQ(users[0]["username"], "leitung-101771");
    EXPECT_EQ(users[0]["role"], "headteacher");
    EXPECT_EQ(users[0]["schools"], json::array({"101771"}));
    EXPECT_EQ(users[0]["disabled"], false);
    EXPECT_TRUE(users[0].contains("created_at"));
    EXPECT_FALSE(users[0].contains("password_hash"));
}

TEST_F(PaktctlOpsTest, UserList_WithoutUsersSaysHowToCreateTheFirst) {
    ASSERT_EQ(ctl({"migrate"}).code, 0);
    const auto r = ctl({"user", "list"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("no users"));
    EXPECT_THAT(r.out, HasSubstr("paktctl user add"));
}

TEST_F(PaktctlOpsTest, UserList_MissingDatabaseFailsNamingItAndCreatesNothing) {
    const auto r = ctl({"user", "list"});
    EXPECT_EQ(r.code, 1);
    EXPECT_THAT(r.err, HasSubstr("no database at '" + database().string() + "'"));
    EXPECT_FALSE(fs::exists(data_dir_));
}

TEST_F(PaktctlOpsTest, UserList_OlderSchemaSaysToMigrateAndChangesNothing) {
    fs::create_directories(data_dir_);
    {
        SQLite::Database db(database().string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        pakt::server::migrate(db, pakt::server::embedded_migrations().first(1));
    }
    const std::string before = read_file(database());
    const auto r = ctl({"user", "list"});
    EXPECT_EQ(r.code, 1);
    EXPECT_THAT(r.err, HasSubstr("'" + database().string() + "' is at schema version 1"));
    EXPECT_THAT(r.err, HasSubstr("paktctl migrate"));
    EXPECT_EQ(read_file(database()), before);
    EXPECT_EQ(query_int("PRAGMA user_version"), 1);
}

TEST_F(PaktctlOpsTest, UserList_NewerSchemaIsRefused) {
    ASSERT_EQ(ctl({"migrate"}).code, 0);
    const int newer = pakt::server::latest_schema_version() + 1;
    {
        SQLite::Database db(database().string(), SQLite::OPEN_READWRITE);
        db.exec("PRAGMA user_version = " + std::to_string(newer));
    }
    const auto r = ctl({"user", "list"});
    EXPECT_EQ(r.code, 1);
    EXPECT_THAT(r.err,
                HasSubstr(fmt::format("has schema version {}, written by a newer Pakt", newer)));
}

TEST_F(PaktctlOpsTest, UserList_SqliteFileWithoutPaktSchemaIsRefused) {
    fs::create_directories(data_dir_);
    {
        SQLite::Database db(database().string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        db.exec("CREATE TABLE recipes (name TEXT)");
    }
    const auto r = ctl({"user", "list"});
    EXPECT_EQ(r.code, 1);
    EXPECT_THAT(r.err, HasSubstr("'" + database().string() + "' has no Pakt schema"));
    EXPECT_EQ(query_int("SELECT count(*) FROM sqlite_master"), 1);
}

TEST_F(PaktctlOpsTest, UserDisable_EndsSessionsDeletesTokensAndAuditsInOneGo) {
    import_two_schools(data_dir_);
    add_user("admin", "city_admin");
    add_user("it-164720", "school_it", "164720");
    {
        auto db = pakt::server::open_database(database(), pakt::server::OpenMode::read_write,
                                              std::chrono::seconds(5));
        const auto id = query_int("SELECT id FROM users WHERE username = 'it-164720'");
        pakt::server::insert_session(*db, "session-hash", id, "2099-01-01T00:00:00Z", "192.0.2.1");
        pakt::server::insert_api_token(*db, id, "inventory script", "token-hash", std::nullopt);
    }
    const auto r = ctl({"user", "disable", "IT-164720"});  // usernames ignore case
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "user 'it-164720' disabled (1 session ended, 1 API token deleted)\n");
    EXPECT_EQ(query_int("SELECT disabled FROM users WHERE username = 'it-164720'"), 1);
    EXPECT_EQ(query_int("SELECT count(*) FROM sessions"), 0);
    EXPECT_EQ(query_int("SELECT count(*) FROM api_tokens"), 0);
    EXPECT_EQ(query_int("SELECT count(*) FROM audit_log WHERE action = 'user.update' AND "
                        "actor = 'paktctl' AND json_extract(detail, '$.disabled') = 1 AND "
                        "json_extract(detail, '$.api_tokens_deleted') = 1"),
              1);
    EXPECT_EQ(ctl({"audit", "verify"}).code, 0);
}

TEST_F(PaktctlOpsTest, UserDisable_AlreadyDisabledUserIsLeftAsItIs) {
    import_two_schools(data_dir_);
    add_user("admin", "city_admin");
    add_user("it-164720", "school_it", "164720");
    ASSERT_EQ(ctl({"user", "disable", "it-164720"}).code, 0);
    const auto audit_before = query_int("SELECT count(*) FROM audit_log");
    const auto r = ctl({"user", "disable", "it-164720"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("disabled already; nothing was changed"));
    EXPECT_EQ(query_int("SELECT count(*) FROM audit_log"), audit_before);
}

TEST_F(PaktctlOpsTest, UserDisable_UnknownUserFailsNamingIt) {
    import_two_schools(data_dir_);
    const auto audit_before = query_int("SELECT count(*) FROM audit_log");
    const auto r = ctl({"user", "disable", "nobody"});
    EXPECT_EQ(r.code, 1);
    EXPECT_THAT(r.err, HasSubstr("there is no user 'nobody'"));
    EXPECT_EQ(query_int("SELECT count(*) FROM audit_log"), audit_before);
}

TEST_F(PaktctlOpsTest, UserDisable_LastEnabledCityAdminIsRefused) {
    add_user("admin", "city_admin");
    const auto r = ctl({"user", "disable", "admin"});
    EXPECT_EQ(r.code, 1);
    EXPECT_THAT(r.err, HasSubstr("'admin' is the last enabled city_admin"));
    EXPECT_EQ(query_int("SELECT disabled FROM users WHERE username = 'admin'"), 0);

    add_user("admin2", "city_admin");
    EXPECT_EQ(ctl({"user", "disable", "admin"}).code, 0);
}

TEST_F(PaktctlOpsTest, UserDisable_WithoutUsernameIsAUsageError) {
    EXPECT_EQ(ctl({"user", "disable"}).code, 2);
}

// ---------------------------------------------------------------------------------------------
// report funding

TEST_F(PaktctlOpsTest, ReportFunding_CsvIsTheApisCsvOfThatGrant) {
    seed_demo();
    const auto r = ctl({"report", "funding", "--grant", "DEMO-SOFORT-2020-0042", "--csv"});
    ASSERT_EQ(r.code, 0) << r.err;
    ASSERT_TRUE(r.out.starts_with("\xEF\xBB\xBF"));
    const auto doc = pakt::csv::parse(r.out);
    ASSERT_TRUE(doc.errors.empty());
    ASSERT_EQ(doc.separator, ',');
    const auto& header = doc.rows.at(0).fields;
    auto column = [&](const std::string& name) {
        return static_cast<std::size_t>(std::find(header.begin(), header.end(), name) -
                                        header.begin());
    };
    // programme, grant, and its one school (Frida-Levy-Gesamtschule, above the unit price cap).
    ASSERT_EQ(doc.rows.size(), 4u);
    const auto& grant = doc.rows[2].fields;
    EXPECT_EQ(grant[column("level")], "grant");
    EXPECT_EQ(grant[column("grant_reference")], "DEMO-SOFORT-2020-0042");
    EXPECT_EQ(grant[column("amount_eur")], "1200000.00");
    EXPECT_NE(grant[column("tranches_above_unit_cap")], "");
    EXPECT_THAT(doc.rows[3].fields[column("school_name")], HasSubstr("Frida-Levy-Gesamtschule"));

    // Byte for byte what the server's code makes of the same database.
    auto db = pakt::server::open_database(database(), pakt::server::OpenMode::read_only,
                                          std::chrono::seconds(5));
    pakt::server::ReportFilter filter;
    filter.grant_id = std::stoll(grant[column("grant_id")]);
    const auto inputs = pakt::server::read_funding_inputs(*db, filter);
    const auto report = pakt::server::build_funding_report(inputs.grants, inputs.tranches,
                                                           pakt::now_rfc3339().substr(0, 10));
    EXPECT_EQ(r.out, pakt::server::funding_report_csv(report, pakt::server::CsvDialect::standard));
}

TEST_F(PaktctlOpsTest, ReportFunding_ExcelDeDialectUsesSemicolonsAndDecimalCommas) {
    seed_demo();
    const auto r =
        ctl({"report", "funding", "--grant", "DEMO-SOFORT-2020-0042", "--dialect", "excel-de"});
    ASSERT_EQ(r.code, 0) << r.err;
    const auto doc = pakt::csv::parse(r.out);
    ASSERT_EQ(doc.separator, ';');
    const auto& header = doc.rows.at(0).fields;
    const auto amount = static_cast<std::size_t>(
        std::find(header.begin(), header.end(), "amount_eur") - header.begin());
    const auto approved = static_cast<std::size_t>(
        std::find(header.begin(), header.end(), "approved_on") - header.begin());
    EXPECT_EQ(doc.rows.at(2).fields.at(amount), "1200000,00");
    EXPECT_EQ(doc.rows.at(2).fields.at(approved), "01.09.2020");
}

TEST_F(PaktctlOpsTest, ReportFunding_JsonIsTheApisDocumentForOneGrant) {
    seed_demo();
    const auto by_reference =
        ctl({"report", "funding", "--grant", "DEMO-BR-D-2021-0815", "--json"});
    ASSERT_EQ(by_reference.code, 0) << by_reference.err;
    const auto report = json::parse(by_reference.out);
    ASSERT_EQ(report["grants"].size(), 1u);
    const auto& grant = report["grants"][0];
    EXPECT_EQ(grant["reference"], "DEMO-BR-D-2021-0815");
    EXPECT_EQ(grant["amount_cents"], 240000000);
    EXPECT_EQ(report["scope"], "all");
    EXPECT_EQ(grant["schools"].size(), 2u);  // Viktoria-Gymnasium and Antoniusschule
    EXPECT_EQ(grant["spend_cents"].get<long long>(),
              query_int("SELECT sum(t.unit_price_cents) FROM devices d JOIN tranches t ON "
                        "t.id = d.tranche_id JOIN grants g ON g.id = t.grant_id WHERE "
                        "g.reference = 'DEMO-BR-D-2021-0815'"));

    const auto by_id = ctl(
        {"report", "funding", "--grant", std::to_string(grant["id"].get<long long>()), "--json"});
    ASSERT_EQ(by_id.code, 0) << by_id.err;
    EXPECT_EQ(json::parse(by_id.out)["grants"], report["grants"]);
}

TEST_F(PaktctlOpsTest, ReportFunding_TextSummarisesTheGrantAndEachSchoolWithItsFlags) {
    seed_demo();
    const auto r = ctl({"report", "funding", "--grant", "DEMO-SOFORT-2020-0042"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("Funding report of grant"));
    EXPECT_FALSE(r.out.empty());
    EXPECT_THAT(r.out, HasSubstr("granted           1,200,000.00 EUR"));
    EXPECT_THAT(r.out, HasSubstr("unit price cap    500.00 EUR: EXCEEDED by tranche"));
    EXPECT_THAT(r.out, HasSubstr("Frida-Levy-Gesamtschule"));
    EXPECT_THAT(r.out, HasSubstr("above unit price cap"));
}

TEST_F(PaktctlOpsTest, ReportFunding_GrantWithoutTranchesShowsZeroSpendAndSaysSo) {
    ASSERT_EQ(ctl({"migrate"}).code, 0);
    {
        auto db = pakt::server::open_database(database(), pakt::server::OpenMode::read_write,
                                              std::chrono::seconds(5));
        pakt::server::Grant g;
        g.programme_code = "DP-LEHRER";
        g.reference = "LEHRER-2021-7";
        g.title = "Dienstgeräte für Lehrkräfte";
        g.amount_cents = 12345678;
        g.approved_on = "2021-05-01";
        g.spend_by = "2099-12-31";
        g.earmark_end = "2104-12-31";
        pakt::server::insert_grant(*db, g);
    }
    const auto r = ctl({"report", "funding", "--grant", "LEHRER-2021-7"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("Dienstgeräte für Lehrkräfte"));
    EXPECT_THAT(r.out, HasSubstr("granted           123,456.78 EUR"));
    EXPECT_THAT(r.out, HasSubstr("spent             0.00 EUR (0.00 % of the grant), remaining "
                                 "123,456.78 EUR"));
    EXPECT_THAT(r.out, HasSubstr("no tranches yet"));
}

TEST_F(PaktctlOpsTest, ReportFunding_UnknownGrantFailsNamingIt) {
    seed_demo();
    for (const std::string grant : {"9999", "NO-SUCH-REFERENCE"}) {
        const auto r = ctl({"report", "funding", "--grant", grant});
        EXPECT_EQ(r.code, 1) << grant;
        EXPECT_THAT(r.err, HasSubstr("--grant " + grant + ": no grant has this id or reference"));
        EXPECT_EQ(r.out, "");
    }
}

TEST_F(PaktctlOpsTest, ReportFunding_GrantOfAProgrammeWithoutDevicesIsExplained) {
    ASSERT_EQ(ctl({"migrate"}).code, 0);
    {
        auto db = pakt::server::open_database(database(), pakt::server::OpenMode::read_write,
                                              std::chrono::seconds(5));
        pakt::server::Grant g;
        g.programme_code = "DP-ADMIN";
        g.reference = "ADMIN-2022-1";
        g.title = "IT-Administration";
        g.amount_cents = 5000000;
        g.approved_on = "2022-01-01";
        g.spend_by = "2024-12-31";
        g.earmark_end = "2029-12-31";
        pakt::server::insert_grant(*db, g);
    }
    const auto r = ctl({"report", "funding", "--grant", "ADMIN-2022-1"});
    EXPECT_EQ(r.code, 1);
    EXPECT_THAT(r.err, HasSubstr("is of programme DP-ADMIN, which funds no devices"));
}

TEST_F(PaktctlOpsTest, ReportFunding_OnABackupFileLeavesItByteIdentical) {
    seed_demo();
    const fs::path backup = backups_ / "pakt-backup.db";
    ASSERT_EQ(ctl({"backup", backup.string()}).code, 0);
    const std::string before = read_file(backup);
    const auto r = run_ctl({"--database", backup.string(), "report", "funding", "--grant",
                            "DEMO-SOFORT-2020-0042", "--csv"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_FALSE(r.out.empty());
    EXPECT_EQ(read_file(backup), before);
    EXPECT_EQ(query_text_in(backup, "PRAGMA journal_mode"), "delete");
    EXPECT_EQ(files_in(backups_), std::set<std::string>{"pakt-backup.db"});
}

TEST_F(PaktctlOpsTest, ReportFunding_MissingDatabaseFailsNamingItAndCreatesNothing) {
    const fs::path missing = other_dir_ / "typo.db";
    const auto r = run_ctl({"--database", missing.string(), "report", "funding", "--grant", "1"});
    EXPECT_EQ(r.code, 1);
    EXPECT_THAT(r.err, HasSubstr("report funding: no database at '" + missing.string() + "'"));
    EXPECT_FALSE(fs::exists(other_dir_));
}

TEST_F(PaktctlOpsTest, ReportFunding_MalformedCommandLinesAreUsageErrors) {
    EXPECT_EQ(ctl({"report", "funding"}).code, 2);  // --grant is required
    EXPECT_EQ(ctl({"report", "funding", "--grant", "1", "--dialect", "excel"}).code, 2);
    EXPECT_EQ(ctl({"report", "funding", "--grant", "1", "--json", "--csv"}).code, 2);
    EXPECT_EQ(ctl({"report", "funding", "--grant", "1", "--json", "--dialect", "excel-de"}).code,
              2);
    EXPECT_EQ(ctl({"report"}).code, 2);
}

TEST_F(PaktctlOpsTest, Help_OfEveryOperatorCommandExitsZeroAndDescribesIt) {
    const std::vector<std::pair<std::vector<std::string>, std::string>> commands{
        {{"backup", "--help"}, "integrity_check"},
        {{"restore", "--help"}, "paktd"},
        {{"user", "list", "--help"}, "--json"},
        {{"user", "disable", "--help"}, "API tokens"},
        {{"report", "funding", "--help"}, "--dialect"},
    };
    for (const auto& [args, expected] : commands) {
        const auto r = run_ctl(args);
        EXPECT_EQ(r.code, 0) << args[0];
        EXPECT_THAT(r.out, HasSubstr(expected)) << args[0];
    }
    const auto main_help = run_ctl({"--help"});
    for (const char* command : {"backup", "restore", "report"}) {
        EXPECT_THAT(main_help.out, HasSubstr(command));
    }
}

// ---------------------------------------------------------------------------------------------
// The database lock paktd takes

TEST(DatabaseLock, SecondPaktdOnTheSameDatabaseRefusesToStart) {
    if (pakt::test::testing_postgres())
        GTEST_SKIP() << "the lock file of an SQLite database; instances share a PostgreSQL one";
    pakt::test::TestServer first;
    pakt::server::ServerConfig config = first.app().config();
    config.listen_port = 0;
    config.ready_file.clear();
    pakt::server::App second(config);
    try {
        second.start();
        FAIL() << "a second paktd started on the same database";
    } catch (const std::runtime_error& e) {
        EXPECT_THAT(e.what(), HasSubstr("another paktd"));
        EXPECT_THAT(e.what(), HasSubstr((first.data_dir() / "pakt.db.lock").string()));
    }
    // The first one serves on.
    EXPECT_EQ(first.client()->request("GET", "/readyz").status, 200);
}

TEST(DatabaseLock, IsReleasedWhenPaktdStops) {
    if (pakt::test::testing_postgres())
        GTEST_SKIP() << "the lock file of an SQLite database; instances share a PostgreSQL one";
    fs::path data_dir;
    {
        pakt::test::TestServer server;
        data_dir = server.data_dir();
        EXPECT_FALSE(pakt::server::DatabaseLock::try_acquire(data_dir / "pakt.db").has_value());
        server.app().stop();
        EXPECT_TRUE(pakt::server::DatabaseLock::try_acquire(data_dir / "pakt.db").has_value());
    }
}

TEST(DatabaseLock, EveryNameOfOneDatabaseSharesItsLock) {
    if (pakt::test::testing_postgres())
        GTEST_SKIP() << "the lock file of an SQLite database; instances share a PostgreSQL one";
    pakt::test::TempDir dir;
    fs::create_directories(dir.path() / "data");
    fs::create_directory_symlink(dir.path() / "data", dir.path() / "link");
    const auto held = pakt::server::DatabaseLock::try_acquire(dir.path() / "data" / "pakt.db");
    ASSERT_TRUE(held.has_value());
    EXPECT_FALSE(pakt::server::DatabaseLock::try_acquire(dir.path() / "link" / "pakt.db").has_value());
    EXPECT_FALSE(pakt::server::DatabaseLock::try_acquire(dir.path() / "data" / "." / "pakt.db").has_value());
}

// ---------------------------------------------------------------------------------------------
// Issue 5, done when 4: a backup taken while agents check in restores to an intact database
// with every report acknowledged before the backup began.

class BackupUnderLoad : public ::testing::Test {
  protected:
    static constexpr int kAgents = 4;
    static constexpr int kDevices = 40;
    // Acknowledged reports to wait for before the backup, and again after it.
    static constexpr std::size_t kAcksBetweenSteps = 24;

    pakt::test::SeededServer s{[](pakt::server::ServerConfig& c) {
        c.checkin_burst = 1'000'000;
        c.checkin_per_minute = 1'000'000;
    }};
    std::vector<std::string> serials_;
    std::vector<std::string> node_keys_;

    void SetUp() override {
        auto& http = *s.http;
        using pakt::test::call;
        using pakt::test::json_of;
        auto grant = call(http, "POST", "/api/v1/grants", s.admin,
                          json{{"programme", "DP-BASIS"},
                               {"reference", "G-BACKUP"},
                               {"amount_cents", 10000000},
                               {"approved_on", "2021-01-01"},
                               {"spend_by", "2030-12-31"}});
        ASSERT_EQ(grant.status, 201) << grant.body;
        auto tranche = call(http, "POST", "/api/v1/tranches", s.admin,
                            json{{"school_number", pakt::test::SeededServer::kSchoolA},
                                 {"grant_id", json_of(grant)["id"]},
                                 {"delivered_on", "2022-08-01"},
                                 {"unit_price_cents", 40000},
                                 {"expected_count", kDevices}});
        ASSERT_EQ(tranche.status, 201) << tranche.body;
        for (int i = 0; i < kDevices; ++i) serials_.push_back(fmt::format("DMPK{:08}", i));
        auto enrolled =
            call(http, "POST",
                 "/api/v1/tranches/" + std::to_string(json_of(tranche)["id"].get<long long>()) +
                     "/enrollments",
                 s.admin, json{{"serial_numbers", serials_}});
        ASSERT_EQ(enrolled.status, 200) << enrolled.body;
        for (int a = 0; a < kAgents; ++a) {
            auto secret = call(http, "POST",
                               std::string("/api/v1/schools/") +
                                   pakt::test::SeededServer::kSchoolA + "/agent-secrets",
                               s.it_a);
            ASSERT_EQ(secret.status, 201) << secret.body;
            auto agent = call(http, "POST", "/api/v1/agent/enroll", {},
                              json{{"enroll_secret", json_of(secret)["secret"]},
                                   {"hostname", fmt::format("pakt-box-{}", a)},
                                   {"agent_version", "0.1.0"}});
            ASSERT_EQ(agent.status, 201) << agent.body;
            node_keys_.push_back(json_of(agent)["node_key"].get<std::string>());
        }
    }

    pakt::CheckinReport report_for(int agent, int round) const {
        pakt::CheckinReport r;
        r.report_id = pakt::make_uuid();
        r.generated_at = pakt::now_rfc3339();
        r.agent_version = "0.1.0";
        // Each agent reports its quarter of the devices, with a changing battery level.
        for (std::size_t i = static_cast<std::size_t>(agent); i < serials_.size(); i += kAgents) {
            pakt::DeviceObservation d;
            d.serial_number = serials_[i];
            d.seen_at = pakt::now_rfc3339();
            d.os_version = "17.5.1";
            d.battery_pct = round % 100;
            d.managed = true;
            r.devices.push_back(d);
        }
        return r;
    }
};

TEST_F(BackupUnderLoad, BackupTakenWhileAgentsCheckInRestoresEveryReportAcknowledgedBeforeIt) {
    if (pakt::test::testing_postgres())
        GTEST_SKIP() << "paktctl backup copies SQLite; PostgreSQL is backed up with pg_dump";
    std::mutex mutex;
    std::condition_variable acked_more;
    std::vector<std::string> acknowledged;  // in the order the 200s arrived
    std::atomic<bool> stop{false};
    std::atomic<int> failures{0};
    std::string first_failure;

    std::vector<std::thread> agents;
    for (int a = 0; a < kAgents; ++a) {
        agents.emplace_back([&, a] {
            auto client = s.server.client();
            for (int round = 0; !stop; ++round) {
                const auto report = report_for(a, round);
                pakt::HttpResponse r;
                try {
                    r = client->request(
                        "POST", "/api/v1/agent/checkin", pakt::to_json(report).dump(),
                        {{"Authorization", "Bearer " + node_keys_[static_cast<std::size_t>(a)]},
                         {"Content-Type", "application/json"}});
                } catch (const std::exception& e) {
                    r.status = 0;
                    r.body = e.what();
                }
                std::lock_guard lock(mutex);
                if (r.status != 200) {
                    if (failures++ == 0) first_failure = std::to_string(r.status) + " " + r.body;
                    acked_more.notify_all();
                    return;
                }
                acknowledged.push_back(report.report_id);
                acked_more.notify_all();
            }
        });
    }
    auto wait_for_acks = [&](std::size_t count) {
        std::unique_lock lock(mutex);
        acked_more.wait(lock, [&] { return acknowledged.size() >= count || failures > 0; });
        return acknowledged.size();
    };
    auto stop_agents = [&] {
        stop = true;
        for (auto& t : agents) t.join();
    };

    // Reports answered 200 before the backup starts must be in it; those answered later may be.
    wait_for_acks(kAcksBetweenSteps);
    std::vector<std::string> acked_before;
    {
        std::lock_guard lock(mutex);
        acked_before = acknowledged;
    }
    const fs::path backup = s.server.data_dir() / "backup-under-load.db";
    const auto backed_up =
        run_ctl({"--data-dir", s.server.data_dir().string(), "backup", backup.string()});
    // The agents are answered on after the backup, too: the writer was never stuck.
    wait_for_acks(acked_before.size() + kAcksBetweenSteps);

    // Restore refuses while this paktd holds the lock on its database.
    const auto refused = run_ctl(
        {"--data-dir", s.server.data_dir().string(), "restore", "--force", backup.string()});
    stop_agents();
    ASSERT_EQ(failures.load(), 0) << first_failure;
    ASSERT_EQ(backed_up.code, 0) << backed_up.err;
    EXPECT_EQ(refused.code, 1);
    EXPECT_THAT(refused.err, HasSubstr("paktd is running on the database"));

    pakt::test::TempDir fresh;
    const fs::path fresh_data = fresh.path() / "data";
    const auto restored = run_ctl({"--data-dir", fresh_data.string(), "restore", backup.string()});
    ASSERT_EQ(restored.code, 0) << restored.err;

    SQLite::Database db((fresh_data / "pakt.db").string(), SQLite::OPEN_READONLY);
    EXPECT_EQ(db.execAndGet("PRAGMA integrity_check").getString(), "ok");
    std::set<std::string> stored;
    SQLite::Statement q(db, "SELECT report_id FROM checkin_reports");
    while (q.executeStep()) stored.insert(q.getColumn(0).getString());
    ASSERT_GE(acked_before.size(), kAcksBetweenSteps);
    for (const auto& id : acked_before) {
        EXPECT_TRUE(stored.count(id)) << "report " << id << " was acknowledged before the backup "
                                      << "began but is missing from the restored database";
    }
    const auto verify = run_ctl({"--data-dir", fresh_data.string(), "audit", "verify"});
    EXPECT_EQ(verify.code, 0) << verify.err;
}

}  // namespace
