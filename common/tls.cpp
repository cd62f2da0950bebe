// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "common/tls.hpp"

#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <boost/asio/ip/address.hpp>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>

#include "common/atomic_file.hpp"
#include "common/openssl_ptr.hpp"

namespace pakt::tls {
namespace {

namespace ssl = boost::asio::ssl;

// Mozilla "intermediate": forward secrecy and AEAD only. TLS 1.3 suites are all acceptable and
// are configured separately by OpenSSL, so this list affects TLS 1.2 only.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

constexpr long kValidityDays = 3650;

using openssl::BignumPtr;
using openssl::BioPtr;
using openssl::ExtensionPtr;
using openssl::PkeyPtr;
using openssl::X509Ptr;

// Drains OpenSSL's thread-local error queue into one readable string; leaving errors queued
// would make them show up in the next, unrelated failure.
std::string openssl_errors() {
    std::string out;
    while (const unsigned long code = ERR_get_error()) {
        char buffer[256];
        ERR_error_string_n(code, buffer, sizeof buffer);
        if (!out.empty()) out += "; ";
        out += buffer;
    }
    return out.empty() ? "unknown OpenSSL error" : out;
}

[[noreturn]] void fail(const std::string& what) {
    throw std::runtime_error(what + ": " + openssl_errors());
}

X509Ptr read_certificate(const std::filesystem::path& file) {
    BioPtr bio(BIO_new_file(file.c_str(), "r"));
    if (!bio) fail("cannot open certificate '" + file.string() + "'");
    X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert) fail("cannot read a PEM certificate from '" + file.string() + "'");
    return cert;
}

using Sha256 = std::array<unsigned char, 32>;

Sha256 der_sha256(const X509* cert) {
    Sha256 digest{};
    unsigned int length = 0;
    if (X509_digest(cert, EVP_sha256(), digest.data(), &length) != 1 || length != digest.size()) {
        fail("X509_digest(SHA-256) failed");
    }
    return digest;
}

std::string bio_contents(BIO* bio) {
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<std::size_t>(size));
}

void add_extension(X509* cert, int nid, const std::string& value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
    ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
    if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
        fail("cannot add certificate extension " + std::string(OBJ_nid2sn(nid)) + "=" + value);
    }
}

bool is_ip_address(const std::string& host) {
    boost::system::error_code ec;
    boost::asio::ip::make_address(host, ec);
    return !ec;
}

std::string subject_alt_names(const std::string& common_name) {
    std::string names = "DNS:localhost,IP:127.0.0.1,IP:::1";
    if (common_name != "localhost" && common_name != "127.0.0.1" && common_name != "::1") {
        names += (is_ip_address(common_name) ? ",IP:" : ",DNS:") + common_name;
    }
    return names;
}

void restrict_protocols(ssl::context& ctx) {
    SSL_CTX* native = ctx.native_handle();
    if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1 ||
        SSL_CTX_set_max_proto_version(native, TLS1_3_VERSION) != 1) {
        fail("cannot restrict TLS versions to 1.2 and 1.3");
    }
    if (SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1) fail("cannot set TLS 1.2 ciphers");
    // Compression enables CRIME-style attacks; renegotiation is an old DoS and attack surface.
    SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
}

}  // namespace

