// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "tests/support/fake_vendors.hpp"

#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cerrno>
#include <charconv>
#include <deque>
#include <limits>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <stdexcept>
#include <system_error>
#include <thread>

#include "common/atomic_file.hpp"
#include "common/crypto.hpp"
#include "common/openssl_ptr.hpp"
#include "common/tls.hpp"
#include "tests/support/temp_dir.hpp"

namespace pakt::test {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using json = nlohmann::json;
using SteadyClock = std::chrono::steady_clock;
using Stream = beast::ssl_stream<beast::tcp_stream>;

// Generous for a loaded test machine (sanitizer builds), short enough that a client that hangs
// does not keep a session open for the rest of the test run.
constexpr std::chrono::seconds kIoTimeout{30};
constexpr std::chrono::seconds kTlsShutdownTimeout{2};
// The only bodies the fake reads are token requests of a few hundred bytes.
constexpr std::uint64_t kRequestBodyLimit = 64 * 1024;

constexpr const char* kAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
constexpr const char* kAssertionAudience = "https://account.apple.com/auth/oauth2/v2/token";
constexpr std::chrono::seconds kDefaultTokenLifetime{3600};
constexpr int kAsmDefaultLimit = 100;
constexpr int kAsmMaxLimit = 1000;
constexpr int kRelutionDefaultLimit = 100;

// ---- OpenSSL ownership ----------------------------------------------------------------------

using openssl::BioPtr;
using openssl::EcdsaSigPtr;
using openssl::MdCtxPtr;
using openssl::PkeyPtr;

[[noreturn]] void openssl_fail(const std::string& what) {
    std::string detail;
    while (const unsigned long code = ERR_get_error()) {
        char buffer[256];
        ERR_error_string_n(code, buffer, sizeof buffer);
        if (!detail.empty()) detail += "; ";
        detail += buffer;
    }
    throw std::runtime_error(what + ": " + (detail.empty() ? "unknown OpenSSL error" : detail));
}

// ---- Random credentials ---------------------------------------------------------------------

// RFC 9562 version 4: random apart from the version nibble and the variant bits.
std::string random_uuid() {
    std::string hex = random_hex(16);
    hex[12] = '4';
    const int variant_nibble = std::stoi(hex.substr(16, 1), nullptr, 16);
    hex[16] = "89ab"[variant_nibble & 0x3];
    return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
           hex.substr(16, 4) + "-" + hex.substr(20);
}

std::string random_digits(std::size_t count) {
    std::string out;
    while (out.size() < count) {
        unsigned char byte = 0;
        if (RAND_bytes(&byte, 1) != 1) openssl_fail("RAND_bytes failed");
        // 250 = 25 * 10: rejecting the rest keeps every digit equally likely.
        if (byte < 250) out += static_cast<char>('0' + byte % 10);
    }
    return out;
}

std::string random_upper_alnum(std::size_t count) {
    static constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    std::string out;
    while (out.size() < count) {
        unsigned char byte = 0;
        if (RAND_bytes(&byte, 1) != 1) openssl_fail("RAND_bytes failed");
        if (byte < 252) out += kAlphabet[byte % kAlphabet.size()];  // 252 = 7 * 36
    }
    return out;
}

// ---- Encodings ------------------------------------------------------------------------------

constexpr std::string_view kBase64Url =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::string_view kBase64Std =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64url_encode(std::string_view bytes) {
    std::string out;
    std::uint32_t accumulator = 0;
    int bits = 0;
    for (const char c : bytes) {
        accumulator = (accumulator << 8) | static_cast<unsigned char>(c);
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out += kBase64Url[(accumulator >> bits) & 0x3f];
        }
    }
    if (bits > 0) out += kBase64Url[(accumulator << (6 - bits)) & 0x3f];
    return out;
}

// Strict: only the alphabet's characters, no padding, no whitespace, and a length that whole
// bytes can produce. The caller strips the padding of standard base64 first.
std::optional<std::string> base64_decode(std::string_view text, std::string_view alphabet) {
    if (text.size() % 4 == 1) return std::nullopt;
    std::string out;
    std::uint32_t accumulator = 0;
    int bits = 0;
    for (const char c : text) {
        const auto index = alphabet.find(c);
        if (index == std::string_view::npos) return std::nullopt;
        accumulator = (accumulator << 6) | static_cast<std::uint32_t>(index);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((accumulator >> bits) & 0xff);
        }
    }
    return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
    return base64_decode(text, kBase64Url);
}

