#pragma once
// paktctl: administration of a Pakt database from the server machine, next to (or before)
// paktd. Commands:
//   paktctl [--config FILE] [--data-dir DIR] [--database FILE] import schools FILE
//   paktctl ... user add --username U --role R [--school N]... [--display-name D]
//                        (--password-stdin | --password P) [--if-missing]
//   paktctl ... migrate
//   paktctl ... audit verify
//   paktctl ... demo seed          (not in the main help: demo data for tools/demo)
//   paktctl ... demo agent-files --school N --out DIR   (not in the main help either)
// The database is found like paktd finds it: --database, else the configuration's
// database.file, else <data dir>/pakt.db, where the data dir is --data-dir, else the
// configuration's server.data_dir, else "pakt-data". Every command but `audit verify` opens the
// database read-write (creating it and its directory if missing) and applies pending migrations
// first; a database from a newer Pakt is refused. Each change is written together with its audit
// entry (actor "paktctl") in one transaction, so paktctl is safe to run while paktd serves.
// `audit verify` opens an existing database read-only, never migrates it (an older schema is
// verified as it is, with a note on stderr) and checks the audit log's hash chain: exit 0 and
// "audit log intact: N entries, last hash H" on stdout, or exit 1 and
// "audit log broken at entry ID: REASON" on stderr.
// `demo seed` writes the demo inventory (two grants, tranches with manifests, enrolled devices,
// loans) in one transaction; it does nothing if the demo grant DEMO-BR-D-2021-0815 exists.
// `demo agent-files` writes what tools/demo's site agent reads (the database is only read):
// DIR/mdm/devices-<local time>.csv, a Jamf School device export of school N's enrolled devices
// (about one in twenty left out) plus two iPads no one enrolled, and DIR/dnsmasq.leases with
// current leases (one hour) for about four in five of them. Devices and values follow from the
// serial numbers (the same on every run); only the times change.
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
