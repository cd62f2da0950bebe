#pragma once
// The Store on SQLite: reads from the pool of read-only connections (WAL: they never block the
// writer), writes through the single Writer's group commits.
#include "server/domain/store.hpp"

namespace pakt::server {

class ReadPool;
class Writer;

class SqliteStore final : public Store {
  public:
    /// Does not own `writer` and `reads`, which must outlive it.
    SqliteStore(Writer& writer, ReadPool& reads) : writer_(writer), reads_(reads) {}

    ReadLease read() override;
    void submit(std::function<void(Repositories&)> run,
                std::function<void(std::exception_ptr)> complete) override;
    void stop() override;
    std::uint64_t commits() const override;
    std::uint64_t commands() const override;

  private:
    Writer& writer_;
    ReadPool& reads_;
};

}  // namespace pakt::server
