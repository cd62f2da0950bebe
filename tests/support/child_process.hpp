// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// A child process for end-to-end tests of the real binaries: started with posix_spawn, its
// stderr and stdout captured in a file, waited for with a pidfd (no sleeps, no polling).
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pakt::test {

class ChildProcess {
public:
    /// Starts `program` with `args`; output (stdout and stderr) goes to `log_file`.
    ChildProcess(const std::filesystem::path& program, const std::vector<std::string>& args,
                 const std::filesystem::path& log_file);
    /// Kills (SIGKILL) and reaps the child if it still runs.
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    pid_t pid() const { return pid_; }
    void signal(int sig);

    /// Waits up to `timeout` for the child to exit. Returns its exit status (WEXITSTATUS, or
    /// 128 + signal number if killed), or nullopt on timeout.
    std::optional<int> wait_for_exit(std::chrono::milliseconds timeout);

    /// True while the child has not exited.
    bool running();

    /// Everything the child wrote so far.
    std::string output() const;

    /// Waits until `file` exists (created or renamed into place) or the child exits or `timeout`
    /// passes; uses inotify on the file's directory. Returns true if the file exists.
    bool wait_for_file(const std::filesystem::path& file, std::chrono::milliseconds timeout);

    /// Waits until the child's output, from byte `from` on, contains `text`, or the child exits
    /// or `timeout` passes; uses inotify on the output file. Returns the position just after
    /// the first occurrence, or nullopt.
    std::optional<std::size_t> wait_for_output(std::string_view text, std::size_t from,
                                               std::chrono::milliseconds timeout);

  private:
    pid_t pid_ = -1;
    int pidfd_ = -1;
    std::optional<int> exit_status_;
    std::filesystem::path log_file_;
};

}  // namespace pakt::test