// Standard base64 with its padding, as in an HTTP Basic credential.
std::optional<std::string> base64_std_decode(std::string_view text) {
    if (text.size() % 4 != 0) return std::nullopt;
    for (int i = 0; i < 2 && !text.empty() && text.back() == '='; ++i) text.remove_suffix(1);
    return base64_decode(text, kBase64Std);
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// application/x-www-form-urlencoded decoding (also right for query strings: '+' is a space).
std::optional<std::string> form_decode(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '+') {
            out += ' ';
        } else if (text[i] == '%') {
            if (i + 2 >= text.size()) return std::nullopt;
            const int high = hex_value(text[i + 1]);
            const int low = hex_value(text[i + 2]);
            if (high < 0 || low < 0) return std::nullopt;
            out += static_cast<char>(high * 16 + low);
            i += 2;
        } else {
            out += text[i];
        }
    }
    return out;
}

// "a=1&b=2" into a map; nullopt if an escape is malformed or a name repeats (a repeated
// parameter is ambiguous, and no client of these APIs sends one).
std::optional<std::map<std::string, std::string>> parse_params(std::string_view text) {
    std::map<std::string, std::string> params;
    while (!text.empty()) {
        const auto amp = text.find('&');
        const std::string_view pair = text.substr(0, amp);
        text = amp == std::string_view::npos ? std::string_view{} : text.substr(amp + 1);
        if (pair.empty()) continue;
        const auto eq = pair.find('=');
        auto name = form_decode(pair.substr(0, eq));
        auto value =
            form_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
        if (!name || !value) return std::nullopt;
        if (!params.emplace(std::move(*name), std::move(*value)).second) return std::nullopt;
    }
    return params;
}

// A decimal in [low, high]; nullopt for anything else (signs, spaces, overflow).
std::optional<std::int64_t> parse_integer(std::string_view text, std::int64_t low,
                                          std::int64_t high) {
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || text[0] == '-' || text[0] == '+' || ec != std::errc{} ||
        end != text.data() + text.size() || value < low || value > high) {
        return std::nullopt;
    }
    return value;
}

// ---- ES256 ----------------------------------------------------------------------------------

// A JWS ES256 signature is R and S as two 32-byte big-endian numbers; OpenSSL verifies the DER
// encoding of ECDSA-Sig-Value, so the raw pair is rebuilt as an ECDSA_SIG first.
bool verify_es256(EVP_PKEY* public_key, std::string_view signing_input,
                  std::string_view raw_signature) {
    if (raw_signature.size() != 64) return false;
    const auto* raw = reinterpret_cast<const unsigned char*>(raw_signature.data());
    EcdsaSigPtr sig(ECDSA_SIG_new());
    BIGNUM* r = BN_bin2bn(raw, 32, nullptr);
    BIGNUM* s = BN_bin2bn(raw + 32, 32, nullptr);
    if (!sig || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
        BN_free(r);
        BN_free(s);
        ERR_clear_error();
        return false;
    }
    unsigned char* der = nullptr;
    const int der_length = i2d_ECDSA_SIG(sig.get(), &der);
    if (der_length <= 0) {
        ERR_clear_error();
        return false;
    }
    MdCtxPtr ctx(EVP_MD_CTX_new());
    const bool ok =
        ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, public_key) == 1 &&
        EVP_DigestVerify(ctx.get(), der, static_cast<std::size_t>(der_length),
                         reinterpret_cast<const unsigned char*>(signing_input.data()),
                         signing_input.size()) == 1;
    OPENSSL_free(der);
    // A failed verification leaves an error queued; it must not show up in a later, unrelated
    // OpenSSL error message.
    ERR_clear_error();
    return ok;
}

std::optional<json> decode_json_segment(std::string_view segment) {
    const auto text = base64url_decode(segment);
    if (!text) return std::nullopt;
    json value = json::parse(*text, nullptr, false);
    if (value.is_discarded() || !value.is_object()) return std::nullopt;
    return value;
}

bool string_field_is(const json& object, const char* name, const std::string& expected) {
    const auto it = object.find(name);
    return it != object.end() && it->is_string() && it->get<std::string>() == expected;
}

// ---- Responses ------------------------------------------------------------------------------

struct Reply {
    int status = 200;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
};

