// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "server/connectors/sources.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include "common/crypto.hpp"
#include "common/jwt.hpp"
#include "common/time.hpp"
#include "server/domain/inventory.hpp"

namespace pakt::server::connectors {
namespace {

using nlohmann::json;

constexpr const char* kAsm = "Apple School Manager";
constexpr const char* kJamf = "Jamf School";
constexpr const char* kRelution = "Relution";
// The audience Apple's token endpoint expects in client assertions, whatever URL is configured
// for the endpoint itself (a test's fake checks the same value).
constexpr const char* kAsmAudience = "https://account.apple.com/auth/oauth2/v2/token";
// Pages of one run at most: a cursor that never ends is an API fault, not a big organisation.
constexpr int kMaxPages = 100'000;

// A string member, or nullopt when absent, null, empty or not a string.
std::optional<std::string> text_of(const json& object, const char* key) {
    const auto it = object.find(key);
    if (it == object.end() || !it->is_string()) return std::nullopt;
    std::string value = it->get<std::string>();
    if (value.empty()) return std::nullopt;
    return value;
}

// A time as canonical RFC 3339 UTC, or nullopt if unreadable.
std::optional<std::string> canonical_time(const std::optional<std::string>& value) {
    if (!value) return std::nullopt;
    const auto t = parse_rfc3339(*value);
    if (!t) return std::nullopt;
    return format_rfc3339(*t);
}

// Jamf School's "2026-11-30 08:15:00" (the instance's time; Pakt reads it as UTC).
std::optional<std::string> jamf_time(const std::optional<std::string>& value) {
    if (!value || value->size() != 19 || (*value)[10] != ' ') return canonical_time(value);
    std::string iso = *value;
    iso[10] = 'T';
    return canonical_time(iso + "Z");
}

std::string id_text(const json& value) {
    if (value.is_string()) return value.get<std::string>();
    if (value.is_number_integer()) return std::to_string(value.get<std::int64_t>());
    return "";
}

std::string uuid4() {
    std::string hex = random_hex(16);
    hex[12] = '4';
    hex[16] = "89ab"[std::stoi(hex.substr(16, 1), nullptr, 16) & 3];
    return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
           hex.substr(16, 4) + "-" + hex.substr(20);
}

// Only a short OAuth error code from a vendor's answer goes into a message (never free text,
// which could echo what was sent).
std::string oauth_error(const HttpResponse& response) {
    const auto body = json::parse(response.body, nullptr, false);
    if (!body.is_object()) return "";
    const auto code = text_of(body, "error");
    if (!code || code->size() > 40 || !std::all_of(code->begin(), code->end(), [](char c) {
            return std::islower(static_cast<unsigned char>(c)) || c == '_';
        })) {
        return "";
    }
    return ", " + *code;
}

// Runs `body`, turning a JSON value of an unexpected type into SyncFailed.
template <class Fn>
auto guarded(const char* api, Fn&& body) {
    try {
        return body();
    } catch (const json::exception& e) {
        throw SyncFailed(std::string(api) + ": an answer did not have the documented shape (" +
                         e.what() + ")");
    }
}

json parse_body(const char* api, std::string_view what, std::string_view body) {
    auto parsed = json::parse(body, nullptr, false);
    if (parsed.is_discarded()) {
        throw SyncFailed(std::string(api) + ": " + std::string(what) +
                         " answered with invalid or truncated JSON (" +
                         std::to_string(body.size()) + " bytes)");
    }
    return parsed;
}

}  // namespace

AsmPage parse_asm_page(std::string_view text) {
    return guarded(kAsm, [&] {
        const json body = parse_body(kAsm, "GET /v1/orgDevices", text);
        AsmPage page;
        for (const json& item : body.at("data")) {
            const json& a = item.at("attributes");
            const auto serial = text_of(a, "serialNumber");
            if (!serial) continue;
            const std::string normal = normalize_serial(*serial);
            if (!is_valid_serial(normal)) {
                page.invalid.push_back(*serial);
                continue;
            }
            AsmDevice d;
            d.serial_number = normal;
            d.order_number = text_of(a, "orderNumber").value_or("");
            d.order_date_time = canonical_time(text_of(a, "orderDateTime"));
            d.part_number = text_of(a, "partNumber").value_or("");
            d.device_model = text_of(a, "deviceModel").value_or("");
            d.product_family = text_of(a, "productFamily").value_or("");
            d.status = text_of(a, "status").value_or("");
            d.added_to_org_at = canonical_time(text_of(a, "addedToOrgDateTime"));
            d.released_from_org_at = canonical_time(text_of(a, "releasedFromOrgDateTime"));
            page.devices.push_back(std::move(d));
        }
        if (const auto meta = body.find("meta"); meta != body.end() && meta->is_object()) {
            if (const auto paging = meta->find("paging");
                paging != meta->end() && paging->is_object()) {
                page.next_cursor = text_of(*paging, "nextCursor").value_or("");
            }
        }
        return page;
    });
}

MdmSnapshot parse_jamf_school(std::string_view devices_body, std::string_view locations_body) {
    return guarded(kJamf, [&] {
        MdmSnapshot snapshot;
        const json locations = parse_body(kJamf, "GET /locations", locations_body);
        if (const auto list = locations.find("locations");
            list != locations.end() && list->is_array()) {
            for (const json& l : *list) {
                snapshot.location_names[id_text(l.value("id", json()))] =
                    text_of(l, "name").value_or("");
            }
        }
        const json body = parse_body(kJamf, "GET /devices", devices_body);
        for (const json& d : body.at("devices")) {
            const auto serial = text_of(d, "serialNumber");
            if (!serial) continue;
            MdmDevice device;
            device.serial_number = normalize_serial(*serial);
            if (!is_valid_serial(device.serial_number)) {
                snapshot.invalid.push_back(*serial);
                continue;
            }
            device.mdm_id = text_of(d, "UDID").value_or("");
            device.location = id_text(d.value("locationId", json()));
            device.managed = d.value("isManaged", false);
            if (const auto os = d.find("os"); os != d.end() && os->is_object()) {
                device.os_version = text_of(*os, "version");
            }
            if (const auto b = d.find("batteryLevel"); b != d.end() && b->is_number()) {
                const double level = b->get<double>();
                // A fraction in protocol version 3; some instances answer a percentage.
                const double pct = level <= 1.0 ? level * 100.0 : level;
                device.battery_pct = std::isfinite(pct)
                                         ? std::clamp<std::int64_t>(
                                               std::llround(std::clamp(pct, 0.0, 100.0)), 0, 100)
                                         : std::optional<std::int64_t>();
            }
            device.asset_tag = text_of(d, "assetTag");
            device.last_checkin_at = jamf_time(text_of(d, "lastCheckin"));
            snapshot.devices.push_back(std::move(device));
        }
        return snapshot;
    });
}

RelutionPage parse_relution_page(std::string_view text, Clock::time_point now) {
    // Statuses of devices that are not (or no longer) under management.
    static const std::set<std::string> kUnmanaged = {
        "NEW", "INACTIVE", "DELETED", "WIPED", "RETIRED", "UNENROLLED", "DECOMMISSIONED"};
    return guarded(kRelution, [&] {
        const json body = parse_body(kRelution, "GET /api/v2/devices", text);
        RelutionPage page;
        const json& results = body.at("results");
        const json& total = body.at("total");
        // An integer, not a float: converting a float out of range is undefined behaviour.
        if (!total.is_number_integer()) {
            throw SyncFailed(std::string(kRelution) +
                             ": GET /api/v2/devices answered a 'total' that is not a whole number");
        }
        page.total = total.get<std::int64_t>();
        page.results = results.size();
        for (const json& d : results) {
            const auto serial = text_of(d, "serialNumber");
            if (!serial) continue;
            MdmDevice device;
            device.serial_number = normalize_serial(*serial);
            if (!is_valid_serial(device.serial_number)) {
                page.invalid.push_back(*serial);
                continue;
            }
            device.mdm_id = text_of(d, "uuid").value_or("");
            device.location = text_of(d, "organizationUuid").value_or("");
            device.os_version = text_of(d, "osVersion");
            std::optional<Clock::time_point> last;
            if (const auto t = d.find("lastConnectionDate");
                t != d.end() && t->is_number_integer()) {
                const auto ms = t->get<std::int64_t>();
                // Years 2000 to 2100 only: anything else is not a real connection time.
                if (ms >= 946684800000 && ms < 4102444800000) {
                    last = Clock::time_point(std::chrono::milliseconds(ms));
                    device.last_checkin_at = format_rfc3339(*last);
                }
            }
            const std::string status = text_of(d, "status").value_or("");
            device.managed =
                !kUnmanaged.count(status) && last && now - *last <= kManagedCheckinWindow;
            page.devices.push_back(std::move(device));
        }
        return page;
    });
}

namespace {

// Adds a client's calls to a fetch's statistics when the fetch ends, successful or not.
class Counted {
  public:
    Counted(CallStats& stats, const VendorClient& client) : stats_(stats), client_(client) {}
    ~Counted() {
        stats_.calls += client_.calls();
        stats_.retries += client_.retries();
        stats_.waited_ms += client_.waited().count();
    }
    Counted(const Counted&) = delete;
    Counted& operator=(const Counted&) = delete;

