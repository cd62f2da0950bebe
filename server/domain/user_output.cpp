// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "server/domain/user_output.hpp"

#include <string>

namespace pakt::server {

nlohmann::json user_json(const UserRecord& u) {
    return {{"id", u.id},
            {"username", u.username},
            {"display_name", u.display_name},
            {"role", std::string(to_string(u.role))},
            {"schools", u.schools},
            {"disabled", u.disabled},
            {"must_change_password", u.must_change_password},
            {"created_at", u.created_at},
            {"updated_at", u.updated_at}};
}

}  // namespace pakt::server
