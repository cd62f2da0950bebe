// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "server/domain/devices.hpp"

#include "common/csv.hpp"

namespace pakt::server {

EnrollOutcome enroll_device(Repositories& db, const Tranche& tranche, const std::string& serial,
                            const std::string& asset_tag, bool off_manifest, AuditEntry audit) {
    if (!is_valid_serial(serial)) {
        return {"rejected", "invalid_serial",
                "'" + serial + "' is not a serial number (8 to 14 letters and digits)"};
    }
    if (auto existing = db.find_device(serial)) {
        if (existing->tranche_id == tranche.id)
            return {"already_enrolled", "", "already enrolled in this tranche"};
        return {"rejected", "enrolled_elsewhere",
                "already enrolled in tranche " + std::to_string(existing->tranche_id)};
    }
    const auto entry = db.find_manifest_entry(serial);
    if (entry && entry->tranche_id != tranche.id) {
        return {"rejected", "in_other_manifest",
                "listed in the manifest of tranche " + std::to_string(entry->tranche_id)};
    }
    if (!entry && db.manifest_size(tranche.id) > 0 && !off_manifest) {
        return {"rejected", "not_on_manifest", "not on this tranche's manifest"};
    }
    if (db.count_devices_in_tranche(tranche.id) >= tranche.expected_count) {
        return {
            "rejected", "tranche_full",
            "the tranche already has its " + std::to_string(tranche.expected_count) + " devices"};
    }
    Device d;
    d.serial_number = serial;
    d.tranche_id = tranche.id;
    d.school_number = tranche.school_number;
    // The supplier's list knows the exact model and often the asset tag (Inventarnummer).
    d.model = entry && !entry->row.model.empty() ? entry->row.model : tranche.model;
    d.asset_tag = !asset_tag.empty() ? asset_tag : entry ? entry->row.asset_tag : "";
    d.off_manifest = !entry && off_manifest;
    d.enrolled_by = audit.actor;
    db.insert_device(d);
    db.append_device_event(serial, "enrolled", audit.actor,
                           {{"tranche_id", tranche.id}, {"off_manifest", d.off_manifest}});
    audit.detail = {{"tranche_id", tranche.id}, {"off_manifest", d.off_manifest}};
    db.append_audit(audit);
    return {"enrolled", "", ""};
}

DeviceChangeResult change_device(Repositories& db, Device d, const DeviceChange& change,
                                 const std::string& today, AuditEntry audit) {
    DeviceChangeResult result;
    const DeviceStatus from = *device_status_from_string(d.status);
    nlohmann::json detail = nlohmann::json::object();
    bool earmark_exception = false;
    if (change.status && *change.status != from) {
        const DeviceStatus to = *change.status;
        if (!is_allowed_transition(from, to)) {
            result.refusal = DeviceChangeRefusal::illegal_transition;
            return result;
        }
        // A lent device is in use (or in repair, lost, stolen) until its return is recorded;
        // the return, not a status change, puts it back into storage.
        if ((to == DeviceStatus::retired || to == DeviceStatus::in_storage) &&
            db.find_open_loan(d.serial_number)) {
            result.refusal = DeviceChangeRefusal::on_loan;
            return result;
        }
        if (to == DeviceStatus::retired) {
            const Tranche t = *db.find_tranche(d.tranche_id);
            const Grant g = *db.find_grant(t.grant_id);
            if (within_earmark(g.earmark_end, today)) {
                if (!change.retired_reason || !change.note || csv::trim(*change.note).empty()) {
                    result.refusal = DeviceChangeRefusal::earmark_needs_reason;
                    result.earmark_end = g.earmark_end;
                    return result;
                }
                earmark_exception = true;
            }
            if (change.retired_reason)
                d.retired_reason = std::string(to_string(*change.retired_reason));
        }
        detail["from"] = d.status;
        detail["to"] = std::string(to_string(to));
        d.status = std::string(to_string(to));
    }
    if (change.asset_tag) {
        detail["asset_tag"] = *change.asset_tag;
        d.asset_tag = csv::trim(*change.asset_tag);
    }
    if (change.location) {
        detail["location"] = *change.location;
        d.location = *change.location;
    }
    if (change.note) {
        detail["note"] = *change.note;
        d.note = *change.note;
    }
    if (d.retired_reason) detail["retired_reason"] = *d.retired_reason;
    db.update_device(d);
    const bool status_changed = detail.contains("to");
    db.append_device_event(d.serial_number, status_changed ? "status_changed" : "updated",
                           audit.actor, detail);
    if (earmark_exception) detail["earmark_exception"] = true;
    audit.action = status_changed ? "device.status" : "device.update";
    audit.detail = detail;
    db.append_audit(audit);
    result.device = *db.find_device(d.serial_number);
    return result;
}

}  // namespace pakt::server
