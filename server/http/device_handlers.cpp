// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// Devices: enrollment (single and scanning session), the scoped list, detail, lifecycle changes,
// history, loans and returns.

#include <charconv>
#include <limits>
#include <set>

#include "common/csv.hpp"
#include "common/gzip.hpp"
#include "common/time.hpp"
#include "server/domain/devices.hpp"
#include "server/domain/inventory.hpp"
#include "server/domain/qr_code.hpp"
#include "server/domain/scan_code.hpp"
#include "server/domain/validation.hpp"
#include "server/http/handlers.hpp"
#include "server/http/json_input.hpp"

namespace pakt::server::http {
namespace {

nlohmann::json device_json(const Device& d) {
    return {{"serial_number", d.serial_number},
            {"asset_tag", d.asset_tag},
            {"model", d.model},
            {"school_number", d.school_number},
            {"tranche_id", d.tranche_id},
            {"status", d.status},
            {"location", d.location},
            {"note", d.note},
            {"off_manifest", d.off_manifest},
            {"retired_reason", nullable(d.retired_reason)},
            {"enrolled_at", d.enrolled_at},
            {"enrolled_by", d.enrolled_by},
            {"updated_at", d.updated_at}};
}

nlohmann::json report_json(const std::optional<DeviceReport>& r) {
    if (!r) return nullptr;
    return {{"seen_at", r->seen_at},
            {"os_version", nullable(r->os_version)},
            {"battery_pct", nullable(r->battery_pct)},
            {"storage_free_mb", nullable(r->storage_free_mb)},
            {"managed", r->managed ? nlohmann::json(*r->managed) : nlohmann::json(nullptr)},
            {"agent_id", r->agent_id}};
}

// A device the caller may see, by serial number in a path (normalised); 404 otherwise.
Device visible_device(const RequestContext& ctx, Repositories& db, const std::string& raw_serial) {
    auto d = db.find_device(normalize_serial(raw_serial));
    if (!d || !can_see(ctx.user(), d->school_number)) throw ApiError::not_found("no such device");
    return *d;
}

Tranche visible_tranche_for_devices(const RequestContext& ctx, Repositories& db, std::int64_t id) {
    auto t = db.find_tranche(id);
    if (!t || !can_see(ctx.user(), t->school_number)) throw ApiError::not_found("no such tranche");
    return *t;
}

// Enrolls one serial into `tranche` on the writer, with its event and audit entry.
EnrollOutcome enroll_one(Repositories& db, const RequestContext& ctx, const Tranche& tranche,
                         const std::string& serial, const std::string& asset_tag, bool off_manifest) {
    return enroll_device(db, tranche, serial, asset_tag, off_manifest,
                         audit_entry(ctx, "device.enroll", "device", serial, tranche.school_number));
}

Response enroll(HandlerDeps& deps, RequestContext& ctx) {
    const auto body = parse_json_body(ctx.request);
    ObjectReader in(body, {"serial_number", "tranche_id", "asset_tag", "off_manifest"});
    const std::string serial = normalize_serial(in.required_string("serial_number"));
    const auto tranche_id = in.optional_integer("tranche_id");
    if (!in.has("tranche_id")) in.invalid("tranche_id", "is required");
    const std::string asset_tag = csv::trim(in.optional_string("asset_tag").value_or(""));
    const bool off_manifest = in.optional_bool("off_manifest").value_or(false);
    if (in.has("serial_number") && !is_valid_serial(serial)) in.invalid("serial_number", "must be 8 to 14 letters and digits");
    if (auto e = check_text(asset_tag, 64)) in.invalid("asset_tag", *e);
    in.finish();

    const Device device = deps.store.write([&](Repositories& db) {
        const Tranche t = visible_tranche_for_devices(ctx, db, *tranche_id);
        require(ctx, Action::manage_devices, t.school_number);
        const EnrollOutcome o = enroll_one(db, ctx, t, serial, asset_tag, off_manifest);
        if (o.status == "already_enrolled" || o.reason == "enrolled_elsewhere") {
            throw ApiError::conflict("the device is " + o.message, {{"serial_number", o.message, std::nullopt}});
        }
        if (o.reason == "tranche_full") throw ApiError::conflict(o.message, {{"tranche_id", o.message, std::nullopt}});
        if (o.status == "rejected") {
            throw ApiError::unprocessable("the device cannot be enrolled into this tranche",
                                          {{"serial_number", o.message, std::nullopt}});
        }
        return *db.find_device(serial);
    });
    Response r = json_response(201, dump(device_json(device)));
    r.set_header("Location", "/api/v1/devices/" + device.serial_number);
    return r;
}

Response scan(HandlerDeps& deps, RequestContext& ctx) {
    const auto tranche_id = parse_tranche_id(ctx.param("id"));
    const auto body = parse_json_body(ctx.request);
    ObjectReader in(body, {"serial_numbers"});
    const auto serials = in.optional_string_array("serial_numbers");
    if (!in.has("serial_numbers")) in.invalid("serial_numbers", "is required");
    if (serials && serials->size() > 1000) in.invalid("serial_numbers", "at most 1000 per request");
    in.finish();

    const nlohmann::json results = deps.store.write([&](Repositories& db) {
        const Tranche t = visible_tranche_for_devices(ctx, db, tranche_id);
        require(ctx, Action::manage_devices, t.school_number);
        nlohmann::json out = nlohmann::json::array();
        for (const auto& raw : *serials) {
            const std::string serial = normalize_serial(raw);
            const EnrollOutcome o = enroll_one(db, ctx, t, serial, "", false);
            nlohmann::json item = {{"serial_number", serial}, {"status", o.status}};
            if (o.status == "rejected") {
                item["reason"] = o.reason;
                item["message"] = o.message;
            }
            out.push_back(std::move(item));
        }
        return out;
    });
    return json_response(200, dump({{"results", results}}));
}

// One scan of the enrollment page: a code as the scanner typed it. Its serial is worked out
// against what Pakt knows (a code starting with 'S' may be Apple's box label or a serial that
// starts with S), never guessed when two devices could be meant (then the answer lists both and
// the page lets the person choose, sent back with "exact"), then enrolled like a scanning
// session's serial. The answer carries the tranche's count, so a page that resends a scan after
// a dropped connection shows the true count, never one scan twice.
Response scan_code(HandlerDeps& deps, RequestContext& ctx) {
    const auto tranche_id = parse_tranche_id(ctx.param("id"));
    const auto body = parse_json_body(ctx.request);
    ObjectReader in(body, {"code", "exact"});
    // Not stored, only read: a scanner may send separators (GS1 codes) the text rule refuses.
    const std::string code = in.required_string("code", TextKind::opaque);
    const bool exact = in.optional_bool("exact").value_or(false);
    if (in.has("code") && code.size() > 512) in.invalid("code", "at most 512 characters");
    in.finish();

    const nlohmann::json answer = deps.store.write([&](Repositories& db) {
        const Tranche t = visible_tranche_for_devices(ctx, db, tranche_id);
        require(ctx, Action::manage_devices, t.school_number);
        ScanCandidates candidates;
        if (exact) {
            // The person confirmed the serial as typed: no reading of an 'S' or a URL.
            std::string literal = normalize_serial(code);
            if (is_valid_serial(literal)) candidates.serials.push_back(std::move(literal));
        } else {
            candidates = scan_candidates(code);
        }
        const std::int64_t in_manifest = db.manifest_size(t.id);
        // What Pakt knows of a serial: enrolled somewhere, or on some delivery list. Looked up
        // once per reading and used both to choose the reading and to answer for it.
        struct Known {
            std::optional<Device> device;
            std::optional<ManifestEntry> entry;
            bool any() const { return device || entry; }
            std::int64_t tranche_id() const {
                return device ? device->tranche_id : entry ? entry->tranche_id : 0;
            }
        };
        std::vector<Known> known;
        for (const auto& c : candidates.serials)
            known.push_back({db.find_device(c), db.find_manifest_entry(c)});

        std::string status;
        std::string message;
        std::optional<std::string> serial;
        std::size_t chosen = 0;  // index into candidates and known once `serial` is set
        nlohmann::json choices = nlohmann::json::array();
        auto ambiguous = [&](std::string why) {
            status = "ambiguous";
            message = std::move(why);
            for (const auto& c : candidates.serials) choices.push_back(c);
        };
        if (candidates.serials.empty()) {
            status = "invalid";
            message = "not a serial number, an 'S'-prefixed box label or a Pakt label URL";
        } else if (candidates.serials.size() == 1) {
            serial = candidates.serials.front();
        } else {
            // "S" + X: the serial "SX" itself, or X from Apple's box label (data identifier S).
            const std::string& literal = candidates.serials[0];
            const std::string& stripped = candidates.serials[1];
            if (known[0].any() && known[1].any()) {
                ambiguous("both " + literal + " and " + stripped +
                          " are known; choose the serial number");
            } else if (known[0].any()) {
                chosen = 0;
            } else if (known[1].any()) {
                // Taken as the box label only when it is this delivery's device; a device of
                // another delivery or school might as well be an unknown device "SX".
                if (known[1].tranche_id() == t.id)
                    chosen = 1;
                else
                    ambiguous("'" + code + "' may be the unknown " + literal + " or " + stripped +
                              " of another delivery; choose the serial number");
            } else if (has_apple_serial_length(literal) != has_apple_serial_length(stripped)) {
                // Neither is known: the one of Apple's length (10 or 12 characters) is the serial.
                chosen = has_apple_serial_length(literal) ? 0 : 1;
            } else {
                ambiguous("'" + code + "' may be " + literal + " or " + stripped +
                          "; choose the serial number");
            }
            if (status.empty()) serial = candidates.serials[chosen];
        }

        if (serial) {
            const auto& existing = known[chosen].device;
            const auto& entry = known[chosen].entry;
            if (existing && existing->tranche_id != t.id) {
                status =
                    existing->school_number == t.school_number ? "other_tranche" : "other_school";
                message = status == "other_tranche" ? "enrolled in another delivery of this school"
                                                    : "enrolled at another school";
            } else if (!existing && entry && entry->tranche_id != t.id) {
                const auto other = db.find_tranche(entry->tranche_id);
                status = other && other->school_number == t.school_number ? "other_tranche"
                                                                          : "other_school";
                message = status == "other_tranche"
                              ? "on the delivery list of another delivery of this school"
                              : "on the delivery list of another school's delivery";
            } else {
                const EnrollOutcome o = enroll_one(db, ctx, t, *serial, "", false);
                if (o.status == "enrolled" || o.status == "already_enrolled")
                    status = o.status;
                else if (o.reason == "not_on_manifest")
                    status = "not_on_manifest";
                else if (o.reason == "tranche_full")
                    status = "tranche_full";
                else
                    status = "invalid";
                message = o.message;
            }
        }
        return nlohmann::json{
            {"code", code},
            {"serial_number", serial ? nlohmann::json(*serial) : nlohmann::json(nullptr)},
            {"status", status},
            {"message", message},
            {"candidates", choices},
            {"progress",
             {{"enrolled", db.count_devices_in_tranche(t.id)},
              {"expected", t.expected_count},
              {"in_manifest", in_manifest}}}};
    });
    return json_response(200, dump(answer));
}

// The QR code of a device's label: it holds the short address of the device's page.
Response qr(HandlerDeps& deps, RequestContext& ctx) {
    Device device;
    {
        auto lease = deps.store.read();
        device = visible_device(ctx, *lease, ctx.param("serial"));
    }
    std::string base = deps.config.public_url;
    if (base.empty() && !deps.config.tls_enabled) {
        // Behind a TLS-terminating proxy the Host and scheme paktd sees are the proxy's, and a
        // wrong address printed on a label stays wrong for years.
        throw ApiError::conflict(
            "QR labels need server.public_url when paktd serves plain HTTP behind a proxy; "
            "set it to the address people use, e.g. https://pakt.example.org");
    }
    if (base.empty()) {
        const auto host = ctx.request.header("Host");
        if (!host || host->empty() || host->find_first_of("/\\ \"<>") != std::string::npos) {
            throw ApiError::bad_request(
                "the request has no usable Host header; set server.public_url");
        }
        base = std::string(deps.config.tls_enabled ? "https" : "http") + "://" + *host;
    }
    const std::string url = base + "/d/" + device.serial_number;
    Response r;
    r.set_header("Content-Type", "image/svg+xml");
    r.set_header("Cache-Control", "private, max-age=3600");
    r.set_header("Vary", "Accept-Encoding");
    r.body = qr_svg(url, url);
    // A label sheet loads hundreds of these; compressed, each is about a third.
    if (accepts_gzip(ctx.request)) {
        r.body = gzip_compress(r.body);
        r.set_header("Content-Encoding", "gzip");
    }
    return r;
}

Response list(HandlerDeps& deps, RequestContext& ctx) {
    DeviceFilter f;
    const int limit = page_limit(ctx);
    f.limit = limit + 1;
    f.after = page_after(ctx);
    if (!ctx.user().is_city_admin()) f.schools = ctx.user().schools;
    if (auto school = ctx.query_param("school_number")) {
        if (!can_see(ctx.user(), *school)) throw ApiError::not_found("no such school");
        f.school_number = *school;
    }
    if (auto tranche = ctx.query_param("tranche_id")) {
        std::int64_t id = 0;
        auto [ptr, ec] = std::from_chars(tranche->data(), tranche->data() + tranche->size(), id);
        if (ec != std::errc() || ptr != tranche->data() + tranche->size()) {
            throw ApiError::bad_request("tranche_id must be an integer", {{"tranche_id", "must be an integer", std::nullopt}});
        }
        f.tranche_id = id;
    }
    if (auto grant = ctx.query_param("grant_id")) {
        std::int64_t id = 0;
        auto [ptr, ec] = std::from_chars(grant->data(), grant->data() + grant->size(), id);
        if (grant->empty() || ec != std::errc() || ptr != grant->data() + grant->size()) {
            throw ApiError::bad_request("grant_id must be an integer",
                                        {{"grant_id", "must be an integer", std::nullopt}});
        }
        f.grant_id = id;
    }
    if (auto days = ctx.query_param("unseen_days")) {
        int n = 0;
        auto [ptr, ec] = std::from_chars(days->data(), days->data() + days->size(), n);
        if (days->empty() || ec != std::errc() || ptr != days->data() + days->size()) {
            throw ApiError::bad_request("unseen_days must be an integer",
                                        {{"unseen_days", "must be an integer", std::nullopt}});
        }
        if (n < 1 || n > 3650) {
            throw ApiError::unprocessable(
                "unseen_days is out of range",
                {{"unseen_days", "must be between 1 and 3650", std::nullopt}});
        }
        f.unseen_since = days_ago(n);
    }
    if (auto status = ctx.query_param("status")) {
        if (!device_status_from_string(*status)) {
            throw ApiError::unprocessable("unknown status", {{"status", "must be one of in_storage, in_use, in_repair, lost, stolen, retired", std::nullopt}});
        }
        f.status = *status;
    }
    if (auto q = ctx.query_param("q"); q && !q->empty()) {
        const std::string prefix = csv::trim(*q);
        if (prefix.size() > 64) throw ApiError::unprocessable("q is too long", {{"q", "at most 64 characters", std::nullopt}});
        // Serial numbers are stored upper-case, asset tags as entered.
        f.serial_prefix = normalize_serial(prefix);
        f.asset_tag_prefix = prefix;
    }
    if (auto stale = ctx.query_param("stale")) {
        if (*stale == "true") f.stale_before = days_ago(14);
        else if (*stale != "false") throw ApiError::unprocessable("stale must be true or false", {{"stale", "must be true or false", std::nullopt}});
    }
    if (auto on_loan = ctx.query_param("on_loan")) {
        if (*on_loan == "true")
            f.on_loan = true;
        else if (*on_loan != "false")
            throw ApiError::unprocessable("on_loan must be true or false",
                                          {{"on_loan", "must be true or false", std::nullopt}});
    }
    auto lease = deps.store.read();
    auto devices = lease->list_devices(f);
    nlohmann::json items = nlohmann::json::array();
    nlohmann::json next = nullptr;
    for (std::size_t i = 0; i < devices.size() && static_cast<int>(i) < limit; ++i) items.push_back(device_json(devices[i]));
    if (static_cast<int>(devices.size()) > limit) next = encode_cursor(devices[static_cast<std::size_t>(limit) - 1].serial_number);
    return json_response(200, dump({{"items", items}, {"next_cursor", next}}));
}

Response get(HandlerDeps& deps, RequestContext& ctx) {
    Device device;
    std::optional<DeviceReport> report;
    std::optional<Loan> loan;
    nlohmann::json mdm = nlohmann::json::array();
    nlohmann::json apple = nullptr;
    {
        auto lease = deps.store.read();
        device = visible_device(ctx, *lease, ctx.param("serial"));
        report = lease->find_device_report(device.serial_number);
        loan = lease->find_open_loan(device.serial_number);
        // What the MDM connectors last reported, per MDM.
        for (const char* source : {"jamf_school", "relution"}) {
            if (const auto m = lease->find_mdm_state(device.serial_number, source)) {
                mdm.push_back({{"source", source},
                               {"managed", m->managed},
                               {"os_version", nullable(m->os_version)},
                               {"battery_pct", nullable(m->battery_pct)},
                               {"asset_tag", nullable(m->asset_tag)},
                               {"last_checkin_at", nullable(m->last_checkin_at)},
                               {"school_number", nullable(m->school_number)}});
            }
        }
        if (const auto a = lease->find_asm_device(device.serial_number)) {
            apple = {{"order_number", a->device.order_number},
                     {"status", a->device.status},
                     {"added_to_org_at", nullable(a->device.added_to_org_at)},
                     {"released_from_org_at", nullable(a->device.released_from_org_at)}};
        }
    }
    if (loan) {
        // Reads of loan data are audited like writes (DOMAIN.md, data protection); the answer
        // is sent only once that record is committed.
        deps.store.write([&](Repositories& db) {
            AuditEntry entry = audit_entry(ctx, "loan.read", "loan", std::to_string(loan->id), device.school_number);
            entry.detail = {{"serial_number", device.serial_number}};
            db.append_audit(entry);
        });
    }
    nlohmann::json body = device_json(device);
    body["last_report"] = report_json(report);
    body["mdm"] = std::move(mdm);
    body["apple_school_manager"] = std::move(apple);
    body["current_loan"] = loan ? loan_json(*loan) : nlohmann::json(nullptr);
    // The lifecycle's legal next statuses, so a UI offers only those (the PATCH still decides).
    nlohmann::json allowed = nlohmann::json::array();
    if (const auto from = device_status_from_string(device.status)) {
        for (auto to : {DeviceStatus::in_storage, DeviceStatus::in_use, DeviceStatus::in_repair,
                        DeviceStatus::lost, DeviceStatus::stolen, DeviceStatus::retired}) {
            if (to != *from && is_allowed_transition(*from, to))
                allowed.push_back(std::string(to_string(to)));
        }
    }
    body["allowed_status_changes"] = std::move(allowed);
    return json_response(200, dump(body));
}

Response patch(HandlerDeps& deps, RequestContext& ctx) {
    const auto body = parse_json_body(ctx.request);
    ObjectReader in(body, {"status", "asset_tag", "location", "note", "retired_reason"});
    const auto status_text = in.optional_string("status");
    const auto asset_tag = in.optional_string("asset_tag");
    const auto location = in.optional_string("location");
    const auto note = in.optional_string("note", TextKind::multi_line);
    const auto reason_text = in.optional_string("retired_reason");
    std::optional<DeviceStatus> status;
    if (status_text) {
        status = device_status_from_string(*status_text);
        if (!status) in.invalid("status", "must be one of in_storage, in_use, in_repair, lost, stolen, retired");
    }
    std::optional<RetireReason> reason;
    if (reason_text) {
        reason = retire_reason_from_string(*reason_text);
        if (!reason) in.invalid("retired_reason", "must be one of lost, stolen, damaged_beyond_repair");
        else if (status != DeviceStatus::retired) in.invalid("retired_reason", "is only accepted with status 'retired'");
    }
    if (asset_tag) {
        if (auto e = check_text(*asset_tag, 64)) in.invalid("asset_tag", *e);
    }
    if (location) {
        if (auto e = check_text(*location, 200)) in.invalid("location", *e);
    }
    if (note) {
        if (auto e = check_text(*note, 2000, TextKind::multi_line)) in.invalid("note", *e);
    }
    in.finish();

    const Device updated = deps.store.write([&](Repositories& db) {
        Device d = visible_device(ctx, db, ctx.param("serial"));
        require(ctx, Action::manage_devices, d.school_number);
        DeviceChange change{status, reason, asset_tag, location, note};
        DeviceChangeResult result =
            change_device(db, d, change, now_rfc3339().substr(0, 10),
                          audit_entry(ctx, "device.update", "device", d.serial_number, d.school_number));
        switch (result.refusal) {
        case DeviceChangeRefusal::none:
            break;
        case DeviceChangeRefusal::illegal_transition:
            throw ApiError::conflict("a device cannot go from " + d.status + " to " + std::string(to_string(*status)),
                                     {{"status", "illegal transition from " + d.status, std::nullopt}});
        case DeviceChangeRefusal::on_loan:
            throw ApiError::conflict("the device is on loan; record its return first", {{"status", "device is on loan", std::nullopt}});
        case DeviceChangeRefusal::earmark_needs_reason:
            throw ApiError::conflict(
                "the device's grant is within its earmarking period until " + result.earmark_end +
                    ": retiring it requires retired_reason (lost, stolen, damaged_beyond_repair) and a note",
                {{"retired_reason", "required within the earmarking period", std::nullopt}});
        }
        return result.device;
    });
    return json_response(200, dump(device_json(updated)));
}

Response events(HandlerDeps& deps, RequestContext& ctx) {
    const int limit = page_limit(ctx);
    const std::int64_t before_id = page_after_id(ctx);
    Device device;
    std::vector<DeviceEvent> list;
    {
        auto lease = deps.store.read();
        device = visible_device(ctx, *lease, ctx.param("serial"));
        list = lease->list_device_events(device.serial_number, before_id, limit + 1);
    }
    nlohmann::json items = nlohmann::json::array();
    nlohmann::json next = nullptr;
    bool loan_data = false;
    for (std::size_t i = 0; i < list.size() && static_cast<int>(i) < limit; ++i) {
        const auto& e = list[i];
        loan_data = loan_data || e.kind == "loaned" || e.kind == "returned";
        items.push_back({{"id", e.id}, {"at", e.at}, {"kind", e.kind}, {"actor", e.actor}, {"detail", e.detail}});
    }
    if (static_cast<int>(list.size()) > limit) next = encode_cursor(std::to_string(list[static_cast<std::size_t>(limit) - 1].id));
    if (loan_data) {
        deps.store.write([&](Repositories& db) {
            AuditEntry entry = audit_entry(ctx, "loan.read", "device", device.serial_number, device.school_number);
            entry.detail = {{"via", "events"}};
            db.append_audit(entry);
        });
    }
    return json_response(200, dump({{"items", items}, {"next_cursor", next}}));
}

Response lend(HandlerDeps& deps, RequestContext& ctx) {
    const auto body = parse_json_body(ctx.request);
    ObjectReader in(body, {"borrower_ref", "borrower_kind", "agreement_ref", "due_on",
                           "accessories", "pre_existing_damage"});
    Loan loan;
    loan.borrower_ref = in.required_string("borrower_ref");
    loan.borrower_kind = in.required_string("borrower_kind");
    loan.agreement_ref = in.required_string("agreement_ref");
    loan.due_on = in.optional_string("due_on");
    loan.accessories = csv::trim(in.optional_string("accessories").value_or(""));
    loan.pre_existing_damage =
        csv::trim(in.optional_string("pre_existing_damage", TextKind::multi_line).value_or(""));
    if (auto e = check_text(loan.accessories, 500)) in.invalid("accessories", *e);
    if (auto e = check_text(loan.pre_existing_damage, 500, TextKind::multi_line)) {
        in.invalid("pre_existing_damage", *e);
    }
    if (in.has("borrower_ref")) {
        if (auto e = check_borrower_ref(loan.borrower_ref)) in.invalid("borrower_ref", *e);
    }
    if (in.has("borrower_kind") && loan.borrower_kind != "student" && loan.borrower_kind != "teacher") {
        in.invalid("borrower_kind", "must be student or teacher");
    }
    if (in.has("agreement_ref")) {
        if (auto e = check_document_ref(loan.agreement_ref)) in.invalid("agreement_ref", *e);
    }
    if (loan.due_on) {
        if (auto e = check_date(*loan.due_on)) in.invalid("due_on", *e);
    }
    in.finish();

    const Loan created = deps.store.write([&](Repositories& db) {
        Device d = visible_device(ctx, db, ctx.param("serial"));
        require(ctx, Action::manage_devices, d.school_number);
        if (db.find_open_loan(d.serial_number)) throw ApiError::conflict("the device is already on loan");
        if (d.status != "in_storage" && d.status != "in_use") {
            throw ApiError::conflict("a device that is " + d.status + " cannot be lent", {{"status", d.status, std::nullopt}});
        }
        loan.serial_number = d.serial_number;
        loan.school_number = d.school_number;
        loan.started_by = ctx.user().username;
        const auto id = db.insert_loan(loan);
        if (d.status != "in_use") {
            d.status = "in_use";
            db.update_device(d);
        }
        db.append_device_event(d.serial_number, "loaned", ctx.user().username,
                            {{"loan_id", id},
                             {"borrower_ref", loan.borrower_ref},
                             {"borrower_kind", loan.borrower_kind},
                             {"agreement_ref", loan.agreement_ref},
                             {"due_on", nullable(loan.due_on)},
                             {"accessories", loan.accessories},
                             {"pre_existing_damage", loan.pre_existing_damage}});
        AuditEntry entry = audit_entry(ctx, "loan.create", "loan", std::to_string(id), d.school_number);
        entry.detail = {{"serial_number", d.serial_number}, {"borrower_kind", loan.borrower_kind}, {"agreement_ref", loan.agreement_ref}};
        db.append_audit(entry);
        return *db.find_open_loan(d.serial_number);
    });
    Response r = json_response(201, dump(loan_json(created)));
    return r;
}

Response return_loan(HandlerDeps& deps, RequestContext& ctx) {
    nlohmann::json body = nlohmann::json::object();
    if (!ctx.request.body.empty()) body = parse_json_body(ctx.request);
    ObjectReader in(body, {"condition", "note"});
    const std::string condition = in.optional_string("condition").value_or("ok");
    const std::string note = in.optional_string("note", TextKind::multi_line).value_or("");
    if (condition != "ok" && condition != "damaged") in.invalid("condition", "must be ok or damaged");
    if (auto e = check_text(note, 2000, TextKind::multi_line)) in.invalid("note", *e);
    in.finish();

    const Loan closed = deps.store.write([&](Repositories& db) {
        Device d = visible_device(ctx, db, ctx.param("serial"));
        require(ctx, Action::manage_devices, d.school_number);
        auto loan = db.find_open_loan(d.serial_number);
        if (!loan) throw ApiError::conflict("the device is not on loan");
        db.close_loan(loan->id, condition, note, ctx.user().username);
        if (d.status == "in_use") {
            d.status = "in_storage";
            db.update_device(d);
        }
        db.append_device_event(d.serial_number, "returned", ctx.user().username,
                            {{"loan_id", loan->id}, {"condition", condition}, {"note", note}});
        AuditEntry entry = audit_entry(ctx, "loan.return", "loan", std::to_string(loan->id), d.school_number);
        entry.detail = {{"serial_number", d.serial_number}, {"condition", condition}};
        db.append_audit(entry);
        loan->returned_at = now_rfc3339();
        loan->return_condition = condition;
        loan->return_note = note;
        return *loan;
    });
    return json_response(200, dump(loan_json(closed)));
}

// Undoes a mistaken enrollment (a device scanned into the wrong delivery or school) so the
// serial can be enrolled again where it belongs. Refused where it would change the proof of use
// or erase history that matters: only a device still in storage that was never lent, and only
// while its grant's implementation period runs (until `spend_by`, German calendar day). Until then
// the enrolled count and the spend are working figures, not yet reported. The device row, its
// events and its last agent report go; the audit entry keeps all of them and the reason.
Response unenroll(HandlerDeps& deps, RequestContext& ctx) {
    const auto body = parse_json_body(ctx.request);
    ObjectReader in(body, {"reason"});
    const std::string reason = csv::trim(in.required_string("reason", TextKind::multi_line));
    if (in.has("reason")) {
        if (reason.empty()) {
            in.invalid("reason", "must not be empty");
        } else if (auto e = check_text(reason, 500, TextKind::multi_line)) {
            in.invalid("reason", *e);
        }
    }
    in.finish();

    const nlohmann::json answer = deps.store.write([&](Repositories& db) {
        const Device d = visible_device(ctx, db, ctx.param("serial"));
        require(ctx, Action::manage_devices, d.school_number);
        const Tranche t = *db.find_tranche(d.tranche_id);
        const Grant g = *db.find_grant(t.grant_id);
        std::vector<FieldError> refusals;
        if (d.status != "in_storage") {
            refusals.push_back(
                {"status",
                 "the device is " + d.status + "; only a device in storage can be unenrolled",
                 std::nullopt});
        }
        if (db.has_ever_been_lent(d.serial_number)) {
            refusals.push_back(
                {"loans", "the device has been lent; its loans stay on record", std::nullopt});
        }
        if (g.spend_by < german_date(Clock::now())) {
            refusals.push_back({"spend_by",
                                "grant " + g.reference + " ended its implementation period on " +
                                    g.spend_by + "; the device is part of its proof of use",
                                std::nullopt});
        }
        if (!refusals.empty()) {
            throw ApiError::conflict("the enrollment of " + d.serial_number + " cannot be undone",
                                     refusals);
        }
        nlohmann::json events = nlohmann::json::array();
        auto history = db.list_device_events(d.serial_number, 0, std::numeric_limits<int>::max());
        for (auto e = history.rbegin(); e != history.rend(); ++e) {
            events.push_back({{"id", e->id},
                              {"at", e->at},
                              {"kind", e->kind},
                              {"actor", e->actor},
                              {"detail", e->detail}});
        }
        AuditEntry entry =
            audit_entry(ctx, "device.unenroll", "device", d.serial_number, d.school_number);
        entry.detail = device_json(d);
        entry.detail["reason"] = reason;
        entry.detail["grant_id"] = t.grant_id;
        entry.detail["last_report"] = report_json(db.find_device_report(d.serial_number));
        entry.detail["events"] = std::move(events);
        db.delete_device(d.serial_number);
        db.append_audit(entry);
        return nlohmann::json{{"serial_number", d.serial_number},
                              {"tranche_id", d.tranche_id},
                              {"school_number", d.school_number}};
    });
    return json_response(200, dump(answer));
}

}  // namespace

void register_device_routes(Router& router, HandlerDeps& deps) {
    router.add("POST", "/api/v1/devices", Auth::user, [&deps](RequestContext& ctx) { return enroll(deps, ctx); });
    router.add("GET", "/api/v1/devices", Auth::user, [&deps](RequestContext& ctx) { return list(deps, ctx); });
    router.add("POST", "/api/v1/tranches/{id}/enrollments", Auth::user, [&deps](RequestContext& ctx) { return scan(deps, ctx); });
    router.add("POST", "/api/v1/tranches/{id}/scans", Auth::user,
               [&deps](RequestContext& ctx) { return scan_code(deps, ctx); });
    router.add("GET", "/api/v1/devices/{serial}", Auth::user, [&deps](RequestContext& ctx) { return get(deps, ctx); });
    router.add("GET", "/api/v1/devices/{serial}/qr.svg", Auth::user,
               [&deps](RequestContext& ctx) { return qr(deps, ctx); });
    router.add("PATCH", "/api/v1/devices/{serial}", Auth::user, [&deps](RequestContext& ctx) { return patch(deps, ctx); });
    router.add("GET", "/api/v1/devices/{serial}/events", Auth::user, [&deps](RequestContext& ctx) { return events(deps, ctx); });
    router.add("POST", "/api/v1/devices/{serial}/unenroll", Auth::user,
               [&deps](RequestContext& ctx) { return unenroll(deps, ctx); });
    router.add("POST", "/api/v1/devices/{serial}/loans", Auth::user, [&deps](RequestContext& ctx) { return lend(deps, ctx); });
    router.add("POST", "/api/v1/devices/{serial}/loans/current/return", Auth::user,
               [&deps](RequestContext& ctx) { return return_loan(deps, ctx); });
}

}  // namespace pakt::server::http
