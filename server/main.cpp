// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// paktd: the Pakt server. Composition only: flags, configuration, logging, App, signals.
#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <iostream>

#include "common/build_info.hpp"
#include "common/logging.hpp"
#include "server/app.hpp"
#include "server/config.hpp"

namespace {

// Every connection is a file descriptor, and the usual soft limit (1024) is below the default
// max_connections. The hard limit is what the administrator allows; take all of it.
void raise_open_file_limit(const pakt::server::ServerConfig& config) {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
        spdlog::warn("cannot read the open file limit: {}", std::strerror(errno));
        return;
    }
    if (limit.rlim_cur < limit.rlim_max) {
        const rlim_t before = limit.rlim_cur;
        limit.rlim_cur = limit.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
            spdlog::warn("cannot raise the open file limit from {} to {}: {}", before,
                         limit.rlim_max, std::strerror(errno));
            getrlimit(RLIMIT_NOFILE, &limit);
        }
    }
    // The database, its WAL, the read connections, logs and the listener need some too.
    constexpr rlim_t kReserve = 64;
    const rlim_t needed =
        static_cast<rlim_t>(config.max_connections) + config.read_connections + kReserve;
    if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < needed) {
        spdlog::warn(
            "open file limit is {}, below the {} that limits.max_connections = {} needs: "
            "connections beyond it will fail to be accepted (raise LimitNOFILE or ulimit -n)",
            limit.rlim_cur, needed, config.max_connections);
    }
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App cli{"paktd - device fleet server for school iPads (DigitalPakt Schule)"};
    std::string config_file;
    std::string data_dir;
    std::string listen;
    std::string ready_file;
    std::string web_dir;
    cli.add_option("--config", config_file, "TOML configuration file (default: built-in defaults)");
    cli.add_option("--data-dir", data_dir, "data directory (overrides server.data_dir)");
    cli.add_option("--listen", listen, "address:port to listen on (overrides server.listen)");
    cli.add_option("--ready-file", ready_file,
                   "write \"<port> <fingerprint>\" here once listening");
    cli.add_option(
        "--web-dir", web_dir,
        "front-end development: serve the web UI from this directory (overrides server.web_dir)");
    cli.set_version_flag("--version", pakt::version_line("paktd"));
    try {
        cli.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // --help and --version exit 0; a wrong command line exits 2, like a wrong configuration
        // (and like paktctl and pakt-agent), not with CLI11's own codes.
        return cli.exit(e) == 0 ? 0 : 2;
    }

    pakt::server::ServerConfig config;
    try {
        if (!config_file.empty()) config = pakt::server::load_config(config_file);
        if (!data_dir.empty()) config.data_dir = data_dir;
        if (!listen.empty()) pakt::server::apply_listen(config, listen, "--listen");
        if (!ready_file.empty()) config.ready_file = ready_file;
        if (!web_dir.empty()) config.web_dir = web_dir;
        pakt::setup_logging(config.log_level, pakt::LogOutput::batched);
    } catch (const std::exception& e) {
        std::cerr << "paktd: " << e.what() << '\n';
        return 2;
    }

    // Block the stop signals in every thread (threads inherit the mask) and wait for them here.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    raise_open_file_limit(config);

    pakt::server::App app(config);
    try {
        app.start();
    } catch (const std::exception& e) {
        spdlog::critical("paktd cannot start: {}", e.what());
        return 1;
    }
    int received = 0;
    sigwait(&signals, &received);
    spdlog::info("received {}, shutting down", received == SIGTERM ? "SIGTERM" : "SIGINT");
    app.stop();
    spdlog::info("paktd stopped");
    return 0;
}
