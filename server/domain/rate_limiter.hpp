// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// A token bucket per key (agent id): `burst` requests back to back, then `per_minute` sustained.
// Per instance, as DESIGN.md allows for rate limits. Thread-safe.
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <unordered_map>

namespace pakt::server {

class RateLimiter {
public:
    using Clock = std::chrono::steady_clock;

    RateLimiter(unsigned burst, unsigned per_minute);

    /// Takes one token for `key` at `now`. nullopt if allowed; otherwise how long until a token
    /// is available (at least one second, for Retry-After).
    std::optional<std::chrono::seconds> acquire(std::int64_t key, Clock::time_point now);

private:
    struct Bucket {
        double tokens;
        Clock::time_point updated;
    };
    const double burst_;
    const double per_second_;
    std::mutex mutex_;
    std::unordered_map<std::int64_t, Bucket> buckets_;
};

}  // namespace pakt::server
