// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// Reports: funding (proof of use), inventory (one row per device) and rollout (the funnel per
// tranche), as JSON for programs and CSV for people, in the caller's scope. The inventory is
// streamed from one statement in chunks of about 64 KiB whatever its size; funding and rollout
// are small (one row per grant, school or tranche) and are built in memory, through the same
// CSV writer.

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <memory>
#include <utility>

#include "common/csv.hpp"
#include "common/time.hpp"
#include "server/domain/funding_report.hpp"
#include "server/domain/funding_report_output.hpp"
#include "server/domain/report_csv.hpp"
#include "server/http/handlers.hpp"
#include "server/http/json_input.hpp"

namespace pakt::server::http {
namespace {

constexpr std::size_t kChunkBytes = 64 * 1024;
constexpr std::string_view kBom = kCsvBom;

// ---------------------------------------------------------------------------------------------
// Content negotiation

enum class Format { json, csv };

// The dialects and the cell writer are shared with paktctl (server/domain/report_csv.hpp).
using Dialect = CsvDialect;

struct Output {
    Format format = Format::json;
    Dialect dialect = Dialect::standard;
};

std::string lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string_view trim_view(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// How well an Accept header admits `type`/`subtype`: (q in thousandths, specificity 0..2) of
// the most specific media range that matches, or q 0 if none does (RFC 9110, 12.5.1).
std::pair<int, int> acceptance(std::string_view accept, std::string_view type, std::string_view subtype) {
    int best_specificity = -1;
    int best_q = 0;
    while (!accept.empty()) {
        const auto comma = accept.find(',');
        std::string_view item = accept.substr(0, comma);
        accept = comma == std::string_view::npos ? std::string_view{} : accept.substr(comma + 1);
        const auto semicolon = item.find(';');
        const std::string range = lower(trim_view(item.substr(0, semicolon)));
        int q = 1000;
        if (semicolon != std::string_view::npos) {
            std::string_view params = item.substr(semicolon + 1);
            while (!params.empty()) {
                const auto next = params.find(';');
                const std::string_view param = trim_view(params.substr(0, next));
                params = next == std::string_view::npos ? std::string_view{} : params.substr(next + 1);
                if (param.size() >= 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=') {
                    // q = 0 | 0.ddd | 1 | 1.000
                    std::string_view v = param.substr(2);
                    int value = 0;
                    if (!v.empty() && (v[0] == '0' || v[0] == '1')) {
                        value = (v[0] - '0') * 1000;
                        int scale = 100;
                        for (std::size_t i = 2; i < v.size() && i < 5 && v[1] == '.'; ++i, scale /= 10) {
                            if (v[i] >= '0' && v[i] <= '9') value += (v[i] - '0') * scale;
                        }
                    }
                    q = std::min(value, 1000);
                }
            }
        }
        const auto slash = range.find('/');
        if (slash == std::string::npos) continue;
        const std::string_view t = std::string_view(range).substr(0, slash);
        const std::string_view s = std::string_view(range).substr(slash + 1);
        int specificity = -1;
        if (t == "*" && s == "*") specificity = 0;
        else if (t == type && s == "*") specificity = 1;
        else if (t == type && s == subtype) specificity = 2;
        if (specificity > best_specificity) {
            best_specificity = specificity;
            best_q = q;
        }
    }
    return {best_q, std::max(best_specificity, 0)};
}

Output negotiate(const RequestContext& ctx) {
    Output out;
    std::optional<Format> format;
    if (auto f = ctx.query_param("format")) {
        if (*f == "json") format = Format::json;
        else if (*f == "csv") format = Format::csv;
        else throw ApiError::unprocessable("unknown format", {{"format", "must be json or csv", std::nullopt}});
    }
    const auto dialect = ctx.query_param("dialect");
    if (dialect) {
        if (*dialect == "standard") out.dialect = Dialect::standard;
        else if (*dialect == "excel-de") out.dialect = Dialect::excel_de;
        else throw ApiError::unprocessable("unknown CSV dialect", {{"dialect", "must be standard or excel-de", std::nullopt}});
        if (format == Format::json) {
            throw ApiError::unprocessable("a CSV dialect was asked for with format=json",
                                          {{"dialect", "applies to CSV only", std::nullopt}});
        }
        format = Format::csv;  // a dialect alone asks for CSV
    }
    if (!format) {
        format = Format::json;
        const auto accept = ctx.request.header("Accept");
        if (accept && !trim_view(*accept).empty()) {
            const auto json_fit = acceptance(*accept, "application", "json");
            const auto csv_fit = acceptance(*accept, "text", "csv");
            if (json_fit.first == 0 && csv_fit.first == 0) {
                throw ApiError(406, "not-acceptable", "Not acceptable",
                               "reports are available as application/json and text/csv");
            }
            if (csv_fit > json_fit) format = Format::csv;
        }
    }
    out.format = *format;
    return out;
}

std::string today() { return now_rfc3339().substr(0, 10); }

Response csv_response(std::string body, std::string_view report) {
    Response r;
    r.status = 200;
    r.set_header("Content-Type", "text/csv; charset=utf-8");
    r.set_header("Content-Disposition", "attachment; filename=\"pakt-" + std::string(report) + "-" + today() + ".csv\"");
    r.set_header("Vary", "Accept");
    r.body = std::move(body);
    return r;
}

Response report_json(const nlohmann::json& body) {
    Response r = json_response(200, dump(body));
    r.set_header("Vary", "Accept");
    return r;
}

// ---------------------------------------------------------------------------------------------
// Scope and filters

ReportFilter scope_of(const RequestContext& ctx) {
    ReportFilter f;
    if (!ctx.user().is_city_admin()) f.schools = ctx.user().schools;
    return f;
}

std::optional<std::int64_t> grant_id_param(const RequestContext& ctx) {
    auto text = ctx.query_param("grant_id");
    if (!text) return std::nullopt;
    std::int64_t id = 0;
    auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), id);
    if (text->empty() || ec != std::errc() || ptr != text->data() + text->size()) {
        throw ApiError::bad_request("grant_id must be an integer", {{"grant_id", "must be an integer", std::nullopt}});
    }
    return id;
}

// The school_number filter: 404 for a school the caller cannot see or that does not exist.
void apply_school_param(const RequestContext& ctx, Repositories& db, ReportFilter& f) {
    auto school = ctx.query_param("school_number");
    if (!school) return;
    if (!can_see(ctx.user(), *school) || !db.school_exists(*school)) throw ApiError::not_found("no such school");
    f.school_number = *school;
}

// ---------------------------------------------------------------------------------------------
// Funding (the figures and their JSON and CSV shapes: server/domain/funding_report*.hpp)

Response funding(HandlerDeps& deps, RequestContext& ctx) {
    const Output output = negotiate(ctx);
    ReportFilter filter = scope_of(ctx);
    filter.grant_id = grant_id_param(ctx);
    FundingInputs inputs;
    {
        auto lease = deps.store.read();
        inputs = lease->read_funding_inputs(filter);
    }
    if (filter.grant_id && inputs.grants.empty()) throw ApiError::not_found("no such grant");
    const FundingReport report = build_funding_report(inputs.grants, inputs.tranches, today());
    if (output.format == Format::csv) return csv_response(funding_report_csv(report, output.dialect), "funding");
    nlohmann::json body = funding_report_json(report, !filter.schools, now_rfc3339());
    // Whose proof of use it is: the print view heads the page with it.
    body["organisation"] = deps.config.organisation_name.empty()
                               ? nlohmann::json(nullptr)
                               : nlohmann::json(deps.config.organisation_name);
    return report_json(std::move(body));
}

// ---------------------------------------------------------------------------------------------
// Rollout

// The rollout report's `top`: only the N tranches with the most devices still to enroll (the
// overview's "where is the rollout behind"), totals still over every tranche. 1..500.
std::optional<std::int64_t> top_param(const RequestContext& ctx) {
    auto text = ctx.query_param("top");
    if (!text) return std::nullopt;
    std::int64_t n = 0;
    auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), n);
    if (text->empty() || ec != std::errc() || ptr != text->data() + text->size()) {
        throw ApiError::bad_request("top must be an integer",
                                    {{"top", "must be an integer", std::nullopt}});
    }
    if (n < 1 || n > 500)
        throw ApiError::unprocessable("top is out of range",
                                      {{"top", "must be between 1 and 500", std::nullopt}});
    return n;
}

