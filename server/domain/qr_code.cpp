// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "server/domain/qr_code.hpp"

#include <qrencode.h>

#include <memory>
#include <stdexcept>

namespace pakt::server {
namespace {

std::string xml_escape(std::string_view text) {
    std::string out;
    for (char c : text) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

}  // namespace

std::string qr_svg(std::string_view text, std::string_view title) {
    const std::string input(text);
    std::unique_ptr<QRcode, decltype(&QRcode_free)> code(
        QRcode_encodeString8bit(input.c_str(), 0, QR_ECLEVEL_M), &QRcode_free);
    if (!code)
        throw std::runtime_error("cannot encode a QR code of " + std::to_string(text.size()) +
                                 " bytes");
    constexpr int kQuiet = 4;
    const int width = code->width;
    const int size = width + 2 * kQuiet;
    std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " +
                      std::to_string(size) + " " + std::to_string(size) +
                      "\" shape-rendering=\"crispEdges\" role=\"img\">";
    svg += "<title>" + xml_escape(title) + "</title>";
    svg += "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/><path fill=\"#000\" d=\"";
    // One horizontal run per row of adjacent dark modules keeps the path short.
    for (int y = 0; y < width; ++y) {
        int x = 0;
        while (x < width) {
            if ((code->data[y * width + x] & 1) == 0) {
                ++x;
                continue;
            }
            const int start = x;
            while (x < width && (code->data[y * width + x] & 1) != 0) ++x;
            svg += "M" + std::to_string(start + kQuiet) + " " + std::to_string(y + kQuiet) + "h" +
                   std::to_string(x - start) + "v1h-" + std::to_string(x - start) + "z";
        }
    }
    svg += "\"/></svg>";
    return svg;
}

}  // namespace pakt::server
