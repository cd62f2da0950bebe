// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// Schools: scoped list and read for every role; create and change for city_admin.

#include "common/time.hpp"
#include "server/domain/validation.hpp"
#include "server/http/handlers.hpp"
#include "server/http/json_input.hpp"

namespace pakt::server::http {
namespace {

nlohmann::json optional_number(const std::optional<double>& v) {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

nlohmann::json school_json(const School& s, const std::map<std::string, std::int64_t>& counts) {
    std::int64_t total = 0;
    for (const auto& [status, n] : counts) total += n;
    return {{"school_number", s.school_number},
            {"name", s.name},
            {"school_type", s.school_type},
            {"district", s.district},
            {"address", s.address},
            {"latitude", optional_number(s.latitude)},
            {"longitude", optional_number(s.longitude)},
            {"device_counts", {{"total", total}, {"by_status", counts.empty() ? nlohmann::json::object() : nlohmann::json(counts)}}},
            {"created_at", s.created_at},
            {"updated_at", s.updated_at}};
}

// Reads the descriptive fields shared by create and update into `school`.
void read_school_fields(ObjectReader& in, School& school) {
    struct TextField {
        const char* name;
        std::string School::*member;
        std::size_t max_bytes;
    };
    static constexpr TextField kFields[] = {{"name", &School::name, 300},
                                            {"school_type", &School::school_type, 100},
                                            {"district", &School::district, 100},
                                            {"address", &School::address, 300}};
    for (const auto& f : kFields) {
        if (auto value = in.optional_string(f.name)) {
            if (auto p = check_text(*value, f.max_bytes)) in.invalid(f.name, *p);
            school.*f.member = std::move(*value);
        }
    }
    if (in.is_null("latitude")) school.latitude.reset();
    if (auto lat = in.optional_number("latitude")) {
        if (*lat < -90 || *lat > 90) in.invalid("latitude", "must be between -90 and 90");
        school.latitude = lat;
    }
    if (in.is_null("longitude")) school.longitude.reset();
    if (auto lon = in.optional_number("longitude")) {
        if (*lon < -180 || *lon > 180) in.invalid("longitude", "must be between -180 and 180");
        school.longitude = lon;
    }
}

Response list(HandlerDeps& deps, RequestContext& ctx) {
    const int limit = page_limit(ctx);
    const std::string after = page_after(ctx);
    std::optional<std::string> search = ctx.query_param("q");
    if (search) {
        // What a search box sends: surrounding blanks are not part of the search, and an emptied
        // box lists everything.
        const auto first = search->find_first_not_of(' ');
        if (first == std::string::npos)
            search.reset();
        else
            *search = search->substr(first, search->find_last_not_of(' ') - first + 1);
    }
    if (search) {
        if (auto p = check_text(*search, 100)) {
            throw ApiError::unprocessable("the search text is not usable",
                                          {{"q", *p, std::nullopt}});
        }
    }
    std::optional<std::vector<std::string>> only;
    if (!ctx.user().is_city_admin()) only = ctx.user().schools;
    auto lease = deps.store.read();
    auto schools = lease->list_schools(after, limit + 1, only, search);
    nlohmann::json items = nlohmann::json::array();
    nlohmann::json next = nullptr;
    for (std::size_t i = 0; i < schools.size() && static_cast<int>(i) < limit; ++i) items.push_back(school_json(schools[i], lease->device_counts_by_status(schools[i].school_number)));
    if (static_cast<int>(schools.size()) > limit) next = encode_cursor(schools[static_cast<std::size_t>(limit) - 1].school_number);
    return json_response(200, dump({{"items", items}, {"next_cursor", next}}));
}

Response get(HandlerDeps& deps, RequestContext& ctx) {
    const std::string& number = ctx.param("school_number");
    require(ctx, Action::view, number);
    auto lease = deps.store.read();
    auto school = lease->find_school(number);
    if (!school) throw ApiError::not_found("no such school");
    return json_response(200, dump(school_json(*school, lease->device_counts_by_status(number))));
}

// A school at a glance, for its overview page: what it has, what is out, what has gone quiet.
// Counts only, so it reads no loan's data and needs no audit entry.
Response summary(HandlerDeps& deps, RequestContext& ctx) {
    const std::string& number = ctx.param("school_number");
    require(ctx, Action::view, number);
    auto lease = deps.store.read();
    auto school = lease->find_school(number);
    if (!school) throw ApiError::not_found("no such school");
    nlohmann::json body = school_json(*school, lease->device_counts_by_status(number));
    const auto loans = lease->count_school_loans(number, german_date(Clock::now()));
    body["on_loan"] = loans.on_loan;
    body["overdue"] = loans.overdue;
    body["not_seen_14_days"] = lease->count_not_seen_since(number, days_ago(14));
    AgentFilter filter;
    filter.school_number = number;
    filter.limit = 100;
    nlohmann::json agents = nlohmann::json::array();
    for (const auto& listed : lease->list_agents(filter)) {
        const Agent& a = listed.agent;
        if (a.revoked_at) continue;
        agents.push_back({{"agent_id", a.id},
                          {"hostname", a.hostname},
                          {"agent_version", a.agent_version},
                          {"last_checkin_at", a.last_checkin_at ? nlohmann::json(*a.last_checkin_at) : nlohmann::json(nullptr)}});
    }
    body["agents"] = std::move(agents);
    return json_response(200, dump(body));
}

Response create(HandlerDeps& deps, RequestContext& ctx) {
    require(ctx, Action::manage_schools, std::nullopt);
    const auto body = parse_json_body(ctx.request);
    ObjectReader in(body, {"school_number", "name", "school_type", "district", "address", "latitude", "longitude"});
    School school;
    school.school_number = in.required_string("school_number");
    if (in.has("school_number") && !is_valid_school_number(school.school_number)) {
        in.invalid("school_number", "must be six digits, e.g. \"165432\"");
    }
    read_school_fields(in, school);
    in.finish();
    const School created = deps.store.write([&](Repositories& db) {
        if (db.school_exists(school.school_number)) {
            throw ApiError::conflict("a school with this number exists",
                                     {{"school_number", "is taken", std::nullopt}});
        }
        db.insert_school(school);
        AuditEntry entry = audit_entry(ctx, "school.create", "school", school.school_number, school.school_number);
        entry.detail = {{"name", school.name}};
        db.append_audit(entry);
        return *db.find_school(school.school_number);
    });
    Response r = json_response(201, dump(school_json(created, {})));
    r.set_header("Location", "/api/v1/schools/" + created.school_number);
    return r;
}

Response update(HandlerDeps& deps, RequestContext& ctx) {
    const std::string number = ctx.param("school_number");
    // Visibility first: another school's number answers 404, as if it did not exist.
    require(ctx, Action::view, number);
    require(ctx, Action::manage_schools, number);
    const auto body = parse_json_body(ctx.request);
    const auto updated = deps.store.write([&](Repositories& db) {
        auto school = db.find_school(number);
        if (!school) throw ApiError::not_found("no such school");
        ObjectReader in(body, {"name", "school_type", "district", "address", "latitude", "longitude"});
        read_school_fields(in, *school);
        in.finish();
        db.update_school(*school);
        AuditEntry entry = audit_entry(ctx, "school.update", "school", number, number);
        entry.detail = body;
        db.append_audit(entry);
        return std::pair{*db.find_school(number), db.device_counts_by_status(number)};
    });
    return json_response(200, dump(school_json(updated.first, updated.second)));
}

}  // namespace

void register_school_routes(Router& router, HandlerDeps& deps) {
    router.add("GET", "/api/v1/schools", Auth::user, [&deps](RequestContext& ctx) { return list(deps, ctx); });
    router.add("POST", "/api/v1/schools", Auth::user, [&deps](RequestContext& ctx) { return create(deps, ctx); });
    router.add("GET", "/api/v1/schools/{school_number}", Auth::user, [&deps](RequestContext& ctx) { return get(deps, ctx); });
    router.add("PATCH", "/api/v1/schools/{school_number}", Auth::user, [&deps](RequestContext& ctx) { return update(deps, ctx); });
    router.add("GET", "/api/v1/schools/{school_number}/summary", Auth::user, [&deps](RequestContext& ctx) { return summary(deps, ctx); });
}

}  // namespace pakt::server::http
