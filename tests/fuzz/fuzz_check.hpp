// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// What the fuzz targets share: a property check that stops the fuzzer with a message, so a
// broken contract (not only a crash or a sanitizer report) counts as a finding.
#include <cstdio>
#include <cstdlib>

namespace pakt::fuzz {

/// Aborts with `what` unless `condition` holds; libFuzzer saves the input as a crash.
inline void require(bool condition, const char* what) {
    if (!condition) {
        std::fprintf(stderr, "fuzz property violated: %s\n", what);
        std::abort();
    }
}

}  // namespace pakt::fuzz
