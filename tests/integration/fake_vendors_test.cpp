// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// The fake vendor APIs (tests/support/fake_vendors.hpp) against the connectors' wire contract:
// the connectors' tests rely on the fake refusing what the real APIs refuse, so the fake's own
// checks are proven here with clients written independently of paktd's connectors.
#include "tests/support/fake_vendors.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <system_error>

#include "common/https_client.hpp"

namespace pakt::test {
namespace {

using json = nlohmann::json;
using ::testing::ElementsAre;

struct PkeyFree {
    void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

// Written here rather than shared with the fake, so that a bug in one is not hidden by the same
// bug in the other.
std::string base64url(std::string_view bytes) {
    static constexpr std::string_view kAlphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    for (std::size_t i = 0; i < bytes.size(); i += 3) {
        const std::size_t n = std::min<std::size_t>(3, bytes.size() - i);
        std::uint32_t group = 0;
        for (std::size_t k = 0; k < 3; ++k) {
            const auto byte = k < n ? static_cast<unsigned char>(bytes[i + k]) : 0u;
            group = (group << 8) | byte;
        }
        for (std::size_t k = 0; k < n + 1; ++k) out += kAlphabet[(group >> (18 - 6 * k)) & 0x3f];
    }
    return out;
}

std::string base64(std::string_view bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(bytes.data()),
                                  static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

PkeyPtr read_private_key(const std::filesystem::path& file) {
    FILE* f = std::fopen(file.c_str(), "r");
    if (f == nullptr) throw std::runtime_error("cannot open " + file.string());
    PkeyPtr key(PEM_read_PrivateKey(f, nullptr, nullptr, nullptr));
    std::fclose(f);
    if (!key) throw std::runtime_error("no private key in " + file.string());
    return key;
}

// ES256 as JWS wants it: OpenSSL signs in DER, the JWS carries R and S as 32 bytes each.
std::string sign_es256(EVP_PKEY* key, std::string_view input) {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    std::size_t der_length = 0;
    if (EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1 ||
        EVP_DigestSign(ctx.get(), nullptr, &der_length,
                       reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
        throw std::runtime_error("EVP_DigestSign failed");
    }
    std::string der(der_length, '\0');
    if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(der.data()), &der_length,
                       reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
        throw std::runtime_error("EVP_DigestSign failed");
    }
    const auto* cursor = reinterpret_cast<const unsigned char*>(der.data());
    std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> sig(
        d2i_ECDSA_SIG(nullptr, &cursor, static_cast<long>(der_length)), ECDSA_SIG_free);
    if (!sig) throw std::runtime_error("d2i_ECDSA_SIG failed");
    std::string raw(64, '\0');
    BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), reinterpret_cast<unsigned char*>(raw.data()), 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), reinterpret_cast<unsigned char*>(raw.data()) + 32,
                 32);
    return raw;
}

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string percent_encode(std::string_view text) {
    std::string out;
    for (const char c : text) {
        const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                           (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~';
        if (plain) {
            out += c;
        } else {
            char escaped[4];
            std::snprintf(escaped, sizeof escaped, "%%%02X", static_cast<unsigned char>(c));
            out += escaped;
        }
    }
    return out;
}

std::string read_text(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

json body_of(const HttpResponse& response) { return json::parse(response.body); }

class FakeVendors : public ::testing::Test {
  protected:
    FakeVendorServer fake;
    HttpsClient http{"127.0.0.1", fake.port(), tls::ClientTrust{fake.ca_file(), {}}};

    json jwt_header() const {
        return {{"alg", "ES256"}, {"kid", fake.asm_key_id()}, {"typ", "JWT"}};
    }

    json jwt_payload() const {
        const std::int64_t now = unix_now();
        return {{"sub", fake.asm_client_id()},
                {"aud", "https://account.apple.com/auth/oauth2/v2/token"},
                {"iat", now},
                {"exp", now + 600},
                {"jti", "4f1c2a8e-2b7d-4c55-9a51-0d6a5c1d9e01"},
                {"iss", fake.asm_client_id()}};
    }

    std::string assertion(const json& header, const json& payload, EVP_PKEY* key) const {
        const std::string input = base64url(header.dump()) + "." + base64url(payload.dump());
        return input + "." + base64url(sign_es256(key, input));
    }

    std::string assertion(const json& payload) const {
        const PkeyPtr key = read_private_key(fake.asm_private_key_file());
        return assertion(jwt_header(), payload, key.get());
    }

    HttpResponse request_token(const std::string& client_assertion) {
        const std::string form =
            "grant_type=client_credentials&client_id=" + percent_encode(fake.asm_client_id()) +
            "&client_assertion_type=" +
            percent_encode("urn:ietf:params:oauth:client-assertion-type:jwt-bearer") +
            "&client_assertion=" + percent_encode(client_assertion) + "&scope=school.api";
        return http.request("POST", "/asm/auth/oauth2/token", form,
                            {{"Content-Type", "application/x-www-form-urlencoded"}});
    }

    std::string access_token() {
        const auto response = request_token(assertion(jwt_payload()));
        if (response.status != 200) throw std::runtime_error("no token: " + response.body);
        return body_of(response).at("access_token").get<std::string>();
    }

    HttpResponse asm_get(const std::string& target, const std::string& token) {
        return http.request("GET", target, {}, {{"Authorization", "Bearer " + token}});
    }

    HeaderList jamf_headers(const std::string& api_key) const {
        return {{"Authorization", "Basic " + base64(fake.jamf_network_id() + ":" + api_key)},
                {"X-Server-Protocol-Version", "3"}};
    }
};

FakeJamfDevice jamf_device(const std::string& udid, const std::string& serial, int location_id) {
    FakeJamfDevice d;
    d.udid = udid;
    d.serial = serial;
    d.location_id = location_id;
    return d;
}

std::vector<FakeRelutionDevice> relution_devices(int count) {
    std::vector<FakeRelutionDevice> devices;
    for (int i = 0; i < count; ++i) {
        FakeRelutionDevice d;
        d.uuid = "uuid-" + std::to_string(i);
        d.serial = "SERIAL" + std::to_string(i);
        devices.push_back(d);
    }
    return devices;
}

std::vector<FakeAsmDevice> asm_devices(int count) {
    std::vector<FakeAsmDevice> devices;
    // Handed over in descending order: the fake must sort them by serial itself.
    for (int i = count; i >= 1; --i) {
        FakeAsmDevice d;
        d.serial = "DMPX" + std::to_string(10000000 + i);
        d.order_number = "ORDER-" + std::to_string(i % 3);
        devices.push_back(d);
    }
    return devices;
}

TEST_F(FakeVendors, AsmToken_CorrectlySignedAssertionGetsToken) {
    const auto response = request_token(assertion(jwt_payload()));

    ASSERT_EQ(response.status, 200) << response.body;
    const json body = body_of(response);
    EXPECT_EQ(body.at("token_type"), "Bearer");
    EXPECT_EQ(body.at("expires_in"), 3600);
    EXPECT_EQ(body.at("scope"), "school.api");
    EXPECT_FALSE(body.at("access_token").get<std::string>().empty());
    EXPECT_EQ(fake.asm_tokens_issued(), 1u);
    EXPECT_EQ(asm_get("/asm/v1/orgDevices", body.at("access_token")).status, 200);
}

TEST_F(FakeVendors, AsmToken_AssertionSignedWithAnotherKeyIsRefused) {
    const PkeyPtr other(EVP_EC_gen("P-256"));
    ASSERT_TRUE(other);

    const auto response = request_token(assertion(jwt_header(), jwt_payload(), other.get()));

    EXPECT_EQ(response.status, 401);
    EXPECT_EQ(body_of(response), json({{"error", "invalid_client"}}));
    EXPECT_EQ(fake.asm_tokens_issued(), 0u);
}

TEST_F(FakeVendors, AsmToken_TamperedPayloadIsRefused) {
    const std::string signed_assertion = assertion(jwt_payload());
    json longer = jwt_payload();
    longer["exp"] = unix_now() + 86400;
    const auto first_dot = signed_assertion.find('.');
    const auto second_dot = signed_assertion.find('.', first_dot + 1);
    const std::string tampered = signed_assertion.substr(0, first_dot) + "." +
                                 base64url(longer.dump()) + signed_assertion.substr(second_dot);

    EXPECT_EQ(request_token(tampered).status, 401);
    EXPECT_EQ(request_token(signed_assertion).status, 200);
}

TEST_F(FakeVendors, AsmToken_WrongClaimsAreRefusedEvenWhenSigned) {
    const PkeyPtr key = read_private_key(fake.asm_private_key_file());
    const auto refused = [&](const json& header, const json& payload) {
        return request_token(assertion(header, payload, key.get())).status == 401;
    };
    json p = jwt_payload();
    p["exp"] = unix_now() - 1;
    EXPECT_TRUE(refused(jwt_header(), p)) << "expired";
    p = jwt_payload();
    p["aud"] = "https://appleid.apple.com";
    EXPECT_TRUE(refused(jwt_header(), p)) << "audience";
    p = jwt_payload();
    p["iss"] = "SCHOOLAPI.someone-else";
    EXPECT_TRUE(refused(jwt_header(), p)) << "issuer";
    json h = jwt_header();
    h["kid"] = "another-key";
    EXPECT_TRUE(refused(h, jwt_payload())) << "key id";
    h = jwt_header();
    h["alg"] = "none";
    EXPECT_TRUE(refused(h, jwt_payload())) << "algorithm";
    EXPECT_EQ(fake.asm_tokens_issued(), 0u);
}

TEST_F(FakeVendors, AsmDevices_PagingReturnsEveryDeviceExactlyOnceInSerialOrder) {
    fake.asm_set_devices(asm_devices(25));
    const std::string token = access_token();

    std::vector<std::string> serials;
    std::string target = "/asm/v1/orgDevices?limit=10";
    int pages = 0;
    while (true) {
        const auto response = asm_get(target, token);
        ASSERT_EQ(response.status, 200) << response.body;
        const json body = body_of(response);
        ++pages;
        for (const auto& device : body.at("data")) {
            EXPECT_EQ(device.at("type"), "orgDevices");
            EXPECT_EQ(device.at("attributes").at("status"), "ASSIGNED");
            EXPECT_TRUE(device.at("attributes").at("releasedFromOrgDateTime").is_null());
            serials.push_back(device.at("id").get<std::string>());
        }
        const json& paging = body.at("meta").at("paging");
        EXPECT_EQ(paging.at("limit"), 10);
        if (!paging.contains("nextCursor")) {
            EXPECT_FALSE(body.at("links").contains("next"));
            break;
        }
        EXPECT_EQ(body.at("links").at("next"), fake.base_url() +
                                                   "/asm/v1/orgDevices?limit=10&cursor=" +
                                                   paging.at("nextCursor").get<std::string>());
        target = "/asm/v1/orgDevices?limit=10&cursor=" + paging.at("nextCursor").get<std::string>();
    }

    EXPECT_EQ(pages, 3);
    ASSERT_EQ(serials.size(), 25u);
    EXPECT_TRUE(std::is_sorted(serials.begin(), serials.end()));
    EXPECT_EQ(std::set<std::string>(serials.begin(), serials.end()).size(), 25u);
}

TEST_F(FakeVendors, AsmDevices_ReleasedDeviceShowsItsReleaseTime) {
    fake.asm_set_devices(asm_devices(2));
    fake.asm_release("DMPX10000002", "2026-12-01T09:00:00.000Z");

    const json body = body_of(asm_get("/asm/v1/orgDevices", access_token()));

    const json& released = body.at("data").at(1).at("attributes");
    EXPECT_EQ(released.at("serialNumber"), "DMPX10000002");
    EXPECT_EQ(released.at("status"), "UNASSIGNED");
    EXPECT_EQ(released.at("releasedFromOrgDateTime"), "2026-12-01T09:00:00.000Z");
}

TEST_F(FakeVendors, AsmDevices_ExpiredOrUnknownTokenIsRefused) {
    const std::string token = access_token();
    ASSERT_EQ(asm_get("/asm/v1/orgDevices", token).status, 200);

    fake.asm_expire_tokens();
    const auto response = asm_get("/asm/v1/orgDevices", token);
    EXPECT_EQ(response.status, 401);
    EXPECT_EQ(body_of(response).at("errors").at(0).at("code"), "NOT_AUTHORIZED");
    EXPECT_EQ(asm_get("/asm/v1/orgDevices", "made-up").status, 401);

    fake.asm_set_token_lifetime(std::chrono::seconds(0));
    const auto short_lived = request_token(assertion(jwt_payload()));
    EXPECT_EQ(body_of(short_lived).at("expires_in"), 0);
    EXPECT_EQ(asm_get("/asm/v1/orgDevices", body_of(short_lived).at("access_token")).status, 401);
    EXPECT_EQ(fake.asm_tokens_issued(), 2u);
}

TEST_F(FakeVendors, Faults_RetryAfterIsAnsweredThenServiceResumes) {
    fake.jamf_set_devices({jamf_device("udid-1", "SERIAL000001", 1)});
    fake.fail_next("/jamf/api/devices", 2, 429, "7");

    const auto first =
        http.request("GET", "/jamf/api/devices", {}, jamf_headers(fake.jamf_api_key()));
    const auto second =
        http.request("GET", "/jamf/api/devices", {}, jamf_headers(fake.jamf_api_key()));
    const auto third =
        http.request("GET", "/jamf/api/devices", {}, jamf_headers(fake.jamf_api_key()));

    EXPECT_EQ(first.status, 429);
    EXPECT_EQ(first.header("Retry-After"), "7");
    EXPECT_EQ(second.status, 429);
    ASSERT_EQ(third.status, 200);
    EXPECT_EQ(third.header("Retry-After"), "");
    EXPECT_EQ(body_of(third).at("count"), 1);
    std::vector<int> statuses;
    for (const auto& call : fake.calls()) statuses.push_back(call.status);
    EXPECT_THAT(statuses, ElementsAre(429, 429, 200));
}

TEST_F(FakeVendors, Faults_InjectedFailureDoesNoWork) {
    fake.fail_next("/asm/auth", 1, 503);

    EXPECT_EQ(request_token(assertion(jwt_payload())).status, 503);
    EXPECT_EQ(fake.asm_tokens_issued(), 0u);
    EXPECT_EQ(request_token(assertion(jwt_payload())).status, 200);
}

TEST_F(FakeVendors, Faults_TruncatedBodyIsHalfTheFullOne) {
    fake.relution_set_devices(relution_devices(5));
    const HeaderList headers{{"X-User-Access-Token", fake.relution_token()}};
    const auto full = http.request("GET", "/relution/api/v2/devices", {}, headers);
    fake.truncate_next("/relution/");

    const auto cut = http.request("GET", "/relution/api/v2/devices", {}, headers);

    EXPECT_EQ(cut.status, 200);
    EXPECT_EQ(cut.body.size(), full.body.size() / 2);
    EXPECT_EQ(cut.header("Content-Length"), std::to_string(cut.body.size()));
    EXPECT_TRUE(json::parse(cut.body, nullptr, false).is_discarded());
    EXPECT_EQ(http.request("GET", "/relution/api/v2/devices", {}, headers).body, full.body);
}

TEST_F(FakeVendors, Jamf_BasicAuthWithTheApiKeyIsAcceptedAndAnyOtherRefused) {
    fake.jamf_set_devices({jamf_device("udid-1", "SERIAL000001", 2)});
    fake.jamf_set_locations({{1, "Gymnasium Essen-Werden"}, {2, "Freie Waldorfschule"}});

    const auto devices =
        http.request("GET", "/jamf/api/devices", {}, jamf_headers(fake.jamf_api_key()));
    const auto locations =
        http.request("GET", "/jamf/api/locations", {}, jamf_headers(fake.jamf_api_key()));
    const auto wrong = http.request("GET", "/jamf/api/devices", {}, jamf_headers("WRONGKEY"));
    const auto none = http.request("GET", "/jamf/api/devices");

    ASSERT_EQ(devices.status, 200);
    const json device = body_of(devices).at("devices").at(0);
    EXPECT_EQ(device.at("UDID"), "udid-1");
    EXPECT_EQ(device.at("locationId"), 2);
    EXPECT_EQ(device.at("os").at("version"), "17.5.1");
    ASSERT_EQ(locations.status, 200);
    EXPECT_EQ(body_of(locations).at("locations").at(1).at("name"), "Freie Waldorfschule");
    EXPECT_EQ(wrong.status, 401);
    EXPECT_EQ(body_of(wrong), json({{"code", 401}, {"message", "ClientUnauthorized"}}));
    EXPECT_EQ(none.status, 401);
}

TEST_F(FakeVendors, Relution_TokenIsCheckedAndOffsetPagingCoversEveryDevice) {
    fake.relution_set_devices(relution_devices(7));

    const auto refused = http.request("GET", "/relution/api/v2/devices?offset=0&limit=3", {},
                                      {{"X-User-Access-Token", "not-the-token"}});
    EXPECT_EQ(refused.status, 401);
    EXPECT_EQ(body_of(refused), json({{"status", 401}, {"message", "Unauthorized"}}));

    std::vector<std::string> uuids;
    std::int64_t offset = 0;
    std::int64_t total = 0;
    int pages = 0;
    do {
        const auto response = http.request(
            "GET", "/relution/api/v2/devices?offset=" + std::to_string(offset) + "&limit=3", {},
            {{"X-User-Access-Token", fake.relution_token()}, {"Accept", "application/json"}});
        ASSERT_EQ(response.status, 200) << response.body;
        const json body = body_of(response);
        total = body.at("total").get<std::int64_t>();
        for (const auto& device : body.at("results")) uuids.push_back(device.at("uuid"));
        offset += 3;
        ++pages;
    } while (offset < total);

    EXPECT_EQ(pages, 3);
    EXPECT_EQ(total, 7);
    EXPECT_THAT(uuids,
                ElementsAre("uuid-0", "uuid-1", "uuid-2", "uuid-3", "uuid-4", "uuid-5", "uuid-6"));
}

TEST_F(FakeVendors, Calls_RecordMethodTargetStatusAndAuthorization) {
    http.request("GET", "/jamf/api/devices", {}, jamf_headers(fake.jamf_api_key()));
    http.request("DELETE", "/nowhere");

    const auto calls = fake.calls();
    ASSERT_EQ(calls.size(), 2u);
    EXPECT_EQ(calls[0].method, "GET");
    EXPECT_EQ(calls[0].target, "/jamf/api/devices");
    EXPECT_EQ(calls[0].status, 200);
    EXPECT_EQ(calls[0].authorization,
              "Basic " + base64(fake.jamf_network_id() + ":" + fake.jamf_api_key()));
    EXPECT_EQ(calls[1].status, 404);
    fake.clear_calls();
    EXPECT_TRUE(fake.calls().empty());
}

TEST_F(FakeVendors, Credentials_AreRandomAndSecretFilesOwnerOnly) {
    FakeVendorServer other;

    EXPECT_NE(fake.asm_client_id(), other.asm_client_id());
    EXPECT_THAT(fake.asm_client_id(), ::testing::StartsWith("SCHOOLAPI."));
    EXPECT_THAT(fake.jamf_network_id(), ::testing::MatchesRegex("[0-9]{8}"));
    EXPECT_EQ(fake.jamf_api_key().size(), 32u);
    EXPECT_NE(fake.jamf_api_key(), other.jamf_api_key());
    EXPECT_EQ(read_text(fake.jamf_api_key_file()), fake.jamf_api_key() + "\n");
    EXPECT_EQ(read_text(fake.relution_token_file()), fake.relution_token() + "\n");
    EXPECT_THAT(read_text(fake.asm_private_key_file()),
                ::testing::StartsWith("-----BEGIN PRIVATE KEY-----"));
    for (const auto& file :
         {fake.asm_private_key_file(), fake.jamf_api_key_file(), fake.relution_token_file()}) {
        EXPECT_EQ(std::filesystem::status(file).permissions(),
                  std::filesystem::perms::owner_read | std::filesystem::perms::owner_write)
            << file;
    }
}

TEST(FakeVendorsLifetime, StopsWhileClientsHoldKeepAliveConnections) {
    auto fake = std::make_unique<FakeVendorServer>();
    HttpsClient first("127.0.0.1", fake->port(), tls::ClientTrust{fake->ca_file(), {}});
    HttpsClient second("127.0.0.1", fake->port(), tls::ClientTrust{fake->ca_file(), {}});
    // Both connections stay open: the second client is served while the first one idles.
    ASSERT_EQ(first.request("GET", "/nowhere").status, 404);
    ASSERT_EQ(second.request("GET", "/nowhere").status, 404);
    ASSERT_EQ(first.request("GET", "/nowhere").status, 404);
    const auto port = fake->port();

    fake.reset();

    // Getting here at all is the point. The held connection was closed and nothing listens on
    // the port any more, so the client's retry on a fresh connection fails too.
    EXPECT_THROW(first.request("GET", "/nowhere"), std::system_error) << "port " << port;
}

}  // namespace
}  // namespace pakt::test
