// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "server/http/metrics.hpp"

#include <fmt/format.h>

#include "common/build_info.hpp"

namespace pakt::server::http {
namespace {

std::string escape_label(std::string_view v) {
    std::string out;
    for (char c : v) {
        if (c == '\\' || c == '"') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out;
}

}  // namespace

void Metrics::observe_request(std::string_view route, std::string_view method, int status,
                              double seconds) {
    std::lock_guard lock(mutex_);
    ++requests_[{std::string(route), std::string(method), status}];
    Histogram& h = latency_[std::string(route)];
    for (std::size_t i = 0; i < kBuckets.size(); ++i) {
        if (seconds <= kBuckets[i]) ++h.buckets[i];
    }
    ++h.count;
    h.sum += seconds;
}

void Metrics::add_collector(std::function<void(std::string&)> collector) {
    collectors_.push_back(std::move(collector));
}

std::string Metrics::render() const {
    std::string out;
    out += "# HELP pakt_build_info Build information of this paktd.\n";
    out += "# TYPE pakt_build_info gauge\n";
    out += fmt::format("pakt_build_info{{version=\"{}\",commit=\"{}\"}} 1\n", build_version(),
                       build_commit());
    {
        std::lock_guard lock(mutex_);
        out +=
            "# HELP pakt_http_requests_total HTTP requests answered, by route, method and "
            "status.\n";
        out += "# TYPE pakt_http_requests_total counter\n";
        for (const auto& [key, count] : requests_) {
            const auto& [route, method, status] = key;
            out += fmt::format(
                "pakt_http_requests_total{{route=\"{}\",method=\"{}\",status=\"{}\"}} {}\n",
                escape_label(route), escape_label(method), status, count);
        }
        out +=
            "# HELP pakt_http_request_duration_seconds Time from request read to response ready.\n";
        out += "# TYPE pakt_http_request_duration_seconds histogram\n";
        for (const auto& [route, h] : latency_) {
            const std::string label = escape_label(route);
            for (std::size_t i = 0; i < kBuckets.size(); ++i) {
                out += fmt::format(
                    "pakt_http_request_duration_seconds_bucket{{route=\"{}\",le=\"{}\"}} {}\n",
                    label, kBuckets[i], h.buckets[i]);
            }
            out += fmt::format(
                "pakt_http_request_duration_seconds_bucket{{route=\"{}\",le=\"+Inf\"}} {}\n", label,
                h.count);
            out += fmt::format("pakt_http_request_duration_seconds_sum{{route=\"{}\"}} {}\n", label,
                               h.sum);
            out += fmt::format("pakt_http_request_duration_seconds_count{{route=\"{}\"}} {}\n",
                               label, h.count);
        }
    }
    for (const auto& collect : collectors_) collect(out);
    return out;
}

}  // namespace pakt::server::http
