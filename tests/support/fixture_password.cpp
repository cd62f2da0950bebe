#include "tests/support/fixture_password.hpp"

#include <argon2.h>

#include <stdexcept>
#include <vector>

namespace pakt::test {

std::string fixture_password_hash(std::string_view password) {
    constexpr std::uint32_t kTimeCost = 1;
    constexpr std::uint32_t kMemoryKib = 8;
    constexpr std::uint32_t kParallelism = 1;
    // A fixed salt: fixture hashes need not differ between users, only verify like real ones.
    static constexpr std::string_view kSalt = "pakt-test-salt16";
    constexpr std::uint32_t kHashBytes = 32;
    std::vector<char> encoded(argon2_encodedlen(kTimeCost, kMemoryKib, kParallelism,
                                                static_cast<std::uint32_t>(kSalt.size()),
                                                kHashBytes, Argon2_id));
    const int rc = argon2id_hash_encoded(kTimeCost, kMemoryKib, kParallelism, password.data(),
                                         password.size(), kSalt.data(), kSalt.size(), kHashBytes,
                                         encoded.data(), encoded.size());
    if (rc != ARGON2_OK)
        throw std::runtime_error(std::string("argon2id: ") + argon2_error_message(rc));
    return std::string(encoded.data());
}

}  // namespace pakt::test
