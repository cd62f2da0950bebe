// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include <charconv>

#include "server/http/handlers.hpp"

namespace pakt::server::http {

AuditEntry audit_entry(const RequestContext& ctx, std::string action, std::string object_type,
                       std::string object_id, std::optional<std::string> school_number) {
    AuditEntry e;
    if (ctx.principal) {
        e.actor_user_id = ctx.principal->user_id;
        e.actor = ctx.principal->username;
    } else {
        e.actor = "anonymous";
    }
    e.action = std::move(action);
    e.object_type = std::move(object_type);
    e.object_id = std::move(object_id);
    e.school_number = std::move(school_number);
    e.request_id = ctx.request.request_id;
    return e;
}

int page_limit(const RequestContext& ctx) {
    auto text = ctx.query_param("limit");
    if (!text) return 50;
    int value = 0;
    const auto* end = text->data() + text->size();
    auto [ptr, ec] = std::from_chars(text->data(), end, value);
    if (ec != std::errc() || ptr != end) {
        throw ApiError::bad_request("limit must be an integer", {{"limit", "must be an integer", std::nullopt}});
    }
    if (value < 1 || value > 500) {
        throw ApiError::unprocessable("limit is out of range",
                                      {{"limit", "must be between 1 and 500", std::nullopt}});
    }
    return value;
}

std::string encode_cursor(const std::string& key) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out = "c";
    for (unsigned char c : key) {
        out += kHex[c >> 4];
        out += kHex[c & 15];
    }
    return out;
}

std::string page_after(const RequestContext& ctx) {
    auto cursor = ctx.query_param("cursor");
    if (!cursor || cursor->empty()) return {};
    const std::string& c = *cursor;
    auto invalid = [] {
        return ApiError::bad_request("cursor is not a cursor this server issued",
                                     {{"cursor", "is invalid", std::nullopt}});
    };
    if (c.size() % 2 != 1 || c.front() != 'c' || c.size() > 1025) throw invalid();
    std::string key;
    for (std::size_t i = 1; i < c.size(); i += 2) {
        unsigned value = 0;
        auto [ptr, ec] = std::from_chars(c.data() + i, c.data() + i + 2, value, 16);
        if (ec != std::errc() || ptr != c.data() + i + 2) throw invalid();
        key += static_cast<char>(value);
    }
    return key;
}

std::int64_t page_after_id(const RequestContext& ctx) {
    const std::string after = page_after(ctx);
    if (after.empty()) return 0;
    std::int64_t id = 0;
    auto [ptr, ec] = std::from_chars(after.data(), after.data() + after.size(), id);
    if (ec != std::errc() || ptr != after.data() + after.size() || id <= 0) {
        throw ApiError::bad_request("cursor is not a cursor this server issued", {{"cursor", "is invalid", std::nullopt}});
    }
    return id;
}

void require(const RequestContext& ctx, Action action, const std::optional<std::string>& school) {
    std::optional<std::string_view> scope;
    if (school) scope = *school;
    switch (decide(ctx.user(), action, scope)) {
        case Decision::allowed: return;
        case Decision::not_visible: throw ApiError::not_found();
        case Decision::forbidden: throw ApiError::forbidden();
    }
}

}  // namespace pakt::server::http