void generate_self_signed(const CertificateFiles& files, const std::string& common_name) {
    // Errors from an earlier, handled failure must not end up in this function's messages.
    ERR_clear_error();
    PkeyPtr key(EVP_EC_gen("P-256"));
    if (!key) fail("cannot generate a P-256 key for '" + files.key_file.string() + "'");

    X509Ptr cert(X509_new());
    if (!cert) fail("X509_new failed");
    // Version 3 (value 2), required for extensions such as subjectAltName.
    if (X509_set_version(cert.get(), 2) != 1) fail("X509_set_version failed");

    // A random positive 127-bit serial: browsers reject a reused issuer/serial pair, which
    // happens with a fixed serial once the certificate is regenerated.
    BignumPtr serial(BN_new());
    if (!serial || BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
        !BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get()))) {
        fail("cannot set the certificate serial number");
    }

    // Backdated by an hour so that a client whose clock is slightly behind accepts it at once.
    if (!X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) ||
        !X509_time_adj_ex(X509_getm_notAfter(cert.get()), static_cast<int>(kValidityDays), 0,
                          nullptr)) {
        fail("cannot set the certificate validity");
    }

    X509_NAME* name = X509_get_subject_name(cert.get());
    if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                                   -1, 0) != 1 ||
        X509_set_issuer_name(cert.get(), name) != 1 ||
        X509_set_pubkey(cert.get(), key.get()) != 1) {
        fail("cannot set the certificate subject '" + common_name + "'");
    }

    // An end-entity certificate (CA:FALSE): browsers refuse a CA certificate used as a server
    // certificate, while OpenSSL accepts a self-signed leaf as its own trust anchor.
    add_extension(cert.get(), NID_basic_constraints, "critical,CA:FALSE");
    add_extension(cert.get(), NID_key_usage, "critical,digitalSignature");
    add_extension(cert.get(), NID_ext_key_usage, "serverAuth");
    add_extension(cert.get(), NID_subject_key_identifier, "hash");
    add_extension(cert.get(), NID_subject_alt_name, subject_alt_names(common_name));

    if (X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0) fail("cannot sign the certificate");

    BioPtr key_pem(BIO_new(BIO_s_mem()));
    BioPtr cert_pem(BIO_new(BIO_s_mem()));
    if (!key_pem || !cert_pem ||
        PEM_write_bio_PrivateKey(key_pem.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) !=
            1 ||
        PEM_write_bio_X509(cert_pem.get(), cert.get()) != 1) {
        fail("cannot encode the certificate and key as PEM");
    }

    for (const auto& file : {files.cert_file, files.key_file}) {
        if (file.has_parent_path()) {
            std::error_code ec;
            std::filesystem::create_directories(file.parent_path(), ec);
            if (ec) {
                throw std::runtime_error("cannot create directory '" + file.parent_path().string() +
                                         "': " + ec.message());
            }
        }
    }
    // Key first: a crash in between leaves a new key with an old certificate, which the server
    // reports as a mismatch at start-up, rather than a certificate without its key.
    write_file_atomically(files.key_file, bio_contents(key_pem.get()), 0600);
    write_file_atomically(files.cert_file, bio_contents(cert_pem.get()), 0644);
}

std::string certificate_fingerprint_sha256(const std::filesystem::path& cert_pem_file) {
    ERR_clear_error();
    const Sha256 digest = der_sha256(read_certificate(cert_pem_file).get());
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(digest.size() * 3 - 1);
    for (std::size_t i = 0; i < digest.size(); ++i) {
        if (i > 0) out.push_back(':');
        out.push_back(kHex[digest[i] >> 4]);
        out.push_back(kHex[digest[i] & 0x0f]);
    }
    return out;
}

std::string certificate_key_description(const std::filesystem::path& cert_pem_file) {
    ERR_clear_error();
    const X509Ptr cert = read_certificate(cert_pem_file);
    EVP_PKEY* key = X509_get0_pubkey(cert.get());
    if (!key) fail("cannot read the public key of '" + cert_pem_file.string() + "'");
    const int type = EVP_PKEY_get_base_id(key);
    if (type == EVP_PKEY_EC) {
        char group[80] = {};
        std::size_t length = 0;
        if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                           &length) != 1) {
            return "EC";
        }
        // OpenSSL names the curve "prime256v1"; people (and the header) say "P-256".
        const char* nist = EC_curve_nid2nist(OBJ_txt2nid(group));
        return std::string("EC ") + (nist ? nist : group);
    }
    if (type == EVP_PKEY_RSA) return "RSA " + std::to_string(EVP_PKEY_get_bits(key));
    if (type == EVP_PKEY_ED25519) return "Ed25519";
    if (type == EVP_PKEY_ED448) return "Ed448";
    const char* name = OBJ_nid2sn(type);
    return std::string(name ? name : "unknown") + " " + std::to_string(EVP_PKEY_get_bits(key));
}

