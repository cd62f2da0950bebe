// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// paktctl: administration of a Pakt database from the server machine, next to (or before)
// paktd. Commands:
//   paktctl [--config FILE] [--data-dir DIR] [--database FILE] [--database-url URL]
//           import schools FILE
//   paktctl ... user add --username U --role R [--school N]... [--display-name D]
//                        (--password-stdin | --password P) [--if-missing]
//   paktctl ... user list [--json]
//   paktctl ... user disable USERNAME
//   paktctl ... migrate
//   paktctl ... backup FILE [--force]
//   paktctl ... restore FILE [--force]
//   paktctl ... audit verify
//   paktctl ... copy-to URL
//   paktctl ... report funding --grant ID|REFERENCE [--json | --csv] [--dialect standard|excel-de]
//   paktctl ... demo seed          (not in the main help: demo data for tools/demo)
//   paktctl ... demo agent-files --school N --out DIR   (not in the main help either)
// The database is found like paktd finds it: --database-url or the configuration's database.url
// (PostgreSQL), else --database, else the configuration's database.file, else <data dir>/pakt.db,
// where the data dir is --data-dir, else the configuration's server.data_dir, else "pakt-data".
// Every command that changes the database opens it read-write (creating it and its directory if
// missing) and applies pending migrations first. `user list`, `report funding`, `audit verify` and
// `backup` only read: they open an existing database read-only and never create, migrate or change
// it (also not a backup file given with --database); a missing database fails with exit 1 naming
// it. `user list` and `report funding` refuse an older schema ("run paktctl migrate"). A database
// from a newer Pakt is refused by every command. Each change is written together with its audit
// entry (actor "paktctl") in one transaction, so paktctl is safe to run while paktd serves --
// except `restore`, which refuses to (see below). `user list` prints a table (username, role,
// schools, disabled, created) or, with --json, an array of the objects GET /api/v1/users returns.
// `user disable` does what PATCH /users/{id}
// {"disabled": true} does, through the same repository functions: the user can no longer log
// in, its sessions end and its API tokens are deleted, with an audit entry "user.update" in the
// same transaction. A user disabled already is left as it is (exit 0, no audit entry); an
// unknown user and the last enabled city_admin fail with exit 1.
// `backup FILE` copies the live database with SQLite's online backup API from one read snapshot
// (paktd's writer is not blocked; check-ins committed before the copy began are in it) into a
// temporary file next to FILE, switches the copy to a self-contained rollback journal, fsyncs it,
// runs PRAGMA integrity_check on it, then renames it into place and fsyncs the directory. An
// existing FILE is refused (also one that appears during the copy) unless --force. The database
// is opened read-only and never migrated; no audit entry is written (nothing changes). On
// failure nothing is left at or next to FILE. Prints the file, its size, the schema version and
// counts of schools, users, devices, check-in reports and audit entries.
// `restore FILE` takes paktd's exclusive lock on <database file>.lock first and exits 1 if it is
// held ("paktd is running on the database ..."); it holds the lock until done, so paktd cannot
// start meanwhile. FILE must be a SQLite database that passes integrity_check, has Pakt's tables
// and a schema version from 1 to this paktctl's. A database that is not empty is replaced only
// with --force; one that cannot be read as SQLite (damaged) counts as not empty, and the error
// says it looks damaged. The restored database is built in a temporary file beside the database
// (mkstemp, mode 0600): backup API from FILE, WAL mode, migrations if older, an audit entry
// "database.restore" (backup file and schema versions) appended to the restored audit chain,
// integrity_check. Then, under the lock, the old database's -journal, -wal and -shm are removed
// -- before the rename, so a stale -wal is never replayed over the new file -- the temporary
// file is renamed over the database and the directory is fsynced. The old database is never
// opened for writing; any failure before the rename removes the temporary file and leaves it
// byte for byte as it was. Errors on the backup or the temporary file name those files.
// `report funding` prints the funding report of one grant (by id or reference) for every school,
// computed and formatted by the code behind GET /api/v1/reports/funding: a readable summary by
// default, the API's JSON with --json, its CSV (UTF-8 with BOM) with --csv or --dialect. A
// grant that does not exist, or whose programme funds no devices, fails with exit 1.
// `audit verify` opens an existing database read-only, never migrates it (an older schema is
// verified as it is, with a note on stderr) and checks the audit log's hash chain: exit 0 and
// "audit log intact: N entries, last hash H" on stdout, or exit 1 and
// "audit log broken at entry ID: REASON" on stderr.
// On PostgreSQL every command but backup and restore works the same (those refuse: pg_dump and
// pg_restore back up PostgreSQL); read-only commands open a read-only session.
// `copy-to URL` copies the SQLite database into an empty PostgreSQL database
// (copy_to_postgres.hpp). `demo seed` writes the demo inventory (two grants, tranches with
// manifests, enrolled devices, loans) in one transaction; it does nothing if the demo grant
// DEMO-BR-D-2021-0815 exists. `demo agent-files` writes what tools/demo's site agent reads (the
// database is only read): DIR/mdm/devices-<local time>.csv, a Jamf School device export of school
// N's enrolled devices (about one in twenty left out) plus two iPads no one enrolled, and
// DIR/dnsmasq.leases with current leases (one hour) for about four in five of them. Devices and
// values follow from the serial numbers (the same on every run); only the times change.
#include <iosfwd>

namespace pakt::ctl {

/// Runs paktctl with `argv` (argv[0] is the program name). Results go to `out`, errors to `err`
/// (naming the file and line where there is one). Returns the exit code: 0 on success
/// (including --help), 1 if the command failed (nothing was changed) or `audit verify` found the
/// chain broken, 2 for a malformed command line. `in` is read by --password-stdin. Never throws.
/// Each call has its own state and connection; a concurrent writer to the same database (paktd,
/// another paktctl) is waited for up to the configured busy timeout.
int run_paktctl(int argc, const char* const* argv, std::istream& in, std::ostream& out,
                std::ostream& err);

/// As above, reading --password-stdin from std::cin.
int run_paktctl(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace pakt::ctl