// Keeps the `n` rows with the most devices still to enroll (expected - enrolled), then the most
// missing, then the oldest tranche; in that order.
void keep_most_open(std::vector<RolloutRow>& rows, std::size_t n) {
    const auto open = [](const RolloutRow& r) {
        return std::max<std::int64_t>(0, r.expected - r.enrolled);
    };
    const auto before = [&](const RolloutRow& a, const RolloutRow& b) {
        if (open(a) != open(b)) return open(a) > open(b);
        if (a.missing != b.missing) return a.missing > b.missing;
        return a.tranche_id < b.tranche_id;
    };
    const std::size_t keep = std::min(n, rows.size());
    std::partial_sort(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(keep), rows.end(),
                      before);
    rows.resize(keep);
}

Response rollout(HandlerDeps& deps, RequestContext& ctx) {
    const Output output = negotiate(ctx);
    ReportFilter filter = scope_of(ctx);
    filter.grant_id = grant_id_param(ctx);
    const std::optional<std::int64_t> top = top_param(ctx);
    const std::string since = days_ago(7);
    std::vector<RolloutRow> rows;
    {
        auto lease = deps.store.read();
        apply_school_param(ctx, *lease, filter);
        rows = lease->rollout_rows(filter, since);
    }
    RolloutRow totals;
    for (const RolloutRow& r : rows) {
        totals.expected += r.expected;
        totals.in_manifest += r.in_manifest;
        totals.enrolled += r.enrolled;
        totals.seen += r.seen;
        totals.seen_last_7_days += r.seen_last_7_days;
        totals.managed += r.managed;
        totals.in_use += r.in_use;
        totals.loaned += r.loaned;
        totals.missing += r.missing;
    }
    const std::size_t tranche_count = rows.size();
    if (top) keep_most_open(rows, static_cast<std::size_t>(*top));
    if (output.format == Format::csv) {
        CsvWriter w(output.dialect);
        std::string out(kBom);
        w.header(out, {"tranche_id", "school_number", "school_name", "grant_id", "grant_reference", "programme",
                       "model", "delivered_on", "unit_price_eur", "expected", "in_manifest", "enrolled", "seen",
                       "seen_last_7_days", "managed", "in_use", "loaned", "missing"});
        for (const RolloutRow& r : rows) {
            w.integer(out, r.tranche_id);
            w.code(out, r.school_number);
            w.text(out, r.school_name);
            w.integer(out, r.grant_id);
            w.text(out, r.grant_reference);
            w.code(out, r.programme_code);
            w.text(out, r.model);
            w.date(out, r.delivered_on);
            w.euros(out, r.unit_price_cents);
            for (auto v : {r.expected, r.in_manifest, r.enrolled, r.seen, r.seen_last_7_days, r.managed, r.in_use,
                           r.loaned, r.missing}) {
                w.integer(out, v);
            }
            w.end(out);
        }
        return csv_response(std::move(out), "rollout");
    }
    nlohmann::json items = nlohmann::json::array();
    for (const RolloutRow& r : rows) {
        items.push_back({{"tranche_id", r.tranche_id},
                         {"school_number", r.school_number},
                         {"school_name", r.school_name},
                         {"grant_id", r.grant_id},
                         {"grant_reference", r.grant_reference},
                         {"programme", r.programme_code},
                         {"model", r.model},
                         {"delivered_on", r.delivered_on},
                         {"unit_price_cents", r.unit_price_cents},
                         {"expected", r.expected},
                         {"in_manifest", r.in_manifest},
                         {"enrolled", r.enrolled},
                         {"seen", r.seen},
                         {"seen_last_7_days", r.seen_last_7_days},
                         {"managed", r.managed},
                         {"in_use", r.in_use},
                         {"loaned", r.loaned},
                         {"missing", r.missing}});
    }
    nlohmann::json sums = {{"tranches", tranche_count},
                           {"expected", totals.expected},
                           {"in_manifest", totals.in_manifest},
                           {"enrolled", totals.enrolled},
                           {"seen", totals.seen},
                           {"seen_last_7_days", totals.seen_last_7_days},
                           {"managed", totals.managed},
                           {"in_use", totals.in_use},
                           {"loaned", totals.loaned},
                           {"missing", totals.missing}};
    return report_json({{"generated_at", now_rfc3339()},
                        {"seen_since", since},
                        {"scope", filter.schools ? "own_schools" : "all"},
                        {"items", std::move(items)},
                        {"totals", std::move(sums)}});
}

