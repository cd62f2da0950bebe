// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "agent/uploader.hpp"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <deque>
#include <fstream>
#include <system_error>
#include <variant>

#include "agent/cycle.hpp"
#include "common/gzip.hpp"
#include "tests/agent/agent_test_support.hpp"

namespace pakt::agent {
namespace {

using namespace std::chrono_literals;
using std::chrono::seconds;
using test::sample;
using test::sample_now;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// A clock that only moves when the code under test waits; stops the run after `max_waits`.
class FakeTime : public TimeSource {
  public:
    explicit FakeTime(std::size_t max_waits = 1000) : max_waits_(max_waits) {}
    Clock::time_point now() override { return now_; }
    bool wait_for(seconds duration) override {
        waits.push_back(duration);
        now_ += duration;
        if (waits.size() >= max_waits_) stop = true;
        return !stop;
    }
    bool stop_requested() override { return stop; }

    std::vector<seconds> waits;
    bool stop = false;

  private:
    Clock::time_point now_ = sample_now();
    std::size_t max_waits_;
};

// Always the top of the range, so backoff sequences are predictable; records each range.
class CeilingRandom : public RandomSource {
  public:
    std::int64_t uniform(std::int64_t low, std::int64_t high) override {
        ranges.emplace_back(low, high);
        return pick_low ? low : high;
    }
    std::vector<std::pair<std::int64_t, std::int64_t>> ranges;
    bool pick_low = false;
};

struct NetworkDown {
    std::string message = "https://pakt.example:8443: connect: Connection refused";
};

// Answers from a script (the last entry repeats); records what was posted and when.
class ScriptedTransport : public CheckinTransport {
  public:
    using Step = std::variant<CheckinAnswer, NetworkDown>;

    ScriptedTransport(TimeSource& time, std::deque<Step> script)
        : time_(time), script_(std::move(script)) {}

    CheckinAnswer post_checkin(const std::string& gzip_body) override {
        const auto body = gzip_decompress(gzip_body, 64 * 1024 * 1024);
        EXPECT_TRUE(body.data) << "the body must be gzip";
        posted.push_back(nlohmann::json::parse(body.data.value_or("null")));
        post_times.push_back(time_.now());
        const Step step = script_.front();
        if (script_.size() > 1) script_.pop_front();
        if (const auto* down = std::get_if<NetworkDown>(&step)) {
            throw std::system_error(std::make_error_code(std::errc::connection_refused),
                                    down->message);
        }
        return std::get<CheckinAnswer>(step);
    }
    void reset() override { ++resets; }

    std::vector<nlohmann::json> posted;
    std::vector<Clock::time_point> post_times;
    int resets = 0;

  private:
    TimeSource& time_;
    std::deque<Step> script_;
};

CheckinAnswer ok(bool duplicate = false, int next_checkin_s = 900) {
    return {200,
            nlohmann::json{{"accepted", 1},
                           {"unknown_serials", {"ZZZZZZZZ0001"}},
                           {"duplicate", duplicate},
                           {"next_checkin_s", next_checkin_s}}
                .dump(),
            ""};
}

CheckinReport report_at(const std::string& seen_at) {
    CheckinReport report;
    report.report_id = make_uuid();
    report.generated_at = seen_at;
    report.agent_version = "0.1.0";
    report.devices.push_back({"DMPXJ2K1ABCD", seen_at, "17.3.1", 80, 1000, true, "10.20.0.11"});
    return report;
}

// --- backoff ----------------------------------------------------------------------------------

TEST(Backoff, DoublesFromSixtySecondsUpToTheCap) {
    CeilingRandom random;
    Backoff backoff(random);
    std::vector<seconds> waits;
    for (int i = 0; i < 7; ++i) waits.push_back(backoff.next(900s));
    EXPECT_THAT(waits, ElementsAre(60s, 120s, 240s, 480s, 900s, 900s, 900s));
    EXPECT_EQ(backoff.failures(), 7);
}

TEST(Backoff, FullJitterDrawsFromOneSecondToTheCeiling) {
    CeilingRandom random;
    random.pick_low = true;
    Backoff backoff(random);
    EXPECT_EQ(backoff.next(900s), 1s);
    EXPECT_EQ(backoff.next(900s), 1s);
    EXPECT_THAT(random.ranges, ElementsAre(std::pair<std::int64_t, std::int64_t>{1, 60},
                                           std::pair<std::int64_t, std::int64_t>{1, 120}));
}

TEST(Backoff, ResetStartsFromTheBaseAgainAndACapBelowTheBaseWins) {
    CeilingRandom random;
    Backoff backoff(random);
    backoff.next(900s);
    backoff.next(900s);
    backoff.reset();
    EXPECT_EQ(backoff.next(900s), 60s);
    EXPECT_EQ(backoff.next(30s), 30s);
}

TEST(RetryAfter, ReadsSecondsAndHttpDates) {
    const auto now = test::at("2015-10-21T07:20:00Z");
    EXPECT_EQ(parse_retry_after("120", now), 120s);
    EXPECT_EQ(parse_retry_after(" 0 ", now), 0s);
    EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now), 480s);
    EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now), 0s) << "in the past";
    EXPECT_EQ(parse_retry_after("99999999999", now), std::chrono::hours(24)) << "capped at a day";
    EXPECT_FALSE(parse_retry_after("soon", now));
    EXPECT_FALSE(parse_retry_after("", now));
}

