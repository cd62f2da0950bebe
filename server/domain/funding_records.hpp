// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// Funding programmes and grants.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pakt::server {

struct Programme {
    std::string code;
    std::string name;
    int federal_share_pct = 0;
    std::string description;
    std::optional<std::int64_t> max_unit_price_cents;
    std::optional<std::int64_t> max_per_school_cents;
    bool funds_devices = true;
    std::string created_at;
};

struct Grant {
    std::int64_t id = 0;
    std::string programme_code;
    std::string reference;
    std::string title;
    std::int64_t amount_cents = 0;
    std::int64_t own_contribution_cents = 0;
    std::string approved_on;
    std::string spend_by;
    std::string earmark_end;
    std::string created_at;
    std::string updated_at;
};

}  // namespace pakt::server
