// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// The domain's door to storage. A Store lends read views and runs write units of work; both see
// the data through Repositories (server/domain/repositories.hpp). Writes are queued to one writer
// per instance that commits them in groups: each unit of work runs in its own savepoint inside the
// group's transaction, and its caller is answered only once the group has committed durably.
// The implementation is in server/storage.
#include <cstdint>
#include <exception>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "server/domain/repositories.hpp"

namespace pakt::server {

/// Thrown to callers once the store has been stopped (the server is shutting down).
class StoreStopped : public std::runtime_error {
  public:
    StoreStopped() : std::runtime_error("the database writer is shutting down") {}
};

/// The database could not take the request now (locked, too many connections); retrying later
/// may succeed.
class StoreBusy : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

/// Any other failure of the database; `code` is the backend's error code, for the log.
class StoreError : public std::runtime_error {
  public:
    StoreError(const std::string& message, std::string code)
        : std::runtime_error(message), code_(std::move(code)) {}
    const std::string& code() const { return code_; }

  private:
    std::string code_;
};

/// The inventory one row per device, in (school number, serial number) order, from one snapshot;
/// memory stays constant however many devices there are. Not thread-safe, but may be used from
/// different threads one after another (a streamed download).
class InventoryCursor {
  public:
    virtual ~InventoryCursor() = default;
    /// Fills `row` with the next device (reusing its strings' capacity); false after the last.
    virtual bool next(InventoryRow& row) = 0;
};

/// A borrowed read connection, returned to its pool when destroyed.
class ReadView {
  public:
    virtual ~ReadView() = default;
    virtual Repositories& repositories() = 0;
    /// The inventory matching `filter` (its grant_id ignored). The view must outlive the cursor.
    virtual std::unique_ptr<InventoryCursor> inventory(const ReportFilter& filter) = 0;
    /// Asks the database a trivial question; throws StoreError when it cannot answer (on
    /// PostgreSQL: the server is down or unreachable, or refuses this instance's connection).
    virtual void ping() = 0;
};

/// What Store::read() lends: `lease->find_school(...)`. Move-only.
class ReadLease {
  public:
    explicit ReadLease(std::unique_ptr<ReadView> view)
        : view_(std::move(view)), repositories_(&view_->repositories()) {}
    Repositories* operator->() const { return repositories_; }
    Repositories& operator*() const { return *repositories_; }
    ReadView& view() const { return *view_; }

  private:
    std::unique_ptr<ReadView> view_;
    Repositories* repositories_;
};

class Store {
  public:
    virtual ~Store() = default;

    /// A read view on the last committed state, waiting while every read connection is lent out.
    /// Thread-safe.
    virtual ReadLease read() = 0;

    /// Runs `fn(repositories)` as one unit of work on the writer and returns its result once it
    /// has committed. If `fn` throws, what it changed is rolled back and the exception is
    /// rethrown here; a failed commit throws StoreError or StoreBusy. Blocks the caller.
    /// Thread-safe. Throws StoreStopped after stop().
    template <class Fn>
    auto write(Fn&& fn) -> std::invoke_result_t<Fn&, Repositories&> {
        using Result = std::invoke_result_t<Fn&, Repositories&>;
        std::promise<Result> promise;
        auto future = promise.get_future();
        if constexpr (std::is_void_v<Result>) {
            submit([&fn](Repositories& r) { fn(r); },
                   [&promise](std::exception_ptr error) {
                       if (error)
                           promise.set_exception(error);
                       else
                           promise.set_value();
                   });
        } else {
            auto result = std::make_shared<std::optional<Result>>();
            submit([&fn, result](Repositories& r) { result->emplace(fn(r)); },
                   [&promise, result](std::exception_ptr error) {
                       if (error)
                           promise.set_exception(error);
                       else
                           promise.set_value(std::move(**result));
                   });
        }
        return future.get();
    }

    /// Queues `run` and calls `complete` after the commit, with the unit's or the commit's
    /// exception or nullptr. `complete` must not block or throw. Throws StoreStopped after stop().
    virtual void submit(std::function<void(Repositories&)> run,
                        std::function<void(std::exception_ptr)> complete) = 0;

    /// Finishes every queued unit of work, then stops the writer. Idempotent.
    virtual void stop() = 0;

    /// Committed groups and units of work run, for metrics and tests.
    virtual std::uint64_t commits() const = 0;
    virtual std::uint64_t commands() const = 0;
};

}  // namespace pakt::server
