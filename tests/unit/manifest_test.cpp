// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// The delivery list (manifest) reader: regression tests for what the fuzzer found.
#include "server/domain/manifest.hpp"

#include <gtest/gtest.h>

namespace pakt::server {
namespace {

TEST(Manifest, ErrorsAreInLineOrderWhenTheHeaderHasNoSerialColumn) {
    // Found by tests/fuzz (manifest): the CSV syntax error on line 2 came before the header's
    // error on line 1 because the early return skipped the sort.
    const auto parsed = parse_manifest("model,asset_tag\n\"iPad\"9,A-1\n");
    ASSERT_EQ(parsed.errors.size(), 2u);
    EXPECT_EQ(parsed.errors[0].line, 1u);
    EXPECT_EQ(parsed.errors[0].field, "serial_number");
    EXPECT_EQ(parsed.errors[1].line, 2u);
    EXPECT_TRUE(parsed.rows.empty());
}

}  // namespace
}  // namespace pakt::server
