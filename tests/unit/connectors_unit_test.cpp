// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// The connectors' small pure parts: order number matching, Retry-After, the ES256 client
// assertion (checked with OpenSSL against the public key), URL encoding.
#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <nlohmann/json.hpp>

#include "common/jwt.hpp"
#include "server/connectors/sync.hpp"
#include "server/connectors/vendor_client.hpp"

namespace pakt::server::connectors {
namespace {

using namespace std::chrono_literals;

TEST(OrderNumbers, DeliveryNoteSpellingsMatchApplesNumber) {
    EXPECT_EQ(normalize_order_number("0012-3456"), "123456");
    EXPECT_EQ(normalize_order_number("00123456"), "123456");
    EXPECT_EQ(normalize_order_number(" mx 12-34 "), "MX1234");
    EXPECT_EQ(normalize_order_number("000"), "");
    EXPECT_EQ(split_order_numbers("PO-77; 4711000222, 4711000222\n0099"),
              (std::vector<std::string>{"PO77", "4711000222", "99"}));
    EXPECT_TRUE(split_order_numbers(" ,; ").empty());
    // Spaces are part of a number as a delivery note prints it, not a separator.
    EXPECT_EQ(split_order_numbers("0012 3456"), std::vector<std::string>{"123456"});
}

TEST(RetryAfter, SecondsAndHttpDates) {
    const auto now =
        std::chrono::system_clock::from_time_t(784111777);  // Sun, 06 Nov 1994 08:49:37 GMT
    EXPECT_EQ(parse_retry_after("120", now), 120s);
    EXPECT_EQ(parse_retry_after(" 0 ", now), 0s);
    EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:50:07 GMT", now), 30s);
    EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:40:00 GMT", now), 0s);  // in the past
    EXPECT_FALSE(parse_retry_after("", now));
    EXPECT_FALSE(parse_retry_after("-5", now));
    EXPECT_FALSE(parse_retry_after("soon", now));
    EXPECT_GT(parse_retry_after("99999999999999999999999", now), std::chrono::hours(24 * 365));
}

TEST(UrlEncode, KeepsUnreservedAndEncodesTheRest) {
    EXPECT_EQ(url_encode("urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
              "urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer");
    EXPECT_EQ(url_encode("a.b_c~d e/+="), "a.b_c~d%20e%2F%2B%3D");
}

std::string base64url_decode(std::string_view text) {
    std::string b64(text);
    for (char& c : b64) c = c == '-' ? '+' : c == '_' ? '/' : c;
    while (b64.size() % 4 != 0) b64 += '=';
    std::string out(b64.size(), '\0');
    const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(b64.data()),
                                  static_cast<int>(b64.size()));
    out.resize(static_cast<std::size_t>(n) - (text.size() % 4 == 2   ? 2
                                              : text.size() % 4 == 3 ? 1
                                                                     : 0));
    return out;
}

TEST(Jws, Base64UrlHasNoPaddingAndTheUrlAlphabet) {
    EXPECT_EQ(base64url_encode(""), "");
    EXPECT_EQ(base64url_encode("f"), "Zg");
    EXPECT_EQ(base64url_encode("fo"), "Zm8");
    EXPECT_EQ(base64url_encode("foo"), "Zm9v");
    EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
}

TEST(Jws, Es256SignatureVerifiesWithThePublicKeyAsRawRAndS) {
    EVP_PKEY* key = EVP_EC_gen("P-256");
    ASSERT_NE(key, nullptr);
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    const std::string pem(data, static_cast<std::size_t>(size));
    BIO_free(bio);

    const std::string jws =
        es256_jws(R"({"alg":"ES256","kid":"k"})", R"({"sub":"SCHOOLAPI.x"})", pem);
    const auto first = jws.find('.');
    const auto second = jws.find('.', first + 1);
    ASSERT_NE(second, std::string::npos);
    EXPECT_EQ(base64url_decode(jws.substr(0, first)), R"({"alg":"ES256","kid":"k"})");
    const std::string raw = base64url_decode(jws.substr(second + 1));
    ASSERT_EQ(raw.size(), 64u);  // R and S, 32 bytes each: not DER

    ECDSA_SIG* sig = ECDSA_SIG_new();
    ECDSA_SIG_set0(sig, BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32, nullptr),
                   BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 32, 32, nullptr));
    unsigned char* der = nullptr;
    const int der_size = i2d_ECDSA_SIG(sig, &der);
    EVP_MD_CTX* md = EVP_MD_CTX_new();
    const std::string signed_part = jws.substr(0, second);
    ASSERT_EQ(EVP_DigestVerifyInit(md, nullptr, EVP_sha256(), nullptr, key), 1);
    EXPECT_EQ(EVP_DigestVerify(md, der, static_cast<std::size_t>(der_size),
                               reinterpret_cast<const unsigned char*>(signed_part.data()),
                               signed_part.size()),
              1);
    EVP_MD_CTX_free(md);
    OPENSSL_free(der);
    ECDSA_SIG_free(sig);
    EVP_PKEY_free(key);
}

TEST(Jws, AKeyThatIsNotP256IsRefusedWithoutQuotingIt) {
    EVP_PKEY* rsa = EVP_RSA_gen(2048);
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(bio, rsa, nullptr, nullptr, 0, nullptr, nullptr);
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    const std::string pem(data, static_cast<std::size_t>(size));
    BIO_free(bio);
    EVP_PKEY_free(rsa);
    try {
        es256_jws("{}", "{}", pem);
        ADD_FAILURE() << "an RSA key signed";
    } catch (const std::runtime_error& e) {
        EXPECT_STREQ(e.what(), "ES256: the private key is not an elliptic-curve P-256 key");
    }
    EXPECT_THROW(es256_jws("{}", "{}", "not a key"), std::runtime_error);
}

}  // namespace
}  // namespace pakt::server::connectors
