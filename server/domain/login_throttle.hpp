#pragma once
// Throttling of failed logins per username and per client address: after `max_failures`
// failures within `window`, further attempts are refused for `lockout`, whether or not the
// password would be right. Kept per instance (DESIGN.md allows rate limits to be per-instance).
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace pakt::server {

class LoginThrottle {
public:
    using Clock = std::chrono::steady_clock;

    LoginThrottle(unsigned max_failures, std::chrono::seconds window, std::chrono::seconds lockout);

    /// If the username or the address is locked out at `now`, the time until the lock ends.
    std::optional<std::chrono::seconds> blocked(std::string_view username, std::string_view address,
                                                Clock::time_point now);

    /// Counts a failed attempt against both keys.
    void record_failure(std::string_view username, std::string_view address, Clock::time_point now);

    /// A successful login clears the username's failures (not the address's: one address may try
    /// many usernames).
    void record_success(std::string_view username);

private:
    struct Entry {
        unsigned failures = 0;
        Clock::time_point window_start;
        Clock::time_point locked_until;
    };

    std::optional<std::chrono::seconds> remaining(const std::string& key, Clock::time_point now);
    void fail(const std::string& key, Clock::time_point now);
    void prune(Clock::time_point now);

    const unsigned max_failures_;
    const std::chrono::seconds window_;
    const std::chrono::seconds lockout_;
    std::mutex mutex_;
    std::unordered_map<std::string, Entry> entries_;
    Clock::time_point last_prune_{};
};

}  // namespace pakt::server
