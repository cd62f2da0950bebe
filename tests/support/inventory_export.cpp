// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "tests/support/inventory_export.hpp"

#include <algorithm>
#include <chrono>
#include <string_view>

namespace pakt::test {
namespace {

// Splits the body into lines as it arrives and checks each data row. CSV: a header line (after
// the BOM), then one row per CRLF-terminated line starting with the serial number. JSON: the
// envelope's first line, then one object per line starting with "serial_number", then "]}".
class RowChecker {
  public:
    RowChecker(ExportFormat format, const std::vector<std::string>& expected)
        : format_(format), expected_(expected) {}

    void feed(std::string_view piece) {
        while (!piece.empty()) {
            const auto newline = piece.find('\n');
            if (newline == std::string_view::npos) {
                partial_ += piece;
                return;
            }
            partial_ += piece.substr(0, newline);
            line(partial_);
            partial_.clear();
            piece.remove_prefix(newline + 1);
        }
    }

    /// The problem found, or "" if the body was complete and every row was the expected one.
    std::string finish() {
        if (!problem_.empty()) return problem_;
        if (!partial_.empty()) return "the body does not end with a line break";
        if (rows_ != expected_.size()) {
            return "received " + std::to_string(rows_) + " rows, expected " +
                   std::to_string(expected_.size());
        }
        if (format_ == ExportFormat::json && !closed_) return "the JSON body is not closed with ]}";
        return {};
    }

    std::size_t rows() const { return rows_; }

  private:
    void line(std::string_view text) {
        if (!problem_.empty()) return;
        ++lines_;
        if (format_ == ExportFormat::csv) {
            if (text.empty() || text.back() != '\r') return fail("a CSV line without CR LF");
            if (lines_ == 1) {
                if (text.rfind("\xEF\xBB\xBFserial_number,", 0) != 0)
                    fail("the CSV header is missing");
                return;
            }
            row(text.substr(0, text.find(',')));
            return;
        }
        if (lines_ == 1) {
            if (text.rfind("{\"generated_at\":", 0) != 0) fail("the JSON envelope is missing");
            return;
        }
        if (text == "]}") {
            closed_ = true;
            return;
        }
        constexpr std::string_view kStart = "{\"serial_number\":\"";
        if (closed_ || text.rfind(kStart, 0) != 0)
            return fail("unexpected JSON line " + std::string(text.substr(0, 80)));
        text.remove_prefix(kStart.size());
        row(text.substr(0, text.find('"')));
    }

    void row(std::string_view serial) {
        if (rows_ >= expected_.size()) return fail("more rows than devices");
        if (serial != expected_[rows_]) {
            return fail("row " + std::to_string(rows_) + " is " + std::string(serial) +
                        ", expected " + expected_[rows_]);
        }
        ++rows_;
    }

    void fail(std::string what) {
        if (problem_.empty()) problem_ = std::move(what);
    }

    ExportFormat format_;
    const std::vector<std::string>& expected_;
    std::string partial_;
    std::size_t lines_ = 0;
    std::size_t rows_ = 0;
    bool closed_ = false;
    std::string problem_;
};

}  // namespace

const char* to_string(ExportFormat format) { return format == ExportFormat::csv ? "CSV" : "JSON"; }

ExportMeasurement measure_inventory_export(HttpsClient& client, pid_t pid, const std::string& token,
                                           ExportFormat format,
                                           const std::vector<std::string>& expected_serials,
                                           std::uint64_t meanwhile_after_bytes,
                                           const std::function<void()>& meanwhile) {
    ExportMeasurement m;
    RowChecker checker(format, expected_serials);
    const bool reset = reset_peak_rss(pid);
    m.before = read_process_memory(pid);
    // A reset that took leaves VmHWM at about VmRSS; anything far above means it did not.
    m.peak_reset = reset && m.before.peak_rss_kib <= m.before.rss_kib + 4 * 1024;
    m.sampled_peak_rss_kib = m.before.rss_kib;

    const std::string target = format == ExportFormat::csv ? "/api/v1/reports/inventory?format=csv"
                                                           : "/api/v1/reports/inventory";
    const auto start = std::chrono::steady_clock::now();
    m.response = client.request_streamed(
        "GET", target, {{"Authorization", "Bearer " + token}}, [&](std::string_view piece) {
            m.body_bytes += piece.size();
            checker.feed(piece);
            m.sampled_peak_rss_kib =
                std::max(m.sampled_peak_rss_kib, read_process_memory(pid).rss_kib);
            if (meanwhile && !m.meanwhile_ran && m.body_bytes >= meanwhile_after_bytes) {
                m.meanwhile_ran = true;
                m.rows_before_meanwhile = checker.rows();
                m.bytes_before_meanwhile = m.body_bytes;
                meanwhile();
            }
            return true;
        });
    m.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const ProcessMemory after = read_process_memory(pid);
    m.sampled_peak_rss_kib = std::max(m.sampled_peak_rss_kib, after.rss_kib);
    m.peak_rss_kib = m.peak_reset ? std::max(after.peak_rss_kib, m.sampled_peak_rss_kib)
                                  : m.sampled_peak_rss_kib;
    m.rows = checker.rows();
    m.problem = m.response.status == 200 ? checker.finish()
                                         : "answered " + std::to_string(m.response.status);
    return m;
}

}  // namespace pakt::test
