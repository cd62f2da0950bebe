// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// Hashing and randomness shared by server, agent and tools. Thread-safe; OpenSSL underneath.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace pakt {

/// SHA-256 of `data`, lower-case hex (64 characters).
std::string sha256_hex(std::string_view data);

/// `bytes` bytes from the operating system's CSPRNG, as lower-case hex. Throws std::runtime_error
/// if the generator fails.
std::string random_hex(std::size_t bytes);

/// A bearer secret of `bytes` random bytes (default 256 bits), base64url without padding.
std::string random_token(std::size_t bytes = 32);

/// Compares two strings in time that depends only on their lengths.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace pakt