Reply json_reply(int status, const json& body) { return Reply{status, body.dump(), {}}; }

Reply asm_unauthorized() {
    return json_reply(401, {{"errors",
                             {{{"status", "401"},
                               {"code", "NOT_AUTHORIZED"},
                               {"title", "Authentication credentials are missing or invalid."}}}}});
}

Reply asm_bad_parameter(const std::string& detail) {
    return json_reply(400, {{"errors",
                             {{{"status", "400"},
                               {"code", "PARAMETER_ERROR.INVALID"},
                               {"title", "A parameter has an invalid value"},
                               {"detail", detail}}}}});
}

std::string product_family(const std::string& model) {
    if (model.rfind("Mac", 0) == 0 || model.rfind("iMac", 0) == 0) return "Mac";
    if (model.rfind("iPhone", 0) == 0) return "iPhone";
    if (model.rfind("Apple TV", 0) == 0) return "AppleTV";
    return "iPad";
}

json asm_device_json(const FakeAsmDevice& d) {
    const json released = d.released_from_org.empty() ? json(nullptr) : json(d.released_from_org);
    return {
        {"type", "orgDevices"},
        {"id", d.serial},
        {"attributes",
         {{"serialNumber", d.serial},
          {"addedToOrgDateTime", d.added_to_org},
          {"releasedFromOrgDateTime", released},
          {"updatedDateTime", d.released_from_org.empty() ? d.added_to_org : d.released_from_org},
          {"deviceModel", d.device_model},
          {"productFamily", product_family(d.device_model)},
          {"productType", "iPad13,18"},
          {"deviceCapacity", "64GB"},
          {"partNumber", d.part_number},
          {"orderNumber", d.order_number},
          {"color", "SILVER"},
          {"status", d.status},
          {"orderDateTime", d.order_date_time},
          {"imei", json::array()},
          {"meid", json::array()},
          {"eid", ""},
          {"purchaseSourceId", "1A2B3C"},
          {"purchaseSourceType", "RESELLER"}}}};
}

struct Fault {
    std::string prefix;
    int remaining = 0;
    int status = 0;
    std::string retry_after;
};

struct Truncation {
    std::string prefix;
    int remaining = 0;
};

bool starts_with(std::string_view text, std::string_view prefix) {
    return text.substr(0, prefix.size()) == prefix;
}

}  // namespace

struct FakeVendorServer::Impl {
    TempDir dir;
    tls::CertificateFiles certificate{dir.path() / "cert.pem", dir.path() / "key.pem"};
    std::filesystem::path asm_key_file = dir.path() / "asm-key.pem";
    std::filesystem::path jamf_key_file = dir.path() / "jamf.key";
    std::filesystem::path relution_token_file = dir.path() / "relution.token";

    std::string asm_client_id = "SCHOOLAPI." + random_uuid();
    std::string asm_key_id = random_uuid();
    std::string jamf_network_id = random_digits(8);
    std::string jamf_api_key = random_upper_alnum(32);
    std::string relution_token = random_uuid();
    PkeyPtr asm_public_key;  ///< public half only: what Apple keeps of the client's key

    // Everything below the mutex is shared between the test thread and the server thread.
    mutable std::mutex mutex;
    std::vector<FakeAsmDevice> asm_devices;                     ///< sorted by serial
    std::map<std::string, SteadyClock::time_point> asm_tokens;  ///< token -> expiry
    std::chrono::seconds asm_token_lifetime = kDefaultTokenLifetime;
    std::size_t asm_tokens_issued = 0;
    std::vector<std::string> asm_assertions;  // every client assertion received
    std::vector<FakeJamfDevice> jamf_devices;
    std::vector<std::pair<int, std::string>> jamf_locations;
    std::vector<FakeRelutionDevice> relution_devices;
    std::deque<Fault> faults;
    std::deque<Truncation> truncations;
    std::vector<FakeCall> calls;

    // The server thread's alone (set before it starts or touched only from handlers on it).
    std::unique_ptr<ssl::context> tls_context;
    asio::io_context ioc{1};
    tcp::acceptor acceptor{ioc};
    std::uint16_t port = 0;
    std::string base_url;
    bool stopping = false;
    std::set<beast::tcp_stream*> open_streams;
    std::thread thread;

    void create_credentials();
    void listen();

    asio::awaitable<void> accept_connections();
    asio::awaitable<void> serve(tcp::socket socket);
    void stop();