// --- delivery ---------------------------------------------------------------------------------

class UploaderTest : public ::testing::Test {
  protected:
    UploaderTest() : spool_(dir_.path() / "spool.db", 100) {}

    DeliveryResult deliver(std::deque<ScriptedTransport::Step> script) {
        transport_ = std::make_unique<ScriptedTransport>(time_, std::move(script));
        Uploader uploader(spool_, *transport_, time_);
        return uploader.deliver();
    }

    test::TempDir dir_;
    Spool spool_;
    FakeTime time_;
    std::unique_ptr<ScriptedTransport> transport_;
};

TEST_F(UploaderTest, SendsOldestFirstAndDeletesEachAfterA200) {
    const auto first = report_at("2026-03-02T08:00:00Z");
    const auto second = report_at("2026-03-02T08:15:00Z");
    spool_.add(first, sample_now());
    spool_.add(second, sample_now());
    const DeliveryResult result = deliver({ok()});
    EXPECT_EQ(result.outcome, DeliveryOutcome::drained);
    EXPECT_EQ(result.delivered, 2u);
    EXPECT_THAT(transport_->posted, ElementsAre(to_json(first), to_json(second)));
    EXPECT_EQ(spool_.pending(), 0u);
    EXPECT_EQ(spool_.status().last_success_at, "2026-03-02T09:00:00Z");
    EXPECT_EQ(result.next_checkin, 900s);
}

TEST_F(UploaderTest, ANetworkFailureKeepsTheReportMarkedAsAttempted) {
    spool_.add(report_at("2026-03-02T08:00:00Z"), sample_now());
    const DeliveryResult result = deliver({NetworkDown{}});
    EXPECT_EQ(result.outcome, DeliveryOutcome::retry_later);
    EXPECT_EQ(result.delivered, 0u);
    ASSERT_EQ(spool_.pending(), 1u);
    EXPECT_EQ(spool_.oldest()->attempts, 1);
    EXPECT_THAT(spool_.status().last_error.value_or(""), HasSubstr("Connection refused"));
    EXPECT_EQ(transport_->resets, 1) << "the next attempt starts on a fresh connection";
}

TEST_F(UploaderTest, ACertificateMismatchSendsNothingAndKeepsTheSpool) {
    const auto report = report_at("2026-03-02T08:00:00Z");
    spool_.add(report, sample_now());
    const DeliveryResult result = deliver({NetworkDown{
        "https://pakt.example:8443: TLS handshake: certificate verify failed (certificate does "
        "not match the pinned SHA-256 fingerprint)"}});
    EXPECT_EQ(result.outcome, DeliveryOutcome::retry_later);
    EXPECT_EQ(spool_.oldest()->report_id, report.report_id);
    EXPECT_THAT(result.error, HasSubstr("pinned SHA-256"));
}

TEST_F(UploaderTest, AServerErrorKeepsTheReport) {
    spool_.add(report_at("2026-03-02T08:00:00Z"), sample_now());
    const DeliveryResult result =
        deliver({CheckinAnswer{500, R"({"title":"Internal Server Error"})", ""}});
    EXPECT_EQ(result.outcome, DeliveryOutcome::retry_later);
    EXPECT_EQ(spool_.pending(), 1u);
    EXPECT_THAT(result.error, HasSubstr("HTTP 500: Internal Server Error"));
}

