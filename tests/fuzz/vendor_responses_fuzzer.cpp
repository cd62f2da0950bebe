// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// The answers of vendor APIs (server/connectors/sources): Apple School Manager's device pages,
// Jamf School's devices and locations, Relution's device pages. Bytes from outside: a vendor, or
// whatever answers in its place. The first byte chooses the parser (0: ASM, 1: Jamf School with
// the rest as the devices body and an empty location list, 2: Jamf School with the rest split at
// the first NUL into devices and locations, 3: Relution). Properties: only SyncFailed is thrown;
// every device has a serial number Pakt accepts; battery percentages are 0 to 100; a managed
// Relution device has a last connection.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/time.hpp"
#include "server/connectors/sources.hpp"
#include "server/domain/inventory.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using pakt::fuzz::require;
namespace connectors = pakt::server::connectors;

namespace {

void check(const pakt::server::MdmDevice& d) {
    require(pakt::server::is_valid_serial(d.serial_number),
            "an MDM device has a valid serial number");
    require(!d.battery_pct || (*d.battery_pct >= 0 && *d.battery_pct <= 100),
            "battery is 0 to 100 %");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::uint8_t selector = data[0] % 4;
    const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
    try {
        if (selector == 0) {
            const auto page = connectors::parse_asm_page(text);
            for (const auto& d : page.devices) {
                require(pakt::server::is_valid_serial(d.serial_number),
                        "an ASM device has a valid serial number");
                require(!d.released_from_org_at ||
                            pakt::parse_rfc3339(*d.released_from_org_at).has_value(),
                        "a release time is RFC 3339");
            }
        } else if (selector == 1 || selector == 2) {
            std::string_view devices = text;
            std::string_view locations = R"({"locations":[]})";
            if (selector == 2) {
                const auto split = text.find('\0');
                if (split == std::string_view::npos) return 0;
                devices = text.substr(0, split);
                locations = text.substr(split + 1);
            }
            for (const auto& d : connectors::parse_jamf_school(devices, locations).devices)
                check(d);
        } else {
            const auto page = connectors::parse_relution_page(text, pakt::Clock::now());
            require(page.devices.size() + page.invalid.size() <= page.results,
                    "no more devices than results");
            for (const auto& d : page.devices) {
                check(d);
                require(!d.managed || d.last_checkin_at.has_value(),
                        "a managed Relution device has connected");
            }
        }
    } catch (const connectors::SyncFailed&) {
        // The documented reaction to a malformed answer: the run fails and changes nothing.
    }
    return 0;
}
