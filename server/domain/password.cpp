// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "server/domain/password.hpp"

#include <argon2.h>

#include <stdexcept>
#include <vector>

#include "common/crypto.hpp"

namespace pakt::server {
namespace {

constexpr std::uint32_t kParallelism = 1;
constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kHashBytes = 32;

std::string salt_bytes() {
    const std::string hex = random_hex(kSaltBytes);
    std::string raw(kSaltBytes, '\0');
    for (std::size_t i = 0; i < kSaltBytes; ++i) {
        raw[i] = static_cast<char>(std::stoi(hex.substr(2 * i, 2), nullptr, 16));
    }
    return raw;
}

}  // namespace

std::string hash_password(std::string_view password, PasswordCost cost) {
    const std::string salt = salt_bytes();
    const std::size_t encoded_len = argon2_encodedlen(
        cost.time, cost.memory_kib, kParallelism, static_cast<std::uint32_t>(kSaltBytes),
        static_cast<std::uint32_t>(kHashBytes), Argon2_id);
    std::vector<char> encoded(encoded_len);
    const int rc = argon2id_hash_encoded(cost.time, cost.memory_kib, kParallelism, password.data(),
                                         password.size(), salt.data(), salt.size(), kHashBytes,
                                         encoded.data(), encoded.size());
    if (rc != ARGON2_OK) {
        throw std::runtime_error(std::string("argon2id hashing failed: ") +
                                 argon2_error_message(rc));
    }
    return std::string(encoded.data());
}

bool verify_password(std::string_view password, const std::string& phc) {
    if (phc.rfind("$argon2id$", 0) != 0) return false;
    return argon2id_verify(phc.c_str(), password.data(), password.size()) == ARGON2_OK;
}

std::string generate_one_time_password() {
    static constexpr std::string_view kAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    static_assert(kAlphabet.size() == 32, "each character must carry exactly 5 bits");
    constexpr std::size_t kGroups = 4;
    constexpr std::size_t kGroupSize = 4;
    const std::string hex = random_hex(kGroups * kGroupSize);
    std::string out;
    for (std::size_t i = 0; i < kGroups * kGroupSize; ++i) {
        if (i > 0 && i % kGroupSize == 0) out += '-';
        // 256 is a multiple of 32: the low five bits of a random byte are uniform.
        const auto byte = static_cast<unsigned>(std::stoi(hex.substr(2 * i, 2), nullptr, 16));
        out += kAlphabet[byte % kAlphabet.size()];
    }
    return out;
}

void spend_verification_time(std::string_view password) {
    // A valid hash of a random password, computed once: verifying against it costs the same as
    // a real verification and never succeeds in practice.
    static const std::string kDummy = hash_password(random_token());
    (void)verify_password(password, kDummy);
}

}  // namespace pakt::server