std::string normalize_fingerprint(std::string_view fingerprint) {
    std::string out;
    out.reserve(64);
    for (const char c : fingerprint) {
        if (c == ':' || c == ' ') continue;
        if (!std::isxdigit(static_cast<unsigned char>(c))) return {};
        out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    }
    return out.size() == 64 ? out : std::string{};
}

ssl::context make_server_context(const CertificateFiles& files) {
    ERR_clear_error();
    ssl::context ctx(ssl::context::tls_server);
    restrict_protocols(ctx);
    SSL_CTX* native = ctx.native_handle();
    // Our cipher order (AES-GCM before ChaCha20 on hardware with AES instructions) wins.
    SSL_CTX_set_options(native, SSL_OP_CIPHER_SERVER_PREFERENCE);
    if (SSL_CTX_use_certificate_chain_file(native, files.cert_file.c_str()) != 1) {
        fail("cannot load TLS certificate '" + files.cert_file.string() + "'");
    }
    if (SSL_CTX_use_PrivateKey_file(native, files.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
        fail("cannot load TLS private key '" + files.key_file.string() + "' (for certificate '" +
             files.cert_file.string() + "')");
    }
    if (SSL_CTX_check_private_key(native) != 1) {
        fail("TLS private key '" + files.key_file.string() + "' does not match certificate '" +
             files.cert_file.string() + "'");
    }
    return ctx;
}

ssl::context make_client_context(const ClientTrust& trust) {
    const bool has_ca = !trust.ca_file.empty();
    const bool has_pin = !trust.pin_sha256.empty();
    if (int(has_ca) + int(has_pin) + int(trust.system_store) != 1) {
        throw std::invalid_argument(
            "TLS trust: set exactly one of a CA file, a certificate pin (SHA-256) and the system "
            "store");
    }
    std::string pin;
    if (has_pin) {
        pin = normalize_fingerprint(trust.pin_sha256);
        if (pin.empty()) {
            throw std::invalid_argument("TLS trust: pin '" + trust.pin_sha256 +
                                        "' is not a SHA-256 fingerprint (64 hex digits)");
        }
    }

    ERR_clear_error();
    ssl::context ctx(ssl::context::tls_client);
    restrict_protocols(ctx);
    ctx.set_verify_mode(ssl::verify_peer);

    if (has_ca) {
        if (SSL_CTX_load_verify_locations(ctx.native_handle(), trust.ca_file.c_str(), nullptr) !=
            1) {
            fail("cannot load CA file '" + trust.ca_file.string() + "'");
        }
        return ctx;
    }
    if (trust.system_store) {
        if (SSL_CTX_set_default_verify_paths(ctx.native_handle()) != 1) {
            fail("cannot load the system's CA certificates");
        }
        return ctx;
    }

    Sha256 expected{};
    for (std::size_t i = 0; i < expected.size(); ++i) {
        expected[i] = static_cast<unsigned char>(std::stoi(pin.substr(i * 2, 2), nullptr, 16));
    }
    // A pin replaces chain validation: a self-signed server certificate has no chain to
    // validate, and the pin says more than any CA could. The decision is taken on the leaf
    // (X509_STORE_CTX_get0_cert) at every depth, not only at depth 0: if some error path ended
    // verification before the depth-0 call, a callback that simply accepted depth > 0 would
    // let an unpinned certificate through.
    ctx.set_verify_callback([expected](bool /*preverified*/, ssl::verify_context& vctx) {
        X509_STORE_CTX* store = vctx.native_handle();
        const X509* leaf = X509_STORE_CTX_get0_cert(store);
        if (leaf == nullptr) return false;
        Sha256 actual{};
        unsigned int length = 0;
        const bool matches = X509_digest(leaf, EVP_sha256(), actual.data(), &length) == 1 &&
                             length == actual.size() && actual == expected;
        if (!matches) {
            // Reported by SSL_get_verify_result; otherwise the client would see a misleading
            // "self-signed certificate".
            X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
        }
        return matches;
    });
    return ctx;
}

}  // namespace pakt::tls
