// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// The real pakt-agent against the real paktd, both as child processes: a school's sample MDM
// export and lease files read back through the API; several cycles offline delivered exactly
// once; SIGKILLs of paktd while agents send; and an agent that sends nothing to a server with
// another certificate.
//
// Crash test: at least 20 SIGKILLs in the regular run. PAKT_CRASH_KILLS=<n> asks for more (e.g.
// `PAKT_CRASH_KILLS=200 ctest -R AgentE2E.Crash`); PAKT_CRASH_SEED=<n> repeats a run's random
// kill moments (the seed is in every failure message and in the XML output's crash_seed).
//
// No sleeps and no fixed ports: paktd listens on port 0 first and writes "<port> <fingerprint>"
// to its ready file; restarts use that same port, because an enrolled agent keeps its server URL.
#include <SQLiteCpp/Database.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <thread>

#include "common/https_client.hpp"
#include "common/time.hpp"
#include "common/tls.hpp"
#include "server/storage/database.hpp"
#include "server/storage/migrator.hpp"
#include "server/storage/school_repository.hpp"
#include "server/storage/user_repository.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/fixture_password.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_database.hpp"
#include "tests/support/test_server.hpp"

namespace pakt::test {
namespace {

namespace fs = std::filesystem;

// Agents here send back to back (spool drains, crash loops): the per-agent rate limit would only
// add 429 retries.
constexpr const char* kAgentsConfig =
    "[agents]\ncheckin_burst = 100000\ncheckin_per_minute = 100000\n[log]\nlevel = \"warn\"\n";
using nlohmann::json;
using namespace std::chrono_literals;

const fs::path kPaktd = PAKTD_PATH;
const fs::path kAgent = PAKT_AGENT_PATH;
constexpr const char* kPassword = "correct horse battery";
constexpr const char* kSchoolA = "165432";
constexpr const char* kSchoolB = "100018";
constexpr auto kStartTimeout = 30s;
// Longer than the agent's own 60 s HTTPS timeout: a hanging agent is a failure, not a wait.
constexpr auto kAgentTimeout = 90s;
constexpr int kExitOk = 0;
constexpr int kExitPending = 3;

void write_file(const fs::path& file, const std::string& text) {
    std::ofstream out(file, std::ios::trunc);
    out << text;
    if (!out) throw std::runtime_error("cannot write " + file.string());
}

std::string tail(const std::string& text, std::size_t n = 4000) {
    return text.size() <= n ? text : "..." + text.substr(text.size() - n);
}

// paktd as a child process on a data directory that outlives it, so it can be stopped, killed
// and started again (on the same port) over the same database and certificate.
class Paktd {
  public:
    Paktd(fs::path data_dir, fs::path config)
        : data_dir_(std::move(data_dir)), config_(std::move(config)) {
        fs::create_directories(data_dir_);
    }

    /// Starts paktd on `port` (0: any free port) and waits for its ready file. A restart on a
    /// fixed port is retried a few times if paktd exits early (the port may be briefly taken).
    void start(std::uint16_t port = 0) {
        const fs::path ready = data_dir_ / "ready";
        for (int attempt = 1;; ++attempt) {
            fs::remove(ready);
            const fs::path log = data_dir_ / ("paktd-" + std::to_string(++starts_) + ".log");
            child_ = std::make_unique<ChildProcess>(
                kPaktd,
                std::vector<std::string>{
                    "--config", config_.string(), "--data-dir", data_dir_.string(), "--listen",
                    "127.0.0.1:" + std::to_string(port), "--ready-file", ready.string()},
                log);
            if (child_->wait_for_file(ready, kStartTimeout)) break;
            const bool exited = !child_->running();
            if (!exited || port == 0 || attempt == 5) {
                throw std::runtime_error("paktd did not become ready on port " +
                                         std::to_string(port) + ":\n" + tail(child_->output()));
            }
        }
        std::ifstream in(ready);
        std::uint16_t bound = 0;
        std::string fingerprint;
        in >> bound >> fingerprint;
        if (bound == 0 || (port != 0 && bound != port)) {
            throw std::runtime_error("paktd's ready file names port " + std::to_string(bound));
        }
        port_ = bound;
        fingerprint_ = fingerprint;
    }

    /// SIGTERM, and paktd must exit 0 within 10 s.
    void stop() {
        child_->signal(SIGTERM);
        const auto status = child_->wait_for_exit(10s);
        if (status != std::optional<int>(0)) {
            throw std::runtime_error("paktd did not stop cleanly after SIGTERM:\n" +
                                     tail(child_->output()));
        }
        child_.reset();
    }

