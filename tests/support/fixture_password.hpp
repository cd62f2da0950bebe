// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// Password hashes for the users tests seed straight into the database.
#include <string>
#include <string_view>

namespace pakt::test {

/// server::hash_password at the smallest cost libargon2 accepts (t=1, m=8 KiB).
/// Logging such a user in still goes through paktd's real verify_password, which reads the cost
/// from the string; it just does not spend 19 MiB and two passes on every test's fixture users
/// (production parameters are hash_password's, and its own tests check them).
std::string fixture_password_hash(std::string_view password);

}  // namespace pakt::test
