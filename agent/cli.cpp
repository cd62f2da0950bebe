// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "agent/cli.hpp"

#include <SQLiteCpp/Exception.h>
#include <fmt/format.h>
#include <pthread.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <climits>
#include <csignal>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "agent/config.hpp"
#include "agent/cycle.hpp"
#include "agent/spool.hpp"
#include "agent/state.hpp"
#include "agent/uploader.hpp"
#include "common/build_info.hpp"
#include "common/csv.hpp"
#include "common/https_client.hpp"
#include "common/logging.hpp"
#include "common/time.hpp"
#include "common/tls.hpp"

namespace pakt::agent {
namespace {

// A failure the operator can act on; printed as "pakt-agent: <message>" with exit code 1.
class CommandFailed : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct GlobalOptions {
    std::string config_file;
    std::string state_dir;
    std::string log_level;
};

struct EnrollOptions {
    std::string server;
    std::string secret;
    std::string secret_file;
    std::string ca_file;
    std::string pin;
    std::string hostname;
    bool force = false;
};

AgentConfig resolve_config(const GlobalOptions& options) {
    AgentConfig config;
    if (!options.config_file.empty()) config = load_config(options.config_file);
    if (!options.state_dir.empty()) config.state_dir = options.state_dir;
    if (!options.log_level.empty()) config.log_level = options.log_level;
    setup_logging(config.log_level);
    return config;
}

std::string this_hostname() {
    char name[HOST_NAME_MAX + 1] = {};
    if (::gethostname(name, sizeof name - 1) != 0) return "unknown";
    return name;
}

std::string read_secret_file(const std::string& file) {
    std::ifstream in(file);
    if (!in) throw CommandFailed(file + ": cannot read the enroll secret");
    std::string line;
    std::getline(in, line);
    return csv::trim(line);
}

ServerUrl server_of(const EnrollmentState& state) {
    // load_state validated the URL already.
    return *parse_server_url(state.server_url);
}

int enroll(const AgentConfig& config, const EnrollOptions& options, std::ostream& out) {
    std::string why;
    const auto server = parse_server_url(options.server, &why);
    if (!server) throw CommandFailed("--server '" + options.server + "': " + why);
    const std::string secret =
        options.secret_file.empty() ? options.secret : read_secret_file(options.secret_file);
    if (secret.empty()) throw CommandFailed("the enroll secret is empty");

    tls::ClientTrust trust;
    if (!options.pin.empty()) {
        trust.pin_sha256 = tls::normalize_fingerprint(options.pin);
        if (trust.pin_sha256.empty()) {
            throw CommandFailed("--pin '" + options.pin +
                                "' is not a SHA-256 fingerprint (64 hex digits, colons allowed)");
        }
    } else {
        trust.ca_file = options.ca_file;
        if (!std::filesystem::is_regular_file(trust.ca_file)) {
            throw CommandFailed("--ca-file '" + options.ca_file + "': not a readable file");
        }
    }

    ensure_state_dir(config.state_dir);
    if (std::filesystem::exists(state_file(config.state_dir)) && !options.force) {
        throw CommandFailed(state_file(config.state_dir).string() +
                            ": already enrolled; use --force to enroll again (pending reports "
                            "are kept and sent with the new node key)");
    }

    const nlohmann::json request = {
        {"enroll_secret", secret},
        {"hostname", options.hostname.empty() ? this_hostname() : options.hostname},
        {"agent_version", PAKT_VERSION}};
    HttpsClient client(server->host, server->port, trust, std::chrono::seconds(30));
    HttpResponse response;
    try {
        response = client.request("POST", server->target("/api/v1/agent/enroll"), request.dump());
    } catch (const std::system_error& e) {
        throw CommandFailed(std::string("cannot reach the server: ") + e.what());
    }
    if (response.status == 401) {
        throw CommandFailed("the server refused the enroll secret: unknown, expired or revoked");
    }
    if (response.status != 201) {
        throw CommandFailed(fmt::format("the server answered HTTP {}: {}", response.status,
                                        response.body.substr(0, 300)));
    }
    const auto answer = nlohmann::json::parse(response.body, nullptr, false);
    const auto node_key = answer.is_object() ? answer.find("node_key") : answer.end();
    const auto agent_id = answer.is_object() ? answer.find("agent_id") : answer.end();
    if (!answer.is_object() || node_key == answer.end() || !node_key->is_string() ||
        agent_id == answer.end() || !(agent_id->is_string() || agent_id->is_number_integer())) {
        throw CommandFailed("the server's enroll answer lacks agent_id or node_key: " +
                            response.body.substr(0, 300));
    }

    EnrollmentState state;
    state.server_url = server->to_string();
    state.agent_id = agent_id->is_string() ? agent_id->get<std::string>() : agent_id->dump();
    state.node_key = node_key->get<std::string>();
    state.pin_sha256 = trust.pin_sha256;
    state.has_ca_file = !trust.ca_file.empty();
    state.checkin_interval_s = answer.value("checkin_interval_s", std::int64_t{0});
    if (state.has_ca_file) {
        // A copy in the state directory: the agent keeps working when the original moves, and
        // the systemd unit's sandbox needs to reach only the state directory.
        std::filesystem::copy_file(trust.ca_file, ca_file(config.state_dir),
                                   std::filesystem::copy_options::overwrite_existing);
    }
    save_state(config.state_dir, state);
    out << "enrolled with " << state.server_url << " as agent " << state.agent_id << "; state in "
        << state_file(config.state_dir).string() << '\n';
    return kExitOk;
}

std::chrono::seconds initial_interval(const AgentConfig& config, const EnrollmentState& state) {
    return state.checkin_interval_s > 0 ? std::chrono::seconds(state.checkin_interval_s)
                                        : config.interval;
}

std::unique_ptr<HttpsCheckinTransport> make_transport(const AgentConfig& config,
                                                      const EnrollmentState& state) {
    try {
        return std::make_unique<HttpsCheckinTransport>(
            server_of(state), client_trust(config.state_dir, state), state.node_key);
    } catch (const std::exception& e) {
        throw CommandFailed(std::string("cannot set up TLS for the server: ") + e.what());
    }
}

int once(const AgentConfig& config, std::ostream& out) {
    const EnrollmentState state = load_state(config.state_dir);
    Spool spool(spool_file(config.state_dir), config.spool_max_reports);
    SystemTimeSource time;
    const CycleResult cycle = collect_and_spool(config, spool, time.now());
    const auto transport = make_transport(config, state);
    Uploader uploader(spool, *transport, time);
    const DeliveryResult delivery = uploader.deliver();
    const std::size_t pending = spool.pending();
    out << "collected " << cycle.devices << " devices; delivered " << delivery.delivered
        << " reports; " << pending << " pending\n";
    if (delivery.outcome == DeliveryOutcome::unauthorized || delivery.rejected > 0) {
        return kExitError;
    }
    return pending > 0 ? kExitPending : kExitOk;
}

// Turns SIGTERM and SIGINT into a stop request for the daemon. The signals are blocked in the
// calling thread (and so in the watcher, which inherits the mask) and taken with sigtimedwait,
// so no handler runs in the middle of a send or a database write.
class StopOnSignal {
  public:
    explicit StopOnSignal(SystemTimeSource& time) {
        sigemptyset(&signals_);
        sigaddset(&signals_, SIGTERM);
        sigaddset(&signals_, SIGINT);
        pthread_sigmask(SIG_BLOCK, &signals_, &previous_);
        watcher_ = std::thread([this, &time] {
            const timespec poll{0, 200'000'000};
            while (!done_.load()) {
                const int received = sigtimedwait(&signals_, nullptr, &poll);
                if (received == SIGTERM || received == SIGINT) {
                    spdlog::info("received {}; finishing the current send, then stopping",
                                 received == SIGTERM ? "SIGTERM" : "SIGINT");
                    time.request_stop();
                }
            }
        });
    }

