// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "server/http/web_assets.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "common/crypto.hpp"
#include "common/gzip.hpp"

namespace pakt::server::http {
namespace {

bool ends_with(std::string_view text, std::string_view suffix) {
    return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

bool is_compressible(std::string_view content_type) {
    return content_type.starts_with("text/") ||
           content_type.starts_with("application/javascript") ||
           content_type.starts_with("application/json") ||
           content_type.starts_with("image/svg+xml");
}

std::shared_ptr<const WebAsset> make_asset(std::string_view path, std::string body) {
    auto asset = std::make_shared<WebAsset>();
    asset->content_type = std::string(content_type_for(path));
    asset->etag = "\"" + sha256_hex(body).substr(0, 32) + "\"";
    // Below ~1 KB a gzip header and a second round trip of thought cost more than they save.
    if (is_compressible(asset->content_type) && body.size() >= 1024) {
        std::string packed = gzip_compress(body);
        if (packed.size() < body.size()) asset->gzip = std::move(packed);
    }
    asset->body = std::move(body);
    return asset;
}

}  // namespace

std::string_view content_type_for(std::string_view path) {
    if (ends_with(path, ".html")) return "text/html; charset=utf-8";
    if (ends_with(path, ".css")) return "text/css; charset=utf-8";
    if (ends_with(path, ".js") || ends_with(path, ".mjs"))
        return "application/javascript; charset=utf-8";
    if (ends_with(path, ".json")) return "application/json; charset=utf-8";
    if (ends_with(path, ".svg")) return "image/svg+xml";
    if (ends_with(path, ".png")) return "image/png";
    if (ends_with(path, ".ico")) return "image/x-icon";
    if (ends_with(path, ".woff2")) return "font/woff2";
    if (ends_with(path, ".txt")) return "text/plain; charset=utf-8";
    return "application/octet-stream";
}

WebAssets::WebAssets(std::filesystem::path dev_dir) : dev_dir_(std::move(dev_dir)) {
    if (!dev_dir_.empty() && !std::filesystem::is_directory(dev_dir_)) {
        throw std::runtime_error("the web directory '" + dev_dir_.string() +
                                 "' is not a directory");
    }
    for (const EmbeddedFile& file : embedded_web_files()) {
        std::string body(reinterpret_cast<const char*>(file.bytes.data()), file.bytes.size());
        embedded_.emplace(std::string(file.path), make_asset(file.path, std::move(body)));
    }
}

// A relative path of plain segments: no empty, ".", ".." or hidden segment, no backslash or
// control character. The router refuses these too; this keeps the directory read safe on its own.
bool is_plain_relative_path(std::string_view path) {
    if (path.empty()) return false;
    std::size_t start = 0;
    while (start <= path.size()) {
        auto end = path.find('/', start);
        if (end == std::string_view::npos) end = path.size();
        const std::string_view segment = path.substr(start, end - start);
        if (segment.empty() || segment.front() == '.') return false;
        for (char c : segment) {
            if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == '\\') return false;
        }
        start = end + 1;
    }
    return true;
}

std::shared_ptr<const WebAsset> WebAssets::find(std::string_view path) const {
    if (!is_plain_relative_path(path)) return nullptr;
    if (!dev_dir_.empty() && !path.starts_with("vendor/")) {
        std::ifstream in(dev_dir_ / std::filesystem::path(std::string(path)), std::ios::binary);
        if (in && !std::filesystem::is_directory(dev_dir_ / std::string(path))) {
            std::ostringstream text;
            text << in.rdbuf();
            return make_asset(path, text.str());
        }
    }
    auto it = embedded_.find(path);
    return it == embedded_.end() ? nullptr : it->second;
}

}  // namespace pakt::server::http
