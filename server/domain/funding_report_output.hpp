// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// The funding report as JSON (for programs: the body of GET /api/v1/reports/funding) and as CSV
// (for people), shared by paktd and paktctl so both produce the same figures in the same shape.
// Pure functions of the FundingReport; thread-safe.
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "server/domain/funding_report.hpp"
#include "server/domain/report_csv.hpp"

namespace pakt::server {

/// The report as the API's JSON document. `all_schools` says whether the report covers every
/// school (a city_admin's or an operator's view) or only the caller's own; `generated_at` is an
/// RFC 3339 time.
nlohmann::json funding_report_json(const FundingReport& report, bool all_schools,
                                   std::string_view generated_at);

/// The report as one CSV table (with a UTF-8 BOM) with a `level` column: each programme followed
/// by its grants, each grant by its schools.
std::string funding_report_csv(const FundingReport& report, CsvDialect dialect);

}  // namespace pakt::server
