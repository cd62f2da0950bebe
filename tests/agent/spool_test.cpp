// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "agent/spool.hpp"

#include <SQLiteCpp/Database.h>
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <optional>

#include "tests/agent/agent_test_support.hpp"

namespace pakt::agent {
namespace {

using test::sample_now;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

CheckinReport report_of(const std::vector<std::string>& serials, const std::string& seen_at,
                        const std::string& os_version = "17.3.1") {
    CheckinReport report;
    report.report_id = make_uuid();
    report.generated_at = seen_at;
    report.agent_version = "0.1.0";
    for (const auto& serial : serials) {
        DeviceObservation device;
        device.serial_number = serial;
        device.seen_at = seen_at;
        device.os_version = os_version;
        report.devices.push_back(device);
    }
    return report;
}

CheckinReport parse_body(const std::string& body) {
    const ParsedReport parsed = parse_checkin_report(body);
    EXPECT_THAT(parsed.errors, IsEmpty());
    return parsed.report.value_or(CheckinReport{});
}

std::vector<std::string> drain_ids(Spool& spool) {
    std::vector<std::string> ids;
    while (auto report = spool.oldest()) {
        ids.push_back(report->report_id);
        spool.remove(report->report_id);
    }
    return ids;
}

class SpoolTest : public ::testing::Test {
  protected:
    std::filesystem::path file() const { return dir_.path() / "spool.db"; }

