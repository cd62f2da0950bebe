// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "tests/support/child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/inotify.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>

extern char** environ;

namespace pakt::test {
namespace {

int open_pidfd(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

int to_status(int raw) {
    if (WIFEXITED(raw)) return WEXITSTATUS(raw);
    if (WIFSIGNALED(raw)) return 128 + WTERMSIG(raw);
    return -1;
}

}  // namespace

ChildProcess::ChildProcess(const std::filesystem::path& program, const std::vector<std::string>& args,
                           const std::filesystem::path& log_file)
    : log_file_(log_file) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    // The child must not inherit a blocked signal mask from a test thread.
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t empty;
    sigemptyset(&empty);
    posix_spawnattr_setsigmask(&attr, &empty);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);

    std::vector<std::string> argv_storage;
    argv_storage.push_back(program.string());
    argv_storage.insert(argv_storage.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_storage) argv.push_back(a.data());
    argv.push_back(nullptr);
    const int rc = ::posix_spawn(&pid_, program.c_str(), &actions, &attr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) throw std::system_error(rc, std::generic_category(), "posix_spawn " + program.string());
    pidfd_ = open_pidfd(pid_);
    if (pidfd_ < 0) throw std::system_error(errno, std::generic_category(), "pidfd_open");
}

ChildProcess::~ChildProcess() {
    if (!exit_status_) {
        ::kill(pid_, SIGKILL);
        int raw = 0;
        ::waitpid(pid_, &raw, 0);
    }
    if (pidfd_ >= 0) ::close(pidfd_);
}

void ChildProcess::signal(int sig) {
    if (!exit_status_) ::kill(pid_, sig);
}

std::optional<int> ChildProcess::wait_for_exit(std::chrono::milliseconds timeout) {
    if (exit_status_) return exit_status_;
    pollfd p{pidfd_, POLLIN, 0};
    const int rc = ::poll(&p, 1, static_cast<int>(timeout.count()));
    if (rc <= 0) return std::nullopt;
    int raw = 0;
    if (::waitpid(pid_, &raw, 0) == pid_) exit_status_ = to_status(raw);
    return exit_status_;
}

bool ChildProcess::running() { return !wait_for_exit(std::chrono::milliseconds(0)); }

std::string ChildProcess::output() const {
    std::ifstream in(log_file_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

bool ChildProcess::wait_for_file(const std::filesystem::path& file, std::chrono::milliseconds timeout) {
    const int ino = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (ino < 0) throw std::system_error(errno, std::generic_category(), "inotify_init1");
    ::inotify_add_watch(ino, file.parent_path().c_str(), IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    bool found = false;
    for (;;) {
        // Checked after the watch is in place, so a file created in between is not missed.
        if (std::filesystem::exists(file)) {
            found = true;
            break;
        }
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) break;
        pollfd fds[2] = {{ino, POLLIN, 0}, {pidfd_, POLLIN, 0}};
        if (::poll(fds, 2, static_cast<int>(left.count())) <= 0) continue;
        if (fds[1].revents & POLLIN) {
            found = std::filesystem::exists(file);
            break;
        }
        char buffer[4096];
        while (::read(ino, buffer, sizeof(buffer)) > 0) {
        }
    }
    ::close(ino);
    return found;
}

std::optional<std::size_t> ChildProcess::wait_for_output(std::string_view text, std::size_t from,
                                                         std::chrono::milliseconds timeout) {
    const int ino = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (ino < 0) throw std::system_error(errno, std::generic_category(), "inotify_init1");
    ::inotify_add_watch(ino, log_file_.c_str(), IN_MODIFY);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::optional<std::size_t> found;
    for (bool exited = false;;) {
        // Read after the watch is in place, so output written in between is not missed.
        const std::string all = output();
        if (all.size() > from) {
            const auto at = all.find(text, from);
            if (at != std::string::npos) {
                found = at + text.size();
                break;
            }
        }
        if (exited) break;
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) break;
        pollfd fds[2] = {{ino, POLLIN, 0}, {pidfd_, POLLIN, 0}};
        if (::poll(fds, 2, static_cast<int>(left.count())) <= 0) continue;
        exited = (fds[1].revents & POLLIN) != 0;  // one last look at what it wrote
        char buffer[4096];
        while (::read(ino, buffer, sizeof(buffer)) > 0) {
        }
    }
    ::close(ino);
    return found;
}

}  // namespace pakt::test
