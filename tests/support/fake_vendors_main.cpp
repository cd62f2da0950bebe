// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// pakt_fake_vendors: the fake ASM, Jamf School and Relution APIs (FakeVendorServer) as a process
// of its own, for the browser tests, which start it next to paktd.
//
//   pakt_fake_vendors --dir DIR --fixture FILE.json
//
// FILE.json: {"asm": [...], "jamf": [...], "jamf_locations": [[1, "name"], ...],
// "relution": [...]}, each device an object with the field names of FakeAsmDevice,
// FakeJamfDevice and FakeRelutionDevice (absent fields keep the structs' defaults).
// Writes DIR/ca.pem, DIR/asm-key.pem, DIR/jamf.key and DIR/relution.token (mode 0600), then
// DIR/ready.json (atomically, last) with the port, the URLs and the non-secret identifiers. Runs
// until SIGTERM or SIGINT and exits 0. Never prints a secret.
#include <pthread.h>

#include <csignal>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/fake_vendors.hpp"

namespace {

using nlohmann::json;
using pakt::test::FakeAsmDevice;
using pakt::test::FakeJamfDevice;
using pakt::test::FakeRelutionDevice;

// Sets `field` from `object[name]` if present; a value of the wrong type throws json's
// type_error, naming the expected type.
template <class T>
void read_field(const json& object, const char* name, T& field) {
    if (const auto it = object.find(name); it != object.end()) field = it->get<T>();
}

FakeAsmDevice asm_device(const json& j) {
    FakeAsmDevice d;
    read_field(j, "serial", d.serial);
    read_field(j, "order_number", d.order_number);
    read_field(j, "part_number", d.part_number);
    read_field(j, "device_model", d.device_model);
    read_field(j, "status", d.status);
    read_field(j, "order_date_time", d.order_date_time);
    read_field(j, "added_to_org", d.added_to_org);
    read_field(j, "released_from_org", d.released_from_org);
    return d;
}

FakeJamfDevice jamf_device(const json& j) {
    FakeJamfDevice d;
    read_field(j, "udid", d.udid);
    read_field(j, "serial", d.serial);
    read_field(j, "location_id", d.location_id);
    read_field(j, "managed", d.managed);
    read_field(j, "os_version", d.os_version);
    read_field(j, "battery", d.battery);
    read_field(j, "asset_tag", d.asset_tag);
    read_field(j, "last_checkin", d.last_checkin);
    return d;
}

FakeRelutionDevice relution_device(const json& j) {
    FakeRelutionDevice d;
    read_field(j, "uuid", d.uuid);
    read_field(j, "serial", d.serial);
    read_field(j, "status", d.status);
    read_field(j, "last_connection_ms", d.last_connection_ms);
    read_field(j, "os_version", d.os_version);
    read_field(j, "organization_uuid", d.organization_uuid);
    return d;
}

template <class Device, class Convert>
std::vector<Device> devices(const json& fixture, const char* name, Convert convert) {
    std::vector<Device> out;
    if (const auto it = fixture.find(name); it != fixture.end()) {
        for (const auto& entry : it->get_ref<const json::array_t&>()) out.push_back(convert(entry));
    }
    return out;
}

std::string read_text(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read '" + file.string() + "'");
    return std::string(std::istreambuf_iterator<char>(in), {});
}

int usage() {
    std::cerr << "usage: pakt_fake_vendors --dir DIR --fixture FILE.json\n";
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    std::filesystem::path dir;
    std::filesystem::path fixture_file;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        if (flag == "--dir") {
            dir = argv[i + 1];
        } else if (flag == "--fixture") {
            fixture_file = argv[i + 1];
        } else {
            return usage();
        }
    }
    if (argc != 5 || dir.empty() || fixture_file.empty()) return usage();

    // Blocked before the server thread starts, which inherits the mask: the signals then reach
    // sigwait below and nowhere else.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    try {
        const json fixture = json::parse(read_text(fixture_file));
        pakt::test::FakeVendorServer server;
        server.asm_set_devices(devices<FakeAsmDevice>(fixture, "asm", asm_device));
        server.jamf_set_devices(devices<FakeJamfDevice>(fixture, "jamf", jamf_device));
        server.relution_set_devices(
            devices<FakeRelutionDevice>(fixture, "relution", relution_device));
        if (const auto it = fixture.find("jamf_locations"); it != fixture.end()) {
            server.jamf_set_locations(it->get<std::vector<std::pair<int, std::string>>>());
        }

        std::filesystem::create_directories(dir);
        using pakt::test::write_owner_only_file;
        write_owner_only_file(dir / "ca.pem", read_text(server.ca_file()));
        write_owner_only_file(dir / "asm-key.pem", read_text(server.asm_private_key_file()));
        write_owner_only_file(dir / "jamf.key", read_text(server.jamf_api_key_file()));
        write_owner_only_file(dir / "relution.token", read_text(server.relution_token_file()));
        // Last, so that whoever waits for it finds everything else in place.
        const json ready = {{"port", server.port()},
                            {"asm_client_id", server.asm_client_id()},
                            {"asm_key_id", server.asm_key_id()},
                            {"jamf_network_id", server.jamf_network_id()},
                            {"asm_token_url", server.asm_token_url()},
                            {"asm_api_url", server.asm_api_url()},
                            {"jamf_url", server.jamf_url()},
                            {"relution_url", server.relution_url()}};
        write_owner_only_file(dir / "ready.json", ready.dump(2) + "\n");
        std::cout << "pakt_fake_vendors listening on " << server.base_url() << std::endl;

        int received = 0;
        sigwait(&signals, &received);
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "pakt_fake_vendors: " << e.what() << "\n";
        return 1;
    }
}