TEST_F(UploaderTest, TooManyRequestsReturnsTheServersRetryAfter) {
    spool_.add(report_at("2026-03-02T08:00:00Z"), sample_now());
    const DeliveryResult result = deliver({CheckinAnswer{429, "", "300"}});
    EXPECT_EQ(result.outcome, DeliveryOutcome::retry_later);
    EXPECT_EQ(result.retry_after, 300s);
    EXPECT_EQ(spool_.pending(), 1u);
}

TEST_F(UploaderTest, AnInvalidReportIsMovedAsideAndDeliveryGoesOn) {
    const auto bad = report_at("2026-03-02T08:00:00Z");
    const auto good = report_at("2026-03-02T08:15:00Z");
    spool_.add(bad, sample_now());
    spool_.add(good, sample_now());
    const DeliveryResult result =
        deliver({CheckinAnswer{422, R"({"title":"invalid report"})", ""}, ok()});
    EXPECT_EQ(result.outcome, DeliveryOutcome::drained);
    EXPECT_EQ(result.rejected, 1u);
    EXPECT_EQ(result.delivered, 1u);
    const auto rejected = spool_.rejected();
    ASSERT_EQ(rejected.size(), 1u);
    EXPECT_EQ(rejected[0].report_id, bad.report_id);
    EXPECT_EQ(rejected[0].status, 422);
}

TEST_F(UploaderTest, BadRequestAndTooLargeAreRejectedToo) {
    spool_.add(report_at("2026-03-02T08:00:00Z"), sample_now());
    spool_.add(report_at("2026-03-02T08:15:00Z"), sample_now());
    const DeliveryResult result = deliver({CheckinAnswer{400, "", ""}, CheckinAnswer{413, "", ""}});
    EXPECT_EQ(result.rejected, 2u);
    EXPECT_EQ(spool_.pending(), 0u);
}

TEST_F(UploaderTest, AnUnknownNodeKeyStopsDeliveryAndKeepsTheSpool) {
    spool_.add(report_at("2026-03-02T08:00:00Z"), sample_now());
    spool_.add(report_at("2026-03-02T08:15:00Z"), sample_now());
    const DeliveryResult result = deliver({CheckinAnswer{401, "", ""}});
    EXPECT_EQ(result.outcome, DeliveryOutcome::unauthorized);
    EXPECT_EQ(transport_->posted.size(), 1u);
    EXPECT_EQ(spool_.pending(), 2u);
}

TEST_F(UploaderTest, ADuplicateAnswerCountsAsDelivered) {
    spool_.add(report_at("2026-03-02T08:00:00Z"), sample_now());
    const DeliveryResult result = deliver({ok(true, 5)});
    EXPECT_EQ(result.delivered, 1u);
    EXPECT_EQ(result.duplicates, 1u);
    EXPECT_EQ(result.next_checkin, 10s) << "an implausibly short interval is raised";
    EXPECT_EQ(spool_.pending(), 0u);
}

TEST_F(UploaderTest, A200WithoutJsonStillConfirmsTheReport) {
    spool_.add(report_at("2026-03-02T08:00:00Z"), sample_now());
    const DeliveryResult result = deliver({CheckinAnswer{200, "OK", ""}});
    EXPECT_EQ(result.delivered, 1u);
    EXPECT_FALSE(result.next_checkin);
    EXPECT_EQ(spool_.pending(), 0u);
}

TEST_F(UploaderTest, AStopRequestIsHonouredBetweenReports) {
    spool_.add(report_at("2026-03-02T08:00:00Z"), sample_now());
    time_.stop = true;
    const DeliveryResult result = deliver({ok()});
    EXPECT_EQ(result.outcome, DeliveryOutcome::stopped);
    EXPECT_THAT(transport_->posted, IsEmpty());
    EXPECT_EQ(spool_.pending(), 1u);
}

// --- one cycle --------------------------------------------------------------------------------

TEST(Cycle, MoreDevicesThanOneReportMayHoldAreSplitAcrossReports) {
    test::TempDir dir;
    std::filesystem::create_directory(dir.path() / "export");
    {
        std::ofstream csv(dir.path() / "export" / "devices.csv");
        csv << "Serial Number,WiFi MAC,Last Check-in\n";
        for (std::size_t i = 0; i < kMaxDevicesPerReport + 1; ++i) {
            csv << fmt::format("SER{:09d},,2026-03-02 08:00:00\n", i);
        }
    }
    AgentConfig config;
    config.export_dir = dir.path() / "export";
    config.arp_table = "";
    Spool spool(dir.path() / "spool.db", 100);
    const CycleResult result = collect_and_spool(config, spool, sample_now());
    EXPECT_EQ(result.devices, kMaxDevicesPerReport + 1);
    EXPECT_EQ(result.reports_spooled, 2u);
    EXPECT_EQ(spool.status().pending_devices, kMaxDevicesPerReport + 1);
    EXPECT_EQ(spool.oldest()->device_count, kMaxDevicesPerReport);
}

