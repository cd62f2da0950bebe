// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// paktctl copy-to: moving an SQLite installation onto PostgreSQL.
#include <iosfwd>
#include <string>

#include "server/config.hpp"

namespace pakt::ctl {

/// Copies the configured SQLite database (read-only, at the current schema version) into the
/// PostgreSQL database at `url`, which must be empty (no table in its schema "public"; anything
/// else is refused and left untouched). The target gets Pakt's PostgreSQL schema, then every
/// table's rows in one transaction (parents before children, by COPY), and its id sequences
/// continue after the copied ids. Afterwards it compares every table's row count on both sides and
/// verifies the target's audit hash chain, which must end in the source's last hash. Prints what
/// it copied to `out`. Stop paktd on the SQLite database first: check-ins after the copy began
/// would not be in it. Returns 0; throws CommandFailed (with what differs) if a check fails.
int copy_to_postgres(const server::ServerConfig& config, const std::string& url, std::ostream& out);

}  // namespace pakt::ctl