    test::TempDir dir_;
};

TEST_F(SpoolTest, StoresTheReportAsItsJson) {
    Spool spool(file(), 10);
    const CheckinReport report =
        report_of({"DMPXJ2K1ABCD", "DMPXJ2K1ABCE"}, "2026-03-02T09:00:00Z");
    spool.add(report, sample_now());
    const auto stored = spool.oldest();
    ASSERT_TRUE(stored);
    EXPECT_EQ(stored->report_id, report.report_id);
    EXPECT_EQ(stored->created_at, "2026-03-02T09:00:00Z");
    EXPECT_EQ(stored->device_count, 2u);
    EXPECT_EQ(stored->attempts, 0);
    EXPECT_EQ(nlohmann::json::parse(stored->body), to_json(report));
}

TEST_F(SpoolTest, HandsOutTheOldestFirstAndDeletesOnlyWhatIsRemoved) {
    Spool spool(file(), 10);
    const auto first = report_of({"DMPXJ2K1ABCD"}, "2026-03-02T08:00:00Z");
    const auto second = report_of({"DMPXJ2K1ABCD"}, "2026-03-02T08:15:00Z");
    spool.add(first, sample_now());
    spool.add(second, sample_now());
    EXPECT_EQ(spool.oldest()->report_id, first.report_id);
    EXPECT_EQ(spool.oldest()->report_id, first.report_id) << "reading does not consume";
    EXPECT_FALSE(spool.remove(make_uuid()));
    EXPECT_TRUE(spool.remove(first.report_id));
    EXPECT_EQ(spool.oldest()->report_id, second.report_id);
    EXPECT_TRUE(spool.remove(second.report_id));
    EXPECT_FALSE(spool.oldest());
}

TEST_F(SpoolTest, SurvivesReopening) {
    const auto report = report_of({"DMPXJ2K1ABCD"}, "2026-03-02T08:00:00Z");
    {
        Spool spool(file(), 10);
        spool.add(report, sample_now());
        spool.mark_attempted(report.report_id, sample_now());
        spool.record_success(sample_now());
    }
    Spool reopened(file(), 10);
    const auto stored = reopened.oldest();
    ASSERT_TRUE(stored);
    EXPECT_EQ(stored->report_id, report.report_id);
    EXPECT_EQ(stored->attempts, 1);
    EXPECT_EQ(reopened.status().last_success_at, "2026-03-02T09:00:00Z");
}

TEST_F(SpoolTest, UsesWalAndFullSynchronousWrites) {
    Spool spool(file(), 10);
    SQLite::Database db(file().string(), SQLite::OPEN_READONLY);
    EXPECT_EQ(db.execAndGet("PRAGMA journal_mode").getString(), "wal");
}

TEST_F(SpoolTest, RejectMovesTheReportAsideWithTheAnswer) {
    Spool spool(file(), 10);
    const auto report = report_of({"DMPXJ2K1ABCD"}, "2026-03-02T08:00:00Z");
    spool.add(report, sample_now());
    spool.reject(report.report_id, 422, R"({"title":"invalid report"})", sample_now());
    EXPECT_FALSE(spool.oldest());
    const auto rejected = spool.rejected();
    ASSERT_EQ(rejected.size(), 1u);
    EXPECT_EQ(rejected[0].report_id, report.report_id);
    EXPECT_EQ(rejected[0].status, 422);
    EXPECT_EQ(rejected[0].answer, R"({"title":"invalid report"})");
    EXPECT_EQ(spool.status().rejected_reports, 1u);
}

TEST_F(SpoolTest, StatusShowsDepthAndTheLastOutcome) {
    Spool spool(file(), 10);
    spool.add(report_of({"DMPXJ2K1ABCD", "DMPXJ2K1ABCE"}, "2026-03-02T08:00:00Z"), sample_now());
    spool.add(report_of({"DMPXJ2K1ABCD"}, "2026-03-02T08:15:00Z"), sample_now());
    spool.record_error("connection refused", sample_now());
    const SpoolStatus status = spool.status();
    EXPECT_EQ(status.pending_reports, 2u);
    EXPECT_EQ(status.pending_devices, 3u);
    EXPECT_FALSE(status.last_success_at);
    EXPECT_EQ(status.last_error, "connection refused");
    EXPECT_EQ(status.last_error_at, "2026-03-02T09:00:00Z");
}

TEST_F(SpoolTest, PastTheBoundTheOldestAreCoalescedLatestObservationWinning) {
    Spool spool(file(), 3);
    spool.add(report_of({"AAAAAAAA0001", "AAAAAAAA0002"}, "2026-03-02T08:00:00Z", "16.7"),
              sample_now());
    spool.add(report_of({"AAAAAAAA0001"}, "2026-03-02T08:15:00Z", "17.3"), sample_now());
    spool.add(report_of({"AAAAAAAA0003"}, "2026-03-02T08:30:00Z"), sample_now());
    const AddResult added =
        spool.add(report_of({"AAAAAAAA0002"}, "2026-03-02T08:45:00Z"), sample_now());
    EXPECT_EQ(added.coalesced_reports, 2u);
    EXPECT_EQ(added.coalesced_into, 1u);
    EXPECT_FALSE(added.over_bound);
    EXPECT_EQ(spool.pending(), 3u);

    const CheckinReport merged = parse_body(spool.oldest()->body);
    ASSERT_EQ(merged.devices.size(), 2u);
    EXPECT_EQ(merged.devices[0].serial_number, "AAAAAAAA0001");
    EXPECT_EQ(merged.devices[0].os_version, "17.3");
    EXPECT_EQ(merged.devices[0].seen_at, "2026-03-02T08:15:00Z");
    EXPECT_EQ(merged.devices[1].serial_number, "AAAAAAAA0002");
    EXPECT_EQ(merged.devices[1].seen_at, "2026-03-02T08:00:00Z");
    EXPECT_EQ(merged.generated_at, "2026-03-02T08:15:00Z");
    EXPECT_TRUE(is_uuid(merged.report_id));
}

TEST_F(SpoolTest, NeverCoalescesAReportThatWasAttempted) {
    Spool spool(file(), 2);
    const auto sent = report_of({"AAAAAAAA0001"}, "2026-03-02T08:00:00Z");
    spool.add(sent, sample_now());
    spool.mark_attempted(sent.report_id, sample_now());
    spool.add(report_of({"AAAAAAAA0001"}, "2026-03-02T08:15:00Z"), sample_now());
    const AddResult added =
        spool.add(report_of({"AAAAAAAA0001"}, "2026-03-02T08:30:00Z"), sample_now());
    EXPECT_EQ(added.coalesced_reports, 2u);
    EXPECT_EQ(spool.pending(), 2u);
    const auto oldest = spool.oldest();
    EXPECT_EQ(oldest->report_id, sent.report_id) << "the attempted report keeps id and place";
    EXPECT_EQ(nlohmann::json::parse(oldest->body), to_json(sent));
}

TEST_F(SpoolTest, KeepsEverythingWhenOnlyAttemptedReportsCouldBeMerged) {
    Spool spool(file(), 2);
    std::vector<std::string> ids;
    for (int i = 0; i < 2; ++i) {
        const auto report = report_of({"AAAAAAAA0001"}, "2026-03-02T08:00:00Z");
        spool.add(report, sample_now());
        spool.mark_attempted(report.report_id, sample_now());
        ids.push_back(report.report_id);
    }
    const auto third = report_of({"AAAAAAAA0001"}, "2026-03-02T08:30:00Z");
    const AddResult added = spool.add(third, sample_now());
    ids.push_back(third.report_id);
    EXPECT_EQ(added.coalesced_reports, 0u);
    EXPECT_TRUE(added.over_bound);
    EXPECT_EQ(drain_ids(spool), ids) << "nothing dropped, order kept";
}

TEST_F(SpoolTest, CoalescingNeverBuildsAReportAboveTheDeviceLimit) {
    Spool spool(file(), 2);
    const auto serials = [](int from, int count) {
        std::vector<std::string> out;
        for (int i = from; i < from + count; ++i) out.push_back(fmt::format("SER{:09d}", i));
        return out;
    };
    spool.add(report_of(serials(0, 3000), "2026-03-02T08:00:00Z"), sample_now());
    spool.add(report_of(serials(3000, 3000), "2026-03-02T08:15:00Z"), sample_now());
    const AddResult added =
        spool.add(report_of(serials(6000, 3000), "2026-03-02T08:30:00Z"), sample_now());
    EXPECT_EQ(added.coalesced_reports, 3u);
    EXPECT_EQ(added.coalesced_into, 2u);
    std::size_t total = 0;
    while (auto report = spool.oldest()) {
        EXPECT_LE(report->device_count, kMaxDevicesPerReport);
        total += report->device_count;
        spool.remove(report->report_id);
    }
    EXPECT_EQ(total, 9000u) << "no observation lost";
}

TEST_F(SpoolTest, RefusesASpoolFromANewerAgent) {
    { Spool spool(file(), 10); }
    {
        SQLite::Database db(file().string(), SQLite::OPEN_READWRITE);
        db.exec("PRAGMA user_version = 99");
    }
    EXPECT_THROW(Spool(file(), 10), std::runtime_error);
}

}  // namespace
}  // namespace pakt::agent