    /// SIGKILL: no shutdown at all.
    void kill() {
        child_->signal(SIGKILL);
        if (!child_->wait_for_exit(10s)) throw std::runtime_error("paktd survived SIGKILL");
        child_.reset();
    }

    std::uint16_t port() const { return port_; }
    const std::string& fingerprint() const { return fingerprint_; }
    std::string url() const { return "https://127.0.0.1:" + std::to_string(port_); }
    fs::path database() const { return data_dir_ / "pakt.db"; }
    const fs::path& data_dir() const { return data_dir_; }
    int starts() const { return starts_; }

    std::unique_ptr<HttpsClient> client() const {
        return std::make_unique<HttpsClient>("127.0.0.1", port_, tls::ClientTrust{{}, fingerprint_},
                                             20s);
    }

  private:
    fs::path data_dir_;
    fs::path config_;
    std::unique_ptr<ChildProcess> child_;
    std::uint16_t port_ = 0;
    std::string fingerprint_;
    int starts_ = 0;
};

// One run of pakt-agent to completion.
struct AgentRun {
    int status = -1;
    std::string output;
};

AgentRun run_agent(const fs::path& log_dir, const std::vector<std::string>& args) {
    static std::atomic<int> counter{0};
    const fs::path log = log_dir / ("pakt-agent-" + std::to_string(++counter) + ".log");
    AgentRun run;
    {
        ChildProcess agent(kAgent, args, log);
        const auto status = agent.wait_for_exit(kAgentTimeout);
        if (!status)
            throw std::runtime_error("pakt-agent did not exit within 90 s:\n" +
                                     tail(agent.output()));
        run.status = *status;
        run.output = agent.output();
    }
    fs::remove(log);
    return run;
}

// The summary line of `pakt-agent once`.
struct OnceSummary {
    long devices = 0;
    long delivered = 0;
    long pending = 0;
};

std::optional<OnceSummary> parse_once(const std::string& output) {
    static const std::regex line(
        R"(collected (\d+) devices; delivered (\d+) reports; (\d+) pending)");
    std::smatch m;
    if (!std::regex_search(output, m, line)) return std::nullopt;
    return OnceSummary{std::stol(m[1]), std::stol(m[2]), std::stol(m[3])};
}

// `pending reports: N` of `pakt-agent status`.
long status_pending(const std::string& output) {
    static const std::regex line(R"(pending reports: (\d+))");
    std::smatch m;
    if (!std::regex_search(output, m, line))
        throw std::runtime_error("no spool depth in: " + output);
    return std::stol(m[1]);
}

// What a school's site looks like to the agent: one iPad in the MDM export, and where (if at
// all) it shows up on the network.
enum class Presence { none, arp, dnsmasq };

struct SampleDevice {
    std::string serial;
    std::string mac;  // lower-case colon form
    std::string os_version;
    int battery_pct = 0;
    bool managed = true;
    std::chrono::hours last_contact_ago{1};
    Presence presence = Presence::none;
    std::string ip;
};

// A site directory: mdm-export/devices.csv (Jamf School's export format), dnsmasq.leases, a
// /proc/net/arp style neighbour table, and pakt-agent.toml using them.
fs::path write_site(const fs::path& dir, const std::vector<SampleDevice>& devices) {
    fs::create_directories(dir / "mdm-export");
    const auto now = Clock::now();
    std::ostringstream csv;
    csv << "\"Name\",\"Serial Number\",\"Model\",\"OS Version\",\"Battery Level\",\"Available "
           "Capacity\","
           "\"WiFi MAC\",\"Managed\",\"Supervised\",\"Last Check-in\"\n";
    std::ostringstream leases;
    std::ostringstream arp;
    arp << "IP address       HW type     Flags       HW address            Mask     Device\n";
    int i = 0;
    for (const auto& d : devices) {
        std::string mac_upper = d.mac;
        std::transform(mac_upper.begin(), mac_upper.end(), mac_upper.begin(),
                       [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
        csv << "\"iPad " << ++i << "\",\"" << d.serial << "\",\"iPad (10th generation)\",\""
            << d.os_version << "\",\"" << d.battery_pct << "%\",\"23.41 GB\",\"" << mac_upper
            << "\",\"" << (d.managed ? "Yes" : "No") << "\",\"Yes\",\""
            << format_rfc3339(now - d.last_contact_ago) << "\"\n";
        if (d.presence == Presence::arp) {
            arp << d.ip << "       0x1         0x2         " << d.mac << "     *        eth0\n";
        } else if (d.presence == Presence::dnsmasq) {
            // Expires in 50 minutes of a 60-minute lease: renewed 10 minutes ago.
            const auto expiry =
                std::chrono::duration_cast<std::chrono::seconds>((now + 50min).time_since_epoch())
                    .count();
            leases << expiry << ' ' << d.mac << ' ' << d.ip << " ipad-" << i << " 01:" << d.mac
                   << '\n';
        }
    }
    // A phone the MDM does not know: counted by the agent, never reported.
    leases << std::chrono::duration_cast<std::chrono::seconds>((now + 30min).time_since_epoch())
                  .count()
           << " 3c:22:fb:aa:bb:01 10.20.0.57 Pauls-iPhone *\n";
    write_file(dir / "mdm-export" / "devices.csv", csv.str());
    write_file(dir / "dnsmasq.leases", leases.str());
    write_file(dir / "arp", arp.str());
    const fs::path config = dir / "pakt-agent.toml";
    write_file(
        config,
        "[agent]\n"
        "# never coalesce in these tests: every cycle's report must reach the server as itself\n"
        "spool_max_reports = 1000000\n"
        "[mdm]\n"
        "export_dir = \"" +
            (dir / "mdm-export").string() +
            "\"\n"
            "format = \"csv\"\n"
            "mapping = \"jamf-school\"\n"
            "[network]\n"
            "dnsmasq_leases = \"" +
            (dir / "dnsmasq.leases").string() +
            "\"\n"
            "dnsmasq_lease_time_s = 3600\n"
            "dhcpd_leases = \"\"\n"
            "arp_table = \"" +
            (dir / "arp").string() +
            "\"\n"
            "[log]\n"
            "level = \"info\"\n");
    return config;
}

// An enrolled agent: its site's config and its state directory.
struct SiteAgent {
    fs::path config;
    fs::path state_dir;
    std::int64_t agent_id = 0;
};

class AgentE2E : public ::testing::Test {
  protected:
    TempDir dir;
    fs::path paktd_config = dir.path() / "paktd.toml";
    Paktd paktd{dir.path() / "server-a", paktd_config};
    // paktd's database: its SQLite file, or a PostgreSQL database of its own in the "pg." run.
    TestDatabase database{paktd.database()};
    std::string admin;
    std::int64_t tranche_a = 0;
    std::int64_t tranche_b = 0;

    // School A's iPads; A4 is enrolled but absent from the export.
    const std::vector<std::string> ours = {"DMPA00000001", "DMPA00000002", "DMPA00000003",
                                           "DMPA00000004"};
    const std::string theirs = "DMPB00000001";    // enrolled at school B
    const std::string stranger = "DMPX99999999";  // enrolled nowhere

    void SetUp() override {
        write_file(paktd_config, database.config_toml() + kAgentsConfig);
        spdlog::set_level(spdlog::level::warn);  // the seeding's migration log is noise
        {
            auto db = database.connect();
            server::migrate(db);
            server::UserRecord user;
            user.username = "admin";
            user.display_name = "admin";
            user.role = server::Role::city_admin;
            user.password_hash = test::fixture_password_hash(kPassword);
            server::insert_user(db, user);
            for (const auto& [number, name] : {std::pair{kSchoolA, "Gymnasium Essen-Werden"},
                                               std::pair{kSchoolB, "Freie Waldorfschule"}}) {
                server::School school;
                school.school_number = number;
                school.name = name;
                school.school_type = "Gymnasium";
                server::insert_school(db, school);
            }
        }
        paktd.start();
        auto http = paktd.client();
        auto login = call(*http, "POST", "/api/v1/session", {},
                          json{{"username", "admin"}, {"password", kPassword}});
        ASSERT_EQ(login.status, 201) << login.body;
        admin = json_of(login)["token"].get<std::string>();

        auto grant = call(*http, "POST", "/api/v1/grants", admin,
                          json{{"programme", "DP-BASIS"},
                               {"reference", "G-1"},
                               {"amount_cents", 1000000},
                               {"approved_on", "2021-01-01"},
                               {"spend_by", "2030-12-31"}});
        ASSERT_EQ(grant.status, 201) << grant.body;
        const auto grant_id = json_of(grant)["id"].get<std::int64_t>();
        tranche_a = add_tranche(*http, grant_id, kSchoolA, ours);
        tranche_b =
            add_tranche(*http, grant_id, kSchoolB, {theirs, "DMPB00000002", "DMPB00000003"});
    }

    std::int64_t add_tranche(HttpsClient& http, std::int64_t grant_id, const std::string& school,
                             const std::vector<std::string>& serials) {
        auto t = call(http, "POST", "/api/v1/tranches", admin,
                      json{{"school_number", school},
                           {"grant_id", grant_id},
                           {"delivered_on", "2022-08-01"},
                           {"unit_price_cents", 40000},
                           {"expected_count", 10}});
        EXPECT_EQ(t.status, 201) << t.body;
        const auto id = json_of(t)["id"].get<std::int64_t>();
        auto r = call(http, "POST", "/api/v1/tranches/" + std::to_string(id) + "/enrollments",
                      admin, json{{"serial_numbers", serials}});
        EXPECT_EQ(r.status, 200) << r.body;
        return id;
    }

    // School A's site: A1 on the neighbour table, A2 with a fresh dnsmasq lease, A3 only in the
    // export (last MDM contact 10 days ago), and on the network also school B's iPad and one
    // enrolled nowhere.
    std::vector<SampleDevice> site_a() const {
        return {
            {ours[0], "a4:83:e7:12:34:01", "17.5.1", 87, true, 2h, Presence::arp, "10.20.0.11"},
            {ours[1], "a4:83:e7:12:34:02", "17.4", 55, false, 3h, Presence::dnsmasq, "10.20.0.12"},
            {ours[2], "a4:83:e7:12:34:03", "17.3.1", 41, true, std::chrono::hours(24 * 10),
             Presence::none, ""},
            {theirs, "a4:83:e7:12:34:04", "17.5.1", 90, true, 1h, Presence::arp, "10.20.0.14"},
            {stranger, "a4:83:e7:12:34:05", "16.7.5", 12, false, 1h, Presence::arp, "10.20.0.15"},
        };
    }

    // Creates an enroll secret for `school` through the API and enrolls the real agent with it
    // and the server's pin.
    SiteAgent enroll(const std::string& name, const std::string& school, const fs::path& config) {
        auto http = paktd.client();
        auto secret = call(*http, "POST", "/api/v1/schools/" + school + "/agent-secrets", admin);
        if (secret.status != 201) throw std::runtime_error("agent secret: " + secret.body);
        SiteAgent agent{config, dir.path() / ("state-" + name), 0};
        const auto run = run_agent(
            dir.path(), {"enroll", "--state-dir", agent.state_dir.string(), "--server", paktd.url(),
                         "--secret", json_of(secret)["secret"].get<std::string>(), "--pin",
                         paktd.fingerprint(), "--hostname", "pakt-box-" + name});
        std::smatch m;
        static const std::regex enrolled(R"(as agent (\d+))");
        if (run.status != kExitOk || !std::regex_search(run.output, m, enrolled)) {
            throw std::runtime_error("enroll failed (" + std::to_string(run.status) +
                                     "): " + run.output);
        }
        agent.agent_id = std::stoll(m[1]);
        return agent;
    }

    AgentRun once(const SiteAgent& agent) {
        return run_agent(dir.path(), {"once", "--config", agent.config.string(), "--state-dir",
                                      agent.state_dir.string()});
    }

    long pending(const SiteAgent& agent) {
        const auto run = run_agent(dir.path(), {"status", "--state-dir", agent.state_dir.string()});
        if (run.status != kExitOk) throw std::runtime_error("status failed: " + run.output);
        return status_pending(run.output);
    }

    json get(const std::string& target) {
        auto http = paktd.client();
        auto r = call(*http, "GET", target, admin);
        if (r.status != 200)
            throw std::runtime_error("GET " + target + ": " + std::to_string(r.status) + " " +
                                     r.body);
        return json_of(r);
    }
};

std::int64_t query_int(const TestDatabase& database, const std::string& sql) {
    return server::sql::query_int64(database.connect(), sql);
}

// serial -> number of first_seen events
std::map<std::string, std::int64_t> first_seen_events(server::sql::Db db) {
    std::map<std::string, std::int64_t> out;
    server::sql::Statement q(db,
                             "SELECT serial_number, count(*) FROM device_events WHERE kind = "
                             "'first_seen' GROUP BY serial_number");
    while (q.executeStep()) out[q.getColumn(0).getString()] = q.getColumn(1).getInt64();
    return out;
}

TEST_F(AgentE2E, EndToEnd_SampleSiteReadsBackThroughTheApi) {
    const auto agent = enroll("a", kSchoolA, write_site(dir.path() / "site-a", site_a()));
    const auto run = once(agent);
    ASSERT_EQ(run.status, kExitOk) << run.output;
    const auto summary = parse_once(run.output);
    ASSERT_TRUE(summary) << run.output;
    EXPECT_EQ(summary->devices, 5);
    EXPECT_EQ(summary->delivered, 1);
    EXPECT_EQ(summary->pending, 0);

    const auto a1 = get("/api/v1/devices/" + ours[0])["last_report"];
    ASSERT_FALSE(a1.is_null());
    EXPECT_EQ(a1["os_version"], "17.5.1");
    EXPECT_EQ(a1["battery_pct"], 87);
    EXPECT_EQ(a1["managed"], true);
    EXPECT_EQ(a1["agent_id"], agent.agent_id);
    const auto a2 = get("/api/v1/devices/" + ours[1])["last_report"];
    ASSERT_FALSE(a2.is_null());
    EXPECT_EQ(a2["os_version"], "17.4");
    EXPECT_EQ(a2["battery_pct"], 55);
    EXPECT_EQ(a2["managed"], false);
    // Only in the export: reported as seen at its last MDM contact.
    const auto a3 = get("/api/v1/devices/" + ours[2])["last_report"];
    ASSERT_FALSE(a3.is_null());
    EXPECT_EQ(a3["os_version"], "17.3.1");
    EXPECT_EQ(a3["managed"], true);
    const auto a3_seen = parse_rfc3339(a3["seen_at"].get<std::string>());
    ASSERT_TRUE(a3_seen);
    EXPECT_LT(*a3_seen, Clock::now() - std::chrono::hours(24 * 9));
    EXPECT_TRUE(get("/api/v1/devices/" + ours[3])["last_report"].is_null());
    // School B's iPad on school A's network is not touched.
    EXPECT_TRUE(get("/api/v1/devices/" + theirs)["last_report"].is_null());

    const auto unknown_a =
        get(std::string("/api/v1/schools/") + kSchoolA + "/unknown-devices")["items"];
    ASSERT_EQ(unknown_a.size(), 1u) << unknown_a.dump();
    EXPECT_EQ(unknown_a[0]["serial_number"], stranger);
    EXPECT_EQ(unknown_a[0]["ip_address"], "10.20.0.15");
    EXPECT_EQ(unknown_a[0]["os_version"], "16.7.5");
    EXPECT_EQ(unknown_a[0]["agent_id"], agent.agent_id);
    EXPECT_EQ(get(std::string("/api/v1/schools/") + kSchoolB + "/unknown-devices")["items"].size(),
              0u);

    const auto progress_a = get("/api/v1/tranches/" + std::to_string(tranche_a))["progress"];
    EXPECT_EQ(progress_a["enrolled"], 4);
    EXPECT_EQ(progress_a["managed"], 2);           // A1 and A3
    EXPECT_EQ(progress_a["seen_last_7_days"], 2);  // A1 and A2
    EXPECT_EQ(get("/api/v1/tranches/" + std::to_string(tranche_a) + "/reconciliation")["not_seen"],
              json::array({ours[3]}));
    const auto progress_b = get("/api/v1/tranches/" + std::to_string(tranche_b))["progress"];
    EXPECT_EQ(progress_b["managed"], 0);
    EXPECT_EQ(progress_b["seen_last_7_days"], 0);

    const auto agents = get("/api/v1/agents")["items"];
    ASSERT_EQ(agents.size(), 1u);
    EXPECT_EQ(agents[0]["hostname"], "pakt-box-a");
    EXPECT_FALSE(agents[0]["last_checkin_at"].is_null());
}

TEST_F(AgentE2E, Offline_EveryCycleIsDeliveredExactlyOnceAfterTheServerReturns) {
    const auto agent = enroll("a", kSchoolA, write_site(dir.path() / "site-a", site_a()));
    const auto port = paktd.port();
    paktd.stop();

    constexpr int kOfflineCycles = 4;
    for (int i = 1; i <= kOfflineCycles; ++i) {
        const auto run = once(agent);
        ASSERT_EQ(run.status, kExitPending) << run.output;
        const auto summary = parse_once(run.output);
        ASSERT_TRUE(summary) << run.output;
        EXPECT_EQ(summary->delivered, 0);
        EXPECT_EQ(summary->pending, i);
        EXPECT_EQ(pending(agent), i);
    }

    paktd.start(port);
    const auto run = once(agent);
    ASSERT_EQ(run.status, kExitOk) << run.output;
    const auto summary = parse_once(run.output);
    ASSERT_TRUE(summary) << run.output;
    EXPECT_EQ(summary->delivered, kOfflineCycles + 1);
    EXPECT_EQ(pending(agent), 0);
    paktd.stop();

    auto db = database.connect();
    EXPECT_EQ(query_int(database, "SELECT count(*) FROM checkin_reports WHERE agent_id = " +
                                      std::to_string(agent.agent_id)),
              kOfflineCycles + 1);
    EXPECT_EQ(query_int(database, "SELECT count(*) FROM checkin_reports"), kOfflineCycles + 1);
    const std::map<std::string, std::int64_t> expected = {{ours[0], 1}, {ours[1], 1}, {ours[2], 1}};
    EXPECT_EQ(first_seen_events(db), expected);
    // The stranger was seen in every cycle, each applied once.
    EXPECT_EQ(
        query_int(database, "SELECT times_seen FROM unknown_sightings WHERE serial_number = '" +
                                stranger + "'"),
        kOfflineCycles + 1);
    // Check-ins are telemetry: their record is checkin_reports, not the audit log (README, "Audit
    // log").
    EXPECT_EQ(query_int(database, "SELECT count(*) FROM audit_log WHERE action = 'agent.checkin'"),
              0);
}

// Counts paktd's writes to its database's WAL (inotify IN_MODIFY on the data directory), so the
// crash test can kill paktd in the middle of its commits without sleeping.
class WalWatch {
  public:
    explicit WalWatch(const fs::path& database) : name_(database.filename().string() + "-wal") {
        fd_ = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "inotify_init1");
        if (::inotify_add_watch(fd_, database.parent_path().c_str(), IN_MODIFY) < 0) {
            ::close(fd_);
            throw std::system_error(errno, std::generic_category(), "inotify_add_watch");
        }
    }
    ~WalWatch() { ::close(fd_); }
    WalWatch(const WalWatch&) = delete;
    WalWatch& operator=(const WalWatch&) = delete;

    /// Waits for `n` writes to the WAL. False if `stopped()` turns true first (checked whenever
    /// nothing happened for 100 ms); throws after `timeout`.
    bool wait_writes(int n, std::chrono::milliseconds timeout,
                     const std::function<bool()>& stopped) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        int seen = 0;
        alignas(inotify_event) char buffer[4096];
        while (seen < n) {
            if (stopped()) return false;
            if (std::chrono::steady_clock::now() > deadline)
                throw std::runtime_error("paktd wrote nothing to its WAL");
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 100) <= 0) continue;
            ssize_t length = 0;
            while ((length = ::read(fd_, buffer, sizeof buffer)) > 0) {
                for (ssize_t at = 0; at < length;) {
                    const auto* event = reinterpret_cast<const inotify_event*>(buffer + at);
                    if (event->len > 0 && name_ == event->name) ++seen;
                    at += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
                }
            }
        }
        return true;
    }

