// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// FakeVendorServer: the Apple School Manager API, the Jamf School API and the Relution API as the
// connectors' wire contract (issue 12) describes them, in one HTTPS server on 127.0.0.1, a free
// port, with a throwaway self-signed certificate. For integration tests of paktd's connectors and,
// through the pakt_fake_vendors executable, the browser tests.
//
// Each API lives under its own path prefix (/asm, /jamf/api, /relution). Credentials are random
// per instance; the devices each API lists are set by the test. Faults (error statuses with
// Retry-After, truncated bodies, expired tokens) can be injected per path prefix, and every
// request is recorded.
//
// Thread-safety: every member function may be called from any thread while the server runs; the
// server answers on a background thread of its own, one connection at a time interleaved with
// the others (a client that keeps a connection open does not block other clients).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pakt::test {

/// A device in Apple School Manager (GET /asm/v1/orgDevices, type "orgDevices").
struct FakeAsmDevice {
    std::string serial;
    std::string order_number;
    std::string part_number = "MPQ03FD/A";
    std::string device_model = "iPad (10th generation)";
    std::string status = "ASSIGNED";  ///< "ASSIGNED" or "UNASSIGNED"
    std::string order_date_time = "2026-07-15T00:00:00.000Z";
    std::string added_to_org = "2026-08-01T10:00:00.000Z";
    std::string released_from_org;  ///< RFC 3339; empty: not released (JSON null)
};

/// A device in Jamf School (GET /jamf/api/devices).
struct FakeJamfDevice {
    std::string udid;
    std::string serial;
    int location_id = 1;
    bool managed = true;
    std::string os_version = "17.5.1";
    double battery = 0.87;  ///< 0..1
    std::string asset_tag;
    std::string last_checkin = "2026-11-30 08:15:00";  ///< "YYYY-MM-DD HH:MM:SS"
};

/// A device in Relution (GET /relution/api/v2/devices).
struct FakeRelutionDevice {
    std::string uuid;
    std::string serial;
    std::string status = "COMPLIANT";     ///< COMPLIANT, NONCOMPLIANT, INACTIVE, NEW, ...
    std::int64_t last_connection_ms = 0;  ///< epoch milliseconds
    std::string os_version = "17.5.1";
    std::string organization_uuid;
};

/// One request the fake answered, as it was answered.
struct FakeCall {
    std::string method;         ///< "GET", "POST", ...
    std::string target;         ///< path and query, e.g. "/asm/v1/orgDevices?limit=100"
    int status = 0;             ///< the status sent (also for injected faults)
    std::string authorization;  ///< the Authorization header, "" if absent
};

class FakeVendorServer {
  public:
    /// Generates the certificate, the ASM key pair and the other credentials in a TempDir of its
    /// own and starts listening. Throws std::runtime_error (or std::system_error) if any of it
    /// fails.
    FakeVendorServer();
    /// Stops the server, also while clients still hold keep-alive connections (they are closed),
    /// and removes its files.
    ~FakeVendorServer();
    FakeVendorServer(const FakeVendorServer&) = delete;
    FakeVendorServer& operator=(const FakeVendorServer&) = delete;

    // --- Where it is -----------------------------------------------------------------------
    std::uint16_t port() const;
    std::string base_url() const;  ///< "https://127.0.0.1:PORT"
    /// The server certificate (PEM): what a client trusts (tls::ClientTrust{ca_file()}).
    const std::filesystem::path& ca_file() const;
    std::string asm_token_url() const;  ///< base_url() + "/asm/auth/oauth2/token"
    std::string asm_api_url() const;    ///< base_url() + "/asm"
    std::string jamf_url() const;       ///< base_url() + "/jamf/api"
    std::string relution_url() const;   ///< base_url() + "/relution"

    // --- Credentials (random per instance; files mode 0600) ----------------------------------
    /// The ASM client's EC P-256 private key, PKCS#8 PEM, as Apple hands it out.
    const std::filesystem::path& asm_private_key_file() const;
    const std::string& asm_client_id() const;                ///< "SCHOOLAPI.<uuid>"
    const std::string& asm_key_id() const;                   ///< a uuid
    const std::string& jamf_network_id() const;              ///< 8 digits
    const std::string& jamf_api_key() const;                 ///< 32 characters
    const std::filesystem::path& jamf_api_key_file() const;  ///< the key and a newline
    const std::string& relution_token() const;
    const std::filesystem::path& relution_token_file() const;  ///< the token and a newline

    // --- Data ----------------------------------------------------------------------------
    /// Replaces ASM's devices (served sorted by serial).
    void asm_set_devices(std::vector<FakeAsmDevice> devices);
    /// Marks the device released from the organisation at `rfc3339_time` (status UNASSIGNED).
    /// Does nothing if there is no device with that serial.
    void asm_release(const std::string& serial, const std::string& rfc3339_time);
    /// Lifetime of tokens issued from now on (default 3600 s); also the token's expires_in. A
    /// token is valid while less than its lifetime has passed (steady clock), so 0 s gives
    /// tokens that are expired at once.
    void asm_set_token_lifetime(std::chrono::seconds lifetime);
    /// Every token issued so far becomes unknown (401 on the next use).
    void asm_expire_tokens();
    /// How many tokens the token endpoint has issued.
    std::size_t asm_tokens_issued() const;
    /// Every client assertion (JWT) sent to the token endpoint, valid or not.
    std::vector<std::string> asm_assertions() const;

    /// Replaces Jamf School's devices (served in this order).
    void jamf_set_devices(std::vector<FakeJamfDevice> devices);
    /// Replaces Jamf School's locations: (id, name).
    void jamf_set_locations(std::vector<std::pair<int, std::string>> locations);

    /// Replaces Relution's devices (served in this order).
    void relution_set_devices(std::vector<FakeRelutionDevice> devices);

    // --- Faults --------------------------------------------------------------------------
    /// The next `count` requests whose target starts with `path_prefix` are answered with
    /// `status` and a small JSON body, with a Retry-After header if `retry_after` is not empty,
    /// without doing their work (no token issued, nothing read). Faults queue up: a request takes
    /// the oldest matching one that has requests left.
    void fail_next(const std::string& path_prefix, int count, int status,
                   const std::string& retry_after = "");
    /// The next `count` responses to requests whose target starts with `path_prefix` have their
    /// body cut to its first half (Content-Length says the cut length; the status stays).
    void truncate_next(const std::string& path_prefix, int count = 1);

    // --- Observation ---------------------------------------------------------------------
    /// Every request answered so far, oldest first.
    std::vector<FakeCall> calls() const;
    void clear_calls();

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// Writes `contents` to `path` with mode 0600 (regardless of the umask), through a temporary
/// file in the same directory and a rename, so a reader never sees half a file. Throws
/// std::runtime_error naming the file on failure.
void write_owner_only_file(const std::filesystem::path& path, std::string_view contents);

}  // namespace pakt::test