  private:
    CallStats& stats_;
    const VendorClient& client_;
};

class AppleSchoolManager final : public AsmSource {
  public:
    AppleSchoolManager(const AsmSettings& settings, const CallPolicy& policy)
        : settings_(settings), policy_(policy) {}

    std::vector<AsmDevice> fetch(std::stop_token stop, CallStats& stats,
                                 std::vector<std::string>& invalid) override {
        return guarded(kAsm, [&] {
            VendorClient token_client(kAsm, vendor_url(settings_.token_url),
                                      vendor_trust(settings_.ca_file), policy_, stop);
            VendorClient api(kAsm, vendor_url(settings_.api_url), vendor_trust(settings_.ca_file),
                             policy_, stop);
            const Counted counted_token(stats, token_client);
            const Counted counted_api(stats, api);
            return fetch_pages(token_client, api, invalid);
        });
    }

  private:
    // A fresh access token for a fresh client assertion, signed with the API account's key.
    void refresh_token(VendorClient& client) {
        const std::string key =
            read_credential_file(settings_.private_key_file, CredentialKind::pem);
        const auto now =
            std::chrono::duration_cast<std::chrono::seconds>(Clock::now().time_since_epoch())
                .count();
        const json header = {{"alg", "ES256"}, {"kid", settings_.key_id}, {"typ", "JWT"}};
        const json claims = {
            {"sub", settings_.client_id}, {"aud", kAsmAudience}, {"iat", now},
            {"exp", now + 600},           {"jti", uuid4()},      {"iss", settings_.client_id}};
        std::string assertion;
        try {
            assertion = es256_jws(header.dump(), claims.dump(), key);
        } catch (const std::runtime_error& e) {
            throw SyncFailed(std::string(kAsm) + ": the private key in " +
                             settings_.private_key_file.string() + " cannot sign: " + e.what());
        }
        const std::string form =
            "grant_type=client_credentials&client_id=" + url_encode(settings_.client_id) +
            "&client_assertion_type=" +
            url_encode("urn:ietf:params:oauth:client-assertion-type:jwt-bearer") +
            "&client_assertion=" + url_encode(assertion) + "&scope=school.api";
        const HttpResponse response =
            client.call("POST", "", form, {{"Content-Type", "application/x-www-form-urlencoded"}});
        if (response.status != 200) {
            throw SyncFailed(std::string(kAsm) +
                             ": the token endpoint refused the client assertion (HTTP " +
                             std::to_string(response.status) + oauth_error(response) +
                             "): check connectors.asm.client_id, key_id and the private key file");
        }
        const json body = parse_json_body(client, "POST token", response);
        const auto access = text_of(body, "access_token");
        if (!access)
            throw SyncFailed(std::string(kAsm) +
                             ": the token endpoint answered without an access_token");
        std::int64_t lifetime = 3600;
        if (const auto it = body.find("expires_in"); it != body.end() && it->is_number_integer()) {
            lifetime = std::clamp<std::int64_t>(it->get<std::int64_t>(), 0, 86400);
        }
        token_ = *access;
        // A minute's margin, so a token does not expire between check and use.
        token_expires_ =
            Clock::now() + std::chrono::seconds(std::max<std::int64_t>(0, lifetime - 60));
    }