  private:
    std::string name_;
    int fd_ = -1;
};

// Reports the agent logged as acknowledged with duplicate: true.
long count_duplicates(const std::string& output) {
    long n = 0;
    for (auto at = output.find(", duplicate)"); at != std::string::npos;
         at = output.find(", duplicate)", at + 1))
        ++n;
    return n;
}

// What one agent did over the crash test.
struct AgentTally {
    long runs = 0;          // `once` runs, each spooling exactly one report (few devices)
    long delivered = 0;     // reports acknowledged with a 200, summed over the runs
    long duplicates = 0;    // acknowledged as already stored: paktd died between commit and answer
    long failed_sends = 0;  // runs that ended with reports still pending
    std::string failure;    // an unexpected exit or output
};

TEST_F(AgentE2E, Crash_SigkillWhileAgentsSendLosesNothingAndAppliesNothingTwice) {
    // It times its kills by SQLite's WAL growing; on PostgreSQL, postgres_instances_test kills
    // two instances under load.
    if (database.postgres()) GTEST_SKIP() << "times its kills by SQLite's WAL";
    int kills = 20;
    if (const char* env = std::getenv("PAKT_CRASH_KILLS")) kills = std::max(kills, std::atoi(env));
    std::uint64_t seed = std::random_device{}();
    if (const char* env = std::getenv("PAKT_CRASH_SEED")) seed = std::strtoull(env, nullptr, 10);
    RecordProperty("crash_seed", std::to_string(seed));
    SCOPED_TRACE("PAKT_CRASH_SEED=" + std::to_string(seed));
    RecordProperty("crash_kills", kills);
    std::mt19937_64 random(seed);

    // Two agents at school A (overlapping sites) and one at school B; each site also sees a
    // serial enrolled nowhere.
    auto site = site_a();
    site.pop_back();
    site.push_back({"DMPXA0000001", "a4:83:e7:12:34:05", "16.7.5", 12, false, 1h, Presence::arp,
                    "10.20.0.15"});
    const auto config_a = write_site(dir.path() / "site-a", site);
    const auto config_b = write_site(
        dir.path() / "site-b",
        {{"DMPB00000001", "a4:83:e7:22:34:01", "17.5.1", 70, true, 1h, Presence::arp, "10.30.0.11"},
         {"DMPB00000002", "a4:83:e7:22:34:02", "17.5.1", 71, true, 1h, Presence::dnsmasq,
          "10.30.0.12"},
         {"DMPB00000003", "a4:83:e7:22:34:03", "17.2", 72, false, 5h, Presence::none, ""},
         {"DMPXB0000001", "a4:83:e7:22:34:04", "17.0", 73, true, 1h, Presence::arp, "10.30.0.14"}});
    const std::vector<SiteAgent> agents = {enroll("a1", kSchoolA, config_a),
                                           enroll("a2", kSchoolA, config_a),
                                           enroll("b1", kSchoolB, config_b)};
    const auto port = paktd.port();

    std::mutex mutex;
    std::condition_variable progress;
    bool stop = false;
    int generation = 0;  // paktd starts so far; runs are credited to the one they began under
    int runs_this_generation = 0;  // runs begun and finished while the current paktd was up
    std::vector<AgentTally> tallies(agents.size());
    std::vector<std::thread> loops;
    for (std::size_t i = 0; i < agents.size(); ++i) {
        loops.emplace_back([&, i] {
            AgentTally& tally = tallies[i];
            for (;;) {
                int began_under = 0;
                {
                    std::lock_guard lock(mutex);
                    if (stop) return;
                    began_under = generation;
                }
                try {
                    const auto run = once(agents[i]);
                    const auto summary = parse_once(run.output);
                    if ((run.status != kExitOk && run.status != kExitPending) || !summary) {
                        tally.failure =
                            "exit " + std::to_string(run.status) + ": " + tail(run.output);
                    } else {
                        ++tally.runs;
                        tally.delivered += summary->delivered;
                        tally.duplicates += count_duplicates(run.output);
                        if (run.status == kExitPending) ++tally.failed_sends;
                    }
                } catch (const std::exception& e) {
                    tally.failure = e.what();
                }
                std::lock_guard lock(mutex);
                if (!tally.failure.empty()) stop = true;
                if (began_under == generation) ++runs_this_generation;
                progress.notify_all();
                if (stop) return;
            }
        });
    }

    // The killer: each paktd lives either for a random number (1..6) of agent runs, with the
    // runs of the other agents mid-flight (connecting, handshaking, waiting for the commit or the
    // answer), or for a random number (1..24) of its writes to the WAL, which lands the SIGKILL
    // inside a commit or between a commit and its answer. Then it is restarted on the same port.
    int kills_done = 0;
    int kills_in_wal = 0;
    std::string killer_failure;
    try {
        for (; kills_done < kills; ++kills_done) {
            const bool by_wal = std::bernoulli_distribution(0.5)(random);
            if (by_wal) {
                WalWatch wal(paktd.database());
                const int writes = std::uniform_int_distribution<int>(1, 24)(random);
                if (!wal.wait_writes(writes, 60s, [&] {
                        std::lock_guard lock(mutex);
                        return stop;
                    })) {
                    break;
                }
                ++kills_in_wal;
            } else {
                const int lifetime = std::uniform_int_distribution<int>(
                    1, 2 * static_cast<int>(agents.size()))(random);
                std::unique_lock lock(mutex);
                progress.wait(lock, [&] { return stop || runs_this_generation >= lifetime; });
                if (stop) break;
            }
            paktd.kill();
            paktd.start(port);
            std::lock_guard lock(mutex);
            ++generation;
            runs_this_generation = 0;
        }
    } catch (const std::exception& e) {
        killer_failure = e.what();
    }
    {
        std::lock_guard lock(mutex);
        stop = true;
    }
    progress.notify_all();
    for (auto& t : loops) t.join();
    for (std::size_t i = 0; i < agents.size(); ++i)
        ASSERT_EQ(tallies[i].failure, "") << "agent " << i;
    ASSERT_EQ(killer_failure, "");
    RecordProperty("crash_kills_done", kills_done);
    RecordProperty("crash_kills_in_wal_writes", kills_in_wal);
    ASSERT_EQ(kills_done, kills);

    // A clean start, then every agent drains its spool.
    paktd.stop();
    paktd.start(port);
    for (std::size_t i = 0; i < agents.size(); ++i) {
        AgentRun run;
        for (int attempt = 0; attempt < 10; ++attempt) {
            run = once(agents[i]);
            const auto summary = parse_once(run.output);
            ASSERT_TRUE(summary) << run.output;
            ++tallies[i].runs;
            tallies[i].delivered += summary->delivered;
            tallies[i].duplicates += count_duplicates(run.output);
            if (run.status != kExitPending) break;
        }
        ASSERT_EQ(run.status, kExitOk) << run.output;
        EXPECT_EQ(pending(agents[i]), 0);
    }

    // Every enrolled iPad the agents saw has its latest report.
    for (const auto& serial : {ours[0], ours[1], ours[2], theirs, std::string("DMPB00000002"),
                               std::string("DMPB00000003")}) {
        const auto report = get("/api/v1/devices/" + serial)["last_report"];
        EXPECT_FALSE(report.is_null()) << serial;
    }
    paktd.stop();

    long runs = 0, duplicates = 0, failed_sends = 0;
    for (const auto& t : tallies) {
        runs += t.runs;
        duplicates += t.duplicates;
        failed_sends += t.failed_sends;
    }
    // For the curious: how often a kill fell between commit and answer, or before the commit.
    RecordProperty("crash_agent_runs", static_cast<int>(runs));
    RecordProperty("crash_duplicates", static_cast<int>(duplicates));
    RecordProperty("crash_failed_sends", static_cast<int>(failed_sends));

    auto db = server::open_database(paktd.database(), server::OpenMode::read_write, 5s);
    for (std::size_t i = 0; i < agents.size(); ++i) {
        const auto id = std::to_string(agents[i].agent_id);
        // Each run spooled one report; each report was acknowledged once (the spool is empty) and
        // is in the database once.
        EXPECT_EQ(tallies[i].delivered, tallies[i].runs) << "agent " << i;
        EXPECT_EQ(db->execAndGet("SELECT count(*) FROM checkin_reports WHERE agent_id = " + id)
                      .getInt64(),
                  tallies[i].runs)
            << "agent " << i;
    }
    const std::map<std::string, std::int64_t> once_each = {
        {ours[0], 1}, {ours[1], 1},        {ours[2], 1},
        {theirs, 1},  {"DMPB00000002", 1}, {"DMPB00000003", 1}};
    EXPECT_EQ(first_seen_events(*db), once_each);
    // Each application of a report counts the unknown serial once.
    EXPECT_EQ(db->execAndGet(
                    "SELECT times_seen FROM unknown_sightings WHERE serial_number = 'DMPXA0000001'")
                  .getInt64(),
              tallies[0].runs + tallies[1].runs);
    EXPECT_EQ(db->execAndGet(
                    "SELECT times_seen FROM unknown_sightings WHERE serial_number = 'DMPXB0000001'")
                  .getInt64(),
              tallies[2].runs);
    EXPECT_EQ(db->execAndGet("PRAGMA integrity_check").getString(), "ok");
    SQLite::Statement foreign_keys(*db, "PRAGMA foreign_key_check");
    EXPECT_FALSE(foreign_keys.executeStep())
        << "a foreign key violation in " << foreign_keys.getColumn(0).getString();
}