// ---------------------------------------------------------------------------------------------
// Earmark: what grants within their earmarking period must account for

Response earmark(HandlerDeps& deps, RequestContext& ctx) {
    const ReportFilter filter = scope_of(ctx);
    // The earmark runs by the German calendar day, as the grant's dates are meant.
    const std::string as_of = german_date(Clock::now());
    const std::string unseen_since = days_ago(30);
    std::vector<EarmarkRow> rows;
    {
        auto lease = deps.store.read();
        rows = lease->earmark_rows(filter, as_of, unseen_since);
    }
    nlohmann::json items = nlohmann::json::array();
    for (const EarmarkRow& r : rows) {
        items.push_back({{"grant_id", r.grant_id},
                         {"reference", r.reference},
                         {"title", r.title},
                         {"spend_by", r.spend_by},
                         {"earmark_end", r.earmark_end},
                         {"enrolled", r.enrolled},
                         {"lost", r.lost},
                         {"stolen", r.stolen},
                         {"unseen_30_days", r.unseen}});
    }
    return json_response(200, dump({{"generated_at", now_rfc3339()},
                                    {"as_of", as_of},
                                    {"unseen_since", unseen_since},
                                    {"scope", filter.schools ? "own_schools" : "all"},
                                    {"items", std::move(items)}}));
}