    Reply answer(const bhttp::request<bhttp::string_body>& req);
    Reply route(const bhttp::request<bhttp::string_body>& req);
    Reply asm_token(const bhttp::request<bhttp::string_body>& req);
    bool asm_assertion_valid(const std::map<std::string, std::string>& form) const;
    Reply asm_devices_page(const bhttp::request<bhttp::string_body>& req,
                           const std::map<std::string, std::string>& query);
    bool jamf_authorized(const bhttp::request<bhttp::string_body>& req) const;
    Reply relution_devices_page(const bhttp::request<bhttp::string_body>& req,
                                const std::map<std::string, std::string>& query) const;
};

void FakeVendorServer::Impl::create_credentials() {
    tls::generate_self_signed(certificate, "127.0.0.1");
    tls_context = std::make_unique<ssl::context>(tls::make_server_context(certificate));

    ERR_clear_error();
    PkeyPtr key(EVP_EC_gen("P-256"));
    if (!key) openssl_fail("cannot generate the ASM P-256 key");
    BioPtr pem(BIO_new(BIO_s_mem()));
    if (!pem || PEM_write_bio_PrivateKey(pem.get(), key.get(), nullptr, nullptr, 0, nullptr,
                                         nullptr) != 1) {
        openssl_fail("cannot encode the ASM private key");
    }
    char* data = nullptr;
    const long size = BIO_get_mem_data(pem.get(), &data);
    write_owner_only_file(asm_key_file, std::string_view(data, static_cast<std::size_t>(size)));

    // Round trip through SubjectPublicKeyInfo, so that verification provably works with nothing
    // but the public key.
    unsigned char* spki = nullptr;
    const int spki_length = i2d_PUBKEY(key.get(), &spki);
    if (spki_length <= 0) openssl_fail("cannot encode the ASM public key");
    const unsigned char* cursor = spki;
    asm_public_key.reset(d2i_PUBKEY(nullptr, &cursor, spki_length));
    OPENSSL_free(spki);
    if (!asm_public_key) openssl_fail("cannot decode the ASM public key");

    write_owner_only_file(jamf_key_file, jamf_api_key + "\n");
    write_owner_only_file(relution_token_file, relution_token + "\n");
}

void FakeVendorServer::Impl::listen() {
    const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
    acceptor.open(endpoint.protocol());
    acceptor.bind(endpoint);
    acceptor.listen();
    port = acceptor.local_endpoint().port();
    base_url = "https://127.0.0.1:" + std::to_string(port);
}

asio::awaitable<void> FakeVendorServer::Impl::accept_connections() {
    while (true) {
        beast::error_code ec;
        tcp::socket socket =
            co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
        if (stopping || !acceptor.is_open()) co_return;
        if (ec) continue;  // e.g. a connection reset before it was accepted
        asio::co_spawn(ioc, serve(std::move(socket)), asio::detached);
    }
}

// One connection: TLS handshake, then requests one after another while the client keeps the
// connection alive. Sessions interleave on the one server thread, so a client that holds an idle
// connection open does not hold up the others.
asio::awaitable<void> FakeVendorServer::Impl::serve(tcp::socket socket) {
    Stream stream(std::move(socket), *tls_context);
    beast::tcp_stream& transport = beast::get_lowest_layer(stream);
    if (stopping) co_return;
    // stop() closes every stream registered here, which ends the session's pending operation.
    open_streams.insert(&transport);
    struct Unregister {
        std::set<beast::tcp_stream*>& streams;
        beast::tcp_stream* stream;
        ~Unregister() { streams.erase(stream); }
    } unregister{open_streams, &transport};

    const auto token = [](beast::error_code& ec) {
        return asio::redirect_error(asio::use_awaitable, ec);
    };
    beast::error_code ec;
    transport.expires_after(kIoTimeout);
    co_await stream.async_handshake(ssl::stream_base::server, token(ec));
    if (ec) co_return;

    beast::flat_buffer buffer;
    while (true) {
        bhttp::request_parser<bhttp::string_body> parser;
        parser.body_limit(kRequestBodyLimit);
        transport.expires_after(kIoTimeout);
        co_await bhttp::async_read(stream, buffer, parser, token(ec));
        // The client closed the connection between requests: say goodbye properly.
        if (ec == bhttp::error::end_of_stream) break;
        // The client left without a TLS close_notify; there is nobody to say goodbye to.
        if (ec == ssl::error::stream_truncated) co_return;
        if (ec) co_return;

        const auto req = parser.release();
        const Reply reply = answer(req);
        bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(reply.status),
                                                req.version()};
        res.set(bhttp::field::server, "pakt-fake-vendors");
        res.set(bhttp::field::content_type, "application/json");
        for (const auto& [name, value] : reply.headers) res.set(name, value);
        res.body() = reply.body;
        res.keep_alive(req.keep_alive());
        res.prepare_payload();
        transport.expires_after(kIoTimeout);
        co_await bhttp::async_write(stream, res, token(ec));
        if (ec) co_return;
        if (!res.keep_alive()) break;
    }
    transport.expires_after(kTlsShutdownTimeout);
    co_await stream.async_shutdown(token(ec));
    // Whatever the shutdown's outcome, the connection is finished; the socket closes with it.
}

