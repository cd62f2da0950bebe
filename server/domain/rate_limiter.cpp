// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "server/domain/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace pakt::server {

RateLimiter::RateLimiter(unsigned burst, unsigned per_minute)
    : burst_(std::max(1u, burst)), per_second_(std::max(1u, per_minute) / 60.0) {}

std::optional<std::chrono::seconds> RateLimiter::acquire(std::int64_t key, Clock::time_point now) {
    std::lock_guard lock(mutex_);
    auto [it, inserted] = buckets_.try_emplace(key, Bucket{burst_, now});
    Bucket& b = it->second;
    const double elapsed = std::chrono::duration<double>(now - b.updated).count();
    b.tokens = std::min(burst_, b.tokens + std::max(0.0, elapsed) * per_second_);
    b.updated = now;
    if (b.tokens >= 1.0) {
        b.tokens -= 1.0;
        return std::nullopt;
    }
    const double wait = (1.0 - b.tokens) / per_second_;
    return std::chrono::seconds(std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(wait))));
}

}  // namespace pakt::server
