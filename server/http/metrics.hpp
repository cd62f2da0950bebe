// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// Prometheus metrics kept in memory: requests by route, method and status, a latency histogram
// by route, build info, and gauges that other components contribute at scrape time.
#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace pakt::server::http {

class Metrics {
public:
    /// Upper bounds (seconds) of the latency histogram's buckets.
    static constexpr std::array<double, 12> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                         0.1,   0.25,   0.5,   1.0,  2.5,   10.0};

    /// Records one answered request. Thread-safe.
    void observe_request(std::string_view route, std::string_view method, int status, double seconds);

    /// Adds a function that appends its own metric families (text format) at every scrape.
    /// Not thread-safe: register before serving.
    void add_collector(std::function<void(std::string&)> collector);

    /// The Prometheus text exposition (version 0.0.4). Thread-safe.
    std::string render() const;

private:
    struct Histogram {
        std::array<std::uint64_t, kBuckets.size()> buckets{};
        std::uint64_t count = 0;
        double sum = 0;
    };

    mutable std::mutex mutex_;
    std::map<std::tuple<std::string, std::string, int>, std::uint64_t> requests_;
    std::map<std::string, Histogram> latency_;
    std::vector<std::function<void(std::string&)>> collectors_;
};

}  // namespace pakt::server::http
