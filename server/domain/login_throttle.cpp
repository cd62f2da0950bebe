// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "server/domain/login_throttle.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <vector>

#include "common/crypto.hpp"

namespace pakt::server {
namespace {

using std::chrono::seconds;

std::string lower(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// The username's length is part of the key, so no username/address pair can collide with
// another whatever characters either contains. A name longer than any valid username (64) is
// kept as its hash, so a key costs at most ~100 bytes whatever a login body sends.
std::string user_address_key(std::string_view username, std::string_view address) {
    std::string user = lower(username);
    if (user.size() > 64) user = "#" + sha256_hex(user);
    return std::to_string(user.size()) + ":" + user + client_network(address);
}

}  // namespace

FailureBackoff::FailureBackoff(BackoffPolicy policy, std::size_t max_keys)
    : policy_(policy), max_keys_(std::max<std::size_t>(1, max_keys)) {}

std::optional<FailureBackoff::Clock::time_point> FailureBackoff::allowed_from(
    const Entry& entry, Clock::time_point now) const {
    if (now - entry.last_failure >= policy_.forget_after) return std::nullopt;
    if (entry.failures < policy_.free_failures) return std::nullopt;
    // Doubling per failure beyond the free ones; the shift is capped long before it could
    // overflow (2^30 s is far beyond any max_delay config accepts).
    const unsigned doublings = std::min(entry.failures - policy_.free_failures, 30u);
    const auto delay =
        std::min<seconds>(policy_.first_delay * (std::int64_t{1} << doublings), policy_.max_delay);
    return entry.last_failure + delay;
}

std::optional<seconds> FailureBackoff::wait(const std::string& key, Clock::time_point now) const {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(key);
    if (it == entries_.end()) return std::nullopt;
    const auto from = allowed_from(it->second, now);
    if (!from || *from <= now) return std::nullopt;
    return std::max(std::chrono::ceil<seconds>(*from - now), seconds(1));
}

void FailureBackoff::record_failure(const std::string& key, Clock::time_point now) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(key);
    if (it == entries_.end()) {
        if (entries_.size() >= max_keys_) prune(now);
        it = entries_.emplace(key, Entry{}).first;
    } else if (now - it->second.last_failure >= policy_.forget_after) {
        it->second.failures = 0;
    }
    ++it->second.failures;
    it->second.last_failure = now;
}

void FailureBackoff::forget(const std::string& key) {
    std::lock_guard lock(mutex_);
    entries_.erase(key);
}

std::size_t FailureBackoff::size() const {
    std::lock_guard lock(mutex_);
    return entries_.size();
}

void FailureBackoff::prune(Clock::time_point now) {
    // Forgotten keys and keys below the free failures cost an attacker nothing to recreate, so
    // they go first; only if that is not enough, the keys whose last failure is oldest.
    std::erase_if(entries_, [&](const auto& kv) {
        return now - kv.second.last_failure >= policy_.forget_after ||
               kv.second.failures < policy_.free_failures;
    });
    if (entries_.size() < max_keys_) return;
    std::vector<Clock::time_point> times;
    times.reserve(entries_.size());
    for (const auto& kv : entries_) times.push_back(kv.second.last_failure);
    auto middle = times.begin() + static_cast<std::ptrdiff_t>(times.size() / 2);
    std::nth_element(times.begin(), middle, times.end());
    const auto cutoff = *middle;
    std::erase_if(entries_, [&](const auto& kv) { return kv.second.last_failure <= cutoff; });
}

std::string client_network(std::string_view address) {
    const std::string text(address);
    std::array<unsigned char, 16> bytes{};
    if (::inet_pton(AF_INET6, text.c_str(), bytes.data()) != 1) return text;
    const bool v4_mapped =
        std::all_of(bytes.begin(), bytes.begin() + 10, [](unsigned char b) { return b == 0; }) &&
        bytes[10] == 0xff && bytes[11] == 0xff;
    char out[INET6_ADDRSTRLEN] = {};
    if (v4_mapped) {
        ::inet_ntop(AF_INET, bytes.data() + 12, out, sizeof(out));
        return out;
    }
    std::fill(bytes.begin() + 8, bytes.end(), 0);
    ::inet_ntop(AF_INET6, bytes.data(), out, sizeof(out));
    return std::string(out) + "/64";
}

std::string log_safe(std::string_view text, std::size_t max_bytes) {
    std::size_t end = std::min(text.size(), max_bytes);
    // Never cut inside a UTF-8 sequence: back up over continuation bytes.
    if (end < text.size()) {
        while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    }
    std::string out;
    out.reserve(end + 8);
    const auto escape = [&out](unsigned char b) {
        char buf[5];
        std::snprintf(buf, sizeof(buf), "\\x%02X", b);
        out += buf;
    };
    for (std::size_t i = 0; i < end; ++i) {
        const auto b = static_cast<unsigned char>(text[i]);
        if (b < 0x20 || b == 0x7F || b == '\\' || b == '"') {
            escape(b);
        } else if (b == 0xC2 && i + 1 < end && static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
                   static_cast<unsigned char>(text[i + 1]) <= 0x9F) {
            // A C1 control character (U+0080..U+009F), which some terminals act on.
            escape(b);
            escape(static_cast<unsigned char>(text[++i]));
        } else {
            out += static_cast<char>(b);
        }
    }
    if (end < text.size()) out += "...";
    return out;
}

LoginThrottle::LoginThrottle(const LoginThrottleSettings& settings)
    : by_user_and_address_(BackoffPolicy{settings.user_free_failures, settings.first_delay,
                                         settings.max_delay, settings.forget_after}),
      by_address_(BackoffPolicy{settings.address_free_failures, settings.first_delay,
                                settings.max_delay, settings.forget_after}) {}

std::optional<seconds> LoginThrottle::blocked(std::string_view username, std::string_view address,
                                              Clock::time_point now) const {
    auto by_pair = by_user_and_address_.wait(user_address_key(username, address), now);
    auto by_address = by_address_.wait(client_network(address), now);
    if (by_pair && by_address) return std::max(*by_pair, *by_address);
    return by_pair ? by_pair : by_address;
}

void LoginThrottle::record_failure(std::string_view username, std::string_view address,
                                   Clock::time_point now) {
    by_user_and_address_.record_failure(user_address_key(username, address), now);
    by_address_.record_failure(client_network(address), now);
}

void LoginThrottle::record_success(std::string_view username, std::string_view address) {
    by_user_and_address_.forget(user_address_key(username, address));
}

EnrollThrottle::EnrollThrottle(const BackoffPolicy& policy)
    : by_address_(policy), by_school_(policy) {}

std::optional<seconds> EnrollThrottle::blocked_address(std::string_view address,
                                                       Clock::time_point now) const {
    return by_address_.wait(client_network(address), now);
}

std::optional<seconds> EnrollThrottle::blocked_school(std::string_view school_number,
                                                      Clock::time_point now) const {
    return by_school_.wait(std::string(school_number), now);
}

void EnrollThrottle::record_unknown_secret(std::string_view address, Clock::time_point now) {
    by_address_.record_failure(client_network(address), now);
}

void EnrollThrottle::record_refused_secret(std::string_view school_number, std::string_view address,
                                           Clock::time_point now) {
    by_school_.record_failure(std::string(school_number), now);
    by_address_.record_failure(client_network(address), now);
}

}  // namespace pakt::server
