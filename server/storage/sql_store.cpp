// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "server/storage/sql_store.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>

#include "server/storage/read_pool.hpp"
#include "server/storage/report_repository.hpp"
#include "server/storage/sql_repositories.hpp"
#include "server/storage/writer.hpp"

namespace pakt::server {
namespace {

class SqlInventoryCursor final : public InventoryCursor {
  public:
    SqlInventoryCursor(sql::Db db, const ReportFilter& filter) try : reader_(db, filter) {
    } catch (...) {
        rethrow_as_store_error();
    }

    bool next(InventoryRow& row) override {
        try {
            return reader_.next(row);
        } catch (...) {
            rethrow_as_store_error();
        }
    }

  private:
    InventoryReader reader_;
};

class SqlReadView final : public ReadView {
  public:
    explicit SqlReadView(ReadPool::Lease lease)
        : lease_(std::move(lease)), repositories_(lease_.handle(), &lease_.statements(), true) {}

    Repositories& repositories() override { return repositories_; }
    std::unique_ptr<InventoryCursor> inventory(const ReportFilter& filter) override {
        return std::make_unique<SqlInventoryCursor>(lease_.handle(), filter);
    }
    void ping() override {
        try {
            lease_.handle().exec("SELECT 1");
        } catch (...) {
            rethrow_as_store_error();
        }
    }

  private:
    ReadPool::Lease lease_;
    SqlRepositories repositories_;
};

}  // namespace

ReadLease SqlStore::read() { return ReadLease(std::make_unique<SqlReadView>(reads_.acquire())); }

void SqlStore::submit(std::function<void(Repositories&)> run,
                      std::function<void(std::exception_ptr)> complete) {
    writer_.submit(
        [run = std::move(run)](sql::Db db) {
            // The writer's thread has its statement cache in scope already.
            SqlRepositories repositories(db);
            run(repositories);
        },
        [complete = std::move(complete)](std::exception_ptr error) {
            complete(as_store_error(std::move(error)));
        });
}

void SqlStore::stop() { writer_.stop(); }
std::uint64_t SqlStore::commits() const { return writer_.commits(); }
std::uint64_t SqlStore::commands() const { return writer_.commands(); }

}  // namespace pakt::server
