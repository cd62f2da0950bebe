// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// Slowing down guessing of passwords and enroll secrets without handing anyone a lockout button.
//
// A FailureBackoff counts failures per key. The first `free_failures` cost nothing; after that,
// each further attempt for the key has to wait a delay after the key's last failure that doubles
// with every failure (first_delay, 2x, 4x, ... up to max_delay). An attempt made during the wait
// is refused (429 with Retry-After) and not counted. A key without a failure for `forget_after`
// starts over. There is no hard lock: whoever is not the one failing is never affected.
//
// LoginThrottle keys logins per (username, client network) and per client network, so the right
// password from elsewhere still logs in while one address guesses; EnrollThrottle (agent enroll
// secrets) has key spaces of its own. Kept per instance (DESIGN.md allows rate limits to be
// per-instance). All classes are thread-safe.
#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace pakt::server {

struct BackoffPolicy {
    unsigned free_failures = 5;               ///< failures per key before delays begin
    std::chrono::seconds first_delay{1};      ///< the wait after the first counted failure
    std::chrono::seconds max_delay{900};      ///< the delay stops doubling here
    std::chrono::seconds forget_after{3600};  ///< a key quiet for this long starts over
};

class FailureBackoff {
  public:
    using Clock = std::chrono::steady_clock;

    /// `max_keys` bounds memory under a spray of keys: beyond it, keys that are not waiting are
    /// dropped first, then the oldest.
    explicit FailureBackoff(BackoffPolicy policy, std::size_t max_keys = 100000);

    /// How long an attempt for `key` at `now` still has to wait (at least one second, for
    /// Retry-After); nullopt if it may go ahead.
    std::optional<std::chrono::seconds> wait(const std::string& key, Clock::time_point now) const;

    /// Counts a failed attempt for `key` at `now`.
    void record_failure(const std::string& key, Clock::time_point now);

    /// Forgets `key`'s failures (a success).
    void forget(const std::string& key);

    const BackoffPolicy& policy() const { return policy_; }

    /// Keys currently tracked.
    std::size_t size() const;

  private:
    struct Entry {
        unsigned failures = 0;
        Clock::time_point last_failure;
    };

    std::optional<Clock::time_point> allowed_from(const Entry& entry, Clock::time_point now) const;
    void prune(Clock::time_point now);

    const BackoffPolicy policy_;
    const std::size_t max_keys_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, Entry> entries_;
};

/// The part of a client address that identifies a client: an IPv4 address as it is (also when
/// IPv4-mapped), an IPv6 address as its /64 network (one host usually holds a whole /64, so
/// counting single IPv6 addresses would let it rotate through them). Anything else unchanged.
std::string client_network(std::string_view address);

/// `text` made safe for a log line: control characters (C0, DEL, C1), backslashes and double
/// quotes escaped as \xNN, cut to at most `max_bytes` bytes of input (on a UTF-8 boundary) with
/// "..." appended when cut.
std::string log_safe(std::string_view text, std::size_t max_bytes = 64);

struct LoginThrottleSettings {
    unsigned user_free_failures = 5;      ///< per (username, client network)
    unsigned address_free_failures = 20;  ///< per client network, whatever the usernames
    std::chrono::seconds first_delay{1};
    std::chrono::seconds max_delay{900};
    std::chrono::seconds forget_after{3600};
};

class LoginThrottle {
  public:
    using Clock = FailureBackoff::Clock;

    explicit LoginThrottle(const LoginThrottleSettings& settings);

    /// If an attempt to log in as `username` from `address` has to wait at `now`, how long.
    std::optional<std::chrono::seconds> blocked(std::string_view username, std::string_view address,
                                                Clock::time_point now) const;

    /// Counts a failed attempt against (username, address) and against the address.
    void record_failure(std::string_view username, std::string_view address, Clock::time_point now);

    /// A successful login clears (username, address); not the address's count (one address may
    /// try many usernames).
    void record_success(std::string_view username, std::string_view address);

  private:
    FailureBackoff by_user_and_address_;
    FailureBackoff by_address_;
};

/// Agent enrollment with enroll secrets. A wrong secret names no school, so the only key for it
/// is the client network. A secret that exists but can no longer be used (used up, expired,
/// revoked) names its school: those refusals count per school as well, and a school that has
/// collected too many makes further replays of its spent secrets wait. A usable secret is never
/// delayed by the school's count (the caller checks blocked_school() only for refused secrets),
/// so neither a spent secret nor guessing from elsewhere stops a school's enrollments.
class EnrollThrottle {
  public:
    using Clock = FailureBackoff::Clock;

    explicit EnrollThrottle(const BackoffPolicy& policy);

    std::optional<std::chrono::seconds> blocked_address(std::string_view address,
                                                        Clock::time_point now) const;
    std::optional<std::chrono::seconds> blocked_school(std::string_view school_number,
                                                       Clock::time_point now) const;

    /// A secret that matches nothing.
    void record_unknown_secret(std::string_view address, Clock::time_point now);
    /// A secret of `school_number` that can no longer be used.
    void record_refused_secret(std::string_view school_number, std::string_view address,
                               Clock::time_point now);

  private:
    FailureBackoff by_address_;
    FailureBackoff by_school_;
};

}  // namespace pakt::server
