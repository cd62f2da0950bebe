// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// QR codes for asset-tag labels, drawn as SVG (libqrencode). No storage, no HTTP.
#include <string>
#include <string_view>

namespace pakt::server {

/// An SVG image of a QR code holding `text` (error correction level M, the quiet zone of four
/// modules the standard asks for), scalable to any print size. `title` becomes the image's
/// accessible name. Throws std::runtime_error if the text does not fit a QR code.
std::string qr_svg(std::string_view text, std::string_view title);

}  // namespace pakt::server
