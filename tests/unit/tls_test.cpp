// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "common/tls.hpp"

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <regex>
#include <stdexcept>
#include <string>

namespace pakt::tls {
namespace {

namespace fs = std::filesystem;

// Each test gets its own directory, removed afterwards, so tests never see each other's files.
class TlsTest : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string pattern = (fs::temp_directory_path() / "pakt-tls-test-XXXXXX").string();
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
        dir_ = pattern;
        files_ = {dir_ / "server.crt", dir_ / "server.key"};
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }

    fs::path dir_;
    CertificateFiles files_;
};

struct X509Free {
    void operator()(X509* p) const { X509_free(p); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

X509Ptr read_cert(const fs::path& file) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_file(file.c_str(), "r"), &BIO_free);
    if (!bio) return nullptr;
    return X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

// Runs a TLS handshake between two contexts over an in-memory BIO pair (no sockets), with
// `verify_host` checked by the client as HttpsClient does for CA trust. True if both sides
// complete it.
bool handshake(boost::asio::ssl::context& server, boost::asio::ssl::context& client,
               const char* verify_host = nullptr) {
    std::unique_ptr<SSL, decltype(&SSL_free)> s(SSL_new(server.native_handle()), &SSL_free);
    std::unique_ptr<SSL, decltype(&SSL_free)> c(SSL_new(client.native_handle()), &SSL_free);
    BIO* client_bio = nullptr;
    BIO* server_bio = nullptr;
    if (!s || !c || BIO_new_bio_pair(&client_bio, 0, &server_bio, 0) != 1) return false;
    SSL_set_bio(c.get(), client_bio, client_bio);
    SSL_set_bio(s.get(), server_bio, server_bio);
    SSL_set_connect_state(c.get());
    SSL_set_accept_state(s.get());
    if (verify_host != nullptr) SSL_set1_host(c.get(), verify_host);
    for (int round = 0; round < 20; ++round) {
        const int rc = SSL_do_handshake(c.get());
        const int rs = SSL_do_handshake(s.get());
        if (rc == 1 && rs == 1) return true;
        for (const auto& [ssl, result] : {std::pair{c.get(), rc}, std::pair{s.get(), rs}}) {
            if (result == 1) continue;
            const int error = SSL_get_error(ssl, result);
            if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE) return false;
        }
    }
    return false;
}

