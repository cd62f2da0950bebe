// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// Storage: the group-commit writer, migrations, the read pool and the repositories.
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/crypto.hpp"
#include "common/time.hpp"
#include "server/domain/checkin.hpp"
#include "server/storage/agent_repository.hpp"
#include "server/storage/audit_repository.hpp"
#include "server/storage/database.hpp"
#include "server/storage/migrator.hpp"
#include "server/storage/read_pool.hpp"
#include "server/storage/school_repository.hpp"
#include "server/storage/session_repository.hpp"
#include "server/storage/sql_repositories.hpp"
#include "server/storage/statement_cache.hpp"
#include "server/storage/user_repository.hpp"
#include "server/storage/writer.hpp"
#include "tests/support/temp_dir.hpp"

namespace pakt::server {
namespace {

// The domain's check-in through the SQL repositories of one connection.
CheckinOutcome apply_checkin_on(SQLite::Database& db, const Agent& agent,
                                const CheckinReport& report, const std::string& now,
                                int away_days) {
    SqlRepositories repositories(db);
    return apply_checkin(repositories, agent, report, now, away_days);
}

namespace fs = std::filesystem;
using std::chrono::seconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr std::chrono::milliseconds kBusyTimeout{5000};

// A command failure with a payload, to check the type and the value survive the writer thread.
struct CommandRefused : std::runtime_error {
    explicit CommandRefused(int refused_id) : std::runtime_error("refused"), id(refused_id) {}
    int id;
};

void insert_row(SQLite::Database& db, int id) {
    SQLite::Statement q(db, "INSERT INTO items (id) VALUES (?)");
    q.bind(1, id);
    q.exec();
}

// A fresh database file with one table, and a writer owning its write connection. Rows are read
// back through a connection of their own, as the rest of paktd reads.
class WriterTest : public ::testing::Test {
  protected:
    void SetUp() override {
        auto db = open_database(file_, OpenMode::read_write, kBusyTimeout);
        db->exec("CREATE TABLE items (id INTEGER PRIMARY KEY)");
        writer_ = std::make_unique<Writer>(std::move(db), 1000);
    }

    std::set<int> stored_ids() const {
        auto db = open_database(file_, OpenMode::read_only, kBusyTimeout);
        SQLite::Statement q(*db, "SELECT id FROM items");
        std::set<int> ids;
        while (q.executeStep()) ids.insert(q.getColumn(0).getInt());
        return ids;
    }

    // Queues a command that holds the writer thread until `release` is fulfilled, and returns
    // once the writer is running it: everything submitted afterwards waits in the queue.
    void hold_writer(std::shared_future<void> release) {
        // Owned by the command, so it outlives set_value even after this function returns.
        auto started = std::make_shared<std::promise<void>>();
        auto running = started->get_future();
        writer_->submit(
            [started, release](sql::Db) {
                started->set_value();
                release.wait();
            },
            [](std::exception_ptr) {});
        running.wait();
    }