    std::vector<AsmDevice> fetch_pages(VendorClient& token_client, VendorClient& api,
                                       std::vector<std::string>& invalid) {
        std::vector<AsmDevice> devices;
        std::set<std::string> seen_cursors;
        std::string cursor;
        for (int page = 0;; ++page) {
            if (page >= kMaxPages)
                throw SyncFailed(std::string(kAsm) +
                                 ": more than 100000 pages; the cursor does not end");
            std::string path = "/v1/orgDevices?limit=" + std::to_string(settings_.page_size);
            if (!cursor.empty()) path += "&cursor=" + url_encode(cursor);
            HttpResponse response;
            for (int attempt = 0;; ++attempt) {
                const bool fresh = token_.empty() || Clock::now() >= token_expires_;
                if (fresh) refresh_token(token_client);
                response = api.call("GET", path, {}, {{"Authorization", "Bearer " + token_}});
                if (response.status != 401) break;
                // An expired or revoked token: one new token, then give up.
                token_.clear();
                if (attempt >= 1 || fresh) {
                    throw SyncFailed(
                        std::string(kAsm) +
                        ": GET /v1/orgDevices was refused (HTTP 401) with a fresh access token");
                }
            }
            if (response.status != 200) {
                throw SyncFailed(std::string(kAsm) + ": GET /v1/orgDevices answered HTTP " +
                                 std::to_string(response.status));
            }
            AsmPage parsed = parse_asm_page(response.body);
            for (auto& d : parsed.devices) devices.push_back(std::move(d));
            for (auto& serial : parsed.invalid) invalid.push_back(std::move(serial));
            std::string next = std::move(parsed.next_cursor);
            if (next.empty()) return devices;
            if (!seen_cursors.insert(next).second) {
                throw SyncFailed(std::string(kAsm) +
                                 ": the API returned the same page cursor twice");
            }
            cursor = std::move(next);
        }
    }