void FakeVendorServer::Impl::stop() {
    stopping = true;
    beast::error_code ignored;
    acceptor.close(ignored);
    // close() only cancels the pending operations; their handlers run later, on this thread, so
    // no session unregisters itself while this loop runs.
    for (beast::tcp_stream* stream : open_streams) stream->close();
}

Reply FakeVendorServer::Impl::answer(const bhttp::request<bhttp::string_body>& req) {
    const std::string target(req.target());
    FakeCall call{std::string(req.method_string()), target, 0,
                  std::string(req[bhttp::field::authorization])};

    std::lock_guard lock(mutex);
    Reply reply;
    const auto fault = std::find_if(faults.begin(), faults.end(), [&](const Fault& f) {
        return f.remaining > 0 && starts_with(target, f.prefix);
    });
    if (fault != faults.end()) {
        reply = json_reply(fault->status, {{"error", "injected fault"}, {"status", fault->status}});
        if (!fault->retry_after.empty())
            reply.headers.emplace_back("Retry-After", fault->retry_after);
        if (--fault->remaining == 0) faults.erase(fault);
    } else {
        try {
            reply = route(req);
        } catch (const std::exception&) {
            // E.g. a device field with invalid UTF-8 that nlohmann::json refuses to serialise: a
            // bug in the test's data, which the connector under test then sees as a server error.
            reply = json_reply(500, {{"error", "fake vendor server failed"}});
        }
    }
    const auto truncation = std::find_if(
        truncations.begin(), truncations.end(),
        [&](const Truncation& t) { return t.remaining > 0 && starts_with(target, t.prefix); });
    if (truncation != truncations.end()) {
        reply.body.resize(reply.body.size() / 2);
        if (--truncation->remaining == 0) truncations.erase(truncation);
    }
    call.status = reply.status;
    calls.push_back(std::move(call));
    return reply;
}

Reply FakeVendorServer::Impl::route(const bhttp::request<bhttp::string_body>& req) {
    const std::string_view target = req.target();
    const auto question = target.find('?');
    const std::string_view path = target.substr(0, question);
    const auto query = parse_params(
        question == std::string_view::npos ? std::string_view{} : target.substr(question + 1));
    const bool get = req.method() == bhttp::verb::get;
    const auto method_not_allowed = [] {
        return json_reply(405, {{"error", "method not allowed"}});
    };

    if (path == "/asm/auth/oauth2/token") {
        return req.method() == bhttp::verb::post ? asm_token(req) : method_not_allowed();
    }
    if (path == "/asm/v1/orgDevices") {
        if (!get) return method_not_allowed();
        if (!query) return asm_bad_parameter("malformed query string");
        return asm_devices_page(req, *query);
    }
    if (path == "/jamf/api/devices" || path == "/jamf/api/locations") {
        if (!get) return method_not_allowed();
        if (!jamf_authorized(req)) {
            return json_reply(401, {{"code", 401}, {"message", "ClientUnauthorized"}});
        }
        // Protocol version 3 is what the JSON below has the shape of; older versions answer
        // differently, so a connector that does not ask for 3 is wrong even if it parses this.
        if (req["X-Server-Protocol-Version"] != "3") {
            return json_reply(400, {{"code", 400}, {"message", "UnsupportedProtocolVersion"}});
        }
        if (path == "/jamf/api/locations") {
            json locations = json::array();
            for (const auto& [id, name] : jamf_locations) {
                locations.push_back({{"id", id}, {"name", name}});
            }
            return json_reply(200, {{"code", 200}, {"locations", std::move(locations)}});
        }
        json devices = json::array();
        for (const auto& d : jamf_devices) {
            devices.push_back({{"UDID", d.udid},
                               {"locationId", d.location_id},
                               {"serialNumber", d.serial},
                               {"name", "iPad " + d.serial},
                               {"isManaged", d.managed},
                               {"isSupervised", true},
                               {"batteryLevel", d.battery},
                               {"os", {{"prefix", "iOS"}, {"version", d.os_version}}},
                               {"lastCheckin", d.last_checkin},
                               {"assetTag", d.asset_tag},
                               {"class", "ipad"}});
        }
        return json_reply(
            200, {{"code", 200}, {"count", jamf_devices.size()}, {"devices", std::move(devices)}});
    }
    if (path == "/relution/api/v2/devices") {
        if (!get) return method_not_allowed();
        if (!query) return json_reply(400, {{"status", 400}, {"message", "Bad Request"}});
        return relution_devices_page(req, *query);
    }
    return json_reply(404, {{"error", "not found"}});
}

