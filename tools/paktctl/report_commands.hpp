// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// paktctl report funding.
#include <iosfwd>
#include <string>

#include "server/config.hpp"

namespace pakt::ctl {

enum class ReportFormat { text, json, csv };

struct FundingReportOptions {
    std::string grant;  ///< the grant's id, or its reference (Aktenzeichen)
    ReportFormat format = ReportFormat::text;
    bool excel_de = false;  ///< with csv: the `;`/decimal comma dialect
};

/// Prints the funding report of one grant, computed and formatted by the same code as
/// GET /api/v1/reports/funding?grant_id= (all schools): the API's JSON, its CSV (either dialect,
/// with BOM), or a readable summary with one line per school. Throws CommandFailed if no grant
/// has that id or reference, or if its programme funds no devices (the report covers device
/// grants only).
int report_funding(const server::ServerConfig& config, const FundingReportOptions& options,
                   std::ostream& out);

}  // namespace pakt::ctl