    AsmSettings settings_;
    CallPolicy policy_;
    std::string token_;
    Clock::time_point token_expires_{};
};

class JamfSchool final : public MdmSource {
  public:
    JamfSchool(const JamfSchoolSettings& settings, const CallPolicy& policy)
        : settings_(settings), policy_(policy) {}

    MdmSnapshot fetch(std::stop_token stop, CallStats& stats) override {
        return guarded(kJamf, [&] {
            VendorClient api(kJamf, vendor_url(settings_.url), vendor_trust(settings_.ca_file),
                             policy_, stop);
            const Counted counted(stats, api);
            return fetch_all(api);
        });
    }

  private:
    MdmSnapshot fetch_all(VendorClient& api) {
        const std::string key = read_credential_file(settings_.api_key_file);
        const HeaderList headers = {
            {"Authorization", "Basic " + base64(settings_.network_id + ":" + key)},
            {"X-Server-Protocol-Version", "3"},
            {"Accept", "application/json"}};
        const std::string locations = get(api, "/locations", headers);
        const std::string devices = get(api, "/devices", headers);
        return parse_jamf_school(devices, locations);
    }

    static std::string get(VendorClient& api, const std::string& path, const HeaderList& headers) {
        const HttpResponse response = api.call("GET", path, {}, headers);
        if (response.status == 401 || response.status == 403) {
            throw SyncFailed(std::string(kJamf) + ": GET " + path + " was refused (HTTP " +
                             std::to_string(response.status) +
                             "): check connectors.jamf_school.network_id and the API key file");
        }
        if (response.status != 200) {
            throw SyncFailed(std::string(kJamf) + ": GET " + path + " answered HTTP " +
                             std::to_string(response.status));
        }
        return response.body;
    }

