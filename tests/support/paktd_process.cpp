// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "tests/support/paktd_process.hpp"

#include <signal.h>

#include <fstream>
#include <stdexcept>
#include <vector>

namespace pakt::test {

PaktdProcess::PaktdProcess(const std::filesystem::path& paktd,
                           const std::filesystem::path& data_dir, const std::string& config_toml,
                           std::chrono::milliseconds timeout) {
    const auto ready_file = data_dir / "ready";
    // One left by an earlier paktd on this directory names that one's port.
    std::filesystem::remove(ready_file);
    std::vector<std::string> args{"--data-dir",  data_dir.string(), "--listen",
                                  "127.0.0.1:0", "--ready-file",    ready_file.string()};
    if (!config_toml.empty()) {
        const auto config_file = data_dir / "paktd.toml";
        std::ofstream(config_file) << config_toml;
        args.insert(args.begin(), {"--config", config_file.string()});
    }
    process_ = std::make_unique<ChildProcess>(paktd, args, data_dir / "paktd.log");
    if (!process_->wait_for_file(ready_file, timeout)) {
        throw std::runtime_error("paktd did not get ready:\n" + process_->output());
    }
    std::ifstream in(ready_file);
    in >> port_ >> fingerprint_;
    if (port_ == 0 || fingerprint_.empty())
        throw std::runtime_error("unreadable ready file " + ready_file.string());
}

PaktdProcess::~PaktdProcess() { stop(); }

std::optional<int> PaktdProcess::stop(std::chrono::milliseconds timeout) {
    process_->signal(SIGTERM);
    return process_->wait_for_exit(timeout);
}

std::unique_ptr<HttpsClient> PaktdProcess::client(std::chrono::milliseconds timeout) const {
    return std::make_unique<HttpsClient>("127.0.0.1", port_, tls::ClientTrust{{}, fingerprint_},
                                         timeout);
}

}  // namespace pakt::test
