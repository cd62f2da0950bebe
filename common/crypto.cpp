// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "common/crypto.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <limits>
#include <memory>
#include <stdexcept>
#include <vector>

namespace pakt {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

std::string to_hex(const unsigned char* data, std::size_t size) {
    std::string out;
    out.reserve(size * 2);
    for (std::size_t i = 0; i < size; ++i) {
        out.push_back(kHexDigits[data[i] >> 4]);
        out.push_back(kHexDigits[data[i] & 0x0f]);
    }
    return out;
}

std::vector<unsigned char> random_bytes(std::size_t bytes) {
    std::vector<unsigned char> buffer(bytes);
    // RAND_bytes takes an int; secrets are small, so a larger request is a programming error.
    if (bytes > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
        throw std::runtime_error("random_bytes: request too large");
    }
    if (bytes > 0 && RAND_bytes(buffer.data(), static_cast<int>(bytes)) != 1) {
        throw std::runtime_error("RAND_bytes failed");
    }
    return buffer;
}

std::string base64url_no_padding(const std::vector<unsigned char>& data) {
    static constexpr char kAlphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    out.reserve((data.size() * 4 + 2) / 3);
    std::size_t i = 0;
    for (; i + 3 <= data.size(); i += 3) {
        const unsigned v = (unsigned{data[i]} << 16) | (unsigned{data[i + 1]} << 8) | data[i + 2];
        out.push_back(kAlphabet[(v >> 18) & 0x3f]);
        out.push_back(kAlphabet[(v >> 12) & 0x3f]);
        out.push_back(kAlphabet[(v >> 6) & 0x3f]);
        out.push_back(kAlphabet[v & 0x3f]);
    }
    const std::size_t rest = data.size() - i;
    if (rest == 1) {
        const unsigned v = unsigned{data[i]} << 16;
        out.push_back(kAlphabet[(v >> 18) & 0x3f]);
        out.push_back(kAlphabet[(v >> 12) & 0x3f]);
    } else if (rest == 2) {
        const unsigned v = (unsigned{data[i]} << 16) | (unsigned{data[i + 1]} << 8);
        out.push_back(kAlphabet[(v >> 18) & 0x3f]);
        out.push_back(kAlphabet[(v >> 12) & 0x3f]);
        out.push_back(kAlphabet[(v >> 6) & 0x3f]);
    }
    return out;
}

}  // namespace

std::string sha256_hex(std::string_view data) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
        throw std::runtime_error("EVP_Digest(SHA-256) failed");
    }
    return to_hex(digest, length);
}

std::string random_hex(std::size_t bytes) {
    const auto buffer = random_bytes(bytes);
    return to_hex(buffer.data(), buffer.size());
}

std::string random_token(std::size_t bytes) { return base64url_no_padding(random_bytes(bytes)); }

bool constant_time_equal(std::string_view a, std::string_view b) {
    // The length is not secret (tokens have a fixed length); only the content comparison must
    // not leak how many leading bytes matched.
    if (a.size() != b.size()) return false;
    if (a.empty()) return true;
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace pakt
