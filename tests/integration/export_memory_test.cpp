// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// Issue 5, "done when" 3: exporting 200,000 devices streams. The real paktd binary runs as a
// child process, so /proc/<pid> is paktd's alone: its peak RSS (VmHWM, reset before each export)
// must grow by less than 32 MB while the inventory is read slowly, piece by piece, as CSV and as
// JSON, and check-ins sent while the export is demonstrably unfinished must be answered.
#include <gtest/gtest.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "tests/support/inventory_export.hpp"
#include "tests/support/large_fleet.hpp"
#include "tests/support/paktd_process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_database.hpp"
#include "tests/support/test_server.hpp"

namespace pakt::test {
namespace {

using nlohmann::json;

const std::filesystem::path kPaktd = PAKTD_PATH;
constexpr std::int64_t kMaxGrowthBytes = 32'000'000;  // "less than 32 MB"
constexpr std::uint64_t kPauseAfterBytes = 1 << 20;   // a few of paktd's 64 KiB chunks
constexpr int kCheckinsDuringExport = 5;

// Sends one check-in; true only if paktd answered 200, accepted every device and did not take
// it for a replay (the failures are reported where they happen).
bool checkin_accepted(HttpsClient& agent, const LargeFleet& fleet) {
    const CheckinReport report = fleet_checkin_report(fleet);
    const auto r = agent.request("POST", "/api/v1/agent/checkin", to_json(report).dump(),
                                 {{"Authorization", "Bearer " + fleet.node_key}});
    if (r.status != 200) {
        ADD_FAILURE() << "check-in answered " << r.status << ": " << r.body;
        return false;
    }
    const json answer = json::parse(r.body);
    const bool accepted = answer.at("accepted").get<std::size_t>() == fleet.agent_serials.size() &&
                          !answer.at("duplicate").get<bool>();
    if (!accepted) ADD_FAILURE() << "unexpected check-in answer: " << r.body;
    return accepted;
}

// More than the kernel can hold for one loopback connection in its send and receive buffers
// (tcp_wmem and tcp_rmem allow at most a few MiB each by default): if this much of the body was
// still to come after the check-ins, paktd was still producing the export while they were answered.
constexpr std::uint64_t kMoreThanSocketBuffers = 16ull << 20;

TEST(ExportMemory, InventoryOf200000DevicesStreamsInUnder32MBWhileCheckinsAreAnswered) {
    TempDir dir;
    // On PostgreSQL paktd reads the export's rows one at a time (single-row mode): libpq would
    // otherwise hold the whole result in paktd's memory.
    TestDatabase database(dir.path() / "pakt.db");
    const LargeFleetPlan plan;  // 200,000 devices, 8 schools, 16 tranches, one grant
    const LargeFleet fleet = seed_large_fleet(database.connect(), plan);
    ASSERT_EQ(fleet.serials_in_report_order.size(), 200'000u);

    PaktdProcess paktd(kPaktd, dir.path(), database.config_toml() + "[log]\nlevel = \"warn\"\n");
    std::string token;
    {
        auto http = paktd.client();
        const auto r =
            call(*http, "POST", "/api/v1/session", {},
                 json{{"username", fleet.admin_username}, {"password", fleet.admin_password}});
        ASSERT_EQ(r.status, 201) << r.body;
        token = json_of(r).at("token").get<std::string>();
    }
    auto agent = paktd.client();
    // The check-in path's one-off costs (its first statements, its first parse) are not the
    // export's; they are paid before the baseline.
    ASSERT_TRUE(checkin_accepted(*agent, fleet));

    for (const ExportFormat format : {ExportFormat::csv, ExportFormat::json}) {
        SCOPED_TRACE(to_string(format));
        auto exporter = paktd.client();
        int answered = 0;
        const ExportMeasurement m =
            measure_inventory_export(*exporter, paktd.pid(), token, format,
                                     fleet.serials_in_report_order, kPauseAfterBytes, [&] {
                                         for (int i = 0; i < kCheckinsDuringExport; ++i) {
                                             if (checkin_accepted(*agent, fleet)) ++answered;
                                         }
                                     });

        ASSERT_EQ(m.response.status, 200);
        EXPECT_EQ(m.response.header("Transfer-Encoding"), "chunked");
        EXPECT_EQ(m.problem, "") << "the export is incomplete or out of order";
        EXPECT_EQ(m.rows, plan.devices);
        // The check-ins ran while paktd still held the export: most of it was still to come.
        ASSERT_TRUE(m.meanwhile_ran);
        EXPECT_GT(m.rows_before_meanwhile, 0u);
        EXPECT_GT(m.body_bytes - m.bytes_before_meanwhile, kMoreThanSocketBuffers)
            << "too little of the export was left after the check-ins to prove paktd was still sending it";
        EXPECT_EQ(answered, kCheckinsDuringExport);

        std::printf(
            "[ export ] %s: %llu bytes, %zu rows in %.2f s; paktd RSS before %.1f MiB, peak %.1f "
            "MiB "
            "(%s), growth %.1f MiB (%lld kB); %d check-ins answered after %zu rows\n",
            to_string(format), static_cast<unsigned long long>(m.body_bytes), m.rows, m.seconds,
            static_cast<double>(m.before.rss_kib) / 1024.0,
            static_cast<double>(m.peak_rss_kib) / 1024.0,
            m.peak_reset ? "VmHWM after a reset" : "highest VmRSS sampled between pieces",
            static_cast<double>(m.growth_kib()) / 1024.0, static_cast<long long>(m.growth_kib()),
            answered, m.rows_before_meanwhile);
#ifdef PAKT_SANITIZED
        std::printf("[ export ] a sanitizer build: the RSS bound is not checked\n");
#else
        EXPECT_LT(m.growth_kib() * 1024, kMaxGrowthBytes)
            << "paktd's peak RSS grew by " << m.growth_kib() << " KiB during the export";
#endif
    }
    EXPECT_TRUE(paktd.process().running()) << paktd.output();
    EXPECT_EQ(paktd.stop(), std::optional<int>(0)) << paktd.output();
}

}  // namespace
}  // namespace pakt::test
