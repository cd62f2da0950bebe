// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "tools/paktctl/report_commands.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Transaction.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "common/time.hpp"
#include "server/domain/funding_report.hpp"
#include "server/domain/funding_report_output.hpp"
#include "server/storage/funding_repository.hpp"
#include "server/storage/report_repository.hpp"
#include "tools/paktctl/command_support.hpp"

namespace pakt::ctl {
namespace {

constexpr std::size_t kNameWidth = 40;  // columns for a school's name in the text report

// 123456789 -> "1,234,567.89"
std::string euros(std::int64_t cents) {
    const bool negative = cents < 0;
    const std::uint64_t magnitude =
        negative ? 0 - static_cast<std::uint64_t>(cents) : static_cast<std::uint64_t>(cents);
    std::string whole = std::to_string(magnitude / 100);
    for (auto i = static_cast<std::ptrdiff_t>(whole.size()) - 3; i > 0; i -= 3) {
        whole.insert(static_cast<std::size_t>(i), 1, ',');
    }
    return fmt::format("{}{}.{:02}", negative ? "-" : "", whole, magnitude % 100);
}

std::string percent(const std::optional<std::int64_t>& basis_points) {
    if (!basis_points) return "-";
    return fmt::format("{}.{:02} %", *basis_points / 100, *basis_points % 100);
}

std::string counts_line(const server::DeviceCounts& c) {
    return fmt::format(
        "expected {}, delivered {}, enrolled {} (in storage {}, in use {}, in repair {}, lost {}, "
        "stolen {}, retired {}), on loan {}",
        c.expected, c.delivered, c.enrolled, c.in_storage, c.in_use, c.in_repair, c.lost, c.stolen,
        c.retired, c.on_loan);
}

std::size_t display_width(std::string_view text) {
    return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0U) != 0x80U;
    }));
}

// Long official school names ("... Städt. Gymnasium für Jungen und Mädchen - Sekundarstufen I
// und II -") would push the figures off the screen; the number identifies the school anyway.
std::string shorten(const std::string& text, std::size_t width) {
    if (display_width(text) <= width) return text;
    std::size_t kept = 0;
    std::size_t end = 0;
    for (; end < text.size(); ++end) {
        if ((static_cast<unsigned char>(text[end]) & 0xC0U) != 0x80U && kept++ == width - 1) break;
    }
    return text.substr(0, end) + "\xE2\x80\xA6";  // U+2026 HORIZONTAL ELLIPSIS
}

std::string pad(std::string text, std::size_t width, bool right_align) {
    const std::size_t w = display_width(text);
    if (w >= width) return text;
    return right_align ? std::string(width - w, ' ') + text : text + std::string(width - w, ' ');
}