TEST_F(AgentE2E, Pin_OtherCertificateGetsNothingAndTheSpoolWaitsForTheRightServer) {
    const auto agent = enroll("a", kSchoolA, write_site(dir.path() / "site-a", site_a()));
    const auto port = paktd.port();
    const auto fingerprint_a = paktd.fingerprint();
    ASSERT_EQ(once(agent).status, kExitOk);
    paktd.stop();

    // Server B: another data directory, so another self-signed certificate, on A's port; and
    // another database.
    TestDatabase other_database(dir.path() / "server-b" / "pakt.db");
    const fs::path other_config = dir.path() / "paktd-b.toml";
    write_file(other_config, other_database.config_toml() + kAgentsConfig);
    Paktd other(dir.path() / "server-b", other_config);
    other.start(port);
    ASSERT_NE(other.fingerprint(), fingerprint_a);
    const auto refused = once(agent);
    EXPECT_EQ(refused.status, kExitPending) << refused.output;
    EXPECT_NE(refused.output.find("certificate"), std::string::npos) << refused.output;
    EXPECT_EQ(pending(agent), 1);
    other.stop();
    EXPECT_EQ(query_int(other_database, "SELECT count(*) FROM checkin_reports"), 0);
    EXPECT_EQ(query_int(other_database, "SELECT count(*) FROM agents"), 0);

    paktd.start(port);
    ASSERT_EQ(paktd.fingerprint(), fingerprint_a);
    const auto delivered = once(agent);
    ASSERT_EQ(delivered.status, kExitOk) << delivered.output;
    const auto summary = parse_once(delivered.output);
    ASSERT_TRUE(summary) << delivered.output;
    EXPECT_EQ(summary->delivered, 2);
    EXPECT_EQ(pending(agent), 0);
    paktd.stop();
    EXPECT_EQ(query_int(database, "SELECT count(*) FROM checkin_reports WHERE agent_id = " +
                                      std::to_string(agent.agent_id)),
              3);
}

}  // namespace
}  // namespace pakt::test