Reply FakeVendorServer::Impl::asm_token(const bhttp::request<bhttp::string_body>& req) {
    const auto form = parse_params(req.body());
    if (form) {
        if (const auto it = form->find("client_assertion"); it != form->end()) {
            asm_assertions.push_back(it->second);
        }
    }
    const bool form_encoded =
        starts_with(req[bhttp::field::content_type], "application/x-www-form-urlencoded");
    if (!form_encoded || !form || !asm_assertion_valid(*form)) {
        return json_reply(401, {{"error", "invalid_client"}});
    }
    const std::string access_token = random_token();
    asm_tokens.emplace(access_token, SteadyClock::now() + asm_token_lifetime);
    ++asm_tokens_issued;
    Reply reply = json_reply(200, {{"access_token", access_token},
                                   {"token_type", "Bearer"},
                                   {"expires_in", asm_token_lifetime.count()},
                                   {"scope", "school.api"}});
    reply.headers.emplace_back("Cache-Control", "no-store");
    return reply;
}

bool FakeVendorServer::Impl::asm_assertion_valid(
    const std::map<std::string, std::string>& form) const {
    const auto field = [&](const char* name) -> std::string {
        const auto it = form.find(name);
        return it == form.end() ? std::string{} : it->second;
    };
    if (field("grant_type") != "client_credentials" || field("client_id") != asm_client_id ||
        field("client_assertion_type") != kAssertionType || field("scope") != "school.api") {
        return false;
    }

    const std::string assertion = field("client_assertion");
    const auto first_dot = assertion.find('.');
    const auto second_dot =
        first_dot == std::string::npos ? std::string::npos : assertion.find('.', first_dot + 1);
    if (second_dot == std::string::npos ||
        assertion.find('.', second_dot + 1) != std::string::npos) {
        return false;
    }
    const std::string_view compact(assertion);
    const auto header = decode_json_segment(compact.substr(0, first_dot));
    const auto payload =
        decode_json_segment(compact.substr(first_dot + 1, second_dot - first_dot - 1));
    const auto signature = base64url_decode(compact.substr(second_dot + 1));
    if (!header || !payload || !signature) return false;

    if (!string_field_is(*header, "alg", "ES256") || !string_field_is(*header, "kid", asm_key_id)) {
        return false;
    }
    if (!string_field_is(*payload, "iss", asm_client_id) ||
        !string_field_is(*payload, "sub", asm_client_id) ||
        !string_field_is(*payload, "aud", kAssertionAudience)) {
        return false;
    }
    const auto exp = payload->find("exp");
    const double now =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    if (exp == payload->end() || !exp->is_number() || exp->get<double>() <= now) return false;

    return verify_es256(asm_public_key.get(), compact.substr(0, second_dot), *signature);
}

