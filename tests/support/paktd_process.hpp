// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// The real paktd binary as a child process on 127.0.0.1 port 0 over TLS, for tests and
// benchmarks that need /proc/<pid> to be paktd's alone. The port and the certificate
// fingerprint come from paktd's ready file.
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "common/https_client.hpp"
#include "tests/support/child_process.hpp"

namespace pakt::test {

class PaktdProcess {
  public:
    /// Starts `paktd` on `data_dir` (whose database may be seeded already) and waits until it
    /// listens. `config_toml`, if not empty, is written to data_dir/paktd.toml and passed with
    /// --config. Output goes to data_dir/paktd.log. Throws std::runtime_error (with paktd's
    /// output) if it does not get ready within `timeout`.
    PaktdProcess(const std::filesystem::path& paktd, const std::filesystem::path& data_dir,
                 const std::string& config_toml = {},
                 std::chrono::milliseconds timeout = std::chrono::seconds(60));
    /// Stops paktd with SIGTERM and waits for it (SIGKILL if it does not exit within 10 s).
    ~PaktdProcess();
    PaktdProcess(const PaktdProcess&) = delete;
    PaktdProcess& operator=(const PaktdProcess&) = delete;

    pid_t pid() const { return process_->pid(); }
    std::uint16_t port() const { return port_; }
    const std::string& fingerprint() const { return fingerprint_; }
    ChildProcess& process() { return *process_; }
    std::string output() const { return process_->output(); }

    /// A client trusting exactly this paktd's certificate (pinned).
    std::unique_ptr<HttpsClient> client(
        std::chrono::milliseconds timeout = std::chrono::seconds(30)) const;

    /// SIGTERM, then waits up to `timeout`; the exit status, or nullopt if still running.
    std::optional<int> stop(std::chrono::milliseconds timeout = std::chrono::seconds(10));

  private:
    std::unique_ptr<ChildProcess> process_;
    std::uint16_t port_ = 0;
    std::string fingerprint_;
};

}  // namespace pakt::test