void print_text(const server::GrantFunding& g, const std::string& as_of, std::ostream& out) {
    const auto& grant = g.grant;
    out << fmt::format("Funding report of grant {} ({}), as of {}\n", grant.id, grant.reference,
                       as_of);
    if (!grant.title.empty()) out << fmt::format("  {}\n", grant.title);
    out << fmt::format("  programme         {} ({}, federal share {} %)\n", grant.programme_code,
                       grant.programme_name, grant.federal_share_pct);
    out << fmt::format("  granted           {} EUR, own contribution {} EUR\n",
                       euros(grant.amount_cents), euros(grant.own_contribution_cents));
    out << fmt::format("  spent             {} EUR ({} of the grant), remaining {} EUR\n",
                       euros(g.spend_cents), percent(g.share_used_bp), euros(g.remaining_cents));
    out << fmt::format("  approved on       {}; spend by {} ({} days); earmarked until {}\n",
                       grant.approved_on, grant.spend_by, g.days_to_spend_by, grant.earmark_end);
    out << fmt::format("  at risk           {}\n",
                       g.at_risk == server::AtRisk::no
                           ? std::string("no")
                           : fmt::format("yes ({})", server::to_string(g.at_risk)));
    out << fmt::format("  devices           {}\n", counts_line(g.counts));
    if (grant.max_unit_price_cents) {
        out << fmt::format("  unit price cap    {} EUR: ", euros(*grant.max_unit_price_cents));
        if (g.tranches_above_unit_cap.empty()) {
            out << "kept\n";
        } else {
            out << fmt::format(
                "EXCEEDED by tranche {} ({})\n", fmt::join(g.tranches_above_unit_cap, ", "),
                plural(static_cast<std::size_t>(g.devices_above_unit_cap), "device", "devices"));
        }
    }
    if (grant.max_per_school_cents) {
        out << fmt::format("  per-school cap    {} EUR: ", euros(*grant.max_per_school_cents));
        if (g.schools_above_school_cap.empty()) {
            out << "kept\n";
        } else {
            out << fmt::format("EXCEEDED at school {}\n",
                               fmt::join(g.schools_above_school_cap, ", "));
        }
    }
    if (g.schools.empty()) {
        out << "  no tranches yet\n";
        return;
    }

    using Row = std::array<std::string, 9>;
    std::vector<Row> rows{{"SCHOOL", "NAME", "DELIVERED", "ENROLLED", "ON LOAN", "RETIRED",
                           "SPEND EUR", "SHARE", "FLAGS"}};
    for (const auto& s : g.schools) {
        std::vector<std::string> flags;
        if (s.above_school_cap) flags.emplace_back("above school cap");
        if (!s.tranches_above_unit_cap.empty()) flags.emplace_back("above unit price cap");
        rows.push_back({s.school_number, shorten(s.school_name, kNameWidth),
                        std::to_string(s.counts.delivered), std::to_string(s.counts.enrolled),
                        std::to_string(s.counts.on_loan), std::to_string(s.counts.retired),
                        euros(s.spend_cents), percent(s.share_used_bp),
                        fmt::format("{}", fmt::join(flags, ", "))});
    }
    std::array<std::size_t, 9> widths{};
    for (const auto& row : rows) {
        for (std::size_t i = 0; i < row.size(); ++i) {
            widths[i] = std::max(widths[i], display_width(row[i]));
        }
    }
    out << '\n';
    for (const auto& row : rows) {
        std::string line = " ";
        for (std::size_t i = 0; i < row.size(); ++i) {
            const bool number = i >= 2 && i <= 7;
            line += ' ';
            line += i + 1 == row.size() ? row[i] : pad(row[i], widths[i], number) + ' ';
        }
        while (!line.empty() && line.back() == ' ') line.pop_back();
        out << line << '\n';
    }
}

// The grant named by `text`: an id, else a reference.
std::optional<std::int64_t> resolve_grant(server::sql::Db db, const std::string& text) {
    std::int64_t id = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (!text.empty() && ec == std::errc() && ptr == text.data() + text.size() &&
        server::find_grant(db, id)) {
        return id;
    }
    return server::find_grant_by_reference(db, text);
}

}  // namespace

int report_funding(const server::ServerConfig& config, const FundingReportOptions& options,
                   std::ostream& out) {
    const auto opened = open_read_only(config, "report funding");
    const server::sql::Db db = *opened;
    const auto grant_id = resolve_grant(db, options.grant);
    if (!grant_id) {
        throw CommandFailed(fmt::format(
            "report funding: --grant {}: no grant has this id or reference (GET /api/v1/grants "
            "lists them)",
            options.grant));
    }
    server::ReportFilter filter;  // an operator sees every school
    filter.grant_id = *grant_id;
    const server::FundingInputs inputs = server::read_funding_inputs(db, filter);
    if (inputs.grants.empty()) {
        const auto grant = server::find_grant(db, *grant_id);
        throw CommandFailed(fmt::format(
            "report funding: --grant {}: grant {} is of programme {}, which funds no devices; "
            "the funding report covers device grants only",
            options.grant, *grant_id, grant ? grant->programme_code : std::string("?")));
    }
    const std::string now = now_rfc3339();
    const server::FundingReport report =
        server::build_funding_report(inputs.grants, inputs.tranches, now.substr(0, 10));
    switch (options.format) {
        case ReportFormat::csv:
            out << server::funding_report_csv(report, options.excel_de
                                                          ? server::CsvDialect::excel_de
                                                          : server::CsvDialect::standard);
            break;
        case ReportFormat::json:
            out << server::funding_report_json(report, true, now).dump(2) << '\n';
            break;
        case ReportFormat::text:
            for (const auto& g : report.grants) print_text(g, report.as_of, out);
            break;
    }
    return 0;
}

}  // namespace pakt::ctl
