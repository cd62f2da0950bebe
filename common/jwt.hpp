// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// JSON Web Signatures with ES256 (RFC 7515, RFC 7518 section 3.4): what OAuth 2 client
// assertions (RFC 7523) are made of, e.g. for the Apple School Manager API.
#include <string>
#include <string_view>

namespace pakt {

/// Base64url without padding (RFC 4648 section 5), as JWS uses it.
std::string base64url_encode(std::string_view bytes);

/// A compact JWS: base64url(header).base64url(payload).base64url(signature), the signature made
/// with ECDSA P-256 and SHA-256 in JWS form (R and S, 32 bytes each, not DER).
/// `private_key_pem` is an EC P-256 private key in PEM (SEC 1 "EC PRIVATE KEY" or PKCS #8).
/// Throws std::runtime_error if the key cannot be read or is not P-256; the message never
/// contains key material.
std::string es256_jws(std::string_view header_json, std::string_view payload_json,
                      std::string_view private_key_pem);

}  // namespace pakt