TEST(Cycle, ACycleThatSeesNothingStillSpoolsAReport) {
    test::TempDir dir;
    AgentConfig config;
    config.export_dir = dir.path() / "missing";
    config.arp_table = "";
    Spool spool(dir.path() / "spool.db", 100);
    const CycleResult result = collect_and_spool(config, spool, sample_now());
    EXPECT_EQ(result.devices, 0u);
    EXPECT_EQ(result.reports_spooled, 1u) << "an empty report tells the server the agent lives";
    const auto stored = spool.oldest();
    ASSERT_TRUE(stored);
    const auto json = nlohmann::json::parse(stored->body);
    EXPECT_TRUE(parse_checkin_report(stored->body).report.has_value());
    EXPECT_EQ(json["generated_at"], "2026-03-02T09:00:00Z");
}

// --- the daemon loop --------------------------------------------------------------------------

class DaemonTest : public ::testing::Test {
  protected:
    DaemonTest() : spool_(dir_.path() / "spool.db", 100) {
        config_.export_dir = sample("jamf-school");
        config_.arp_table = "";
    }

    void run(std::size_t max_waits, std::deque<ScriptedTransport::Step> script) {
        time_ = std::make_unique<FakeTime>(max_waits);
        transport_ = std::make_unique<ScriptedTransport>(*time_, std::move(script));
        run_daemon(config_, spool_, *transport_, *time_, random_, 900s);
    }

    test::TempDir dir_;
    AgentConfig config_;
    Spool spool_;
    CeilingRandom random_;
    std::unique_ptr<FakeTime> time_;
    std::unique_ptr<ScriptedTransport> transport_;
};

TEST_F(DaemonTest, WhileTheServerIsDownRetriesBackOffAndCyclesKeepSpooling) {
    run(5, {NetworkDown{}});
    // Retries after 60, 120, 240 s; the 480 s retry coincides with the second cycle (900 s);
    // then the ceiling is the interval.
    EXPECT_THAT(time_->waits, ElementsAre(60s, 120s, 240s, 480s, 900s));
    EXPECT_EQ(transport_->posted.size(), 5u);
    EXPECT_EQ(spool_.pending(), 2u) << "one report per cycle, none lost";
    EXPECT_EQ(transport_->posted.front()["devices"].size(), 7u);
}

TEST_F(DaemonTest, TheServersNextCheckinSetsTheInterval) {
    run(3, {ok(false, 300)});
    EXPECT_THAT(time_->waits, ElementsAre(300s, 300s, 300s));
    EXPECT_EQ(transport_->posted.size(), 3u);
    EXPECT_EQ(spool_.pending(), 0u);
}

TEST_F(DaemonTest, RetryAfterIsHonouredEvenPastTheNextCycle) {
    run(4, {CheckinAnswer{429, "", "1000"}, ok()});
    // The cycle at 900 s spools without sending; the retry waits for the full 1000 s and then
    // sends both reports; the server's interval counts from that answer.
    EXPECT_THAT(time_->waits, ElementsAre(900s, 100s, 900s, 900s));
    ASSERT_EQ(transport_->post_times.size(), 4u);
    EXPECT_EQ(transport_->post_times[1] - transport_->post_times[0], 1000s);
    EXPECT_EQ(transport_->post_times[2], transport_->post_times[1]);
}

TEST_F(DaemonTest, ABackOnlineServerGetsTheWholeBacklogOldestFirst) {
    run(5, {NetworkDown{}, NetworkDown{}, NetworkDown{}, NetworkDown{}, ok()});
    // Down for the attempts at 0, 60, 180, 420 s; at 900 s the second cycle's report joins the
    // backlog and both go out, oldest first.
    ASSERT_EQ(transport_->posted.size(), 6u);
    EXPECT_EQ(transport_->posted[4]["report_id"], transport_->posted[0]["report_id"])
        << "a report whose send failed keeps its report_id";
    EXPECT_NE(transport_->posted[5]["report_id"], transport_->posted[4]["report_id"]);
    EXPECT_EQ(spool_.pending(), 0u);
}

}  // namespace
}  // namespace pakt::agent
