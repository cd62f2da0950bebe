// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// Delivery of spooled reports to paktd (API.md, "Agents"; DESIGN.md, "The check-in path"): the
// oldest report first, gzip-compressed, removed from the spool only after a 200. Time, waiting,
// randomness and the network are behind small interfaces so that tests run the whole retry
// logic without sockets or sleeps.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include "agent/spool.hpp"
#include "agent/state.hpp"
#include "common/time.hpp"

namespace pakt {
class HttpsClient;
}

namespace pakt::agent {

/// The clock and the agent's way of waiting.
class TimeSource {
  public:
    virtual ~TimeSource() = default;
    virtual Clock::time_point now() = 0;
    /// Waits `duration` unless a stop is requested first. Returns false if stopped.
    virtual bool wait_for(std::chrono::seconds duration) = 0;
    virtual bool stop_requested() = 0;
};

/// The real clock; waits on a condition variable that request_stop() (from any thread, e.g. a
/// signal watcher) interrupts. Thread-safe.
class SystemTimeSource : public TimeSource {
  public:
    SystemTimeSource();
    ~SystemTimeSource() override;
    Clock::time_point now() override;
    bool wait_for(std::chrono::seconds duration) override;
    bool stop_requested() override;
    void request_stop();

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// A source of uniformly distributed integers.
class RandomSource {
  public:
    virtual ~RandomSource() = default;
    /// A value in [low, high]; precondition low <= high.
    virtual std::int64_t uniform(std::int64_t low, std::int64_t high) = 0;
};

/// std::mt19937_64 seeded from std::random_device. Not thread-safe.
class SystemRandomSource : public RandomSource {
  public:
    SystemRandomSource();
    std::int64_t uniform(std::int64_t low, std::int64_t high) override;

  private:
    std::mt19937_64 engine_;
};

/// Exponential backoff with full jitter: the n-th consecutive failure waits a uniformly random
/// time in [1 s, min(cap, base * 2^(n-1))]. Randomising the whole range (not only a margin)
/// keeps a school district's agents from retrying in step after the server comes back.
class Backoff {
  public:
    explicit Backoff(RandomSource& random, std::chrono::seconds base = std::chrono::seconds(60))
        : random_(random), base_(base) {}

    /// The wait after one more failure; `cap` bounds the ceiling (at least 1 s).
    std::chrono::seconds next(std::chrono::seconds cap);
    /// After a success: the next failure starts again from `base`.
    void reset() { failures_ = 0; }
    int failures() const { return failures_; }

  private:
    RandomSource& random_;
    std::chrono::seconds base_;
    int failures_ = 0;
};

/// A Retry-After value: delay-seconds or an HTTP-date (IMF-fixdate). nullopt if malformed.
/// The result is never negative and at most a day, so a broken server cannot park the agent.
std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                      Clock::time_point now);

/// The server's answer to a check-in, as far as the uploader needs it.
struct CheckinAnswer {
    int status = 0;
    std::string body;
    std::string retry_after;  ///< the Retry-After header, or ""
};

/// Sends one check-in. Throws std::system_error on network and TLS failure (a certificate that
/// does not match the CA or pin included) and on timeout.
class CheckinTransport {
  public:
    virtual ~CheckinTransport() = default;
    /// POSTs `gzip_body` (a gzip-compressed report) to /api/v1/agent/checkin.
    virtual CheckinAnswer post_checkin(const std::string& gzip_body) = 0;
    /// Drops the connection after a failure, so the next post starts afresh.
    virtual void reset() {}
};

/// The real transport: HttpsClient (keep-alive, certificate pinning) with the node key as
/// Bearer token. Not thread-safe.
class HttpsCheckinTransport : public CheckinTransport {
  public:
    /// Throws std::invalid_argument for a malformed URL or trust setting.
    HttpsCheckinTransport(const ServerUrl& server, tls::ClientTrust trust, std::string node_key,
                          std::chrono::milliseconds timeout = std::chrono::seconds(60));
    ~HttpsCheckinTransport() override;
    CheckinAnswer post_checkin(const std::string& gzip_body) override;
    void reset() override;

  private:
    ServerUrl server_;
    std::string node_key_;
    std::unique_ptr<HttpsClient> client_;
};

/// How a delivery run ended.
enum class DeliveryOutcome {
    drained,       ///< the spool is empty
    retry_later,   ///< network or TLS failure, 5xx, 429, or an unexpected answer
    unauthorized,  ///< 401/403: the node key is unknown or revoked; re-enroll
    stopped,       ///< a stop was requested
};

struct DeliveryResult {
    DeliveryOutcome outcome = DeliveryOutcome::drained;
    std::size_t delivered = 0;   ///< reports confirmed with a 200 (duplicates included)
    std::size_t duplicates = 0;  ///< of those, answered duplicate: true
    std::size_t rejected = 0;    ///< reports refused as invalid and moved aside
    std::optional<std::chrono::seconds> retry_after;   ///< the server's Retry-After, if any
    std::optional<std::chrono::seconds> next_checkin;  ///< the last 200's next_checkin_s
    std::string error;  ///< what went wrong, for retry_later and unauthorized
};

/// Sends spooled reports. Logs each answer; records successes and errors in the spool's status.
class Uploader {
  public:
    Uploader(Spool& spool, CheckinTransport& transport, TimeSource& time)
        : spool_(spool), transport_(transport), time_(time) {}

    /// Sends pending reports oldest first until the spool is empty, a send fails or a stop is
    /// requested (checked between reports: a send in progress is finished). Never waits. A
    /// report answered 400, 413 or 422 can never succeed: it is moved to the spool's rejected
    /// table and delivery continues. Throws only for spool (database) failures.
    DeliveryResult deliver();

  private:
    Spool& spool_;
    CheckinTransport& transport_;
    TimeSource& time_;
};

}  // namespace pakt::agent