Reply FakeVendorServer::Impl::asm_devices_page(const bhttp::request<bhttp::string_body>& req,
                                               const std::map<std::string, std::string>& query) {
    const std::string_view authorization = req[bhttp::field::authorization];
    constexpr std::string_view kBearer = "Bearer ";
    if (!starts_with(authorization, kBearer)) return asm_unauthorized();
    const auto known = asm_tokens.find(std::string(authorization.substr(kBearer.size())));
    if (known == asm_tokens.end() || SteadyClock::now() >= known->second) {
        return asm_unauthorized();
    }

    std::int64_t limit = kAsmDefaultLimit;
    if (const auto it = query.find("limit"); it != query.end()) {
        const auto parsed = parse_integer(it->second, 1, kAsmMaxLimit);
        if (!parsed) return asm_bad_parameter("limit must be an integer from 1 to 1000");
        limit = *parsed;
    }
    std::int64_t start = 0;
    if (const auto it = query.find("cursor"); it != query.end()) {
        const auto decoded = base64url_decode(it->second);
        const auto index =
            decoded ? parse_integer(*decoded, 1, static_cast<std::int64_t>(asm_devices.size()))
                    : std::nullopt;
        if (!index) return asm_bad_parameter("cursor is not valid");
        start = *index;
    }

    const auto total = static_cast<std::int64_t>(asm_devices.size());
    const std::int64_t end = std::min(total, start + limit);
    json data = json::array();
    for (std::int64_t i = start; i < end; ++i) {
        data.push_back(asm_device_json(asm_devices[static_cast<std::size_t>(i)]));
    }
    json links = {{"self", base_url + std::string(req.target())}};
    json paging = {{"limit", limit}};
    if (end < total) {
        const std::string cursor = base64url_encode(std::to_string(end));
        links["next"] =
            base_url + "/asm/v1/orgDevices?limit=" + std::to_string(limit) + "&cursor=" + cursor;
        paging["nextCursor"] = cursor;
    }
    return json_reply(200, {{"data", std::move(data)},
                            {"links", std::move(links)},
                            {"meta", {{"paging", std::move(paging)}}}});
}

bool FakeVendorServer::Impl::jamf_authorized(const bhttp::request<bhttp::string_body>& req) const {
    const std::string_view authorization = req[bhttp::field::authorization];
    constexpr std::string_view kBasic = "Basic ";
    if (!starts_with(authorization, kBasic)) return false;
    const auto credential = base64_std_decode(authorization.substr(kBasic.size()));
    return credential && constant_time_equal(*credential, jamf_network_id + ":" + jamf_api_key);
}

Reply FakeVendorServer::Impl::relution_devices_page(
    const bhttp::request<bhttp::string_body>& req,
    const std::map<std::string, std::string>& query) const {
    if (!constant_time_equal(req["X-User-Access-Token"], relution_token)) {
        return json_reply(401, {{"status", 401}, {"message", "Unauthorized"}});
    }
    std::int64_t offset = 0;
    std::int64_t limit = kRelutionDefaultLimit;
    if (const auto it = query.find("offset"); it != query.end()) {
        const auto parsed = parse_integer(it->second, 0, std::numeric_limits<std::int32_t>::max());
        if (!parsed) return json_reply(400, {{"status", 400}, {"message", "Bad Request"}});
        offset = *parsed;
    }
    if (const auto it = query.find("limit"); it != query.end()) {
        const auto parsed = parse_integer(it->second, 1, std::numeric_limits<std::int32_t>::max());
        if (!parsed) return json_reply(400, {{"status", 400}, {"message", "Bad Request"}});
        limit = *parsed;
    }
    const auto total = static_cast<std::int64_t>(relution_devices.size());
    json results = json::array();
    for (std::int64_t i = offset; i < std::min(total, offset + limit); ++i) {
        const auto& d = relution_devices[static_cast<std::size_t>(i)];
        results.push_back({{"uuid", d.uuid},
                           {"serialNumber", d.serial},
                           {"status", d.status},
                           {"lastConnectionDate", d.last_connection_ms},
                           {"osVersion", d.os_version},
                           {"organizationUuid", d.organization_uuid},
                           {"platform", "IOS"},
                           {"name", "iPad " + d.serial}});
    }
    return json_reply(
        200,
        {{"status", 200}, {"message", nullptr}, {"total", total}, {"results", std::move(results)}});
}

// ---- FakeVendorServer -----------------------------------------------------------------------

FakeVendorServer::FakeVendorServer() : impl_(std::make_unique<Impl>()) {
    impl_->create_credentials();
    impl_->listen();
    asio::co_spawn(impl_->ioc, impl_->accept_connections(), asio::detached);
    impl_->thread = std::thread([impl = impl_.get()] { impl->ioc.run(); });
}