    static std::string base64(std::string_view bytes) {
        std::string out = base64url_encode(bytes);
        for (char& c : out) {
            if (c == '-')
                c = '+';
            else if (c == '_')
                c = '/';
        }
        while (out.size() % 4 != 0) out += '=';
        return out;
    }

    JamfSchoolSettings settings_;
    CallPolicy policy_;
};

class Relution final : public MdmSource {
  public:
    Relution(const RelutionSettings& settings, const CallPolicy& policy)
        : settings_(settings), policy_(policy) {}

    MdmSnapshot fetch(std::stop_token stop, CallStats& stats) override {
        return guarded(kRelution, [&] {
            VendorClient api(kRelution, vendor_url(settings_.url), vendor_trust(settings_.ca_file),
                             policy_, stop);
            const Counted counted(stats, api);
            return fetch_all(api);
        });
    }

  private:
    MdmSnapshot fetch_all(VendorClient& api) {
        const std::string token = read_credential_file(settings_.access_token_file);
        const HeaderList headers = {{"X-User-Access-Token", token}, {"Accept", "application/json"}};
        MdmSnapshot snapshot;
        const auto now = Clock::now();
        std::int64_t offset = 0;
        for (int page = 0;; ++page) {
            if (page >= kMaxPages)
                throw SyncFailed(std::string(kRelution) + ": more than 100000 pages");
            const std::string path = "/api/v2/devices?offset=" + std::to_string(offset) +
                                     "&limit=" + std::to_string(settings_.page_size);
            const HttpResponse response = api.call("GET", path, {}, headers);
            if (response.status == 401 || response.status == 403) {
                throw SyncFailed(
                    std::string(kRelution) + ": GET /api/v2/devices was refused (HTTP " +
                    std::to_string(response.status) + "): check the access token file");
            }
            if (response.status != 200) {
                throw SyncFailed(std::string(kRelution) + ": GET /api/v2/devices answered HTTP " +
                                 std::to_string(response.status));
            }
            RelutionPage parsed = parse_relution_page(response.body, now);
            for (auto& d : parsed.devices) snapshot.devices.push_back(std::move(d));
            for (auto& serial : parsed.invalid) snapshot.invalid.push_back(std::move(serial));
            offset += static_cast<std::int64_t>(parsed.results);
            if (parsed.results == 0 || offset >= parsed.total) return snapshot;
        }
    }

    RelutionSettings settings_;
    CallPolicy policy_;
};

}  // namespace

std::unique_ptr<AsmSource> make_asm_source(const AsmSettings& settings, const CallPolicy& policy) {
    return std::make_unique<AppleSchoolManager>(settings, policy);
}

std::unique_ptr<MdmSource> make_jamf_school_source(const JamfSchoolSettings& settings,
                                                   const CallPolicy& policy) {
    return std::make_unique<JamfSchool>(settings, policy);
}

std::unique_ptr<MdmSource> make_relution_source(const RelutionSettings& settings,
                                                const CallPolicy& policy) {
    return std::make_unique<Relution>(settings, policy);
}

}  // namespace pakt::server::connectors