    test::TempDir dir_;
    fs::path file_ = dir_.path() / "pakt.db";
    std::unique_ptr<Writer> writer_;
};

TEST_F(WriterTest, ExecuteReturnsTheResultOnceCommitted) {
    const int result = writer_->execute([](SQLite::Database& db) {
        insert_row(db, 7);
        return 42;
    });
    EXPECT_EQ(result, 42);
    // Visible to another connection the moment execute returns: the group has committed.
    EXPECT_EQ(stored_ids(), std::set<int>{7});
}

TEST_F(WriterTest, ExceptionReachesTheCallerWithItsType) {
    try {
        writer_->execute([](SQLite::Database&) -> int { throw CommandRefused(17); });
        FAIL() << "execute did not throw";
    } catch (const CommandRefused& e) {
        EXPECT_EQ(e.id, 17);
    }
}

TEST_F(WriterTest, ThrowingCommandLeavesNoRows) {
    EXPECT_THROW(writer_->execute([](SQLite::Database& db) {
        insert_row(db, 1);
        insert_row(db, 2);
        throw CommandRefused(2);
    }),
                 CommandRefused);
    EXPECT_THAT(stored_ids(), IsEmpty());
}

TEST_F(WriterTest, FailingCommandsDoNotFailTheirGroup) {
    constexpr int kThreads = 4;
    constexpr int kPerThread = 50;
    constexpr int kCommands = kThreads * kPerThread;
    std::promise<void> release;
    hold_writer(release.get_future().share());

    // Every command has its own completion; every third one inserts its row and then throws.
    std::vector<std::promise<void>> done(kCommands);
    std::vector<std::future<void>> outcomes;
    for (auto& p : done) outcomes.push_back(p.get_future());
    std::vector<std::thread> submitters;
    for (int t = 0; t < kThreads; ++t) {
        submitters.emplace_back([this, t, &done] {
            for (int i = t * kPerThread; i < (t + 1) * kPerThread; ++i) {
                writer_->submit(
                    [i](sql::Db handle) {
                        SQLite::Database& db = *handle.sqlite();
                        insert_row(db, i);
                        if (i % 3 == 0) throw CommandRefused(i);
                    },
                    [i, &done](std::exception_ptr error) {
                        if (error)
                            done[static_cast<std::size_t>(i)].set_exception(error);
                        else
                            done[static_cast<std::size_t>(i)].set_value();
                    });
            }
        });
    }
    for (auto& s : submitters) s.join();
    release.set_value();

    std::set<int> expected;
    for (int i = 0; i < kCommands; ++i) {
        auto& outcome = outcomes[static_cast<std::size_t>(i)];
        if (i % 3 == 0) {
            EXPECT_THROW(outcome.get(), CommandRefused) << "command " << i;
        } else {
            EXPECT_NO_THROW(outcome.get()) << "command " << i;
            expected.insert(i);
        }
    }
    EXPECT_EQ(stored_ids(), expected);
    EXPECT_EQ(writer_->commands(), std::uint64_t{kCommands + 1});
    // The holding command committed alone; all queued commands, failing or not, shared one group.
    EXPECT_EQ(writer_->commits(), 2u);
}

TEST_F(WriterTest, ConcurrentCallersEachGetTheirOwnOutcome) {
    constexpr int kThreads = 8;
    constexpr int kPerThread = 25;
    std::atomic<int> wrong_outcomes{0};
    std::vector<std::thread> callers;
    for (int t = 0; t < kThreads; ++t) {
        callers.emplace_back([this, t, &wrong_outcomes] {
            for (int i = t * kPerThread; i < (t + 1) * kPerThread; ++i) {
                try {
                    const int echoed = writer_->execute([i](SQLite::Database& db) {
                        insert_row(db, i);
                        if (i % 3 == 0) throw CommandRefused(i);
                        return i;
                    });
                    if (i % 3 == 0 || echoed != i) ++wrong_outcomes;
                } catch (const CommandRefused& e) {
                    if (i % 3 != 0 || e.id != i) ++wrong_outcomes;
                }
            }
        });
    }
    for (auto& c : callers) c.join();

    EXPECT_EQ(wrong_outcomes.load(), 0);
    std::set<int> expected;
    for (int i = 0; i < kThreads * kPerThread; ++i) {
        if (i % 3 != 0) expected.insert(i);
    }
    EXPECT_EQ(stored_ids(), expected);
    EXPECT_EQ(writer_->commands(), std::uint64_t{kThreads * kPerThread});
}

TEST_F(WriterTest, FailedCommitFailsEveryCommandOfItsGroup) {
    // A deferred foreign key is checked only at COMMIT, so the whole group's commit fails.
    writer_->execute([](SQLite::Database& db) {
        db.exec(
            "CREATE TABLE children (id INTEGER PRIMARY KEY, parent INTEGER "
            "REFERENCES items(id) DEFERRABLE INITIALLY DEFERRED)");
    });
    std::promise<void> release;
    hold_writer(release.get_future().share());
    std::promise<void> good_done;
    std::promise<void> orphan_done;
    auto good = good_done.get_future();
    auto orphan = orphan_done.get_future();
    const auto complete_into = [](std::promise<void>& p) {
        return [&p](std::exception_ptr error) {
            if (error)
                p.set_exception(error);
            else
                p.set_value();
        };
    };
    writer_->submit(
        [](sql::Db handle) {
            SQLite::Database& db = *handle.sqlite();
            insert_row(db, 1);
        },
        complete_into(good_done));
    writer_->submit(
        [](sql::Db handle) {
            SQLite::Database& db = *handle.sqlite();
            db.exec("INSERT INTO children VALUES (1, 999)");
        },
        complete_into(orphan_done));
    release.set_value();

    EXPECT_THROW(good.get(), SQLite::Exception);
    EXPECT_THROW(orphan.get(), SQLite::Exception);
    EXPECT_THAT(stored_ids(), IsEmpty());
    // The writer rolled the failed group back and goes on serving.
    writer_->execute([](SQLite::Database& db) { insert_row(db, 2); });
    EXPECT_EQ(stored_ids(), std::set<int>{2});
}

TEST_F(WriterTest, StopFinishesQueuedCommands) {
    std::promise<void> release;
    hold_writer(release.get_future().share());
    std::atomic<int> completed{0};
    for (int i = 0; i < 10; ++i) {
        writer_->submit(
            [i](sql::Db handle) {
                SQLite::Database& db = *handle.sqlite();
                insert_row(db, i);
            },
            [&completed](std::exception_ptr error) {
                if (!error) ++completed;
            });
    }
    // Release the writer only once stop() has begun (submit then refuses), so the queue is
    // drained by a stopping writer. Commands accepted meanwhile must be finished too.
    std::atomic<int> accepted_meanwhile{0};
    std::thread releaser([this, &release, &completed, &accepted_meanwhile] {
        for (;;) {
            try {
                writer_->submit([](sql::Db) {},
                                [&completed](std::exception_ptr error) {
                                    if (!error) ++completed;
                                });
                ++accepted_meanwhile;
            } catch (const WriterStopped&) {
                break;
            }
            std::this_thread::yield();
        }
        release.set_value();
    });
    writer_->stop();
    releaser.join();

    EXPECT_EQ(completed.load(), 10 + accepted_meanwhile.load());
    EXPECT_EQ(stored_ids(), (std::set<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

TEST_F(WriterTest, ExecuteAfterStopThrowsWriterStopped) {
    writer_->stop();
    EXPECT_THROW(writer_->execute([](SQLite::Database& db) { insert_row(db, 1); }), WriterStopped);
    EXPECT_THAT(stored_ids(), IsEmpty());
}

TEST_F(WriterTest, StopTwiceIsHarmless) {
    writer_->execute([](SQLite::Database& db) { insert_row(db, 1); });
    writer_->stop();
    writer_->stop();
    EXPECT_EQ(stored_ids(), std::set<int>{1});
}

TEST_F(WriterTest, CommittedRowsSurviveReopeningTheFile) {
    for (int i = 1; i <= 3; ++i) writer_->execute([i](SQLite::Database& db) { insert_row(db, i); });
    writer_.reset();  // closes the write connection

    auto reopened = open_database(file_, OpenMode::read_write, kBusyTimeout);
    EXPECT_EQ(reopened->execAndGet("SELECT count(*) FROM items").getInt(), 3);
    EXPECT_EQ(reopened->execAndGet("PRAGMA journal_mode").getString(), "wal");
}

// --- Migrator ---------------------------------------------------------------------------------

std::unique_ptr<SQLite::Database> memory_db() {
    auto db = std::make_unique<SQLite::Database>(":memory:",
                                                 SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db->exec("PRAGMA foreign_keys=ON");
    return db;
}

// The writer's statement cache: one compiled statement per SQL text for the life of the
// connection, reset and unbound between uses, and a fresh one where the cached one is busy.
constexpr const char* kCountAbove = "SELECT count(*) FROM items WHERE id > ?";

std::int64_t count_above(SQLite::Database& db, int id) {
    PreparedStatement q(db, kCountAbove);
    q->bind(1, id);
    q->executeStep();
    return q->getColumn(0).getInt64();
}

TEST_F(WriterTest, WriterCompilesEachStatementOncePerConnection) {
    writer_->execute([](SQLite::Database& db) {
        for (int id = 1; id <= 5; ++id) insert_row(db, id);
    });
    std::vector<std::int64_t> counts;
    for (int above : {0, 2, 4}) {
        counts.push_back(
            writer_->execute([above](SQLite::Database& db) { return count_above(db, above); }));
    }
    EXPECT_THAT(counts, ElementsAre(5, 3, 1));
    // The statement outlives the commands that used it: it is still compiled on the connection.
    const int compiled = writer_->execute([](SQLite::Database& db) {
        int n = 0;
        for (sqlite3_stmt* q = sqlite3_next_stmt(db.getHandle(), nullptr); q != nullptr;
             q = sqlite3_next_stmt(db.getHandle(), q)) {
            if (std::string(sqlite3_sql(q)) == kCountAbove) ++n;
        }
        return n;
    });
    EXPECT_EQ(compiled, 1);
}

TEST(StatementCache, ReusesOneStatementAndClearsItsBindings) {
    test::TempDir dir;
    auto db = open_database(dir.path() / "cache.db", OpenMode::read_write, kBusyTimeout);
    db->exec("CREATE TABLE items (id INTEGER PRIMARY KEY)");
    db->exec("INSERT INTO items (id) VALUES (1), (2), (3)");
    StatementCache cache(*db);
    StatementCache::Scope scope(cache);
    EXPECT_EQ(count_above(*db, 0), 3);
    EXPECT_EQ(count_above(*db, 2), 1);
    EXPECT_EQ(cache.size(), 1u);
    {
        // Released without binding: the previous use's value must not linger.
        PreparedStatement q(*db, kCountAbove);
        q->executeStep();
        EXPECT_EQ(q->getColumn(0).getInt64(), 0) << "id > NULL matches nothing";
    }
}

TEST(StatementCache, ABusyStatementIsCompiledAgainForANestedUse) {
    test::TempDir dir;
    auto db = open_database(dir.path() / "cache.db", OpenMode::read_write, kBusyTimeout);
    db->exec("CREATE TABLE items (id INTEGER PRIMARY KEY)");
    db->exec("INSERT INTO items (id) VALUES (1), (2), (3)");
    StatementCache cache(*db);
    StatementCache::Scope scope(cache);
    PreparedStatement outer(*db, "SELECT id FROM items ORDER BY id");
    std::vector<std::int64_t> pairs;
    while (outer->executeStep()) {
        const int id = outer->getColumn(0).getInt();
        PreparedStatement inner(*db, "SELECT id FROM items ORDER BY id");  // the cached one is busy
        inner->executeStep();
        pairs.push_back(id * 10 + inner->getColumn(0).getInt64());
    }
    EXPECT_THAT(pairs, ElementsAre(11, 21, 31));
    EXPECT_EQ(cache.size(), 1u);
}

TEST(StatementCache, WithoutACacheInScopeEachUseCompilesItsOwn) {
    test::TempDir dir;
    auto db = open_database(dir.path() / "cache.db", OpenMode::read_write, kBusyTimeout);
    db->exec("CREATE TABLE items (id INTEGER PRIMARY KEY)");
    db->exec("INSERT INTO items (id) VALUES (1), (2)");
    auto other = open_database(dir.path() / "cache.db", OpenMode::read_only, kBusyTimeout);
    StatementCache cache(*other);  // in scope, but for another connection
    StatementCache::Scope scope(cache);
    EXPECT_EQ(count_above(*db, 1), 1);
    EXPECT_EQ(cache.size(), 0u);
}

TEST(Migrator, FreshDatabaseGetsEveryEmbeddedMigration) {
    auto db = memory_db();
    const auto migrations = embedded_migrations();
    ASSERT_FALSE(migrations.empty());
    EXPECT_EQ(migrate(*db), static_cast<int>(migrations.size()));
    EXPECT_EQ(latest_schema_version(), migrations.back().version);
    EXPECT_EQ(schema_version(*db), latest_schema_version());
    EXPECT_TRUE(db->tableExists("audit_log"));
}

TEST(Migrator, EmbeddedMigrationsAreInAscendingOrder) {
    int previous = 0;
    for (const Migration& m : embedded_migrations()) {
        EXPECT_GT(m.version, previous) << m.name;
        previous = m.version;
    }
}

TEST(Migrator, SecondRunAppliesNothing) {
    auto db = memory_db();
    migrate(*db);
    EXPECT_EQ(migrate(*db), 0);
    EXPECT_EQ(schema_version(*db), latest_schema_version());
}

TEST(Migrator, NewerDatabaseIsRefusedNamingBothVersions) {
    auto db = memory_db();
    const int newer = latest_schema_version() + 1;
    db->exec("PRAGMA user_version = " + std::to_string(newer));
    try {
        migrate(*db);
        FAIL() << "migrate accepted a newer database";
    } catch (const SchemaTooNewError& e) {
        EXPECT_THAT(e.what(), HasSubstr("schema version " + std::to_string(newer)));
        EXPECT_THAT(e.what(),
                    HasSubstr("up to version " + std::to_string(latest_schema_version())));
    }
    EXPECT_EQ(schema_version(*db), newer);
}

TEST(Migrator, FailingMigrationLeavesThePreviousVersion) {
    const Migration migrations[] = {
        {1, "0001_first.sql", "CREATE TABLE first (x INTEGER);"},
        {2, "0002_broken.sql", "CREATE TABLE second (x INTEGER); CREATE TABLEX oops;"},
    };
    auto db = memory_db();
    EXPECT_THROW(migrate(*db, migrations), SQLite::Exception);
    EXPECT_EQ(schema_version(*db), 1);
    EXPECT_TRUE(db->tableExists("first"));
    EXPECT_FALSE(db->tableExists("second"));
}

TEST(Migrator, AppliesOnlyMigrationsNewerThanTheDatabase) {
    const Migration v1[] = {{1, "0001_first.sql", "CREATE TABLE first (x INTEGER);"}};
    const Migration v2[] = {
        {1, "0001_first.sql", "CREATE TABLE first (x INTEGER);"},
        {2, "0002_second.sql", "CREATE TABLE second (x INTEGER);"},
    };
    auto db = memory_db();
    ASSERT_EQ(migrate(*db, v1), 1);
    EXPECT_EQ(migrate(*db, v2), 1);  // re-running 0001 would fail: "first" exists
    EXPECT_EQ(schema_version(*db), 2);
    EXPECT_TRUE(db->tableExists("second"));
}

// --- ReadPool ---------------------------------------------------------------------------------

class ReadPoolTest : public ::testing::Test {
  protected:
    void SetUp() override {
        auto db = open_database(file_, OpenMode::read_write, kBusyTimeout);
        migrate(*db);
        writer_ = std::make_unique<Writer>(std::move(db), 100);
    }

    test::TempDir dir_;
    fs::path file_ = dir_.path() / "pakt.db";
    std::unique_ptr<Writer> writer_;
};

TEST_F(ReadPoolTest, AcquireWaitsUntilALeaseIsReturned) {
    ReadPool pool(file_, 2, kBusyTimeout);
    std::optional<ReadPool::Lease> first(pool.acquire());
    auto second = pool.acquire();

    auto third = std::async(std::launch::async, [&pool] {
        auto lease = pool.acquire();
        return lease.db().execAndGet("SELECT 1").getInt();
    });
    EXPECT_EQ(third.wait_for(seconds(0)), std::future_status::timeout);
    first.reset();
    EXPECT_EQ(third.get(), 1);
}

TEST_F(ReadPoolTest, ReadersSeeWhatTheWriterCommitted) {
    ReadPool pool(file_, 1, kBusyTimeout);
    writer_->execute([](SQLite::Database& db) {
        School s;
        s.school_number = "165432";
        s.name = "Gymnasium Essen-Werden";
        insert_school(db, s);
    });
    auto lease = pool.acquire();
    EXPECT_TRUE(school_exists(lease.db(), "165432"));
}

TEST_F(ReadPoolTest, LeasedConnectionsAreReadOnly) {
    ReadPool pool(file_, 1, kBusyTimeout);
    auto lease = pool.acquire();
    School s;
    s.school_number = "165432";
    EXPECT_THROW(insert_school(lease.db(), s), SQLite::Exception);
}

TEST_F(ReadPoolTest, AMovedLeaseReturnsItsConnectionOnce) {
    ReadPool pool(file_, 1, kBusyTimeout);
    {
        auto lease = pool.acquire();
        ReadPool::Lease moved(std::move(lease));
        EXPECT_EQ(moved.db().execAndGet("SELECT 2").getInt(), 2);
    }
    auto again = pool.acquire();  // would wait forever if the connection were lost
    EXPECT_EQ(again.db().execAndGet("SELECT 3").getInt(), 3);
}

// --- Repositories -----------------------------------------------------------------------------

// A migrated in-memory database per test.
class RepositoryTest : public ::testing::Test {
  protected:
    void SetUp() override { migrate(*db_); }

    void add_school(const std::string& number) {
        School s;
        s.school_number = number;
        s.name = "School " + number;
        insert_school(*db_, s);
    }

    std::int64_t add_user(const std::string& username, Role role = Role::city_admin,
                          std::vector<std::string> schools = {}) {
        UserRecord u;
        u.username = username;
        u.display_name = "Display " + username;
        u.role = role;
        u.schools = std::move(schools);
        u.password_hash = "$argon2id$placeholder";
        return insert_user(*db_, u);
    }

    std::unique_ptr<SQLite::Database> db_ = memory_db();
};

TEST_F(RepositoryTest, SchoolRoundTrips) {
    School s;
    s.school_number = "165432";
    s.name = "Gymnasium Essen-Werden";
    s.school_type = "Gymnasium";
    s.district = "Werden";
    s.address = "Grafenstraße 9, 45239 Essen";
    s.latitude = 51.3884;
    s.longitude = 7.0012;
    insert_school(*db_, s);

    auto found = find_school(*db_, "165432");
    ASSERT_TRUE(found);
    EXPECT_EQ(found->school_number, s.school_number);
    EXPECT_EQ(found->name, s.name);
    EXPECT_EQ(found->school_type, s.school_type);
    EXPECT_EQ(found->district, s.district);
    EXPECT_EQ(found->address, s.address);
    EXPECT_EQ(found->latitude, s.latitude);
    EXPECT_EQ(found->longitude, s.longitude);
    EXPECT_FALSE(found->created_at.empty());
    EXPECT_EQ(found->created_at, found->updated_at);
}

TEST_F(RepositoryTest, UnknownSchoolIsAbsent) {
    EXPECT_FALSE(find_school(*db_, "999999"));
    EXPECT_FALSE(school_exists(*db_, "999999"));
}

TEST_F(RepositoryTest, DuplicateSchoolViolatesThePrimaryKey) {
    add_school("165432");
    try {
        add_school("165432");
        FAIL() << "inserted a school twice";
    } catch (const SQLite::Exception& e) {
        EXPECT_EQ(e.getExtendedErrorCode(), SQLITE_CONSTRAINT_PRIMARYKEY) << e.what();
    }
}

TEST_F(RepositoryTest, UpdateSchoolWritesFieldsAndClearsCoordinates) {
    School s;
    s.school_number = "165432";
    s.latitude = 51.0;
    s.longitude = 7.0;
    insert_school(*db_, s);
    s.name = "Neuer Name";
    s.latitude.reset();
    s.longitude.reset();
    EXPECT_TRUE(update_school(*db_, s));

    auto found = find_school(*db_, "165432");
    ASSERT_TRUE(found);
    EXPECT_EQ(found->name, "Neuer Name");
    EXPECT_FALSE(found->latitude);
    EXPECT_FALSE(found->longitude);
}

TEST_F(RepositoryTest, UpdateOfUnknownSchoolReturnsFalse) {
    School s;
    s.school_number = "999999";
    EXPECT_FALSE(update_school(*db_, s));
    EXPECT_FALSE(school_exists(*db_, "999999"));
}

std::vector<std::string> numbers_of(const std::vector<School>& schools) {
    std::vector<std::string> numbers;
    for (const auto& s : schools) numbers.push_back(s.school_number);
    return numbers;
}

TEST_F(RepositoryTest, ListSchoolsPagesInAscendingOrder) {
    for (const char* n : {"300000", "100000", "200000", "400000"}) add_school(n);
    EXPECT_THAT(numbers_of(list_schools(*db_, "", 2, std::nullopt)),
                ElementsAre("100000", "200000"));
    EXPECT_THAT(numbers_of(list_schools(*db_, "200000", 2, std::nullopt)),
                ElementsAre("300000", "400000"));
    EXPECT_THAT(list_schools(*db_, "400000", 2, std::nullopt), IsEmpty());
}

TEST_F(RepositoryTest, ListSchoolsRestrictedToGivenSchools) {
    for (const char* n : {"100000", "200000", "300000", "400000"}) add_school(n);
    const std::vector<std::string> only = {"200000", "400000", "500000"};  // 500000 does not exist
    EXPECT_THAT(numbers_of(list_schools(*db_, "", 10, only)), ElementsAre("200000", "400000"));
    EXPECT_THAT(numbers_of(list_schools(*db_, "200000", 10, only)), ElementsAre("400000"));
    EXPECT_THAT(numbers_of(list_schools(*db_, "", 1, only)), ElementsAre("200000"));
}

TEST_F(RepositoryTest, UserRoundTripsWithSortedSchools) {
    add_school("200000");
    add_school("100000");
    const auto id = add_user("it-a", Role::school_it, {"200000", "100000"});

    auto found = find_user_by_id(*db_, id);
    ASSERT_TRUE(found);
    EXPECT_EQ(found->id, id);
    EXPECT_EQ(found->username, "it-a");
    EXPECT_EQ(found->display_name, "Display it-a");
    EXPECT_EQ(found->role, Role::school_it);
    EXPECT_THAT(found->schools, ElementsAre("100000", "200000"));
    EXPECT_EQ(found->password_hash, "$argon2id$placeholder");
    EXPECT_FALSE(found->disabled);
    EXPECT_FALSE(found->created_at.empty());

    const Principal p = found->principal();
    EXPECT_EQ(p.user_id, id);
    EXPECT_EQ(p.role, Role::school_it);
    EXPECT_TRUE(p.has_school("100000"));
}

TEST_F(RepositoryTest, UsernameLookupIgnoresCase) {
    const auto id = add_user("Anna.Schmidt");
    auto found = find_user_by_username(*db_, "anna.schmidt");
    ASSERT_TRUE(found);
    EXPECT_EQ(found->id, id);
    EXPECT_EQ(found->username, "Anna.Schmidt");
    EXPECT_FALSE(find_user_by_username(*db_, "anna"));
}

TEST_F(RepositoryTest, UsernameDifferingOnlyInCaseIsAUniqueViolation) {
    add_user("admin");
    try {
        add_user("ADMIN");
        FAIL() << "inserted a second 'admin'";
    } catch (const SQLite::Exception& e) {
        EXPECT_EQ(e.getExtendedErrorCode(), SQLITE_CONSTRAINT_UNIQUE) << e.what();
    }
}

TEST_F(RepositoryTest, UserWithUnknownSchoolIsRefused) {
    EXPECT_THROW(add_user("it-x", Role::school_it, {"999999"}), SQLite::Exception);
}

TEST_F(RepositoryTest, UpdateUserReplacesFieldsAndSchools) {
    add_school("100000");
    add_school("200000");
    const auto id = add_user("head", Role::headteacher, {"100000"});
    auto user = find_user_by_id(*db_, id).value();
    user.display_name = "Frau Berger";
    user.role = Role::school_it;
    user.schools = {"200000"};
    user.password_hash = "$argon2id$other";
    user.disabled = true;
    update_user(*db_, user);

    auto found = find_user_by_id(*db_, id).value();
    EXPECT_EQ(found.display_name, "Frau Berger");
    EXPECT_EQ(found.role, Role::school_it);
    EXPECT_THAT(found.schools, ElementsAre("200000"));
    EXPECT_EQ(found.password_hash, "$argon2id$other");
    EXPECT_TRUE(found.disabled);
}

TEST_F(RepositoryTest, ListUsersPagesById) {
    const auto a = add_user("user-a");
    const auto b = add_user("user-b");
    const auto c = add_user("user-c");
    auto first = list_users(*db_, 0, 2);
    ASSERT_EQ(first.size(), 2u);
    EXPECT_EQ(first[0].id, a);
    EXPECT_EQ(first[1].id, b);
    auto rest = list_users(*db_, b, 2);
    ASSERT_EQ(rest.size(), 1u);
    EXPECT_EQ(rest[0].id, c);
}

TEST_F(RepositoryTest, CountsOnlyEnabledCityAdmins) {
    add_school("100000");
    add_user("admin-1");
    const auto second = add_user("admin-2");
    add_user("it-a", Role::school_it, {"100000"});
    EXPECT_EQ(count_enabled_city_admins(*db_), 2);
    auto user = find_user_by_id(*db_, second).value();
    user.disabled = true;
    update_user(*db_, user);
    EXPECT_EQ(count_enabled_city_admins(*db_), 1);
}

TEST_F(RepositoryTest, SessionIsFoundUntilItExpires) {
    const auto user = add_user("admin");
    insert_session(*db_, "hash-1", user, "2026-09-01T08:00:00Z", "192.0.2.1");

    auto owner = find_bearer(*db_, "hash-1", "2026-09-01T07:59:59Z", "2026-09-01");
    ASSERT_TRUE(owner);
    EXPECT_EQ(owner->user_id, user);
    EXPECT_FALSE(owner->is_api_token);
    EXPECT_FALSE(owner->api_token_id);
    EXPECT_FALSE(find_bearer(*db_, "hash-1", "2026-09-01T08:00:00Z", "2026-09-01"));
    EXPECT_FALSE(find_bearer(*db_, "hash-1", "2026-09-02T00:00:00Z", "2026-09-02"));
    EXPECT_FALSE(find_bearer(*db_, "other-hash", "2026-09-01T07:00:00Z", "2026-09-01"));
}

TEST_F(RepositoryTest, ApiTokenIsValidThroughItsLastDay) {
    const auto user = add_user("admin");
    const auto token = insert_api_token(*db_, user, "inventory script", "token-hash", "2026-09-01");

    auto owner = find_bearer(*db_, "token-hash", "2026-09-01T23:59:59Z", "2026-09-01");
    ASSERT_TRUE(owner);
    EXPECT_EQ(owner->user_id, user);
    EXPECT_TRUE(owner->is_api_token);
    EXPECT_EQ(owner->api_token_id, token);
    EXPECT_FALSE(find_bearer(*db_, "token-hash", "2026-09-02T00:00:00Z", "2026-09-02"));
}

TEST_F(RepositoryTest, ApiTokenWithoutExpiryNeverExpires) {
    const auto user = add_user("admin");
    insert_api_token(*db_, user, "forever", "token-hash", std::nullopt);
    EXPECT_TRUE(find_bearer(*db_, "token-hash", "2099-12-31T23:59:59Z", "2099-12-31"));
}

TEST_F(RepositoryTest, DeleteSessionReportsWhetherItExisted) {
    const auto user = add_user("admin");
    insert_session(*db_, "hash-1", user, "2026-09-01T08:00:00Z", "");
    EXPECT_TRUE(delete_session(*db_, "hash-1"));
    EXPECT_FALSE(delete_session(*db_, "hash-1"));
    EXPECT_FALSE(find_bearer(*db_, "hash-1", "2026-09-01T07:00:00Z", "2026-09-01"));
}

TEST_F(RepositoryTest, DeleteSessionsOfUserKeepsOtherUsersSessions) {
    const auto anna = add_user("anna");
    const auto ben = add_user("ben");
    insert_session(*db_, "anna-1", anna, "2026-09-01T08:00:00Z", "");
    insert_session(*db_, "anna-2", anna, "2026-09-01T08:00:00Z", "");
    insert_session(*db_, "ben-1", ben, "2026-09-01T08:00:00Z", "");
    delete_sessions_of_user(*db_, anna);
    EXPECT_FALSE(find_bearer(*db_, "anna-1", "2026-09-01T07:00:00Z", "2026-09-01"));
    EXPECT_FALSE(find_bearer(*db_, "anna-2", "2026-09-01T07:00:00Z", "2026-09-01"));
    EXPECT_TRUE(find_bearer(*db_, "ben-1", "2026-09-01T07:00:00Z", "2026-09-01"));
}

TEST_F(RepositoryTest, DeleteExpiredSessionsRemovesOnlyExpiredOnes) {
    const auto user = add_user("admin");
    insert_session(*db_, "old", user, "2026-09-01T08:00:00Z", "");
    insert_session(*db_, "edge", user, "2026-09-01T09:00:00Z", "");
    insert_session(*db_, "new", user, "2026-09-01T10:00:00Z", "");
    EXPECT_EQ(delete_expired_sessions(*db_, "2026-09-01T09:00:00Z"), 2);
    EXPECT_TRUE(find_bearer(*db_, "new", "2026-09-01T09:30:00Z", "2026-09-01"));
}

TEST_F(RepositoryTest, ApiTokensListFindAndDelete) {
    const auto anna = add_user("anna");
    const auto ben = add_user("ben");
    const auto first = insert_api_token(*db_, anna, "first", "h1", "2026-12-31");
    const auto second = insert_api_token(*db_, anna, "second", "h2", std::nullopt);
    insert_api_token(*db_, ben, "bens", "h3", std::nullopt);

    auto tokens = list_api_tokens(*db_, anna);
    ASSERT_EQ(tokens.size(), 2u);
    EXPECT_EQ(tokens[0].id, first);
    EXPECT_EQ(tokens[0].name, "first");
    EXPECT_EQ(tokens[0].user_id, anna);
    EXPECT_EQ(tokens[0].expires_on, "2026-12-31");
    EXPECT_EQ(tokens[1].id, second);
    EXPECT_FALSE(tokens[1].expires_on);

    auto found = find_api_token(*db_, second);
    ASSERT_TRUE(found);
    EXPECT_EQ(found->name, "second");
    EXPECT_TRUE(delete_api_token(*db_, second));
    EXPECT_FALSE(delete_api_token(*db_, second));
    EXPECT_FALSE(find_api_token(*db_, second));
    EXPECT_FALSE(find_bearer(*db_, "h2", "2026-01-01T00:00:00Z", "2026-01-01"));
}

struct StoredAudit {
    std::int64_t id;
    std::string at;
    std::optional<std::int64_t> actor_user_id;
    std::string actor, action, object_type, object_id;
    std::optional<std::string> school_number;
    std::string detail, request_id, prev_hash, hash;
};

std::vector<StoredAudit> audit_rows(SQLite::Database& db) {
    SQLite::Statement q(
        db,
        "SELECT id, at, actor_user_id, actor, action, object_type, object_id, "
        "school_number, detail, request_id, prev_hash, hash FROM audit_log ORDER BY id");
    std::vector<StoredAudit> rows;
    while (q.executeStep()) {
        StoredAudit r;
        r.id = q.getColumn(0).getInt64();
        r.at = q.getColumn(1).getString();
        if (!q.getColumn(2).isNull()) r.actor_user_id = q.getColumn(2).getInt64();
        r.actor = q.getColumn(3).getString();
        r.action = q.getColumn(4).getString();
        r.object_type = q.getColumn(5).getString();
        r.object_id = q.getColumn(6).getString();
        if (!q.getColumn(7).isNull()) r.school_number = q.getColumn(7).getString();
        r.detail = q.getColumn(8).getString();
        r.request_id = q.getColumn(9).getString();
        r.prev_hash = q.getColumn(10).getString();
        r.hash = q.getColumn(11).getString();
        rows.push_back(std::move(r));
    }
    return rows;
}

AuditEntry audit(std::string action, std::optional<std::string> school) {
    AuditEntry e;
    e.actor_user_id = 7;
    e.actor = "admin";
    e.action = std::move(action);
    e.object_type = "school";
    e.object_id = school.value_or("city");
    e.school_number = std::move(school);
    e.detail = {{"name", "Gymnasium"}};
    e.request_id = "req-1";
    return e;
}

TEST_F(RepositoryTest, AuditEntriesFormAHashChain) {
    const auto first = append_audit(*db_, audit("school.create", "165432"));
    const auto second = append_audit(*db_, audit("school.update", "165432"));
    const auto third = append_audit(*db_, audit("user.create", std::nullopt));
    EXPECT_LT(first, second);
    EXPECT_LT(second, third);

    auto rows = audit_rows(*db_);
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(rows[0].id, first);
    EXPECT_EQ(rows[1].id, second);
    EXPECT_EQ(rows[2].id, third);
    EXPECT_EQ(rows[0].prev_hash, std::string(64, '0'));
    for (std::size_t i = 1; i < rows.size(); ++i) {
        EXPECT_EQ(rows[i].prev_hash, rows[i - 1].hash) << "entry " << rows[i].id;
    }
    std::set<std::string> hashes;
    for (const auto& r : rows) {
        EXPECT_EQ(r.hash.size(), 64u);
        hashes.insert(r.hash);
    }
    EXPECT_EQ(hashes.size(), 3u);
}

TEST_F(RepositoryTest, AuditEntryStoresWhatWasGiven) {
    append_audit(*db_, audit("school.create", "165432"));
    AuditEntry system;
    system.actor = "system";
    system.action = "session.purge";
    system.object_type = "session";
    system.object_id = "*";
    append_audit(*db_, system);

    auto rows = audit_rows(*db_);
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0].actor_user_id, 7);
    EXPECT_EQ(rows[0].actor, "admin");
    EXPECT_EQ(rows[0].action, "school.create");
    EXPECT_EQ(rows[0].school_number, "165432");
    EXPECT_EQ(nlohmann::json::parse(rows[0].detail), (nlohmann::json{{"name", "Gymnasium"}}));
    EXPECT_EQ(rows[0].request_id, "req-1");
    EXPECT_FALSE(rows[0].at.empty());
    EXPECT_FALSE(rows[1].actor_user_id);
    EXPECT_FALSE(rows[1].school_number);
    EXPECT_EQ(rows[1].detail, "{}");
}

// The hash is reproducible from the stored row alone, which is what makes the chain verifiable
// (paktctl audit verify recomputes it the same way).
TEST_F(RepositoryTest, AuditHashIsReproducibleFromTheStoredRow) {
    append_audit(*db_, audit("school.create", "165432"));
    append_audit(*db_, audit("user.create", std::nullopt));
    for (const auto& r : audit_rows(*db_)) {
        const std::string actor_id = r.actor_user_id ? std::to_string(*r.actor_user_id) : "";
        const std::string content = std::to_string(r.id) + '\x1f' + r.at + '\x1f' + actor_id +
                                    '\x1f' + r.actor + '\x1f' + r.action + '\x1f' + r.object_type +
                                    '\x1f' + r.object_id + '\x1f' + r.school_number.value_or("") +
                                    '\x1f' + r.detail + '\x1f' + r.request_id + '\x1f' +
                                    r.prev_hash;
        EXPECT_EQ(r.hash, sha256_hex(content)) << "entry " << r.id;
    }
}

TEST_F(RepositoryTest, AuditEntryRolledBackWithItsTransactionLeavesTheChainIntact) {
    append_audit(*db_, audit("school.create", "165432"));
    {
        SQLite::Transaction tx(*db_);
        append_audit(*db_, audit("school.update", "165432"));
    }  // rolled back
    append_audit(*db_, audit("school.update", "165432"));
    auto rows = audit_rows(*db_);
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[1].id, rows[0].id + 1);
    EXPECT_EQ(rows[1].prev_hash, rows[0].hash);
}

// Site agents of one school, for the agent list's interval and state.
class AgentListTest : public RepositoryTest {
  protected:
    void SetUp() override {
        RepositoryTest::SetUp();
        add_school("165432");
        secret_ = insert_agent_secret(*db_, "165432", "hash", "it", "2099-01-01T00:00:00Z");
    }

    std::int64_t add_agent(const std::string& hostname) {
        Agent a;
        a.school_number = "165432";
        a.hostname = hostname;
        a.agent_version = "1";
        return insert_agent(*db_, a, sha256_hex(hostname), secret_);
    }

    void checked_in(std::int64_t agent, Clock::time_point at) {
        SQLite::Statement q(*db_, "UPDATE agents SET last_checkin_at = ? WHERE id = ?");
        q.bind(1, format_rfc3339(at));
        q.bind(2, agent);
        q.exec();
    }

    std::map<std::int64_t, ListedAgent> listed(const AgentFilter& filter) {
        std::map<std::int64_t, ListedAgent> out;
        for (auto& row : list_agents(*db_, filter)) out.emplace(row.agent.id, row);
        return out;
    }

    std::int64_t secret_ = 0;
    const Clock::time_point now_ = *parse_rfc3339("2026-03-02T10:00:00Z");
};

TEST_F(AgentListTest, IntervalInTheListIsTheOneTheAgentIsTold) {
    for (int i = 0; i < 40; ++i) add_agent("box-" + std::to_string(i));
    for (std::int64_t base : {900, 60, 10, 9, 1}) {
        AgentFilter f;
        f.base_interval_s = base;
        f.limit = 100;
        const auto rows = listed(f);
        ASSERT_EQ(rows.size(), 40u);
        std::set<std::int64_t> distinct;
        for (const auto& [id, row] : rows) {
            EXPECT_EQ(row.checkin_interval_s, checkin_interval_s(base, id))
                << "base " << base << ", agent " << id;
            EXPECT_GE(row.checkin_interval_s, std::max<std::int64_t>(1, base - base / 10));
            EXPECT_LE(row.checkin_interval_s, base + base / 10);
            distinct.insert(row.checkin_interval_s);
        }
        if (base == 900) {
            EXPECT_GT(distinct.size(), 20u) << "the intervals are spread";
        }
    }
}

TEST_F(AgentListTest, StateIsJudgedAgainstTwoAndTwelveIntervals) {
    const auto never = add_agent("never");
    const auto on_time = add_agent("on-time");
    const auto just_late = add_agent("just-late");
    const auto late = add_agent("late");
    const auto silent = add_agent("silent");
    const auto interval = [](std::int64_t id) {
        return std::chrono::seconds(checkin_interval_s(900, id));
    };
    checked_in(on_time, now_ - 2 * interval(on_time) - std::chrono::seconds(60));
    checked_in(just_late, now_ - 2 * interval(just_late) - std::chrono::seconds(61));
    checked_in(late, now_ - 12 * interval(late));
    checked_in(silent, now_ - 12 * interval(silent) - std::chrono::seconds(1));
    AgentFilter f;
    f.now = now_;
    const auto rows = listed(f);
    EXPECT_EQ(rows.at(never).state, "silent");
    EXPECT_EQ(rows.at(on_time).state, "on_time");
    EXPECT_EQ(rows.at(just_late).state, "late");
    EXPECT_EQ(rows.at(late).state, "late");
    EXPECT_EQ(rows.at(silent).state, "silent");
}

TEST_F(AgentListTest, StateFilterLeavesOutRevokedAgentsAndPagesWhole) {
    std::vector<std::int64_t> late;
    for (int i = 0; i < 5; ++i) {
        const auto fresh = add_agent("fresh-" + std::to_string(i));
        checked_in(fresh, now_ - std::chrono::seconds(30));
        const auto slow = add_agent("slow-" + std::to_string(i));
        checked_in(slow, now_ - std::chrono::hours(2));
        late.push_back(slow);
    }
    const auto revoked = add_agent("revoked");
    checked_in(revoked, now_ - std::chrono::hours(2));
    revoke_agent(*db_, revoked, format_rfc3339(now_));

    AgentFilter f;
    f.now = now_;
    f.state = "late";
    f.limit = 2;
    std::vector<std::int64_t> seen;
    for (int page = 0; page < 10; ++page) {
        const auto rows = list_agents(*db_, f);
        for (const auto& row : rows) {
            EXPECT_EQ(row.state, "late");
            seen.push_back(row.agent.id);
        }
        if (rows.size() < 2) break;
        EXPECT_EQ(rows.size(), 2u) << "a page is full while more agents match";
        f.after_id = rows.back().agent.id;
    }
    EXPECT_EQ(seen, late);
    f.state.reset();
    f.after_id = 0;
    f.limit = 100;
    EXPECT_EQ(listed(f).at(revoked).state, "late") << "unfiltered, a revoked agent keeps its state";
}

// School 165432 with `devices` enrolled devices DMPX10000000, DMPX10000001, ... and an agent.
Agent seed_school_with_agent(SQLite::Database& db, int devices) {
    db.exec(
        "INSERT INTO schools (school_number, name, created_at, updated_at) VALUES "
        "('165432', 'A', 'x', 'x')");
    db.exec(
        "INSERT INTO grants (programme_code, reference, amount_cents, approved_on, spend_by, "
        "earmark_end, created_at, updated_at) VALUES ('EIGEN', 'AZ-1', 1, '2024-01-01', "
        "'2024-12-31', '2029-12-31', 'x', 'x')");
    db.exec(
        "INSERT INTO tranches (school_number, grant_id, delivered_on, unit_price_cents, "
        "expected_count, created_at, updated_at) VALUES ('165432', 1, '2024-05-01', 1, 100000, "
        "'x', 'x')");
    SQLite::Statement device(
        db,
        "INSERT INTO devices (serial_number, tranche_id, school_number, "
        "enrolled_at, enrolled_by, updated_at) VALUES (?, 1, '165432', 'x', 'x', 'x')");
    for (int i = 0; i < devices; ++i) {
        device.bind(1, "DMPX" + std::to_string(10000000 + i));
        device.exec();
        device.reset();
    }
    Agent agent;
    agent.school_number = "165432";
    agent.hostname = "box";
    agent.agent_version = "1";
    const auto secret =
        insert_agent_secret(db, "165432", sha256_hex("secret"), "it", "2099-01-01T00:00:00Z");
    agent.id = insert_agent(db, agent, sha256_hex("node"), secret);
    return agent;
}

// A report of the first `devices` devices of seed_school_with_agent, all seen at `seen_at`.
CheckinReport report_of(int devices, const std::string& report_id, const std::string& seen_at) {
    CheckinReport report;
    report.report_id = report_id;
    report.generated_at = seen_at;
    report.agent_version = "1";
    for (int i = 0; i < devices; ++i) {
        report.devices.push_back(
            {"DMPX" + std::to_string(10000000 + i), seen_at, "17.5", {}, {}, true, {}});
    }
    return report;
}

// A check-in reads the devices it reports, not its school's whole inventory: the SQLite virtual
// machine's work for a 10-device report is the same at a school of 20 devices and of 2,000.
// Counted with the progress handler (every 10 VM instructions), not timed.
TEST(CheckinCost, DoesNotGrowWithTheSchoolsSize) {
    const auto work_at_school_of = [](int devices) {
        auto db = memory_db();
        migrate(*db);
        const Agent agent = seed_school_with_agent(*db, devices);
        CheckinReport report = report_of(10, "r-1", "2026-11-30T08:00:00Z");
        report.devices.push_back(
            {"DMPZ00000001", "2026-11-30T08:00:00Z", {}, {}, {}, {}, {}});  // enrolled nowhere
        // The first check-in sees every device for the first time; the second, like nearly every
        // check-in, sees them again.
        std::pair<std::int64_t, std::int64_t> ticks{0, 0};
        for (std::int64_t* counter : {&ticks.first, &ticks.second}) {
            sqlite3_progress_handler(
                db->getHandle(), 10,
                [](void* count) {
                    ++*static_cast<std::int64_t*>(count);
                    return 0;
                },
                counter);
            SQLite::Transaction transaction(*db);
            const auto outcome = apply_checkin_on(*db, agent, report, "2026-11-30T08:00:01Z", 14);
            transaction.commit();
            sqlite3_progress_handler(db->getHandle(), 0, nullptr, nullptr);
            EXPECT_EQ(outcome.accepted, 10);
            report.report_id = "r-2";
            for (auto& observation : report.devices) observation.seen_at = "2026-11-30T08:15:00Z";
        }
        return ticks;
    };
    const auto small = work_at_school_of(20);
    const auto large = work_at_school_of(2000);
    ASSERT_GT(small.first, 0);
    ASSERT_GT(small.second, 0);
    // One B-tree level more for 100 times the devices, nothing per device of the school.
    EXPECT_LT(large.first, small.first * 3 / 2)
        << "first check-in, 20 devices: " << small.first << ", 2000 devices: " << large.first;
    EXPECT_LT(large.second, small.second * 3 / 2)
        << "second check-in, 20 devices: " << small.second << ", 2000 devices: " << large.second;
}

// Sub-journal files opened by SQLite: a VFS that forwards everything to the default one.
struct SubJournalFiles {
    static inline std::atomic<int> opened{0};
    static inline sqlite3_vfs* base = nullptr;
    static inline sqlite3_vfs counting{};
    static int open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* file, int flags, int* out) {
        if ((flags & SQLITE_OPEN_SUBJOURNAL) != 0) ++opened;
        return base->xOpen(base, name, file, flags, out);
    }
    SubJournalFiles() {
        base = sqlite3_vfs_find(nullptr);
        counting = *base;
        counting.zName = "pakt-test-counting";
        counting.xOpen = &SubJournalFiles::open;
        sqlite3_vfs_register(&counting, 1);
    }
    ~SubJournalFiles() { sqlite3_vfs_unregister(&counting); }
};

// Every writer command runs in a savepoint, and SQLite keeps what a savepoint changed in a
// sub-journal. The writer keeps it in memory: a check-in that rewrites a 2,000-device school's
// reports (about 300 KB of pages) sent it to a temporary file under SQLite's default limit of
// 64 KiB, one pwrite per page, most of the writer's system calls in a backlog drain.
TEST(CheckinCost, TheWritersSubJournalStaysInMemory) {
    SubJournalFiles files;
    test::TempDir dir;
    const auto file = dir.path() / "pakt.db";
    auto db = open_database(file, OpenMode::read_write, kBusyTimeout);
    migrate(*db);
    const Agent agent = seed_school_with_agent(*db, 2000);
    Writer writer(std::move(db), 256);
    const auto check_in = [&](const CheckinReport& report) {
        return writer.execute([&](SQLite::Database& conn) {
            return apply_checkin_on(conn, agent, report, report.generated_at, 14).accepted;
        });
    };
    EXPECT_EQ(check_in(report_of(2000, "r-1", "2026-11-30T08:00:00Z")), 2000);
    EXPECT_EQ(check_in(report_of(2000, "r-2", "2026-11-30T08:15:00Z")), 2000);
    writer.stop();
    EXPECT_EQ(SubJournalFiles::opened.load(), 0);

    // The same check-in in a savepoint on a connection with SQLite's defaults writes the file
    // (so the count above can fail).
    auto plain = open_database(file, OpenMode::read_write, kBusyTimeout);
    SQLite::Transaction transaction(*plain);
    plain->exec("SAVEPOINT command");
    const auto report = report_of(2000, "r-3", "2026-11-30T08:30:00Z");
    EXPECT_EQ(apply_checkin_on(*plain, agent, report, report.generated_at, 14).accepted, 2000);
    plain->exec("RELEASE command");
    transaction.commit();
    EXPECT_GE(SubJournalFiles::opened.load(), 1);
}

}  // namespace
}  // namespace pakt::server
