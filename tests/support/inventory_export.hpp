// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// One streamed GET /api/v1/reports/inventory against a paktd child process, read piece by piece:
// what arrived (every row checked against the expected serial numbers, in order) and what it cost
// paktd in resident memory. Shared by the export test and `tools/bench export`.
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/https_client.hpp"
#include "tests/support/process_memory.hpp"

namespace pakt::test {

enum class ExportFormat { csv, json };

const char* to_string(ExportFormat format);

struct ExportMeasurement {
    HttpResponse response;  ///< status and headers (the body is not kept)
    std::uint64_t body_bytes = 0;
    std::size_t rows = 0;  ///< data rows received (header and JSON envelope not counted)
    std::size_t rows_before_meanwhile = 0;  ///< rows received when `meanwhile` started
    std::uint64_t bytes_before_meanwhile = 0;  ///< body bytes received when `meanwhile` started
    bool meanwhile_ran = false;
    /// Empty if the body is complete and holds exactly the expected rows in order; else the first
    /// discrepancy.
    std::string problem;
    double seconds = 0;       ///< from sending the request to the last byte
    ProcessMemory before;     ///< paktd right before the request
    bool peak_reset = false;  ///< VmHWM was reset before the request (else only samples count)
    std::int64_t peak_rss_kib = 0;  ///< VmHWM after the export, or the highest VmRSS sampled
    std::int64_t sampled_peak_rss_kib = 0;  ///< highest VmRSS seen between pieces
    std::int64_t growth_kib() const { return peak_rss_kib - before.rss_kib; }
};

/// Resets paktd's (`pid`) peak RSS, records its RSS, then streams the inventory in `format` as
/// `token` on `client`, sampling VmRSS after every piece. Once `meanwhile_after_bytes` of the body
/// have arrived, calls `meanwhile` (if set) before reading on: while it runs nothing is read, so
/// paktd still holds the unfinished export. Each data row's serial number must equal the next of
/// `expected_serials`. Throws what HttpsClient and `meanwhile` throw.
ExportMeasurement measure_inventory_export(HttpsClient& client, pid_t pid, const std::string& token,
                                           ExportFormat format,
                                           const std::vector<std::string>& expected_serials,
                                           std::uint64_t meanwhile_after_bytes = 0,
                                           const std::function<void()>& meanwhile = {});

}  // namespace pakt::test
