// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "agent/uploader.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <ctime>
#include <mutex>
#include <nlohmann/json.hpp>
#include <system_error>

#include "common/gzip.hpp"
#include "common/https_client.hpp"

namespace pakt::agent {
namespace {

using namespace std::chrono;

constexpr auto kMaxRetryAfter = hours(24);
// next_checkin_s outside this range is a server bug; the agent neither hammers nor goes silent.
constexpr auto kMinNextCheckin = seconds(10);
constexpr auto kMaxNextCheckin = hours(24);
constexpr std::size_t kMaxLoggedBody = 300;

std::string excerpt(const std::string& body) {
    std::string out = body.substr(0, kMaxLoggedBody);
    std::replace(out.begin(), out.end(), '\n', ' ');
    return body.size() > kMaxLoggedBody ? out + "..." : out;
}

// The title/detail of a problem+json answer, else the start of the body.
std::string describe_answer(const CheckinAnswer& answer) {
    const auto json = nlohmann::json::parse(answer.body, nullptr, false);
    std::string text = "HTTP " + std::to_string(answer.status);
    if (json.is_object()) {
        for (const char* key : {"title", "detail"}) {
            const auto it = json.find(key);
            if (it != json.end() && it->is_string()) text += ": " + it->get<std::string>();
        }
        return text;
    }
    return answer.body.empty() ? text : text + ": " + excerpt(answer.body);
}

bool is_invalid_report(int status) { return status == 400 || status == 413 || status == 422; }

}  // namespace

// --- time and randomness ----------------------------------------------------------------------

struct SystemTimeSource::Impl {
    std::mutex mutex;
    std::condition_variable stop_changed;
    bool stop = false;
};

SystemTimeSource::SystemTimeSource() : impl_(std::make_unique<Impl>()) {}
SystemTimeSource::~SystemTimeSource() = default;

Clock::time_point SystemTimeSource::now() { return Clock::now(); }

bool SystemTimeSource::wait_for(seconds duration) {
    std::unique_lock lock(impl_->mutex);
    // steady_clock: a wall clock set back by NTP must not stretch the wait.
    impl_->stop_changed.wait_until(lock, steady_clock::now() + duration,
                                   [this] { return impl_->stop; });
    return !impl_->stop;
}

bool SystemTimeSource::stop_requested() {
    std::lock_guard lock(impl_->mutex);
    return impl_->stop;
}

void SystemTimeSource::request_stop() {
    {
        std::lock_guard lock(impl_->mutex);
        impl_->stop = true;
    }
    impl_->stop_changed.notify_all();
}

SystemRandomSource::SystemRandomSource() : engine_(std::random_device{}()) {}

std::int64_t SystemRandomSource::uniform(std::int64_t low, std::int64_t high) {
    return std::uniform_int_distribution<std::int64_t>(low, high)(engine_);
}

seconds Backoff::next(seconds cap) {
    cap = std::max(cap, seconds(1));
    // Doubling stops once the ceiling passed the cap; the shift cannot overflow.
    seconds ceiling = base_;
    for (int i = 0; i < failures_ && ceiling < cap; ++i) ceiling *= 2;
    ceiling = std::clamp(ceiling, seconds(1), cap);
    ++failures_;
    return seconds(random_.uniform(1, ceiling.count()));
}

std::optional<seconds> parse_retry_after(std::string_view value, Clock::time_point now) {
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
    if (value.empty()) return std::nullopt;
    if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        if (value.size() > 9) return kMaxRetryAfter;
        std::int64_t n = 0;
        for (char c : value) n = n * 10 + (c - '0');
        return std::min(seconds(n), duration_cast<seconds>(kMaxRetryAfter));
    }
    // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
    std::tm tm{};
    const std::string text(value);
    const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (end == nullptr || *end != '\0') return std::nullopt;
    const auto at = Clock::from_time_t(timegm(&tm));
    const auto wait = duration_cast<seconds>(at - now);
    return std::clamp(wait, seconds(0), duration_cast<seconds>(kMaxRetryAfter));
}

// --- transport --------------------------------------------------------------------------------

HttpsCheckinTransport::HttpsCheckinTransport(const ServerUrl& server, tls::ClientTrust trust,
                                             std::string node_key,
                                             std::chrono::milliseconds timeout)
    : server_(server),
      node_key_(std::move(node_key)),
      client_(std::make_unique<HttpsClient>(server.host, server.port, std::move(trust), timeout)) {}

