// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// User management (city_admin only).

#include <algorithm>
#include <charconv>

#include "server/domain/password.hpp"
#include "server/domain/user_output.hpp"
#include "server/domain/validation.hpp"
#include "server/http/handlers.hpp"
#include "server/http/json_input.hpp"

namespace pakt::server::http {
namespace {

std::int64_t parse_user_id(const std::string& text) {
    std::int64_t id = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (ec != std::errc() || ptr != text.data() + text.size() || id <= 0) throw ApiError::not_found("no such user");
    return id;
}

void require_admin(const RequestContext& ctx) { require(ctx, Action::manage_users, std::nullopt); }

// Unknown schools are a 422 on the "schools" field; checked on the writer so the check and the
// insert see the same state.
void check_schools_exist(Repositories& db, const std::vector<std::string>& schools) {
    std::vector<FieldError> errors;
    for (const auto& s : schools) {
        if (!db.school_exists(s)) errors.push_back({"schools", "school '" + s + "' does not exist", std::nullopt});
    }
    if (!errors.empty()) throw ApiError::unprocessable("the user refers to unknown schools", errors);
}

Response list(HandlerDeps& deps, RequestContext& ctx) {
    require_admin(ctx);
    const int limit = page_limit(ctx);
    const std::int64_t after_id = page_after_id(ctx);
    auto lease = deps.store.read();
    auto users = lease->list_users(after_id, limit + 1);
    nlohmann::json items = nlohmann::json::array();
    nlohmann::json next = nullptr;
    for (std::size_t i = 0; i < users.size() && static_cast<int>(i) < limit; ++i) items.push_back(user_json(users[i]));
    if (static_cast<int>(users.size()) > limit) next = encode_cursor(std::to_string(users[static_cast<std::size_t>(limit) - 1].id));
    return json_response(200, dump({{"items", items}, {"next_cursor", next}}));
}

Response get(HandlerDeps& deps, RequestContext& ctx) {
    require_admin(ctx);
    const auto id = parse_user_id(ctx.param("id"));
    auto lease = deps.store.read();
    auto user = lease->find_user_by_id(id);
    if (!user) throw ApiError::not_found("no such user");
    return json_response(200, dump(user_json(*user)));
}

// Without a password the server generates a one-time password: city_admin hands it over, and
// the user must set its own at the first login (must_change_password).
Response create(HandlerDeps& deps, RequestContext& ctx) {
    require_admin(ctx);
    const auto body = parse_json_body(ctx.request);
    ObjectReader in(
        body, {"username", "display_name", "role", "schools", "password", "must_change_password"});
    UserRecord user;
    user.username = in.required_string("username");
    user.display_name = in.optional_string("display_name").value_or("");
    const std::string role_text = in.required_string("role");
    user.schools = in.optional_string_array("schools").value_or(std::vector<std::string>{});
    const std::optional<std::string> given_password =
        in.optional_string("password", TextKind::opaque);
    const std::optional<bool> must_change = in.optional_bool("must_change_password");
    if (in.has("username")) {
        if (auto p = check_username(user.username)) in.invalid("username", *p);
    }
    if (auto p = check_text(user.display_name, 200)) in.invalid("display_name", *p);
    auto role = role_from_string(role_text);
    if (in.has("role") && !role) in.invalid("role", "must be one of city_admin, school_it, headteacher");
    if (role) {
        user.role = *role;
        if (auto p = check_role_schools(*role, user.schools)) in.invalid("schools", *p);
    }
    if (given_password) {
        if (auto p = check_password(*given_password)) in.invalid("password", *p);
    } else if (must_change == false) {
        in.invalid("must_change_password",
                   "must be true when the server generates the password (no \"password\" given)");
    }
    in.finish();
    std::sort(user.schools.begin(), user.schools.end());
    const std::string password = given_password ? *given_password : generate_one_time_password();
    user.password_hash = hash_password(password);
    user.must_change_password = given_password ? must_change.value_or(false) : true;

    const UserRecord created = deps.store.write([&](Repositories& db) {
        if (db.find_user_by_username(user.username)) {
            throw ApiError::conflict("a user with this username exists", {{"username", "is taken", std::nullopt}});
        }
        check_schools_exist(db, user.schools);
        const auto id = db.insert_user(user);
        AuditEntry entry = audit_entry(ctx, "user.create", "user", std::to_string(id), std::nullopt);
        entry.detail = {{"username", user.username},
                        {"role", role_text},
                        {"schools", user.schools},
                        {"must_change_password", user.must_change_password},
                        {"password_generated", !given_password}};
        db.append_audit(entry);
        return *db.find_user_by_id(id);
    });
    nlohmann::json answer = user_json(created);
    if (!given_password) answer["one_time_password"] = password;  // shown this once, stored hashed
    Response r = json_response(201, dump(answer));
    r.set_header("Location", "/api/v1/users/" + std::to_string(created.id));
    return r;
}

Response update(HandlerDeps& deps, RequestContext& ctx) {
    require_admin(ctx);
    const auto id = parse_user_id(ctx.param("id"));
    const auto body = parse_json_body(ctx.request);
    ObjectReader in(
        body, {"role", "schools", "display_name", "password", "disabled", "must_change_password"});
    auto role_text = in.optional_string("role");
    auto schools = in.optional_string_array("schools");
    auto display_name = in.optional_string("display_name");
    auto password = in.optional_string("password", TextKind::opaque);
    auto disabled = in.optional_bool("disabled");
    auto must_change = in.optional_bool("must_change_password");
    std::optional<Role> role;
    if (role_text) {
        role = role_from_string(*role_text);
        if (!role) in.invalid("role", "must be one of city_admin, school_it, headteacher");
    }
    if (display_name) {
        if (auto p = check_text(*display_name, 200)) in.invalid("display_name", *p);
    }
    if (password) {
        if (auto p = check_password(*password)) in.invalid("password", *p);
    }
    in.finish();
    const std::optional<std::string> new_hash = password ? std::optional(hash_password(*password)) : std::nullopt;

    const UserRecord updated = deps.store.write([&](Repositories& db) {
        auto user = db.find_user_by_id(id);
        if (!user) throw ApiError::not_found("no such user");
        const bool was_admin = user->role == Role::city_admin && !user->disabled;
        if (role) user->role = *role;
        if (schools) user->schools = *schools;
        else if (role == Role::city_admin) user->schools.clear();
        std::sort(user->schools.begin(), user->schools.end());
        if (auto p = check_role_schools(user->role, user->schools)) {
            throw ApiError::unprocessable("the user's role and schools do not fit", {{"schools", *p, std::nullopt}});
        }
        check_schools_exist(db, user->schools);
        if (display_name) user->display_name = *display_name;
        if (new_hash) user->password_hash = *new_hash;
        if (disabled) user->disabled = *disabled;
        if (must_change) user->must_change_password = *must_change;
        const bool is_admin = user->role == Role::city_admin && !user->disabled;
        if (was_admin && !is_admin && db.count_enabled_city_admins() <= 1) {
            throw ApiError::conflict("this change would leave no enabled city_admin");
        }
        db.update_user(*user);
        // Disabling or a new password ends the user's sessions and deletes its API tokens (as
        // paktctl user disable and a password reset do): whoever held the old password or a
        // token made with it is out. A changed scope ends every open session: the person logs
        // in again under the new rules.
        RevokedAccess revoked;
        if (disabled.value_or(false) || new_hash)
            revoked = db.revoke_user_access(id);
        else if (role || schools)
            db.delete_sessions_of_user(id);
        AuditEntry entry = audit_entry(ctx, "user.update", "user", std::to_string(id), std::nullopt);
        entry.detail = nlohmann::json::object();
        if (role_text) entry.detail["role"] = *role_text;
        if (schools) entry.detail["schools"] = user->schools;
        if (display_name) entry.detail["display_name"] = *display_name;
        if (password) entry.detail["password_changed"] = true;
        if (revoked.sessions > 0 || revoked.api_tokens > 0) {
            entry.detail["sessions_ended"] = revoked.sessions;
            entry.detail["api_tokens_deleted"] = revoked.api_tokens;
        }
        if (disabled) entry.detail["disabled"] = *disabled;
        if (must_change) entry.detail["must_change_password"] = *must_change;
        db.append_audit(entry);
        return *db.find_user_by_id(id);
    });
    return json_response(200, dump(user_json(updated)));
}

// A generated password for a person who forgot theirs or never got one: city_admin hands it
// over, and it opens nothing but the way to set an own password (must_change_password); it
// stops working once the person has. Whoever held the old password is locked out: every session
// ends and every API token is deleted, as a password change does (a token is a credential of the
// person as much as the password).
Response set_one_time_password(HandlerDeps& deps, RequestContext& ctx) {
    require_admin(ctx);
    const auto id = parse_user_id(ctx.param("id"));
    if (!ctx.request.body.empty()) {
        const auto body = parse_json_body(ctx.request);
        ObjectReader(body, {}).finish();  // nothing to choose; an empty object is fine
    }
    const std::string password = generate_one_time_password();
    const std::string hash = hash_password(password);
    const UserRecord updated = deps.store.write([&](Repositories& db) {
        auto user = db.find_user_by_id(id);
        if (!user) throw ApiError::not_found("no such user");
        user->password_hash = hash;
        user->must_change_password = true;
        db.update_user(*user);
        const RevokedAccess revoked = db.revoke_user_access(id);
        AuditEntry entry =
            audit_entry(ctx, "user.password_reset", "user", std::to_string(id), std::nullopt);
        entry.detail = {{"username", user->username},
                        {"sessions_ended", revoked.sessions},
                        {"api_tokens_deleted", revoked.api_tokens}};
        db.append_audit(entry);
        return *db.find_user_by_id(id);
    });
    return json_response(201,
                         dump({{"one_time_password", password}, {"user", user_json(updated)}}));
}

Response list_tokens(HandlerDeps& deps, RequestContext& ctx) {
    require_admin(ctx);
    const auto id = parse_user_id(ctx.param("id"));
    const int limit = page_limit(ctx);
    const std::int64_t after_id = page_after_id(ctx);
    auto lease = deps.store.read();
    if (!lease->find_user_by_id(id)) throw ApiError::not_found("no such user");
    const auto tokens = lease->list_api_tokens(id, after_id, limit + 1);
    nlohmann::json items = nlohmann::json::array();
    nlohmann::json next = nullptr;
    for (std::size_t i = 0; i < tokens.size() && static_cast<int>(i) < limit; ++i)
        items.push_back(api_token_json(tokens[i]));
    if (static_cast<int>(tokens.size()) > limit)
        next = encode_cursor(std::to_string(tokens[static_cast<std::size_t>(limit) - 1].id));
    return json_response(200, dump({{"items", items}, {"next_cursor", next}}));
}

Response revoke_token(HandlerDeps& deps, RequestContext& ctx) {
    require_admin(ctx);
    const auto user_id = parse_user_id(ctx.param("id"));
    std::int64_t token_id = 0;
    const std::string& text = ctx.param("token_id");
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), token_id);
    if (ec != std::errc() || ptr != text.data() + text.size() || token_id <= 0)
        throw ApiError::not_found("no such API token");
    deps.store.write([&](Repositories& db) {
        const auto user = db.find_user_by_id(user_id);
        if (!user) throw ApiError::not_found("no such user");
        const auto token = db.find_api_token(token_id);
        if (!token || token->user_id != user_id)
            throw ApiError::not_found("the user has no such API token");
        db.delete_api_token(token_id);
        AuditEntry entry =
            audit_entry(ctx, "token.revoke", "api_token", std::to_string(token_id), std::nullopt);
        entry.detail = {{"user_id", user_id}, {"username", user->username}, {"name", token->name}};
        db.append_audit(entry);
    });
    return no_content();
}

}  // namespace

void register_user_routes(Router& router, HandlerDeps& deps) {
    router.add("GET", "/api/v1/users", Auth::user, [&deps](RequestContext& ctx) { return list(deps, ctx); });
    router.add("POST", "/api/v1/users", Auth::user, [&deps](RequestContext& ctx) { return create(deps, ctx); });
    router.add("GET", "/api/v1/users/{id}", Auth::user, [&deps](RequestContext& ctx) { return get(deps, ctx); });
    router.add("PATCH", "/api/v1/users/{id}", Auth::user, [&deps](RequestContext& ctx) { return update(deps, ctx); });
    router.add("POST", "/api/v1/users/{id}/one-time-password", Auth::user,
               [&deps](RequestContext& ctx) { return set_one_time_password(deps, ctx); });
    router.add("GET", "/api/v1/users/{id}/tokens", Auth::user,
               [&deps](RequestContext& ctx) { return list_tokens(deps, ctx); });
    router.add("DELETE", "/api/v1/users/{id}/tokens/{token_id}", Auth::user,
               [&deps](RequestContext& ctx) { return revoke_token(deps, ctx); });
}

}  // namespace pakt::server::http
