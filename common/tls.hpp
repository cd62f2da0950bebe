// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// TLS set-up shared by paktd (server context, self-signed certificate) and its clients
// (pakt-agent, tests): contexts restricted to TLS 1.2 and 1.3, certificate pinning.
#include <boost/asio/ssl/context.hpp>
#include <filesystem>
#include <string>
#include <string_view>

namespace pakt::tls {

struct CertificateFiles {
    std::filesystem::path cert_file;  ///< PEM certificate (chain)
    std::filesystem::path key_file;   ///< PEM private key
};

/// Creates a self-signed ECDSA P-256 certificate valid for 10 years, with subject CN
/// `common_name` and subjectAltNames localhost, 127.0.0.1, ::1 and `common_name`. The key file is
/// written with mode 0600; both files are written to a temporary name and renamed, so a crash
/// never leaves half a certificate. Throws std::runtime_error naming the file on failure.
void generate_self_signed(const CertificateFiles& files, const std::string& common_name);

/// SHA-256 over the DER encoding of the first certificate in `cert_pem_file`, as upper-case hex
/// pairs separated by colons ("AB:CD:..."). Throws std::runtime_error if unreadable.
std::string certificate_fingerprint_sha256(const std::filesystem::path& cert_pem_file);

/// Returns the key type and curve of the certificate as "EC P-256", "RSA 2048", ... (for tests
/// and diagnostics).
std::string certificate_key_description(const std::filesystem::path& cert_pem_file);

/// Normalises a fingerprint given by a user: strips colons and spaces, upper-cases. Returns an
/// empty string if the result is not 64 hex digits.
std::string normalize_fingerprint(std::string_view fingerprint);

/// Server context with the given certificate: TLS 1.2 and 1.3 only, ECDHE key exchange with
/// AEAD ciphers for TLS 1.2, no compression, no renegotiation. Throws std::runtime_error naming
/// the file if the certificate or key cannot be loaded or do not match.
boost::asio::ssl::context make_server_context(const CertificateFiles& files);

/// How a client decides to trust the server: a CA file (with host name verification done by the
/// caller) or a SHA-256 pin of the server's leaf certificate. Exactly one must be set.
struct ClientTrust {
    std::filesystem::path ca_file;
    std::string pin_sha256;  ///< any format accepted by normalize_fingerprint
    /// The operating system's CA store (Debian's ca-certificates), for public services such as
    /// Apple's; the host name is verified as with `ca_file`.
    bool system_store = false;
};

/// Client context: TLS 1.2 and 1.3 only, verify_peer. With a pin, the leaf certificate must
/// match the pin (chain errors are then irrelevant); otherwise the chain must verify against
/// `ca_file` (or the system's store). Throws std::invalid_argument unless exactly one of the
/// three is set, or if the pin is malformed.
boost::asio::ssl::context make_client_context(const ClientTrust& trust);

}  // namespace pakt::tls
