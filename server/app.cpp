// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "server/app.hpp"

#include <SQLiteCpp/Database.h>
#include <spdlog/spdlog.h>

#include <boost/asio/ssl/context.hpp>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <optional>
#include <semaphore>
#include <stop_token>
#include <system_error>
#include <thread>

#include "common/build_info.hpp"
#include "common/crypto.hpp"
#include "common/time.hpp"
#include "common/tls.hpp"
#include "server/connectors/connector_service.hpp"
#include "server/domain/login_throttle.hpp"
#include "server/http/handlers.hpp"
#include "server/http/metrics.hpp"
#include "server/http/router.hpp"
#include "server/http/web_assets.hpp"
#include "server/net/http_server.hpp"
#include "server/storage/audit_repository.hpp"
#include "server/storage/backup.hpp"
#include "server/storage/database.hpp"
#include "server/storage/database_lock.hpp"
#include "server/storage/migrator.hpp"
#include "server/storage/read_pool.hpp"
#include "server/storage/session_repository.hpp"
#include "server/storage/sql/postgres.hpp"
#include "server/storage/sql_store.hpp"
#include "server/storage/statement_cache.hpp"
#include "server/storage/user_repository.hpp"
#include "server/storage/writer.hpp"

namespace pakt::server {

struct App::Parts {
    // First member, so it is released last: after the writer has closed the database.
    std::optional<DatabaseLock> database_lock;
    std::unique_ptr<Writer> writer;
    std::unique_ptr<ReadPool> reads;
    std::unique_ptr<Store> store;  ///< over the writer and the read pool
    std::unique_ptr<LoginThrottle> throttle;
    std::unique_ptr<EnrollThrottle> enroll_throttle;
    std::unique_ptr<RateLimiter> checkin_limiter;
    std::unique_ptr<connectors::ConnectorService> connectors;
    // At most one report parsed per core but one, so the single writer keeps a core.
    std::counting_semaphore<> checkin_parsing{std::max<std::ptrdiff_t>(
        1, static_cast<std::ptrdiff_t>(std::thread::hardware_concurrency()) - 1)};
    http::Metrics metrics;
    std::unique_ptr<http::WebAssets> web_assets;
    std::unique_ptr<http::HandlerDeps> deps;
    std::unique_ptr<http::Router> router;
    std::optional<boost::asio::ssl::context> tls;
    std::unique_ptr<net::HttpServer> server;
    // Logs the audit head every kAuditHeadInterval; declared last, so it stops first.
    std::mutex audit_watch_mutex;
    std::condition_variable_any audit_watch_wake;
    std::jthread audit_watch;
};

namespace {

// How often the audit chain's head goes to the log. Together with the start-up and shutdown
// lines, a log kept elsewhere then shows the head the database should still have.
constexpr auto kAuditHeadInterval = std::chrono::minutes(5);

void log_audit_head(sql::Db db, const char* when) {
    const AuditHead head = audit_head(db);
    spdlog::info("audit head ({}): entries={} id={} hash={}", when, head.entries, head.last_id,
                 head.last_hash.empty() ? "-" : head.last_hash);
}

void write_ready_file(const std::filesystem::path& file, std::uint16_t port,
                      const std::string& fingerprint) {
    const auto tmp = file.string() + ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << port << ' ' << (fingerprint.empty() ? "-" : fingerprint) << '\n';
        if (!out) throw std::runtime_error("cannot write the ready file '" + tmp + "'");
    }
    std::filesystem::rename(tmp, file);
}

std::string hostname_or_localhost() {
    char name[256] = {};
    if (::gethostname(name, sizeof(name) - 1) == 0 && name[0] != '\0') return name;
    return "localhost";
}

}  // namespace

App::App(ServerConfig config) : config_(std::move(config)), parts_(std::make_unique<Parts>()) {}

App::~App() { stop(); }

