// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// The web UI's static files: embedded into the binary at build time (tools/embed_web.cmake), or,
// for front-end development, read from a directory on every request so a change shows on reload.
#include <cstddef>
#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace pakt::server::http {

/// One embedded file: its path below /assets/ ("js/app.js", "vendor/kern/kern.min.css") and bytes.
struct EmbeddedFile {
    std::string_view path;
    std::span<const unsigned char> bytes;
};

/// Every embedded file (generated).
std::span<const EmbeddedFile> embedded_web_files();

/// A file ready to serve: its type, the bytes, their gzip form when compressing pays, and a
/// strong validator.
struct WebAsset {
    std::string content_type;
    std::string body;
    std::string gzip;  ///< empty: send `body` as is (already compressed formats, tiny files)
    std::string etag;  ///< quoted, e.g. "\"3f2a...\""
};

class WebAssets {
  public:
    /// With an empty `dev_dir` the embedded files are served, compressed once here. Otherwise a
    /// file under `dev_dir` is read at each request and wins over the embedded one of the same
    /// path (the vendor files stay embedded). Throws std::runtime_error if `dev_dir` is given but
    /// is not a directory.
    explicit WebAssets(std::filesystem::path dev_dir = {});

    /// The file at `path` (relative, "/"-separated, no ".." segments), or null.
    /// Thread-safe.
    std::shared_ptr<const WebAsset> find(std::string_view path) const;

  private:
    std::filesystem::path dev_dir_;
    std::map<std::string, std::shared_ptr<const WebAsset>, std::less<>> embedded_;
};

/// Whether `path` is a relative path of plain segments (no empty, ".", ".." or dot-file segment,
/// no backslash or control character): the only paths find() serves.
bool is_plain_relative_path(std::string_view path);

/// The media type for a file name, by its extension ("application/octet-stream" if unknown).
std::string_view content_type_for(std::string_view path);

}  // namespace pakt::server::http
