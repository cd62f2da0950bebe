// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "tests/support/fixture_password.hpp"

#include "server/domain/password.hpp"

namespace pakt::test {

std::string fixture_password_hash(std::string_view password) {
    return server::hash_password(password, server::PasswordCost{.time = 1, .memory_kib = 8});
}

}  // namespace pakt::test
