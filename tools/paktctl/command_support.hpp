#pragma once
// What paktctl's commands share: the failure they report, the audit actor, and opening the
// database the way every writing command does.
#include <SQLiteCpp/Database.h>

#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "server/config.hpp"

namespace pakt::ctl {

/// The actor of every audit entry paktctl writes.
inline constexpr const char* kActor = "paktctl";

/// A failure the operator can act on; printed as "paktctl: <message>" with exit code 1. The
/// message names the file or argument at fault.
class CommandFailed : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct OpenDatabase {
    std::unique_ptr<SQLite::Database> db;
    int applied = 0;  ///< migrations applied on opening
};

/// Opens the configured database read-write (creating it and its directory if missing) and
/// applies pending migrations, with an audit entry "schema.migrate" if any were applied. Throws
/// CommandFailed, SchemaTooNewError or SQLite::Exception.
OpenDatabase open_and_migrate(const server::ServerConfig& config);

/// "1 school", "2 schools".
std::string plural(std::size_t n, std::string_view one, std::string_view many);

}  // namespace pakt::ctl