std::string lower_case_without_colons(std::string s) {
    std::string out;
    for (const char c : s) {
        if (c != ':') out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
    return out;
}

TEST_F(TlsTest, SelfSignedCertificateUsesP256) {
    generate_self_signed(files_, "pakt.example.org");
    EXPECT_EQ(certificate_key_description(files_.cert_file), "EC P-256");
}

TEST_F(TlsTest, SelfSignedKeyFileIsReadableByOwnerOnly) {
    generate_self_signed(files_, "pakt.example.org");
    struct stat st {};
    ASSERT_EQ(::stat(files_.key_file.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(TlsTest, SelfSignedCertificateNamesLocalhostAndTheCommonName) {
    generate_self_signed(files_, "pakt.example.org");
    const X509Ptr cert = read_cert(files_.cert_file);
    ASSERT_TRUE(cert);
    EXPECT_EQ(X509_check_host(cert.get(), "localhost", 0, 0, nullptr), 1);
    EXPECT_EQ(X509_check_host(cert.get(), "pakt.example.org", 0, 0, nullptr), 1);
    EXPECT_EQ(X509_check_ip_asc(cert.get(), "127.0.0.1", 0), 1);
    EXPECT_EQ(X509_check_ip_asc(cert.get(), "::1", 0), 1);
    EXPECT_NE(X509_check_host(cert.get(), "other.example.org", 0, 0, nullptr), 1);
}

TEST_F(TlsTest, SelfSignedCertificateWithAddressAsNameCoversThatAddress) {
    generate_self_signed(files_, "192.0.2.7");
    const X509Ptr cert = read_cert(files_.cert_file);
    ASSERT_TRUE(cert);
    EXPECT_EQ(X509_check_ip_asc(cert.get(), "192.0.2.7", 0), 1);
}

TEST_F(TlsTest, SelfSignedCertificateIsValidForYears) {
    generate_self_signed(files_, "pakt.example.org");
    const X509Ptr cert = read_cert(files_.cert_file);
    ASSERT_TRUE(cert);
    int days = 0;
    int seconds = 0;
    ASSERT_EQ(ASN1_TIME_diff(&days, &seconds, nullptr, X509_get0_notAfter(cert.get())), 1);
    EXPECT_GT(days, 9 * 365);
    EXPECT_LE(X509_cmp_current_time(X509_get0_notBefore(cert.get())), 0);
}

TEST_F(TlsTest, GeneratingAgainReplacesBothFilesAndLeavesNoTemporaries) {
    generate_self_signed(files_, "a.example.org");
    const std::string first = certificate_fingerprint_sha256(files_.cert_file);
    generate_self_signed(files_, "b.example.org");
    EXPECT_NE(certificate_fingerprint_sha256(files_.cert_file), first);
    EXPECT_NO_THROW(make_server_context(files_));
    std::size_t entries = 0;
    for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir_)) ++entries;
    EXPECT_EQ(entries, 2u);
}

TEST_F(TlsTest, FingerprintIsUpperCaseColonSeparatedSha256OfDer) {
    generate_self_signed(files_, "pakt.example.org");
    const std::string fingerprint = certificate_fingerprint_sha256(files_.cert_file);
    EXPECT_EQ(fingerprint.size(), 95u);
    EXPECT_TRUE(std::regex_match(fingerprint, std::regex("([0-9A-F]{2}:){31}[0-9A-F]{2}")))
        << fingerprint;

    // Computed independently: DER encoding, then SHA-256.
    const X509Ptr cert = read_cert(files_.cert_file);
    ASSERT_TRUE(cert);
    unsigned char* der = nullptr;
    const int der_length = i2d_X509(cert.get(), &der);
    ASSERT_GT(der_length, 0);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_length = 0;
    ASSERT_EQ(EVP_Digest(der, static_cast<std::size_t>(der_length), digest, &digest_length,
                         EVP_sha256(), nullptr),
              1);
    OPENSSL_free(der);
    std::string expected;
    for (unsigned int i = 0; i < digest_length; ++i) {
        char hex[3];
        std::snprintf(hex, sizeof hex, "%02x", digest[i]);
        expected += hex;
    }
    EXPECT_EQ(lower_case_without_colons(fingerprint), expected);
}

TEST_F(TlsTest, FingerprintOfMissingFileThrowsNamingIt) {
    try {
        certificate_fingerprint_sha256(dir_ / "absent.crt");
        FAIL() << "expected std::runtime_error";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("absent.crt"), std::string::npos) << e.what();
    }
}

TEST(TlsFingerprint, NormalizeAcceptsColonsSpacesAndLowerCase) {
    const std::string canonical(64, 'A');
    EXPECT_EQ(normalize_fingerprint(canonical), canonical);
    std::string with_colons;
    for (int i = 0; i < 32; ++i) with_colons += (i > 0 ? ":aa" : "aa");
    EXPECT_EQ(normalize_fingerprint(with_colons), canonical);
    std::string with_spaces;
    for (int i = 0; i < 32; ++i) with_spaces += (i > 0 ? " Aa" : "aA");
    EXPECT_EQ(normalize_fingerprint(with_spaces), canonical);
}

TEST(TlsFingerprint, NormalizeRejectsWrongLengthOrNonHex) {
    EXPECT_EQ(normalize_fingerprint(""), "");
    EXPECT_EQ(normalize_fingerprint(std::string(63, 'a')), "");
    EXPECT_EQ(normalize_fingerprint(std::string(65, 'a')), "");
    EXPECT_EQ(normalize_fingerprint(std::string(63, 'a') + "g"), "");
    EXPECT_EQ(normalize_fingerprint(std::string(62, 'a') + "-a"), "");
}

TEST_F(TlsTest, ServerContextAllowsOnlyTls12And13WithoutCompressionOrRenegotiation) {
    generate_self_signed(files_, "localhost");
    auto ctx = make_server_context(files_);
    SSL_CTX* native = ctx.native_handle();
    EXPECT_EQ(SSL_CTX_get_min_proto_version(native), TLS1_2_VERSION);
    EXPECT_EQ(SSL_CTX_get_max_proto_version(native), TLS1_3_VERSION);
    EXPECT_NE(SSL_CTX_get_options(native) & SSL_OP_NO_COMPRESSION, 0u);
    EXPECT_NE(SSL_CTX_get_options(native) & SSL_OP_NO_RENEGOTIATION, 0u);
}

TEST_F(TlsTest, ServerContextErrorNamesMissingCertificateFile) {
    generate_self_signed(files_, "localhost");
    const CertificateFiles missing{dir_ / "missing.crt", files_.key_file};
    try {
        make_server_context(missing);
        FAIL() << "expected std::runtime_error";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("missing.crt"), std::string::npos) << e.what();
    }
}

