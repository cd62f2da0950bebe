// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// Password hashing with Argon2id (OWASP parameters: m=19 MiB, t=2, p=1), stored as PHC strings.
#include <cstdint>
#include <string>
#include <string_view>

namespace pakt::server {

/// Argon2id's cost: passes over memory_kib KiB.
struct PasswordCost {
    std::uint32_t time = 2;
    std::uint32_t memory_kib = 19456;
};
/// What every password paktd stores is hashed with (OWASP: m=19 MiB, t=2, p=1).
inline constexpr PasswordCost kPasswordCost{};

/// Hashes `password` with a fresh random salt at `cost` (tests seed their users at the lowest,
/// {1, 8}). Returns the PHC string ("$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>"); verifying it
/// reads the cost from the string. Throws std::runtime_error on failure.
std::string hash_password(std::string_view password, PasswordCost cost = kPasswordCost);

/// True if `password` matches `phc`. False (never throws) for a malformed hash.
bool verify_password(std::string_view password, const std::string& phc);

/// A password the server chooses for a person to type once, at the next login, before setting
/// its own: four groups of four characters from an alphabet without look-alikes (upper-case
/// letters but I and O, digits 2 to 9), e.g. "K7WF-3QZD-MX9B-R2TH". 32 symbols, so 80 bits from the
/// operating system's CSPRNG. Throws std::runtime_error if the generator fails.
std::string generate_one_time_password();

/// Does the work of one verification against a fixed hash, so a login for an unknown user takes
/// as long as one for a known user.
void spend_verification_time(std::string_view password);

}  // namespace pakt::server
