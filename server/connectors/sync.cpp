// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "server/connectors/sync.hpp"

#include <SQLiteCpp/Database.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <unordered_map>

#include "server/domain/manifest.hpp"
#include "server/storage/audit_repository.hpp"
#include "server/storage/connector_repository.hpp"
#include "server/storage/device_repository.hpp"
#include "server/storage/school_repository.hpp"
#include "server/storage/tranche_repository.hpp"

namespace pakt::server::connectors {
namespace {

AuditEntry connector_audit(const std::string& connector, std::string action,
                           std::string object_type, std::string object_id,
                           std::optional<std::string> school) {
    AuditEntry entry;
    entry.actor = "connector:" + connector;
    entry.action = std::move(action);
    entry.object_type = std::move(object_type);
    entry.object_id = std::move(object_id);
    entry.school_number = std::move(school);
    return entry;
}

// A school number found in a location's name ("165200 Gesamtschule Nord", "GS Nord (165200)"):
// the first run of digits that is a known school's number.
std::optional<std::string> school_in_name(sql::Db db, const std::string& name) {
    for (std::size_t i = 0; i < name.size();) {
        if (!std::isdigit(static_cast<unsigned char>(name[i]))) {
            ++i;
            continue;
        }
        std::size_t end = i;
        while (end < name.size() && std::isdigit(static_cast<unsigned char>(name[end]))) ++end;
        const std::string digits = name.substr(i, end - i);
        if (digits.size() >= 4 && school_exists(db, digits)) return digits;
        i = end;
    }
    return std::nullopt;
}

}  // namespace

std::string normalize_order_number(const std::string& order) {
    std::string out;
    for (const char c : order) {
        if (c == ' ' || c == '-' || c == '\t') continue;
        out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    const auto first = out.find_first_not_of('0');
    return first == std::string::npos ? std::string{} : out.substr(first);
}

std::vector<std::string> split_order_numbers(const std::string& field) {
    std::vector<std::string> out;
    std::string current;
    const auto flush = [&] {
        std::string normal = normalize_order_number(current);
        if (!normal.empty() && std::find(out.begin(), out.end(), normal) == out.end()) {
            out.push_back(std::move(normal));
        }
        current.clear();
    };
    for (const char c : field) {
        if (c == ',' || c == ';' || c == '\n')
            flush();
        else
            current += c;
    }
    flush();
    return out;
}

SyncOutcome apply_asm_sync(sql::Db db, const std::vector<AsmDevice>& listed,
                           const std::string& now) {
    SyncOutcome outcome;
    const auto conflict = [&](SyncConflict c) { outcome.conflicts.push_back(std::move(c)); };

    // A serial listed twice (the list changed while it was paged through) counts once, as first
    // listed; two different orders for it are worth a look.
    std::vector<AsmDevice> devices;
    devices.reserve(listed.size());
    {
        std::unordered_map<std::string, std::size_t> seen;
        for (const AsmDevice& d : listed) {
            const auto [it, fresh] = seen.emplace(d.serial_number, devices.size());
            if (fresh) {
                devices.push_back(d);
            } else if (normalize_order_number(devices[it->second].order_number) !=
                       normalize_order_number(d.order_number)) {
                conflict({d.serial_number, d.order_number, 0,
                          "Apple lists '" + d.serial_number + "' under two orders, " +
                              devices[it->second].order_number + " and " + d.order_number +
                              "; the first is used"});
            }
        }
    }

    // Order number -> the tranches naming it.
    std::unordered_map<std::string, std::vector<TrancheOrder>> tranches_by_order;
    for (const TrancheOrder& t : tranches_with_order_numbers(db)) {
        for (const std::string& order : split_order_numbers(t.order_number)) {
            tranches_by_order[order].push_back(t);
        }
    }

    // Each device's tranche by its order; orders naming no tranche or several stay unassigned.
    std::map<std::int64_t, std::vector<const AsmDevice*>> by_tranche;
    std::unordered_map<std::string, std::int64_t> order_tranche;  // serial -> its order's tranche
    std::set<std::string> orders, matched_orders, ambiguous_orders;
    std::int64_t unmatched = 0;
    for (const AsmDevice& d : devices) {
        const std::string order = normalize_order_number(d.order_number);
        if (!order.empty()) orders.insert(order);
        const auto it = tranches_by_order.find(order);
        if (order.empty() || it == tranches_by_order.end()) {
            ++unmatched;
            continue;
        }
        if (it->second.size() > 1) {
            if (ambiguous_orders.insert(order).second) {
                std::string ids;
                for (const auto& t : it->second)
                    ids += (ids.empty() ? "" : ", ") + std::to_string(t.tranche_id);
                conflict({"", d.order_number, 0,
                          "order " + d.order_number + " is the order number of tranches " + ids +
                              ": Apple does not say which device went to which school; give each "
                              "tranche only its own order numbers or upload its delivery list"});
            }
            ++unmatched;
            continue;
        }
        matched_orders.insert(order);
        by_tranche[it->second.front().tranche_id].push_back(&d);
        order_tranche[d.serial_number] = it->second.front().tranche_id;
    }

    // The rules of a CSV upload, per tranche.
    std::int64_t added = 0, already_present = 0, tranches_filled = 0;
    for (const auto& [tranche_id, list] : by_tranche) {
        const auto tranche = find_tranche(db, tranche_id);
        std::vector<ManifestRow> fresh;
        std::int64_t present = 0;
        for (const AsmDevice* d : list) {
            const std::string& serial = d->serial_number;
            if (const auto owner = manifest_tranche_of(db, serial)) {
                if (*owner == tranche_id) {
                    ++present;
                } else {
                    conflict({serial, d->order_number, tranche_id,
                              "'" + serial + "' is in the manifest of tranche " +
                                  std::to_string(*owner) + "; Apple lists it under order " +
                                  d->order_number + " of tranche " + std::to_string(tranche_id)});
                }
                continue;
            }
            if (const auto device = find_device(db, serial);
                device && device->tranche_id != tranche_id) {
                conflict({serial, d->order_number, tranche_id,
                          "'" + serial + "' is enrolled in tranche " +
                              std::to_string(device->tranche_id) + "; Apple lists it under order " +
                              d->order_number + " of tranche " + std::to_string(tranche_id)});
                continue;
            }
            ManifestRow row;
            row.serial_number = serial;
            row.model = d->device_model;
            fresh.push_back(std::move(row));
        }
        already_present += present;
        if (fresh.empty()) continue;
        const std::int64_t size = manifest_size(db, tranche_id);
        if (size + static_cast<std::int64_t>(fresh.size()) > tranche->expected_count) {
            conflict({"", "", tranche_id,
                      "Apple lists " +
                          std::to_string(size + static_cast<std::int64_t>(fresh.size())) +
                          " devices for tranche " + std::to_string(tranche_id) +
                          ", which expects " + std::to_string(tranche->expected_count) +
                          "; none of the " + std::to_string(fresh.size()) +
                          " new ones was added: correct the expected count or the order number"});
            continue;
        }
        insert_manifest_entries(db, tranche_id, fresh);
        added += static_cast<std::int64_t>(fresh.size());
        ++tranches_filled;
        AuditEntry entry = connector_audit("asm", "tranche.manifest", "tranche",
                                           std::to_string(tranche_id), tranche->school_number);
        entry.detail = {{"source", "asm"}, {"added", fresh.size()}, {"already_present", present}};
        append_audit(db, entry);
    }

    // Every device as Apple lists it. A release from the organisation is an event in the
    // device's history, once, also for a device enrolled after Apple released it.
    std::int64_t released_now = 0, released_total = 0;
    for (const AsmDevice& d : devices) {
        const auto previous = find_asm_device(db, d.serial_number);
        if (d.released_from_org_at) {
            ++released_total;
            if (!previous || !previous->device.released_from_org_at) ++released_now;
            if (!has_device_event(db, d.serial_number, "released_from_org")) {
                if (const auto device = find_device(db, d.serial_number)) {
                    append_device_event(db, d.serial_number, "released_from_org", "connector:asm",
                                        {{"released_at", *d.released_from_org_at},
                                         {"order_number", d.order_number}});
                    AuditEntry entry = connector_audit("asm", "device.released_from_org", "device",
                                                       d.serial_number, device->school_number);
                    entry.detail = {{"released_at", *d.released_from_org_at}};
                    append_audit(db, entry);
                }
            }
        }
        // The tranche its order names now (none: unmatched or ambiguous).
        std::optional<std::int64_t> tranche;
        if (const auto it = order_tranche.find(d.serial_number); it != order_tranche.end()) {
            tranche = it->second;
        }
        upsert_asm_device(db, d, tranche, now);
    }

    outcome.counts = {{"devices", devices.size()},
                      {"orders", orders.size()},
                      {"matched_orders", matched_orders.size()},
                      {"unmatched_devices", unmatched},
                      {"tranches_filled", tranches_filled},
                      {"manifest_added", added},
                      {"already_present", already_present},
                      {"released", released_total},
                      {"newly_released", released_now},
                      {"conflicts", outcome.conflicts.size()}};
    return outcome;
}

SyncOutcome apply_mdm_sync(sql::Db db, const std::string& source, std::vector<MdmDevice> devices,
                           const std::map<std::string, std::string>& explicit_map,
                           const std::map<std::string, std::string>& location_names,
                           const std::string& now) {
    SyncOutcome outcome;
    const std::string actor = "connector:" + source;
    std::map<std::string, std::optional<std::string>> school_of_location;
    const auto school_for = [&](const std::string& location) -> std::optional<std::string> {
        if (const auto it = school_of_location.find(location); it != school_of_location.end()) {
            return it->second;
        }
        std::optional<std::string> school;
        if (const auto it = explicit_map.find(location); it != explicit_map.end()) {
            if (school_exists(db, it->second)) school = it->second;
        } else if (const auto name = location_names.find(location); name != location_names.end()) {
            school = school_in_name(db, name->second);
        }
        school_of_location.emplace(location, school);
        return school;
    };

    // One record per serial: an MDM may keep an old record next to a re-enrolled device's new
    // one. The one with the newest check-in wins.
    {
        std::unordered_map<std::string, std::size_t> index;
        std::vector<MdmDevice> unique;
        unique.reserve(devices.size());
        for (MdmDevice& d : devices) {
            const auto [it, fresh] = index.emplace(d.serial_number, unique.size());
            if (fresh) {
                unique.push_back(std::move(d));
            } else if (d.last_checkin_at.value_or("") >
                       unique[it->second].last_checkin_at.value_or("")) {
                unique[it->second] = std::move(d);
            }
        }
        devices = std::move(unique);
    }

    std::int64_t enrolled = 0, managed = 0, unknown = 0, unmapped = 0, elsewhere = 0, changed = 0;
    std::set<std::string> unmapped_locations;
    for (MdmDevice& d : devices) {
        d.school_number = school_for(d.location);
        const auto device = find_device(db, d.serial_number);
        const auto previous = find_mdm_state(db, d.serial_number, source);
        if (device) {
            ++enrolled;
            if (d.managed) ++managed;
            if (previous) {
                const auto event = [&](const char* kind, nlohmann::json detail) {
                    detail["source"] = source;
                    append_device_event(db, d.serial_number, kind, actor, detail);
                    ++changed;
                };
                if (d.os_version && previous->os_version &&
                    *d.os_version != *previous->os_version) {
                    event("os_version_changed",
                          {{"from", *previous->os_version}, {"to", *d.os_version}});
                }
                if (d.managed != previous->managed) {
                    event("mdm_managed_changed", {{"from", previous->managed}, {"to", d.managed}});
                }
                if (d.school_number != previous->school_number) {
                    event(
                        "mdm_location_changed",
                        {{"from", previous->school_number ? nlohmann::json(*previous->school_number)
                                                          : nlohmann::json()},
                         {"to",
                          d.school_number ? nlohmann::json(*d.school_number) : nlohmann::json()}});
                }
            }
            if (d.school_number && *d.school_number != device->school_number) {
                ++elsewhere;
                outcome.conflicts.push_back(
                    {d.serial_number, "", device->tranche_id,
                     "the MDM files '" + d.serial_number + "' under school " + *d.school_number +
                         "; Pakt has it enrolled at school " + device->school_number});
            }
        } else if (d.school_number) {
            record_mdm_unknown_sighting(db, *d.school_number, d.serial_number,
                                        d.last_checkin_at.value_or(now), d.os_version, source);
            ++unknown;
        } else {
            ++unmapped;
            unmapped_locations.insert(d.location);
        }
        upsert_mdm_state(db, d, source, now);
    }
    // A run sees everything the MDM manages: what it no longer lists is no longer its.
    std::vector<std::string> serials;
    serials.reserve(devices.size());
    for (const MdmDevice& d : devices) serials.push_back(d.serial_number);
    const std::int64_t removed = forget_unlisted_mdm_devices(db, source, serials);
    for (const std::string& location : unmapped_locations) {
        const auto name = location_names.find(location);
        outcome.conflicts.push_back(
            {"", "", 0,
             "MDM location '" + location + "'" +
                 (name != location_names.end() ? " (" + name->second + ")" : std::string()) +
                 " maps to no school: add it to the connector's location table in paktd.toml"});
    }
    outcome.counts = {{"devices", devices.size()},
                      {"enrolled", enrolled},
                      {"managed", managed},
                      {"unknown_sightings", unknown},
                      {"unmapped", unmapped},
                      {"other_school", elsewhere},
                      {"events", changed},
                      {"removed", removed},
                      {"conflicts", outcome.conflicts.size()}};
    return outcome;
}

}  // namespace pakt::server::connectors