// ---------------------------------------------------------------------------------------------
// Inventory (streamed)

// Limits how many exports hold a read connection at once, so check-ins and the UI (which borrow
// from the same pool) always find one free.
class ExportSlots {
public:
    explicit ExportSlots(unsigned read_connections) : limit_(std::max(1u, read_connections / 2)) {}

    class Slot {
    public:
        explicit Slot(ExportSlots& owner) : owner_(&owner) {}
        Slot(Slot&& other) noexcept : owner_(std::exchange(other.owner_, nullptr)) {}
        Slot& operator=(Slot&&) = delete;
        ~Slot() {
            if (owner_) owner_->active_.fetch_sub(1);
        }

    private:
        ExportSlots* owner_;
    };

    /// A slot, or 503 with Retry-After when `limit` exports are running.
    Slot acquire() {
        unsigned current = active_.load();
        do {
            if (current >= limit_) {
                throw ApiError(503, "unavailable", "Service unavailable",
                               "too many exports are running; retry shortly")
                    .with_retry_after(5);
            }
        } while (!active_.compare_exchange_weak(current, current + 1));
        return Slot(*this);
    }

private:
    const unsigned limit_;
    std::atomic<unsigned> active_{0};
};

// JSON string literal of `text`, appended. Stored text is valid UTF-8 (checked on input); should
// it not be, nlohmann replaces the invalid bytes as every other answer does.
void append_json_string(std::string& out, std::string_view text) {
    if (!csv::is_valid_utf8(text)) {
        out += dump(nlohmann::json(std::string(text)));
        return;
    }
    static constexpr char kHex[] = "0123456789abcdef";
    out += '"';
    // Runs of characters that need no escape (nearly all of them) are appended at once.
    std::size_t run = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        const auto u = static_cast<unsigned char>(c);
        if (c != '"' && c != '\\' && u >= 0x20) continue;
        out.append(text.substr(run, i - run));
        run = i + 1;
        if (c == '"') out += "\\\"";
        else if (c == '\\') out += "\\\\";
        else if (c == '\n') out += "\\n";
        else if (c == '\r') out += "\\r";
        else if (c == '\t') out += "\\t";
        else {
            out += "\\u00";
            out += kHex[u >> 4];
            out += kHex[u & 15];
        }
    }
    out.append(text.substr(run));
    out += '"';
}

void append_json_field(std::string& out, std::string_view name, std::string_view text, bool null_if_empty) {
    out += '"';
    out += name;
    out += "\":";
    if (null_if_empty && text.empty()) out += "null";
    else append_json_string(out, text);
}

void inventory_json_row(std::string& out, const InventoryRow& r, bool first) {
    out += first ? "\n{" : ",\n{";
    append_json_field(out, "serial_number", r.serial_number, false);
    out += ',';
    append_json_field(out, "asset_tag", r.asset_tag, false);
    out += ',';
    append_json_field(out, "model", r.model, false);
    out += ',';
    append_json_field(out, "school_number", r.school_number, false);
    out += ',';
    append_json_field(out, "school_name", r.school_name, false);
    out += ",\"tranche_id\":";
    out += std::to_string(r.tranche_id);
    out += ",\"grant_id\":";
    out += std::to_string(r.grant_id);
    out += ',';
    append_json_field(out, "grant_reference", r.grant_reference, false);
    out += ',';
    append_json_field(out, "programme", r.programme_code, false);
    out += ',';
    append_json_field(out, "status", r.status, false);
    out += ',';
    append_json_field(out, "retired_reason", r.retired_reason, true);
    out += r.on_loan ? ",\"on_loan\":true," : ",\"on_loan\":false,";
    append_json_field(out, "loan_due_on", r.loan_due_on, true);
    out += ',';
    append_json_field(out, "last_seen_at", r.last_seen_at, true);
    out += ',';
    append_json_field(out, "os_version", r.os_version, true);
    out += ",\"managed\":";
    out += !r.managed ? "null" : *r.managed ? "true" : "false";
    out += '}';
}