FakeVendorServer::~FakeVendorServer() {
    // stop() runs on the server thread, where the sessions live; run() returns once every
    // session has seen its connection closed and finished.
    asio::post(impl_->ioc, [impl = impl_.get()] { impl->stop(); });
    impl_->thread.join();
}

std::uint16_t FakeVendorServer::port() const { return impl_->port; }
std::string FakeVendorServer::base_url() const { return impl_->base_url; }
const std::filesystem::path& FakeVendorServer::ca_file() const {
    return impl_->certificate.cert_file;
}
std::string FakeVendorServer::asm_token_url() const {
    return impl_->base_url + "/asm/auth/oauth2/token";
}
std::string FakeVendorServer::asm_api_url() const { return impl_->base_url + "/asm"; }
std::string FakeVendorServer::jamf_url() const { return impl_->base_url + "/jamf/api"; }
std::string FakeVendorServer::relution_url() const { return impl_->base_url + "/relution"; }

const std::filesystem::path& FakeVendorServer::asm_private_key_file() const {
    return impl_->asm_key_file;
}
const std::string& FakeVendorServer::asm_client_id() const { return impl_->asm_client_id; }
const std::string& FakeVendorServer::asm_key_id() const { return impl_->asm_key_id; }
const std::string& FakeVendorServer::jamf_network_id() const { return impl_->jamf_network_id; }
const std::string& FakeVendorServer::jamf_api_key() const { return impl_->jamf_api_key; }
const std::filesystem::path& FakeVendorServer::jamf_api_key_file() const {
    return impl_->jamf_key_file;
}
const std::string& FakeVendorServer::relution_token() const { return impl_->relution_token; }
const std::filesystem::path& FakeVendorServer::relution_token_file() const {
    return impl_->relution_token_file;
}

void FakeVendorServer::asm_set_devices(std::vector<FakeAsmDevice> devices) {
    std::sort(devices.begin(), devices.end(),
              [](const auto& a, const auto& b) { return a.serial < b.serial; });
    std::lock_guard lock(impl_->mutex);
    impl_->asm_devices = std::move(devices);
}

void FakeVendorServer::asm_release(const std::string& serial, const std::string& rfc3339_time) {
    std::lock_guard lock(impl_->mutex);
    for (auto& device : impl_->asm_devices) {
        if (device.serial == serial) {
            device.released_from_org = rfc3339_time;
            device.status = "UNASSIGNED";
        }
    }
}

void FakeVendorServer::asm_set_token_lifetime(std::chrono::seconds lifetime) {
    std::lock_guard lock(impl_->mutex);
    impl_->asm_token_lifetime = lifetime;
}

void FakeVendorServer::asm_expire_tokens() {
    std::lock_guard lock(impl_->mutex);
    impl_->asm_tokens.clear();
}

std::size_t FakeVendorServer::asm_tokens_issued() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->asm_tokens_issued;
}

std::vector<std::string> FakeVendorServer::asm_assertions() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->asm_assertions;
}

void FakeVendorServer::jamf_set_devices(std::vector<FakeJamfDevice> devices) {
    std::lock_guard lock(impl_->mutex);
    impl_->jamf_devices = std::move(devices);
}

void FakeVendorServer::jamf_set_locations(std::vector<std::pair<int, std::string>> locations) {
    std::lock_guard lock(impl_->mutex);
    impl_->jamf_locations = std::move(locations);
}

void FakeVendorServer::relution_set_devices(std::vector<FakeRelutionDevice> devices) {
    std::lock_guard lock(impl_->mutex);
    impl_->relution_devices = std::move(devices);
}

void FakeVendorServer::fail_next(const std::string& path_prefix, int count, int status,
                                 const std::string& retry_after) {
    if (count <= 0) return;
    std::lock_guard lock(impl_->mutex);
    impl_->faults.push_back(Fault{path_prefix, count, status, retry_after});
}

void FakeVendorServer::truncate_next(const std::string& path_prefix, int count) {
    if (count <= 0) return;
    std::lock_guard lock(impl_->mutex);
    impl_->truncations.push_back(Truncation{path_prefix, count});
}

std::vector<FakeCall> FakeVendorServer::calls() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->calls;
}

void FakeVendorServer::clear_calls() {
    std::lock_guard lock(impl_->mutex);
    impl_->calls.clear();
}

void write_owner_only_file(const std::filesystem::path& path, std::string_view contents) {
    write_file_atomically(path, contents, 0600);
}

}  // namespace pakt::test
