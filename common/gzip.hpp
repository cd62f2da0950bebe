// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// gzip for check-in bodies: the agent compresses, paktd decompresses with a cap on the output so a
// small "gzip bomb" cannot make it allocate gigabytes.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace pakt {

/// gzip-compresses `data` (RFC 1952). Throws std::runtime_error on zlib failure.
std::string gzip_compress(std::string_view data);

/// Why decompression failed.
enum class GunzipError {
    malformed,      ///< not a gzip stream, or a truncated one
    too_large,      ///< the output would exceed the cap
    trailing_data,  ///< bytes after the end of the (first) gzip member
};

struct GunzipResult {
    std::optional<std::string> data;
    GunzipError error = GunzipError::malformed;  ///< meaningful only without data
};

/// Decompresses a gzip stream, stopping with too_large as soon as the output would exceed
/// `max_output` bytes. Anything after the end of the gzip member (garbage, or a second member)
/// is refused as trailing_data: the body must be exactly one stream. Never throws on bad input.
GunzipResult gzip_decompress(std::string_view compressed, std::size_t max_output);

}  // namespace pakt