void App::start() {
    // The data directory holds the database (password hashes, the audit log) and the TLS key:
    // owner-only, whatever the umask or whoever created it.
    try {
        if (make_private_directory(config_.data_dir, true)) {
            spdlog::warn("removed group and other permissions from the data directory {}",
                         config_.data_dir.string());
        }
        const auto db_dir = config_.effective_database_file().parent_path();
        if (!db_dir.empty()) make_private_directory(db_dir, false);
    } catch (const std::system_error& e) {
        throw std::runtime_error(std::string("cannot prepare the data directory: ") + e.what());
    }

    const auto db_file = config_.effective_database_file();
    if (!config_.uses_postgres()) {
        // One paktd per database: two writers' group commits would interleave, and paktctl restore
        // must not replace the file under a running server. Taken before anything in the data
        // directory is created or opened.
        parts_->database_lock = DatabaseLock::try_acquire(db_file);
        if (!parts_->database_lock) {
            throw std::runtime_error("another paktd (or paktctl restore) is using the database '" +
                                     db_file.string() + "': it holds the lock file '" +
                                     DatabaseLock::lock_file_for(db_file).string() +
                                     "'; stop it first, or give this paktd another --data-dir");
        }
    }

    if (config_.tls_enabled) {
        tls::CertificateFiles files{config_.effective_cert_file(), config_.effective_key_file()};
        if (config_.cert_file.empty() && !std::filesystem::exists(files.cert_file)) {
            make_private_directory(files.cert_file.parent_path(), false);
            tls::generate_self_signed(files, hostname_or_localhost());
            spdlog::info("created a self-signed ECDSA P-256 certificate in {}",
                         files.cert_file.string());
        }
        parts_->tls.emplace(tls::make_server_context(files));
        fingerprint_ = tls::certificate_fingerprint_sha256(files.cert_file);
        spdlog::info("TLS certificate SHA-256 fingerprint: {}", fingerprint_);
    } else {
        spdlog::warn(
            "TLS is disabled: serve plain HTTP only behind a TLS-terminating reverse proxy");
    }

    // The writer's connection migrates first, so the read connections open on the current schema.
    const auto prepare = [&](sql::Db db, const std::string& where) {
        const int applied = migrate(db);
        spdlog::info("database {} at schema version {} ({} migrations applied)", where,
                     schema_version(db), applied);
        delete_expired_sessions(db, now_rfc3339());
        log_audit_head(db, "start");
    };
    if (config_.uses_postgres()) {
        auto write_db = std::make_unique<sql::PgConnection>(config_.database_url);
        prepare(*write_db, "PostgreSQL " + write_db->describe());
        parts_->writer = std::make_unique<Writer>(std::move(write_db), config_.writer_max_batch);
        parts_->reads = std::make_unique<ReadPool>(config_.database_url, config_.read_connections);
    } else {
        // A migration changes tables in place: first keep the database as it was (paktctl
        // restore takes it back), and migrate nothing without that copy. PostgreSQL databases
        // are backed up by their administrators' tools (pg_dump).
        if (const auto backup = backup_before_migration(db_file, config_.busy_timeout)) {
            spdlog::warn(
                "database {} is older than this paktd ({}): backed it up to {} before "
                "migrating it to schema version {}",
                db_file.string(), version_line("paktd"), backup->string(), latest_schema_version());
        }
        auto write_db = open_database(db_file, OpenMode::read_write, config_.busy_timeout);
        prepare(*write_db, db_file.string());
        parts_->writer = std::make_unique<Writer>(std::move(write_db), config_.writer_max_batch);
        parts_->reads =
            std::make_unique<ReadPool>(db_file, config_.read_connections, config_.busy_timeout);
    }
    parts_->store = std::make_unique<SqlStore>(*parts_->writer, *parts_->reads);
    parts_->throttle = std::make_unique<LoginThrottle>(LoginThrottleSettings{
        config_.login_free_failures, config_.login_address_free_failures, config_.login_first_delay,
        config_.login_max_delay, config_.login_forget});
    parts_->enroll_throttle = std::make_unique<EnrollThrottle>(
        BackoffPolicy{config_.login_free_failures, config_.login_first_delay,
                      config_.login_max_delay, config_.login_forget});

    parts_->checkin_limiter =
        std::make_unique<RateLimiter>(config_.checkin_burst, config_.checkin_per_minute);

    Parts& p = *parts_;
    p.web_assets = std::make_unique<http::WebAssets>(config_.web_dir);
    if (!config_.web_dir.empty())
        spdlog::warn("serving the web UI from {} (development)", config_.web_dir.string());
    p.deps.reset(new http::HandlerDeps{config_, *p.store, *p.throttle, *p.enroll_throttle,
                                       p.metrics, [this] { return ready_.load(); },
                                       *p.checkin_limiter, p.checkin_parsing, *p.web_assets,
                                       fingerprint_});
    p.connectors =
        std::make_unique<connectors::ConnectorService>(config_.connectors, *p.writer, *p.reads);
    p.deps->connectors = p.connectors.get();
    const auto idle = config_.session_idle;
    p.router = std::make_unique<http::Router>(
        [&p, idle](const std::string& token) -> std::optional<Principal> {
            const auto now_point = Clock::now();
            const std::string now = format_rfc3339(now_point);
            const std::string hash = sha256_hex(token);
            std::optional<BearerOwner> owner;
            std::optional<UserRecord> user;
            {
                // Every authenticated request takes this path: its statements stay compiled.
                auto lease = p.store->read();
                owner = lease->find_bearer(hash, now, now.substr(0, 10),
                                           format_rfc3339(now_point - idle));
                if (!owner) return std::nullopt;
                user = lease->find_user_by_id(owner->user_id);
            }
            if (!user || user->disabled) return std::nullopt;
            // The idle clock restarts with use, and an API token shows when it was last used;
            // recorded at most once a minute per session or token so a busy page or script does
            // not turn every read into a write.
            if (owner->last_seen_at < format_rfc3339(now_point - std::chrono::minutes(1))) {
                p.store->write([&](Repositories& db) {
                    if (owner->api_token_id)
                        db.touch_api_token(*owner->api_token_id, now);
                    else
                        db.touch_session(hash, now);
                });
            }
            return user->principal();
        });
    p.router->set_origin_policy(config_.tls_enabled ? "https" : "http", config_.public_url);
    http::register_ops_routes(*p.router, *p.deps);
    http::register_session_routes(*p.router, *p.deps);
    http::register_user_routes(*p.router, *p.deps);
    http::register_school_routes(*p.router, *p.deps);
    http::register_funding_routes(*p.router, *p.deps);
    http::register_tranche_routes(*p.router, *p.deps);
    http::register_device_routes(*p.router, *p.deps);
    http::register_audit_routes(*p.router, *p.deps);
    http::register_agent_routes(*p.router, *p.deps);
    http::register_report_routes(*p.router, *p.deps);
    http::register_loan_routes(*p.router, *p.deps);
    http::register_web_routes(*p.router, *p.deps);
    http::register_connector_routes(*p.router, *p.deps);
    p.metrics.add_collector([&p](std::string& out) {
        out += "# HELP pakt_db_write_groups_total Group commits of the database writer.\n";
        out += "# TYPE pakt_db_write_groups_total counter\n";
        out += "pakt_db_write_groups_total " + std::to_string(p.writer->commits()) + "\n";
        out += "# HELP pakt_db_write_commands_total Write commands run by the database writer.\n";
        out += "# TYPE pakt_db_write_commands_total counter\n";
        out += "pakt_db_write_commands_total " + std::to_string(p.writer->commands()) + "\n";
    });
    // The audit chain's head, so that entries cut off the end (which leaves a valid, shorter
    // chain) show as a count or id going down in the monitoring. Two index lookups per scrape.
    p.metrics.add_collector([&p](std::string& out) {
        AuditHead head;
        { head = p.store->read()->audit_head(); }
        out += "# HELP pakt_audit_entries Entries in the audit log's hash chain.\n";
        out += "# TYPE pakt_audit_entries gauge\n";
        out += "pakt_audit_entries " + std::to_string(head.entries) + "\n";
        out += "# HELP pakt_audit_head_id Id of the newest audit log entry (0: none).\n";
        out += "# TYPE pakt_audit_head_id gauge\n";
        out += "pakt_audit_head_id " + std::to_string(head.last_id) + "\n";
    });

    // Whether each configured connector still gets through to its vendor: monitoring alerts on
    // an old last success, not on a single failed run.
    p.metrics.add_collector([&p](std::string& out) {
        out +=
            "# HELP pakt_connector_last_success_timestamp_seconds End of the connector's last "
            "successful run (0: none yet).\n";
        out += "# TYPE pakt_connector_last_success_timestamp_seconds gauge\n";
        std::string failed =
            "# HELP pakt_connector_last_run_failed 1 if the connector's last run failed.\n"
            "# TYPE pakt_connector_last_run_failed gauge\n";
        for (const auto& c : p.connectors->status()) {
            if (!c.configured) continue;
            std::int64_t at = 0;
            if (c.last_success_at) {
                if (const auto t = parse_rfc3339(*c.last_success_at)) {
                    at = std::chrono::duration_cast<std::chrono::seconds>(t->time_since_epoch())
                             .count();
                }
            }
            const std::string label = "{connector=\"" + c.name + "\"} ";
            out +=
                "pakt_connector_last_success_timestamp_seconds" + label + std::to_string(at) + "\n";
            failed += "pakt_connector_last_run_failed" + label +
                      (c.last_run && c.last_run->outcome == "failed" ? "1" : "0") + "\n";
        }
        out += failed;
    });

    p.server = std::make_unique<net::HttpServer>(
        config_, p.tls ? &*p.tls : nullptr,
        [&p](const http::Request& request) { return p.router->dispatch(request); },
        [&p](const http::Request& request, const http::Response& response,
             std::chrono::steady_clock::duration elapsed) {
            const double seconds = std::chrono::duration<double>(elapsed).count();
            p.metrics.observe_request(response.route, request.method, response.status, seconds);
            spdlog::info(
                "request id={} remote={} method={} route={} status={} duration_ms={:.2f} bytes={}",
                request.request_id, request.remote_address,
                request.method.empty() ? "-" : request.method, response.route, response.status,
                seconds * 1000.0, response.body.size());
        });
    // Each route's own body limit, known once the header is read: a login body is tiny, so an
    // anonymous request cannot make paktd buffer megabytes.
    p.server->set_request_traits([&p](std::string_view method, std::string_view target) {
        const http::RouteTraits route = p.router->traits(method, target);
        return net::RequestTraits{route.body_limit, route.runs_inline};
    });
    p.server->start();
    p.audit_watch = std::jthread([&p](std::stop_token stop) {
        std::unique_lock lock(p.audit_watch_mutex);
        for (;;) {
            // Wakes early only when stop is requested.
            p.audit_watch_wake.wait_for(lock, stop, kAuditHeadInterval, [] { return false; });
            if (stop.stop_requested()) return;
            try {
                auto lease = p.reads->acquire();
                log_audit_head(lease.handle(), "periodic");
            } catch (const std::exception& e) {
                spdlog::error("cannot read the audit head: {}", e.what());
            }
        }
    });
    p.connectors->start();
    ready_ = true;
    spdlog::info("paktd {} (commit {}) listening on {}://{}:{}", build_version(), build_commit(),
                 config_.tls_enabled ? "https" : "http", config_.listen_address, p.server->port());
    // Whoever waits for readiness finds the start-up lines (the certificate's fingerprint) out.
    spdlog::default_logger()->flush();
    if (!config_.ready_file.empty())
        write_ready_file(config_.ready_file, p.server->port(), fingerprint_);
}

void App::stop() {
    if (!parts_) return;
    ready_ = false;
    // A "sync now" waiting for its run must not hold up the drain of requests below.
    if (parts_->connectors) parts_->connectors->begin_stop();
    if (parts_->server) {
        parts_->server->shutdown(config_.shutdown_grace);
        parts_->server.reset();
    }
    // Before the writer: a run that is applying its data finishes (or fails) while it can.
    if (parts_->connectors) parts_->connectors->stop();
    if (parts_->audit_watch.joinable()) {
        parts_->audit_watch.request_stop();
        parts_->audit_watch.join();
    }
    if (parts_->writer) parts_->writer->stop();
    if (parts_->reads) {
        try {
            auto lease = parts_->reads->acquire();
            log_audit_head(lease.handle(), "shutdown");
        } catch (const std::exception& e) {
            spdlog::error("cannot read the audit head at shutdown: {}", e.what());
        }
    }
    parts_.reset();
}

std::uint16_t App::port() const { return parts_ && parts_->server ? parts_->server->port() : 0; }

const std::string& App::certificate_fingerprint() const { return fingerprint_; }

const http::Router& App::router() const { return *parts_->router; }

}  // namespace pakt::server
