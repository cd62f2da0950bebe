// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "common/jwt.hpp"

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <array>
#include <memory>
#include <stdexcept>

#include "common/openssl_ptr.hpp"

namespace pakt {
namespace {

using Bio = openssl::BioPtr;
using Key = openssl::PkeyPtr;
using MdContext = openssl::MdCtxPtr;
using Signature = openssl::EcdsaSigPtr;

constexpr std::size_t kCoordinate = 32;  // P-256: R and S are 32 bytes each

[[noreturn]] void fail(const std::string& what) {
    ERR_clear_error();  // OpenSSL's queue may quote parts of the input; it is not passed on
    throw std::runtime_error("ES256: " + what);
}

Key read_p256_key(std::string_view pem) {
    Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    if (!bio) fail("out of memory");
    Key key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    if (!key) fail("the private key is not a PEM private key");
    if (EVP_PKEY_base_id(key.get()) != EVP_PKEY_EC || EVP_PKEY_bits(key.get()) != 256) {
        fail("the private key is not an elliptic-curve P-256 key");
    }
    return key;
}

}  // namespace

std::string base64url_encode(std::string_view bytes) {
    static constexpr char kAlphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    const auto byte = [&](std::size_t at) {
        return unsigned{static_cast<unsigned char>(bytes[at])};
    };
    for (; i + 3 <= bytes.size(); i += 3) {
        const unsigned v = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
        out += kAlphabet[(v >> 6) & 63];
        out += kAlphabet[v & 63];
    }
    if (const std::size_t rest = bytes.size() - i; rest > 0) {
        const unsigned v = (byte(i) << 16) | (rest == 2 ? byte(i + 1) << 8 : 0u);
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
        if (rest == 2) out += kAlphabet[(v >> 6) & 63];
    }
    return out;
}

std::string es256_jws(std::string_view header_json, std::string_view payload_json,
                      std::string_view private_key_pem) {
    const Key key = read_p256_key(private_key_pem);
    const std::string signing_input =
        base64url_encode(header_json) + "." + base64url_encode(payload_json);

    MdContext md(EVP_MD_CTX_new());
    if (!md) fail("out of memory");
    std::size_t der_size = 0;
    if (EVP_DigestSignInit(md.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
        EVP_DigestSign(md.get(), nullptr, &der_size,
                       reinterpret_cast<const unsigned char*>(signing_input.data()),
                       signing_input.size()) != 1) {
        fail("cannot sign");
    }
    std::string der(der_size, '\0');
    if (EVP_DigestSign(md.get(), reinterpret_cast<unsigned char*>(der.data()), &der_size,
                       reinterpret_cast<const unsigned char*>(signing_input.data()),
                       signing_input.size()) != 1) {
        fail("cannot sign");
    }
    // OpenSSL signs in DER (SEQUENCE of two INTEGERs); JWS wants R and S as fixed-size
    // big-endian numbers side by side.
    const auto* p = reinterpret_cast<const unsigned char*>(der.data());
    Signature signature(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der_size)));
    if (!signature) fail("cannot decode the signature");
    std::array<unsigned char, 2 * kCoordinate> raw{};
    if (BN_bn2binpad(ECDSA_SIG_get0_r(signature.get()), raw.data(), kCoordinate) !=
            static_cast<int>(kCoordinate) ||
        BN_bn2binpad(ECDSA_SIG_get0_s(signature.get()), raw.data() + kCoordinate, kCoordinate) !=
            static_cast<int>(kCoordinate)) {
        fail("cannot encode the signature");
    }
    return signing_input + "." +
           base64url_encode(
               std::string_view(reinterpret_cast<const char*>(raw.data()), raw.size()));
}

}  // namespace pakt
