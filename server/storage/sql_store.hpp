// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// The Store on either SQL backend: reads from the pool of read connections (on SQLite read-only,
// WAL: they never block the writer), writes through the instance's Writer and its group commits.
#include "server/domain/store.hpp"

namespace pakt::server {

class ReadPool;
class Writer;

class SqlStore final : public Store {
  public:
    /// Does not own `writer` and `reads`, which must outlive it.
    SqlStore(Writer& writer, ReadPool& reads) : writer_(writer), reads_(reads) {}

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
