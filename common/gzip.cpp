// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "common/gzip.hpp"

#include <zlib.h>

#include <array>
#include <stdexcept>

namespace pakt {

std::string gzip_compress(std::string_view data) {
    z_stream z{};
    // windowBits 15 + 16: write a gzip header and trailer instead of a zlib one.
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
        Z_OK) {
        throw std::runtime_error("deflateInit2 failed");
    }
    std::string out;
    out.resize(deflateBound(&z, static_cast<uLong>(data.size())) + 32);
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    z.avail_in = static_cast<uInt>(data.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    const int rc = deflate(&z, Z_FINISH);
    out.resize(z.total_out);
    deflateEnd(&z);
    if (rc != Z_STREAM_END) throw std::runtime_error("gzip compression failed");
    return out;
}

GunzipResult gzip_decompress(std::string_view compressed, std::size_t max_output) {
    z_stream z{};
    if (inflateInit2(&z, 15 + 16) != Z_OK) return {std::nullopt, GunzipError::malformed};
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
    z.avail_in = static_cast<uInt>(compressed.size());
    std::string out;
    std::array<char, 64 * 1024> chunk{};
    int rc = Z_OK;
    while (rc != Z_STREAM_END) {
        z.next_out = reinterpret_cast<Bytef*>(chunk.data());
        z.avail_out = static_cast<uInt>(chunk.size());
        rc = inflate(&z, Z_NO_FLUSH);
        if (rc != Z_OK && rc != Z_STREAM_END) {
            inflateEnd(&z);
            return {std::nullopt, GunzipError::malformed};
        }
        const std::size_t produced = chunk.size() - z.avail_out;
        if (out.size() + produced > max_output) {
            inflateEnd(&z);
            return {std::nullopt, GunzipError::too_large};
        }
        out.append(chunk.data(), produced);
        if (rc == Z_OK && produced == 0 && z.avail_in == 0) {
            inflateEnd(&z);
            return {std::nullopt, GunzipError::malformed};  // truncated stream
        }
    }
    // What follows the member was not read: accepting it would let a body carry data nobody
    // checked (and a concatenated second member would be silently dropped).
    const bool trailing = z.avail_in != 0;
    inflateEnd(&z);
    if (trailing) return {std::nullopt, GunzipError::trailing_data};
    return {std::move(out), GunzipError::malformed};
}

}  // namespace pakt