HttpsCheckinTransport::~HttpsCheckinTransport() = default;

CheckinAnswer HttpsCheckinTransport::post_checkin(const std::string& gzip_body) {
    const HeaderList headers = {{"Authorization", "Bearer " + node_key_},
                                {"Content-Type", "application/json"},
                                {"Content-Encoding", "gzip"},
                                {"User-Agent", std::string("pakt-agent/") + PAKT_VERSION}};
    const HttpResponse response =
        client_->request("POST", server_.target("/api/v1/agent/checkin"), gzip_body, headers);
    return CheckinAnswer{response.status, response.body, response.header("Retry-After")};
}

void HttpsCheckinTransport::reset() { client_->close(); }

// --- uploader ---------------------------------------------------------------------------------

DeliveryResult Uploader::deliver() {
    DeliveryResult result;
    const auto fail = [&](DeliveryOutcome outcome, std::string error) {
        result.outcome = outcome;
        result.error = std::move(error);
        spool_.record_error(result.error, time_.now());
        return result;
    };

    while (auto report = spool_.oldest()) {
        if (time_.stop_requested()) {
            result.outcome = DeliveryOutcome::stopped;
            return result;
        }
        const std::string compressed = gzip_compress(report->body);
        // Recorded before the send: from now on the server may have the report, so the spool
        // must never merge it into another one.
        spool_.mark_attempted(report->report_id, time_.now());

        CheckinAnswer answer;
        try {
            answer = transport_.post_checkin(compressed);
        } catch (const std::system_error& e) {
            transport_.reset();
            // A certificate that matches neither pin nor CA may be an attacker; the report
            // stays spooled for the real server.
            const std::string what = e.what();
            if (what.find("certificate") != std::string::npos) {
                spdlog::error(
                    "check-in refused: the server's certificate does not match the "
                    "enrolled CA or pin; nothing sent, {} report(s) stay spooled: {}",
                    spool_.pending(), what);
            } else {
                spdlog::warn("check-in failed: {}", what);
            }
            return fail(DeliveryOutcome::retry_later, what);
        }

        if (answer.status == 200) {
            spool_.remove(report->report_id);
            spool_.record_success(time_.now());
            ++result.delivered;
            const auto json = nlohmann::json::parse(answer.body, nullptr, false);
            if (!json.is_object()) {
                // The 200 alone says the report is committed; the body only adds detail.
                spdlog::warn("report {} delivered, but the answer is not a JSON object",
                             report->report_id);
                continue;
            }
            const bool duplicate = json.value("duplicate", false);
            if (duplicate) ++result.duplicates;
            const auto unknown = json.find("unknown_serials");
            const std::size_t unknown_count =
                unknown != json.end() && unknown->is_array() ? unknown->size() : 0;
            const auto next = json.find("next_checkin_s");
            if (next != json.end() && next->is_number_integer()) {
                result.next_checkin =
                    std::clamp(seconds(next->get<std::int64_t>()), kMinNextCheckin,
                               duration_cast<seconds>(kMaxNextCheckin));
            }
            spdlog::info("report {} delivered ({} devices, {} accepted, {} unknown serials{})",
                         report->report_id, report->device_count,
                         json.contains("accepted") ? json["accepted"].dump() : "?", unknown_count,
                         duplicate ? ", duplicate" : "");
            continue;
        }

        const std::string description = describe_answer(answer);
        if (is_invalid_report(answer.status)) {
            spool_.reject(report->report_id, answer.status, answer.body, time_.now());
            ++result.rejected;
            spdlog::error(
                "report {} ({} devices) rejected by the server as invalid and moved to "
                "the spool's rejected table; it will not be resent: {}",
                report->report_id, report->device_count, description);
            spool_.record_error("report " + report->report_id + " rejected: " + description,
                                time_.now());
            continue;
        }
        if (answer.status == 401 || answer.status == 403) {
            spdlog::error(
                "check-in refused ({}): the node key is unknown or revoked; re-enroll "
                "with 'pakt-agent enroll --force'",
                description);
            return fail(DeliveryOutcome::unauthorized, description);
        }
        if (answer.status == 429 || answer.status == 503) {
            result.retry_after = parse_retry_after(answer.retry_after, time_.now());
        }
        transport_.reset();
        spdlog::warn("check-in not accepted, will retry: {}", description);
        return fail(DeliveryOutcome::retry_later, description);
    }
    return result;
}

}  // namespace pakt::agent
