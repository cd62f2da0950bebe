// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// pakt-agent's command line. Commands:
//   pakt-agent enroll --server URL (--secret S | --secret-file F) (--ca-file F | --pin SHA256)
//                     [--hostname H] [--force]
//   pakt-agent run      collect every interval and deliver, until SIGTERM or SIGINT
//   pakt-agent once     collect, spool, deliver everything pending; prints
//                       "collected N devices; delivered K reports; M pending"
//   pakt-agent status   spool depth, last success, last error
// Every command takes --config FILE (TOML, default: built-in defaults), --state-dir DIR
// (overrides agent.state_dir) and --log-level LEVEL (overrides log.level), before or after the
// command name. Logs go to stderr through spdlog's default logger, results to `out`.
#include <iosfwd>

namespace pakt::agent {

/// Exit codes of pakt-agent.
inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;    ///< configuration, enrollment, spool, revoked key,
                                        ///< or a report the server rejected as invalid
inline constexpr int kExitUsage = 2;    ///< malformed command line
inline constexpr int kExitPending = 3;  ///< once: reports remain spooled for a later attempt

/// Runs pakt-agent with `argv` (argv[0] is the program name) and returns the exit code. Never
/// throws. `run` blocks SIGTERM and SIGINT in the calling thread while it runs (a watcher thread
/// turns them into a graceful stop) and restores the signal mask before returning; call it only
/// from a process's main thread before other threads start. The other commands touch no signal
/// state, so tests may call them in-process with their own --config and --state-dir.
int run_agent_cli(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace pakt::agent
