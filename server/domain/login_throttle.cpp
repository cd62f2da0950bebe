#include "server/domain/login_throttle.hpp"

#include <algorithm>
#include <cctype>

namespace pakt::server {
namespace {

std::string user_key(std::string_view username) {
    std::string key = "u:";
    for (char c : username) key += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return key;
}

std::string address_key(std::string_view address) { return "a:" + std::string(address); }

}  // namespace

LoginThrottle::LoginThrottle(unsigned max_failures, std::chrono::seconds window,
                             std::chrono::seconds lockout)
    : max_failures_(std::max(1u, max_failures)), window_(window), lockout_(lockout) {}

std::optional<std::chrono::seconds> LoginThrottle::blocked(std::string_view username,
                                                           std::string_view address,
                                                           Clock::time_point now) {
    std::lock_guard lock(mutex_);
    auto by_user = remaining(user_key(username), now);
    auto by_address = remaining(address_key(address), now);
    if (by_user && by_address) return std::max(*by_user, *by_address);
    return by_user ? by_user : by_address;
}

void LoginThrottle::record_failure(std::string_view username, std::string_view address,
                                   Clock::time_point now) {
    std::lock_guard lock(mutex_);
    prune(now);
    fail(user_key(username), now);
    fail(address_key(address), now);
}

void LoginThrottle::record_success(std::string_view username) {
    std::lock_guard lock(mutex_);
    entries_.erase(user_key(username));
}

std::optional<std::chrono::seconds> LoginThrottle::remaining(const std::string& key,
                                                             Clock::time_point now) {
    auto it = entries_.find(key);
    if (it == entries_.end() || it->second.locked_until <= now) return std::nullopt;
    auto left = std::chrono::ceil<std::chrono::seconds>(it->second.locked_until - now);
    return std::max(left, std::chrono::seconds(1));
}

void LoginThrottle::fail(const std::string& key, Clock::time_point now) {
    Entry& e = entries_[key];
    if (e.failures == 0 || now - e.window_start > window_) {
        e.failures = 0;
        e.window_start = now;
    }
    if (++e.failures >= max_failures_) {
        e.locked_until = now + lockout_;
        e.failures = 0;
        e.window_start = now;
    }
}

void LoginThrottle::prune(Clock::time_point now) {
    // Bounded memory under a spray of usernames: drop entries whose window and lock are over.
    if (now - last_prune_ < std::chrono::seconds(60) && entries_.size() < 100000) return;
    last_prune_ = now;
    std::erase_if(entries_, [&](const auto& kv) {
        return kv.second.locked_until <= now && now - kv.second.window_start > window_;
    });
}

}  // namespace pakt::server