TEST_F(TlsTest, ServerContextErrorNamesMissingKeyFile) {
    generate_self_signed(files_, "localhost");
    const CertificateFiles missing{files_.cert_file, dir_ / "missing.key"};
    try {
        make_server_context(missing);
        FAIL() << "expected std::runtime_error";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("missing.key"), std::string::npos) << e.what();
    }
}

TEST_F(TlsTest, ServerContextRejectsKeyOfAnotherCertificate) {
    generate_self_signed(files_, "localhost");
    const CertificateFiles other{dir_ / "other.crt", dir_ / "other.key"};
    generate_self_signed(other, "localhost");
    EXPECT_THROW(make_server_context({files_.cert_file, other.key_file}), std::runtime_error);
}

TEST(TlsClientContext, RequiresExactlyOneWellFormedTrustSetting) {
    EXPECT_THROW(make_client_context({}), std::invalid_argument);
    EXPECT_THROW(make_client_context({"/etc/ssl/certs/ca-certificates.crt", std::string(64, 'A')}),
                 std::invalid_argument);
    EXPECT_THROW(make_client_context({{}, "AB:CD"}), std::invalid_argument);
    EXPECT_THROW(make_client_context({{}, std::string(64, 'Z')}), std::invalid_argument);
}

TEST_F(TlsTest, ClientWithMatchingPinCompletesHandshake) {
    generate_self_signed(files_, "localhost");
    auto server = make_server_context(files_);
    // Lower case without colons: any format normalize_fingerprint accepts.
    auto client = make_client_context(
        {{}, lower_case_without_colons(certificate_fingerprint_sha256(files_.cert_file))});
    EXPECT_TRUE(handshake(server, client));
}

TEST_F(TlsTest, ClientWithOtherPinRejectsServer) {
    generate_self_signed(files_, "localhost");
    const CertificateFiles other{dir_ / "other.crt", dir_ / "other.key"};
    generate_self_signed(other, "localhost");
    auto server = make_server_context(files_);
    auto client = make_client_context({{}, certificate_fingerprint_sha256(other.cert_file)});
    EXPECT_FALSE(handshake(server, client));
}

TEST_F(TlsTest, ClientTrustingTheCertificateAsCaCompletesHandshake) {
    generate_self_signed(files_, "localhost");
    auto server = make_server_context(files_);
    auto client = make_client_context({files_.cert_file, {}});
    EXPECT_TRUE(handshake(server, client, "localhost"));
}

TEST_F(TlsTest, ClientWithCaFileRejectsHostNameNotInCertificate) {
    generate_self_signed(files_, "localhost");
    auto server = make_server_context(files_);
    auto client = make_client_context({files_.cert_file, {}});
    EXPECT_FALSE(handshake(server, client, "other.example.org"));
}

TEST_F(TlsTest, ClientWithUnrelatedCaRejectsServer) {
    generate_self_signed(files_, "localhost");
    const CertificateFiles other{dir_ / "other.crt", dir_ / "other.key"};
    generate_self_signed(other, "localhost");
    auto server = make_server_context(files_);
    auto client = make_client_context({other.cert_file, {}});
    EXPECT_FALSE(handshake(server, client, "localhost"));
}

TEST_F(TlsTest, ClientContextErrorNamesMissingCaFile) {
    try {
        make_client_context({dir_ / "missing-ca.pem", {}});
        FAIL() << "expected std::runtime_error";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("missing-ca.pem"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace pakt::tls
