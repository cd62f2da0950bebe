// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// Site agents: enroll secrets (school IT of the school or city_admin), enrollment of an agent
// (secret -> node key), the check-in, the agent list and revocation, and unknown sightings.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <iterator>
#include <semaphore>

#include "common/checkin_report.hpp"
#include "common/crypto.hpp"
#include "common/csv.hpp"
#include "common/gzip.hpp"
#include "common/time.hpp"
#include "server/domain/agent_enrollment.hpp"
#include "server/domain/checkin.hpp"
#include "server/domain/validation.hpp"
#include "server/http/handlers.hpp"
#include "server/http/json_input.hpp"

namespace pakt::server::http {
namespace {

constexpr int kAwayDays = 14;
constexpr int kKeepCheckinsDays = 35;  // replays are recognised for at least 30 days

std::int64_t parse_positive(const std::string& text, const char* what) {
    std::int64_t id = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (ec != std::errc() || ptr != text.data() + text.size() || id <= 0)
        throw ApiError::not_found(std::string("no such ") + what);
    return id;
}

nlohmann::json agent_json(const ListedAgent& listed) {
    const Agent& a = listed.agent;
    return {{"agent_id", a.id},
            {"school_number", a.school_number},
            {"hostname", a.hostname},
            {"agent_version", a.agent_version},
            {"enrolled_at", a.enrolled_at},
            {"last_checkin_at",
             a.last_checkin_at ? nlohmann::json(*a.last_checkin_at) : nlohmann::json(nullptr)},
            {"revoked", a.revoked_at.has_value()},
            {"checkin_interval_s", listed.checkin_interval_s},
            {"state", listed.state}};
}

nlohmann::json secret_json(const AgentSecret& s) {
    return {{"id", s.id},
            {"school_number", s.school_number},
            {"created_at", s.created_at},
            {"created_by", s.created_by},
            {"expires_at", s.expires_at},
            {"revoked", s.revoked_at.has_value()},
            {"max_uses", s.max_uses},
            {"uses", s.uses},
            {"uses_left", std::max(0, s.max_uses - s.uses)}};
}

// The interval an agent is told (see checkin_interval_s: spread per agent).
int next_checkin_s(const ServerConfig& config, std::int64_t agent_id) {
    return static_cast<int>(checkin_interval_s(config.checkin_interval.count(), agent_id));
}

// Where agents reach this server: server.public_url, else the scheme https and the Host of the
// request (with TLS off, paktd sits behind a TLS-terminating proxy, which agents reach by https
// too). 400 if the request's Host is unusable in a URL.
std::string agent_server_url(const HandlerDeps& deps, const RequestContext& ctx) {
    if (!deps.config.public_url.empty()) return deps.config.public_url;
    const auto host = ctx.request.header("Host");
    const bool usable = host && !host->empty() && host->size() <= 262 &&
                        std::all_of(host->begin(), host->end(), [](char c) {
                            return std::isalnum(static_cast<unsigned char>(c)) || c == '.' ||
                                   c == '-' || c == ':' || c == '[' || c == ']';
                        });
    if (!usable) {
        throw ApiError::bad_request("the request has no usable Host header; set server.public_url");
    }
    return "https://" + *host;
}

void require_school(const RequestContext& ctx, Repositories& db, const std::string& number) {
    if (!can_see(ctx.user(), number) || !db.school_exists(number))
        throw ApiError::not_found("no such school");
}

Response create_secret(HandlerDeps& deps, RequestContext& ctx) {
    const std::string number = ctx.param("school_number");
    require(ctx, Action::view, number);
    require(ctx, Action::manage_agent_secrets, number);
    nlohmann::json body = nlohmann::json::object();
    if (!ctx.request.body.empty()) body = parse_json_body(ctx.request);
    ObjectReader in(body, {"expires_in_hours", "uses"});
    const auto hours = in.optional_integer("expires_in_hours");
    if (hours && (*hours < 1 || *hours > 24 * 90))
        in.invalid("expires_in_hours", "must be between 1 and 2160");
    const auto requested_uses = in.optional_integer("uses");
    constexpr auto kMaxUses = static_cast<std::int64_t>(kMaxEnrollSecretUses);
    if (requested_uses && (*requested_uses < 1 || *requested_uses > kMaxUses)) {
        in.invalid("uses", "must be between 1 and " + std::to_string(kMaxEnrollSecretUses));
    }
    in.finish();
    const int uses = static_cast<int>(requested_uses.value_or(deps.config.enroll_secret_uses));
    const std::string server_url = agent_server_url(deps, ctx);
    const auto ttl = hours ? std::chrono::hours(*hours) : deps.config.enroll_secret_ttl;
    const std::string secret = random_token();
    const std::string expires_at = format_rfc3339(Clock::now() + ttl);
    const std::int64_t id = deps.store.write([&](Repositories& db) {
        require_school(ctx, db, number);
        const auto new_id = db.insert_agent_secret(number, sha256_hex(secret), ctx.user().username,
                                                expires_at, uses);
        AuditEntry entry =
            audit_entry(ctx, "agent_secret.create", "agent_secret", std::to_string(new_id), number);
        entry.detail = {{"expires_at", expires_at}, {"max_uses", uses}};
        db.append_audit(entry);
        return new_id;
    });
    std::optional<std::string> fingerprint;
    if (!deps.certificate_sha256.empty()) fingerprint = deps.certificate_sha256;
    return json_response(
        201, dump({{"id", id},
                   {"secret", secret},
                   {"expires_at", expires_at},
                   {"max_uses", uses},
                   {"school_number", number},
                   {"server_url", server_url},
                   {"certificate_sha256", nullable(fingerprint)},
                   {"enroll_command", agent_enroll_command(server_url, fingerprint, secret)}}));
}

Response list_secrets(HandlerDeps& deps, RequestContext& ctx) {
    // Metadata only (never the secrets): whoever sees the school may see that secrets exist.
    const std::string number = ctx.param("school_number");
    require(ctx, Action::view, number);
    auto lease = deps.store.read();
    require_school(ctx, *lease, number);
    nlohmann::json items = nlohmann::json::array();
    for (const auto& s : lease->list_agent_secrets(number)) items.push_back(secret_json(s));
    return json_response(200, dump({{"items", items}, {"next_cursor", nullptr}}));
}

Response revoke_secret(HandlerDeps& deps, RequestContext& ctx) {
    const std::string number = ctx.param("school_number");
    require(ctx, Action::view, number);
    require(ctx, Action::manage_agent_secrets, number);
    const auto id = parse_positive(ctx.param("id"), "agent secret");
    deps.store.write([&](Repositories& db) {
        auto s = db.find_agent_secret(id);
        if (!s || s->school_number != number) throw ApiError::not_found("no such agent secret");
        db.revoke_agent_secret(id, now_rfc3339());
        db.append_audit(audit_entry(ctx, "agent_secret.revoke", "agent_secret", std::to_string(id),
                                     number));
    });
    return no_content();
}

Response enroll(HandlerDeps& deps, RequestContext& ctx) {
    const auto body = parse_json_body(ctx.request);
    ObjectReader in(body, {"enroll_secret", "hostname", "agent_version"});
    const std::string secret = in.required_string("enroll_secret", TextKind::opaque);
    const std::string hostname = in.required_string("hostname");
    const std::string version = in.required_string("agent_version");
    if (auto e = check_text(hostname, 253)) in.invalid("hostname", *e);
    if (auto e = check_text(version, 64)) in.invalid("agent_version", *e);
    in.finish();

    // Guessing secrets is slowed down like guessing passwords, in counters of its own: per client
    // address for every refused secret, and per school for replayed secrets of the school that
    // exist but can no longer be used (a wrong secret names no school). See EnrollThrottle.
    const auto now_steady = EnrollThrottle::Clock::now();
    const std::string& address = ctx.request.remote_address;
    const auto too_many = [&](std::chrono::seconds wait, const char* why) {
        spdlog::warn("agent enrollment refused ({}, retry after {} s): remote={} request_id={}",
                     why, wait.count(), address, ctx.request.request_id);
        return ApiError::too_many_requests("too many failed enrollments; try again in " +
                                               std::to_string(wait.count()) + " seconds",
                                           static_cast<int>(wait.count()));
    };
    if (auto wait = deps.enroll_throttle.blocked_address(address, now_steady)) {
        throw too_many(*wait, "too many failures from this address");
    }
    const std::string secret_hash = sha256_hex(secret);
    std::optional<AgentSecret> known;
    {
        auto lease = deps.store.read();
        known = lease->find_agent_secret_by_hash(secret_hash);
    }
    const std::string node_key = random_token();
    const auto agent = deps.store.write([&](Repositories& db) -> std::optional<Agent> {
        const std::string now = now_rfc3339();
        auto s = db.find_usable_agent_secret(secret_hash, now);
        // The use is counted in the transaction that enrolls the agent, so a secret with one use
        // left enrolls one agent however many requests race for it.
        if (!s || !db.use_agent_secret(s->id)) return std::nullopt;
        Agent a;
        a.school_number = s->school_number;
        a.hostname = hostname;
        a.agent_version = version;
        a.id = db.insert_agent(a, sha256_hex(node_key), s->id);
        AuditEntry entry =
            audit_entry(ctx, "agent.enroll", "agent", std::to_string(a.id), a.school_number);
        entry.actor = "agent:" + std::to_string(a.id);
        entry.detail = {{"hostname", hostname},
                        {"agent_version", version},
                        {"secret_id", s->id},
                        {"secret_uses_left", s->max_uses - s->uses - 1}};
        db.append_audit(entry);
        return a;
    });
    if (!agent) {
        // Never the secret itself in the log; a known one by its id and school.
        if (known) {
            // Replaying a school's spent secrets is slowed down per school; a usable secret of
            // that school never is (it got here only by being refused), so holding an old
            // secret gives nobody a button that stops the school's enrollments.
            if (auto wait = deps.enroll_throttle.blocked_school(known->school_number, now_steady)) {
                throw too_many(*wait, "too many refused secrets of this school");
            }
            deps.enroll_throttle.record_refused_secret(known->school_number, address, now_steady);
            spdlog::warn(
                "agent enrollment failed: enroll secret {} of school {} is used up, expired "
                "or revoked; remote={} request_id={}",
                known->id, known->school_number, address, ctx.request.request_id);
        } else {
            deps.enroll_throttle.record_unknown_secret(address, now_steady);
            spdlog::warn("agent enrollment failed: unknown enroll secret; remote={} request_id={}",
                         address, ctx.request.request_id);
        }
        throw ApiError::unauthorized("the enroll secret is unknown, used up, expired or revoked");
    }
    return json_response(201,
                         dump({{"agent_id", agent->id},
                               {"node_key", node_key},
                               {"school_number", agent->school_number},
                               {"checkin_interval_s", next_checkin_s(deps.config, agent->id)}}));
}

std::optional<std::string> bearer(const Request& request) {
    auto auth = request.header("Authorization");
    if (!auth || auth->size() < 8 || auth->size() > 600) return std::nullopt;
    std::string scheme = auth->substr(0, 7);
    for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (scheme != "bearer ") return std::nullopt;
    return csv::trim(auth->substr(7));
}

Response checkin(HandlerDeps& deps, RequestContext& ctx) {
    // Agents authenticate with their node key, and only here: user tokens do not work on
    // /agent/*, node keys nowhere else.
    const auto key = bearer(ctx.request);
    if (!key || key->empty()) throw ApiError::unauthorized("a node key is required");
    std::optional<Agent> agent;
    {
        auto lease = deps.store.read();
        agent = lease->find_agent_by_node_key(sha256_hex(*key));
    }
    if (!agent) throw ApiError::unauthorized("the node key is unknown or revoked");
    if (auto wait = deps.checkin_limiter.acquire(agent->id, RateLimiter::Clock::now())) {
        throw ApiError::too_many_requests("check-ins arrive faster than allowed for this agent",
                                          static_cast<int>(wait->count()));
    }

    // Only a gzip body needs a request of its own; a plain one is parsed where it lies (a
    // check-in body is up to megabytes, and this is the hottest route).
    std::optional<Request> inflated;
    if (auto encoding = ctx.request.header("Content-Encoding")) {
        std::string e = csv::trim(*encoding);
        for (char& c : e) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (e == "gzip") {
            auto result =
                gzip_decompress(ctx.request.body, deps.config.checkin_max_decompressed_bytes);
            if (!result.data) {
                if (result.error == GunzipError::too_large) {
                    throw ApiError(413, "payload-too-large", "Payload too large",
                                   "the decompressed report exceeds " +
                                       std::to_string(deps.config.checkin_max_decompressed_bytes) +
                                       " bytes");
                }
                if (result.error == GunzipError::trailing_data) {
                    throw ApiError::bad_request(
                        "the body has data after the end of the gzip stream; send exactly one "
                        "gzip stream");
                }
                throw ApiError::bad_request("the body is not a valid gzip stream");
            }
            inflated.emplace();
            inflated->headers = ctx.request.headers;
            inflated->body = std::move(*result.data);
        } else if (e != "identity") {
            throw ApiError::unsupported_media_type("Content-Encoding '" + e +
                                                   "' is not supported; use gzip or none");
        }
    }
    // Parsing a report is the heaviest work outside the writer; with at most one parse per core
    // but one in flight, the writer (the bottleneck) keeps a core of its own.
    ParsedReport parsed;
    {
        deps.checkin_parsing.acquire();
        struct Release {
            std::counting_semaphore<>& semaphore;
            ~Release() { semaphore.release(); }
        } release{deps.checkin_parsing};
        const Request& body = inflated ? *inflated : ctx.request;
        check_json_body(body);
        parsed = parse_checkin_report(body.body, Clock::now() + kSeenAtClockTolerance);
        if (parsed.report) normalize_checkin_report(*parsed.report);
    }
    if (parsed.malformed) throw ApiError::bad_request("the request body is not valid JSON");
    if (!parsed.report) {
        FieldErrors errors;
        bool type_error = false;
        errors.append(parsed.errors, [&type_error](const ReportError& e) {
            type_error = type_error || e.wrong_type;
            return FieldError{e.field, e.message, std::nullopt};
        });
        if (type_error)
            throw ApiError::bad_request("the report has fields of the wrong type", errors);
        throw ApiError::unprocessable("the report is invalid", errors);
    }
    const CheckinReport& report = *parsed.report;

    struct Answer {
        std::int64_t accepted = 0;
        std::vector<std::string> unknown_serials;
        bool duplicate = false;
    };
    static std::atomic<std::uint64_t> checkins{0};
    const bool prune = checkins.fetch_add(1) % 1000 == 0;
    const Answer answer = deps.store.write([&](Repositories& db) {
        if (auto first = db.find_checkin(report.report_id)) {
            if (first->agent_id != agent->id) {
                throw ApiError::conflict("this report_id was used by another agent");
            }
            return Answer{first->accepted, first->unknown_serials, true};
        }
        const std::string now = now_rfc3339();
        // No audit entry: a check-in is telemetry, not a decision. Its record is checkin_reports
        // (kept kKeepCheckinsDays) and the device events it causes; an entry per check-in made the
        // audit log the largest table of a state's database (README, "Audit log").
        CheckinOutcome outcome = apply_checkin(db, *agent, report, now, kAwayDays);
        if (prune) db.prune_checkins(days_ago(kKeepCheckinsDays));
        return Answer{outcome.accepted, std::move(outcome.unknown_serials), false};
    });
    return json_response(200, dump({{"accepted", answer.accepted},
                                    {"unknown_serials", answer.unknown_serials},
                                    {"duplicate", answer.duplicate},
                                    {"next_checkin_s", next_checkin_s(deps.config, agent->id)}}));
}

Response list(HandlerDeps& deps, RequestContext& ctx) {
    AgentFilter f;
    const int limit = page_limit(ctx);
    f.limit = limit + 1;
    f.after_id = page_after_id(ctx);
    if (!ctx.user().is_city_admin()) f.schools = ctx.user().schools;
    if (auto school = ctx.query_param("school_number")) {
        if (!can_see(ctx.user(), *school)) throw ApiError::not_found("no such school");
        f.school_number = *school;
    }
    if (auto state = ctx.query_param("state")) {
        if (std::find(std::begin(kAgentStates), std::end(kAgentStates), *state) ==
            std::end(kAgentStates)) {
            throw ApiError::unprocessable(
                "unknown state", {{"state", "must be one of on_time, late, silent", std::nullopt}});
        }
        f.state = *state;
    }
    f.base_interval_s = deps.config.checkin_interval.count();
    f.now = Clock::now();
    auto lease = deps.store.read();
    auto agents = lease->list_agents(f);
    nlohmann::json items = nlohmann::json::array();
    nlohmann::json next = nullptr;
    for (std::size_t i = 0; i < agents.size() && static_cast<int>(i) < limit; ++i)
        items.push_back(agent_json(agents[i]));
    if (static_cast<int>(agents.size()) > limit)
        next = encode_cursor(std::to_string(agents[static_cast<std::size_t>(limit) - 1].agent.id));
    return json_response(200, dump({{"items", items}, {"next_cursor", next}}));
}

Response revoke(HandlerDeps& deps, RequestContext& ctx) {
    const auto id = parse_positive(ctx.param("id"), "agent");
    deps.store.write([&](Repositories& db) {
        auto a = db.find_agent(id);
        if (!a || !can_see(ctx.user(), a->school_number))
            throw ApiError::not_found("no such agent");
        require(ctx, Action::manage_agent_secrets, a->school_number);
        db.revoke_agent(id, now_rfc3339());
        db.append_audit(
            audit_entry(ctx, "agent.revoke", "agent", std::to_string(id), a->school_number));
    });
    return no_content();
}

Response unknown_devices(HandlerDeps& deps, RequestContext& ctx) {
    const std::string number = ctx.param("school_number");
    require(ctx, Action::view, number);
    const int limit = page_limit(ctx);
    const std::string after = page_after(ctx);
    auto lease = deps.store.read();
    require_school(ctx, *lease, number);
    auto sightings = lease->list_unknown_sightings(number, after, limit + 1);
    nlohmann::json items = nlohmann::json::array();
    nlohmann::json next = nullptr;
    for (std::size_t i = 0; i < sightings.size() && static_cast<int>(i) < limit; ++i) {
        const auto& s = sightings[i];
        items.push_back(
            {{"serial_number", s.serial_number},
             {"first_seen_at", s.first_seen_at},
             {"last_seen_at", s.last_seen_at},
             {"agent_id",
              s.source == "agent" ? nlohmann::json(s.agent_id) : nlohmann::json(nullptr)},
             {"source", s.source},
             {"ip_address", s.ip_address ? nlohmann::json(*s.ip_address) : nlohmann::json(nullptr)},
             {"os_version", s.os_version ? nlohmann::json(*s.os_version) : nlohmann::json(nullptr)},
             {"times_seen", s.times_seen}});
    }
    if (static_cast<int>(sightings.size()) > limit)
        next = encode_cursor(sightings[static_cast<std::size_t>(limit) - 1].serial_number);
    return json_response(200, dump({{"items", items}, {"next_cursor", next}}));
}

}  // namespace

void register_agent_routes(Router& router, HandlerDeps& deps) {
    router.add("POST", "/api/v1/schools/{school_number}/agent-secrets", Auth::user,
               [&deps](RequestContext& ctx) { return create_secret(deps, ctx); });
    router.add("GET", "/api/v1/schools/{school_number}/agent-secrets", Auth::user,
               [&deps](RequestContext& ctx) { return list_secrets(deps, ctx); });
    router.add("DELETE", "/api/v1/schools/{school_number}/agent-secrets/{id}", Auth::user,
               [&deps](RequestContext& ctx) { return revoke_secret(deps, ctx); });
    router.add(
        "POST", "/api/v1/agent/enroll", Auth::none,
        [&deps](RequestContext& ctx) { return enroll(deps, ctx); }, kAnonymousBodyLimit);
    // A report of up to 5,000 devices (gzip or plain): the configured limit.
    router.add(
        "POST", "/api/v1/agent/checkin", Auth::none,
        [&deps](RequestContext& ctx) { return checkin(deps, ctx); }, deps.config.body_limit_bytes);
    router.add("GET", "/api/v1/agents", Auth::user,
               [&deps](RequestContext& ctx) { return list(deps, ctx); });
    router.add("DELETE", "/api/v1/agents/{id}", Auth::user,
               [&deps](RequestContext& ctx) { return revoke(deps, ctx); });
    router.add("GET", "/api/v1/schools/{school_number}/unknown-devices", Auth::user,
               [&deps](RequestContext& ctx) { return unknown_devices(deps, ctx); });
}

}  // namespace pakt::server::http
