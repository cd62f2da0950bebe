// paktd: the Pakt server. Composition only: flags, configuration, logging, App, signals.
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <csignal>
#include <iostream>
#include <pthread.h>

#include "common/logging.hpp"
#include "server/app.hpp"
#include "server/config.hpp"

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
    cli.add_option("--ready-file", ready_file, "write \"<port> <fingerprint>\" here once listening");
    cli.add_option("--web-dir", web_dir, "front-end development: serve the web UI from this directory (overrides server.web_dir)");
    cli.set_version_flag("--version", PAKT_VERSION);
    CLI11_PARSE(cli, argc, argv);

    pakt::server::ServerConfig config;
    try {
        if (!config_file.empty()) config = pakt::server::load_config(config_file);
        if (!data_dir.empty()) config.data_dir = data_dir;
        if (!listen.empty()) pakt::server::apply_listen(config, listen, "--listen");
        if (!ready_file.empty()) config.ready_file = ready_file;
        if (!web_dir.empty()) config.web_dir = web_dir;
        pakt::setup_logging(config.log_level);
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
