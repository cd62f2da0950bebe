#include "server/storage/sqlite_store.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>

#include "server/storage/read_pool.hpp"
#include "server/storage/report_repository.hpp"
#include "server/storage/sql_repositories.hpp"
#include "server/storage/writer.hpp"

namespace pakt::server {
namespace {

class SqliteInventoryCursor final : public InventoryCursor {
  public:
    SqliteInventoryCursor(SQLite::Database& db, const ReportFilter& filter) try
        : reader_(db, filter) {
    } catch (const SQLite::Exception& e) {
        throw_store_error(e);
    }

    bool next(InventoryRow& row) override {
        try {
            return reader_.next(row);
        } catch (const SQLite::Exception& e) {
            throw_store_error(e);
        }
    }

  private:
    InventoryReader reader_;
};

class SqliteReadView final : public ReadView {
  public:
    explicit SqliteReadView(ReadPool::Lease lease)
        : lease_(std::move(lease)), repositories_(lease_.db(), &lease_.statements(), true) {}

    Repositories& repositories() override { return repositories_; }
    std::unique_ptr<InventoryCursor> inventory(const ReportFilter& filter) override {
        return std::make_unique<SqliteInventoryCursor>(lease_.db(), filter);
    }

  private:
    ReadPool::Lease lease_;
    SqlRepositories repositories_;
};

}  // namespace

ReadLease SqliteStore::read() {
    return ReadLease(std::make_unique<SqliteReadView>(reads_.acquire()));
}

void SqliteStore::submit(std::function<void(Repositories&)> run,
                         std::function<void(std::exception_ptr)> complete) {
    writer_.submit(
        [run = std::move(run)](SQLite::Database& db) {
            // The writer's thread has its statement cache in scope already.
            SqlRepositories repositories(db);
            run(repositories);
        },
        [complete = std::move(complete)](std::exception_ptr error) {
            complete(as_store_error(std::move(error)));
        });
}

void SqliteStore::stop() { writer_.stop(); }
std::uint64_t SqliteStore::commits() const { return writer_.commits(); }
std::uint64_t SqliteStore::commands() const { return writer_.commands(); }

}  // namespace pakt::server