    ~StopOnSignal() {
        done_.store(true);
        watcher_.join();
        pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
    }

    StopOnSignal(const StopOnSignal&) = delete;
    StopOnSignal& operator=(const StopOnSignal&) = delete;

  private:
    sigset_t signals_{};
    sigset_t previous_{};
    std::atomic<bool> done_{false};
    std::thread watcher_;
};

int run(const AgentConfig& config) {
    const EnrollmentState state = load_state(config.state_dir);
    Spool spool(spool_file(config.state_dir), config.spool_max_reports);
    const auto transport = make_transport(config, state);
    SystemTimeSource time;
    SystemRandomSource random;
    StopOnSignal stop_on_signal(time);
    run_daemon(config, spool, *transport, time, random, initial_interval(config, state));
    return kExitOk;
}

int status(const AgentConfig& config, std::ostream& out) {
    try {
        const EnrollmentState state = load_state(config.state_dir);
        out << "server: " << state.server_url << " (agent " << state.agent_id << ", "
            << (state.has_ca_file ? "CA file" : "pinned certificate") << ")\n";
    } catch (const StateError& e) {
        out << "server: none (" << e.what() << ")\n";
    }
    const auto file = spool_file(config.state_dir);
    SpoolStatus spool_status;
    if (std::filesystem::exists(file)) {
        Spool spool(file, config.spool_max_reports);
        spool_status = spool.status();
    }
    out << "pending reports: " << spool_status.pending_reports << " ("
        << spool_status.pending_devices << " device observations)\n";
    out << "rejected reports: " << spool_status.rejected_reports << '\n';
    out << "last success: " << spool_status.last_success_at.value_or("never") << '\n';
    if (spool_status.last_error) {
        out << "last error: " << spool_status.last_error_at.value_or("?") << ' '
            << *spool_status.last_error << '\n';
    } else {
        out << "last error: none\n";
    }
    return kExitOk;
}

}  // namespace

int run_agent_cli(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
    CLI::App app{
        "pakt-agent - reports the school's iPads (MDM export joined with DHCP leases and "
        "the neighbour table) to paktd",
        "pakt-agent"};
    app.fallthrough();
    app.require_subcommand(1);
    app.set_version_flag("--version", pakt::version_line("pakt-agent"));

    GlobalOptions global;
    app.add_option("--config", global.config_file,
                   "TOML configuration (default: built-in defaults; see pakt-agent.toml)");
    app.add_option("--state-dir", global.state_dir,
                   "directory for state.json and the spool (overrides agent.state_dir)");
    app.add_option("--log-level", global.log_level, "trace|debug|info|warn|error|off");

    auto* enroll_command =
        app.add_subcommand("enroll", "exchange a school's enroll secret for this agent's node key");
    EnrollOptions enroll_options;
    enroll_command->add_option("--server", enroll_options.server, "https://host[:port]")
        ->required();
    auto* secret_group = enroll_command->add_option_group("secret", "exactly one of");
    secret_group->add_option("--secret", enroll_options.secret,
                             "the enroll secret (visible in the process list; prefer "
                             "--secret-file)");
    secret_group->add_option("--secret-file", enroll_options.secret_file,
                             "a file whose first line is the enroll secret");
    secret_group->require_option(1);
    auto* trust_group = enroll_command->add_option_group("trust", "exactly one of");
    trust_group->add_option("--ca-file", enroll_options.ca_file,
                            "PEM file of the CA that signed the server's certificate");
    trust_group->add_option("--pin", enroll_options.pin,
                            "SHA-256 fingerprint of the server's certificate (paktd logs it)");
    trust_group->require_option(1);
    enroll_command->add_option("--hostname", enroll_options.hostname,
                               "name shown in paktd's agent list (default: this host's name)");
    enroll_command->add_flag("--force", enroll_options.force,
                             "enroll again, replacing the current node key");

    auto* run_command =
        app.add_subcommand("run", "collect and deliver every interval until SIGTERM or SIGINT");
    auto* once_command = app.add_subcommand(
        "once",
        "one cycle: collect, spool, deliver everything pending (exit 0: all delivered, "
        "3: some remain spooled, 1: error)");
    auto* status_command = app.add_subcommand("status", "spool depth, last success and last error");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e, out, err) == 0 ? kExitOk : kExitUsage;
    }

    try {
        const AgentConfig config = resolve_config(global);
        if (enroll_command->parsed()) return enroll(config, enroll_options, out);
        if (run_command->parsed()) return run(config);
        if (once_command->parsed()) return once(config, out);
        if (status_command->parsed()) return status(config, out);
        err << "pakt-agent: no command given; see pakt-agent --help\n";
        return kExitUsage;
    } catch (const SQLite::Exception& e) {
        err << "pakt-agent: spool: " << e.what() << " (SQLite code " << e.getExtendedErrorCode()
            << ")\n";
    } catch (const std::exception& e) {
        err << "pakt-agent: " << e.what() << '\n';
    }
    return kExitError;
}

}  // namespace pakt::agent
