// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// The API's contract, schema/openapi.yaml, embedded into the binary at build time
// (tools/embed_file.cmake) so that paktd serves exactly the document it was built with.
#include <string_view>

namespace pakt::server::http {

/// The bytes of schema/openapi.yaml (OpenAPI 3.1, YAML, UTF-8) as of the build. Refers to static
/// storage; thread-safe; never throws.
std::string_view openapi_document();

}  // namespace pakt::server::http