void inventory_csv_header(CsvWriter& w, std::string& out) {
    out += kBom;
    w.header(out, {"serial_number", "asset_tag", "model", "school_number", "school_name", "tranche_id", "grant_id",
                   "grant_reference", "programme", "status", "retired_reason", "on_loan", "loan_due_on",
                   "last_seen_at", "os_version", "managed"});
}

void inventory_csv_row(CsvWriter& w, std::string& out, const InventoryRow& r) {
    w.code(out, r.serial_number);
    w.text(out, r.asset_tag);
    w.text(out, r.model);
    w.code(out, r.school_number);
    w.text(out, r.school_name);
    w.integer(out, r.tranche_id);
    w.integer(out, r.grant_id);
    w.text(out, r.grant_reference);
    w.code(out, r.programme_code);
    w.code(out, r.status);
    w.code(out, r.retired_reason);
    w.yes_no(out, r.on_loan);
    w.date(out, r.loan_due_on);
    w.timestamp(out, r.last_seen_at);
    w.text(out, r.os_version);
    if (r.managed) w.yes_no(out, *r.managed);
    else w.empty(out);
    w.end(out);
}

// What a streamed inventory owns while the client reads it. Members are destroyed in reverse
// order: the statement before the connection it runs on, the connection before the slot.
struct InventoryExport {
    InventoryExport(ExportSlots::Slot s, ReadLease l, const ReportFilter& filter, Output o)
        : slot(std::move(s)), lease(std::move(l)), reader(lease.view().inventory(filter)), output(o), csv_writer(o.dialect) {}

    ExportSlots::Slot slot;
    ReadLease lease;
    std::unique_ptr<InventoryCursor> reader;
    Output output;
    CsvWriter csv_writer;
    InventoryRow row;
    bool started = false;
    bool any_row = false;

    // Appends rows to `chunk` until it holds about kChunkBytes; false once the last is out.
    bool fill(std::string& chunk) {
        chunk.reserve(kChunkBytes + 4096);
        if (!started) {
            started = true;
            if (output.format == Format::csv) {
                inventory_csv_header(csv_writer, chunk);
            } else {
                chunk += "{\"generated_at\":\"" + now_rfc3339() + "\",\"items\":[";
            }
        }
        while (chunk.size() < kChunkBytes) {
            if (!reader->next(row)) {
                if (output.format == Format::json) chunk += any_row ? "\n]}\n" : "]}\n";
                return false;
            }
            if (output.format == Format::csv) inventory_csv_row(csv_writer, chunk, row);
            else inventory_json_row(chunk, row, !any_row);
            any_row = true;
        }
        return true;
    }
};

Response inventory(HandlerDeps& deps, ExportSlots& exports, RequestContext& ctx) {
    const Output output = negotiate(ctx);
    ReportFilter filter = scope_of(ctx);
    ExportSlots::Slot slot = exports.acquire();
    ReadLease lease = deps.store.read();
    apply_school_param(ctx, *lease, filter);
    auto state = std::make_shared<InventoryExport>(std::move(slot), std::move(lease), filter, output);
    Response r;
    r.status = 200;
    if (output.format == Format::csv) {
        r.set_header("Content-Type", "text/csv; charset=utf-8");
        r.set_header("Content-Disposition", "attachment; filename=\"pakt-inventory-" + today() + ".csv\"");
    } else {
        r.set_header("Content-Type", "application/json; charset=utf-8");
    }
    r.set_header("Vary", "Accept");
    r.stream = [state](std::string& chunk) { return state->fill(chunk); };
    return r;
}

}  // namespace

void register_report_routes(Router& router, HandlerDeps& deps) {
    auto exports = std::make_shared<ExportSlots>(deps.config.read_connections);
    router.add("GET", "/api/v1/reports/funding", Auth::user, [&deps](RequestContext& ctx) { return funding(deps, ctx); });
    router.add("GET", "/api/v1/reports/inventory", Auth::user,
               [&deps, exports](RequestContext& ctx) { return inventory(deps, *exports, ctx); });
    router.add("GET", "/api/v1/reports/rollout", Auth::user, [&deps](RequestContext& ctx) { return rollout(deps, ctx); });
    router.add("GET", "/api/v1/reports/earmark", Auth::user,
               [&deps](RequestContext& ctx) { return earmark(deps, ctx); });
}

}  // namespace pakt::server::http
