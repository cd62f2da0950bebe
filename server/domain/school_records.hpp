// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// Schools, addressed by their NRW school number.
#include <optional>
#include <string>
#include <vector>

namespace pakt::server {

struct School {
    std::string school_number;
    std::string name;
    std::string school_type;
    std::string district;
    std::string address;
    std::optional<double> latitude;
    std::optional<double> longitude;
    std::string created_at;
    std::string updated_at;
};

}  // namespace pakt::server
