// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// Session (login, logout), the caller (/me) and the caller's API tokens.
#include <spdlog/spdlog.h>

#include <charconv>

#include "common/crypto.hpp"
#include "common/time.hpp"
#include "server/domain/password.hpp"
#include "server/domain/validation.hpp"
#include "server/http/handlers.hpp"
#include "server/http/json_input.hpp"

namespace pakt::server::http {

nlohmann::json me_json(const UserRecord& user);

nlohmann::json me_json(const UserRecord& user) {
    return {{"id", user.id},
            {"username", user.username},
            {"role", std::string(to_string(user.role))},
            {"schools", user.schools},
            {"display_name", user.display_name},
            {"must_change_password", user.must_change_password}};
}

nlohmann::json api_token_json(const ApiTokenRecord& t) {
    return {{"id", t.id},
            {"name", t.name},
            {"created_at", t.created_at},
            {"expires_on", nullable(t.expires_on)},
            {"last_used_at", nullable(t.last_used_at)}};
}

namespace {

std::int64_t parse_id(const std::string& text) {
    std::int64_t id = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (ec != std::errc() || ptr != text.data() + text.size() || id <= 0) throw ApiError::not_found();
    return id;
}

// The browser session cookie: host-only (__Host-: Secure, Path=/, no Domain), out of reach of
// scripts, never sent along with a request another site starts. No Max-Age: it goes when the
// browser closes; the server ends it earlier when it expires or idles.
std::string session_cookie(const std::string& token) {
    return std::string(kSessionCookie) + "=" + token + "; Path=/; Secure; HttpOnly; SameSite=Strict";
}

std::string cleared_session_cookie() {
    return std::string(kSessionCookie) + "=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0";
}

Response login(HandlerDeps& deps, RequestContext& ctx, const Router& router) {
    const auto body = parse_json_body(ctx.request);
    ObjectReader in(body, {"username", "password", "cookie"});
    const std::string username = in.required_string("username");
    const std::string password = in.required_string("password", TextKind::opaque);
    const bool cookie = in.optional_bool("cookie").value_or(false);
    in.finish();
    // A login into a cookie is a change made by the browser: a foreign page must not be able to
    // log the browser into an account of its choosing.
    if (cookie && !same_origin(ctx.request, router.scheme(), router.public_origin())) {
        throw ApiError(403, "forbidden-origin", "Forbidden",
                       "a browser session can only be opened from this server's own login page "
                       "(the Origin header does not match)");
    }

    const auto now = LoginThrottle::Clock::now();
    const std::string& address = ctx.request.remote_address;
    if (auto wait = deps.login_throttle.blocked(username, address, now)) {
        spdlog::warn(
            "login refused (too many failures, retry after {} s): user=\"{}\" remote={} "
            "request_id={}",
            wait->count(), log_safe(username), address, ctx.request.request_id);
        throw ApiError::too_many_requests(
            "too many failed logins from this address; try again in " +
                std::to_string(wait->count()) + " seconds",
            static_cast<int>(wait->count()));
    }

    std::optional<UserRecord> user;
    if (username.size() <= 64) {
        auto lease = deps.store.read();
        user = lease->find_user_by_username(username);
    }
    // The same work and the same answer whether the user exists, is disabled or typed the wrong
    // password, so the answer does not tell which usernames exist.
    bool ok = false;
    if (user) ok = verify_password(password, user->password_hash) && !user->disabled;
    else spend_verification_time(password);
    if (!ok) {
        deps.login_throttle.record_failure(username, address, LoginThrottle::Clock::now());
        // Who tried which username from where, so guessing shows in the log; never the password.
        spdlog::warn("login failed: user=\"{}\" remote={} request_id={}", log_safe(username),
                     address, ctx.request.request_id);
        throw ApiError::unauthorized("invalid username or password");
    }
    deps.login_throttle.record_success(username, address);

    const std::string token = random_token();
    const std::string expires_at = format_rfc3339(Clock::now() + deps.config.session_ttl);
    ctx.principal = user->principal();
    deps.store.write([&](Repositories& db) {
        db.insert_session(sha256_hex(token), user->id, expires_at, ctx.request.remote_address);
        AuditEntry entry = audit_entry(ctx, "session.create", "user", std::to_string(user->id), std::nullopt);
        entry.detail = {{"client_address", ctx.request.remote_address}};
        db.append_audit(entry);
    });
    if (cookie) {
        // The token goes into the cookie only, where the page's scripts cannot read it.
        Response r = json_response(201, dump({{"expires_at", expires_at}, {"user", me_json(*user)}}));
        r.set_header("Set-Cookie", session_cookie(token));
        return r;
    }
    return json_response(201, dump({{"token", token}, {"expires_at", expires_at}, {"user", me_json(*user)}}));
}

Response logout(HandlerDeps& deps, RequestContext& ctx) {
    const bool deleted = deps.store.write([&](Repositories& db) {
        if (!db.delete_session(sha256_hex(ctx.bearer_token))) return false;
        db.append_audit(audit_entry(ctx, "session.delete", "user", std::to_string(ctx.user().user_id),
                                     std::nullopt));
        return true;
    });
    if (!deleted) {
        throw ApiError::conflict(
            "this request was authenticated with an API token, not a session; revoke API tokens "
            "with DELETE /api/v1/tokens/{id}");
    }
    Response r = no_content();
    if (ctx.cookie_session) r.set_header("Set-Cookie", cleared_session_cookie());
    return r;
}

// Own password change: the current password proves it is the person, not a borrowed browser.
// Every other session and every API token of the user ends; the session that made the change
// stays, so the person is not logged out of the page they are on. It also ends the duty to
// replace a generated password (must_change_password).
Response change_password(HandlerDeps& deps, RequestContext& ctx) {
    const auto body = parse_json_body(ctx.request);
    ObjectReader in(body, {"current_password", "new_password"});
    const std::string current = in.required_string("current_password", TextKind::opaque);
    const std::string next = in.required_string("new_password", TextKind::opaque);
    if (in.has("new_password")) {
        if (auto p = check_password(next)) in.invalid("new_password", *p);
        else if (in.has("current_password") && next == current) in.invalid("new_password", "must differ from the current password");
    }
    in.finish();

    const auto now = LoginThrottle::Clock::now();
    const std::string& username = ctx.user().username;
    if (auto wait = deps.login_throttle.blocked(username, ctx.request.remote_address, now)) {
        throw ApiError::too_many_requests(
            "too many wrong passwords; try again in " + std::to_string(wait->count()) + " seconds",
            static_cast<int>(wait->count()));
    }
    std::optional<UserRecord> user;
    {
        auto lease = deps.store.read();
        user = lease->find_user_by_id(ctx.user().user_id);
    }
    if (!user) throw ApiError::unauthorized();
    if (!verify_password(current, user->password_hash)) {
        // Guessing through this form counts like guessing at the login.
        deps.login_throttle.record_failure(username, ctx.request.remote_address, now);
        spdlog::warn(
            "password change with a wrong current password: user=\"{}\" remote={} "
            "request_id={}",
            log_safe(username), ctx.request.remote_address, ctx.request.request_id);
        throw ApiError::unprocessable("the current password is wrong",
                                      {{"current_password", "is wrong", std::nullopt}});
    }
    const std::string new_hash = hash_password(next);
    const std::string keep = sha256_hex(ctx.bearer_token);
    deps.store.write([&](Repositories& db) {
        auto fresh = db.find_user_by_id(user->id);
        if (!fresh) throw ApiError::unauthorized();
        const bool was_generated = fresh->must_change_password;
        fresh->password_hash = new_hash;
        fresh->must_change_password = false;  // the password is the person's own now
        db.update_user(*fresh);
        const RevokedAccess revoked = db.revoke_other_access(fresh->id, keep);
        AuditEntry entry = audit_entry(ctx, "user.password", "user", std::to_string(fresh->id), std::nullopt);
        entry.detail = {{"sessions_ended", revoked.sessions}, {"api_tokens_deleted", revoked.api_tokens}};
        if (was_generated) entry.detail["replaced_generated_password"] = true;
        db.append_audit(entry);
    });
    return no_content();
}

Response me(HandlerDeps& deps, RequestContext& ctx) {
    auto lease = deps.store.read();
    auto user = lease->find_user_by_id(ctx.user().user_id);
    if (!user) throw ApiError::unauthorized();
    return json_response(200, dump(me_json(*user)));
}

Response create_token(HandlerDeps& deps, RequestContext& ctx) {
    const auto body = parse_json_body(ctx.request);
    ObjectReader in(body, {"name", "expires_on"});
    const std::string name = in.required_string("name");
    auto expires_on = in.optional_string("expires_on");
    if (in.has("name")) {
        if (name.empty()) in.invalid("name", "must not be empty");
        else if (auto problem = check_text(name, 100)) in.invalid("name", *problem);
    }
    if (expires_on) {
        if (auto e = check_date(*expires_on))
            in.invalid("expires_on", *e);
        else if (*expires_on < now_rfc3339().substr(0, 10)) in.invalid("expires_on", "must not be in the past");
    }
    in.finish();

    const std::string token = random_token();
    const std::int64_t id = deps.store.write([&](Repositories& db) {
        const auto new_id = db.insert_api_token(ctx.user().user_id, name, sha256_hex(token), expires_on);
        AuditEntry entry = audit_entry(ctx, "token.create", "api_token", std::to_string(new_id), std::nullopt);
        entry.detail = {{"name", name}, {"expires_on", expires_on ? nlohmann::json(*expires_on) : nlohmann::json(nullptr)}};
        db.append_audit(entry);
        return new_id;
    });
    return json_response(201, dump({{"id", id},
                                    {"token", token},
                                    {"name", name},
                                    {"expires_on", expires_on ? nlohmann::json(*expires_on) : nlohmann::json(nullptr)}}));
}

Response list_tokens(HandlerDeps& deps, RequestContext& ctx) {
    auto lease = deps.store.read();
    nlohmann::json items = nlohmann::json::array();
    for (const auto& t : lease->list_api_tokens(ctx.user().user_id))
        items.push_back(api_token_json(t));
    return json_response(200, dump({{"items", items}, {"next_cursor", nullptr}}));
}

Response revoke_token(HandlerDeps& deps, RequestContext& ctx) {
    const std::int64_t id = parse_id(ctx.param("id"));
    const bool deleted = deps.store.write([&](Repositories& db) {
        auto token = db.find_api_token(id);
        // A token of another user is reported as absent, like any object out of scope.
        if (!token || token->user_id != ctx.user().user_id) return false;
        db.delete_api_token(id);
        db.append_audit(audit_entry(ctx, "token.delete", "api_token", std::to_string(id), std::nullopt));
        return true;
    });
    if (!deleted) throw ApiError::not_found();
    return no_content();
}

}  // namespace

void register_session_routes(Router& router, HandlerDeps& deps) {
    router.add(
        "POST", "/api/v1/session", Auth::none,
        [&deps, &router](RequestContext& ctx) { return login(deps, ctx, router); },
        kAnonymousBodyLimit);
    router.add("POST", "/api/v1/me/password", Auth::own_account,
               [&deps](RequestContext& ctx) { return change_password(deps, ctx); });
    router.add("DELETE", "/api/v1/session", Auth::own_account,
               [&deps](RequestContext& ctx) { return logout(deps, ctx); });
    router.add("GET", "/api/v1/me", Auth::own_account,
               [&deps](RequestContext& ctx) { return me(deps, ctx); });
    router.add("POST", "/api/v1/tokens", Auth::user, [&deps](RequestContext& ctx) { return create_token(deps, ctx); });
    router.add("GET", "/api/v1/tokens", Auth::user, [&deps](RequestContext& ctx) { return list_tokens(deps, ctx); });
    router.add("DELETE", "/api/v1/tokens/{id}", Auth::user, [&deps](RequestContext& ctx) { return revoke_token(deps, ctx); });
}

}  // namespace pakt::server::http
