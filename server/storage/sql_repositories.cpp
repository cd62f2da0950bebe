// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "server/storage/sql_repositories.hpp"

#include <SQLiteCpp/Exception.h>
#include <sqlite3.h>

#include "server/domain/store.hpp"
#include "server/storage/agent_repository.hpp"
#include "server/storage/audit_repository.hpp"
#include "server/storage/connector_repository.hpp"
#include "server/storage/device_repository.hpp"
#include "server/storage/funding_repository.hpp"
#include "server/storage/report_repository.hpp"
#include "server/storage/school_repository.hpp"
#include "server/storage/session_repository.hpp"
#include "server/storage/sql/postgres.hpp"
#include "server/storage/statement_cache.hpp"
#include "server/storage/tranche_repository.hpp"
#include "server/storage/user_repository.hpp"

namespace pakt::server {

void rethrow_as_store_error() {
    try {
        throw;
    } catch (const SQLite::Exception& e) {
        const int code = e.getErrorCode();
        if (code == SQLITE_BUSY || code == SQLITE_LOCKED) throw StoreBusy(e.what());
        throw StoreError(e.what(), "SQLite " + std::to_string(e.getExtendedErrorCode()));
    } catch (const sql::PgError& e) {
        if (e.transient()) throw StoreBusy(e.what());
        throw StoreError(e.what(), "SQLSTATE " + e.sqlstate());
    }
}

std::exception_ptr as_store_error(std::exception_ptr error) {
    if (!error) return error;
    try {
        std::rethrow_exception(error);
    } catch (...) {
        try {
            rethrow_as_store_error();
        } catch (...) {
            return std::current_exception();
        }
    }
}

template <class Fn>
auto SqlRepositories::guard(Fn&& fn) -> decltype(fn()) {
    try {
        if (statements_) {
            StatementCache::Scope scope(*statements_);
            return fn();
        }
        return fn();
    } catch (...) {
        rethrow_as_store_error();
    }
}

std::int64_t SqlRepositories::insert_agent_secret(const std::string& school_number,
                                                  const std::string& secret_hash,
                                                  const std::string& created_by,
                                                  const std::string& expires_at, int max_uses) {
    return guard([&] {
        return server::insert_agent_secret(db_, school_number, secret_hash, created_by, expires_at,
                                           max_uses);
    });
}

std::optional<AgentSecret> SqlRepositories::find_agent_secret(std::int64_t id) {
    return guard([&] { return server::find_agent_secret(db_, id); });
}

std::optional<AgentSecret> SqlRepositories::find_agent_secret_by_hash(
    const std::string& secret_hash) {
    return guard([&] { return server::find_agent_secret_by_hash(db_, secret_hash); });
}

std::optional<AgentSecret> SqlRepositories::find_usable_agent_secret(const std::string& secret_hash,
                                                                     const std::string& now) {
    return guard([&] { return server::find_usable_agent_secret(db_, secret_hash, now); });
}

bool SqlRepositories::use_agent_secret(std::int64_t id) {
    return guard([&] { return server::use_agent_secret(db_, id); });
}

std::vector<AgentSecret> SqlRepositories::list_agent_secrets(const std::string& school_number) {
    return guard([&] { return server::list_agent_secrets(db_, school_number); });
}

void SqlRepositories::revoke_agent_secret(std::int64_t id, const std::string& now) {
    return guard([&] { return server::revoke_agent_secret(db_, id, now); });
}

std::int64_t SqlRepositories::insert_agent(const Agent& agent, const std::string& node_key_hash,
                                           std::int64_t secret_id) {
    return guard([&] { return server::insert_agent(db_, agent, node_key_hash, secret_id); });
}

std::optional<Agent> SqlRepositories::find_agent(std::int64_t id) {
    return guard([&] { return server::find_agent(db_, id); });
}

std::optional<Agent> SqlRepositories::find_agent_by_node_key(const std::string& node_key_hash) {
    return guard([&] { return server::find_agent_by_node_key(db_, node_key_hash); });
}

std::vector<ListedAgent> SqlRepositories::list_agents(const AgentFilter& filter) {
    return guard([&] { return server::list_agents(db_, filter); });
}

void SqlRepositories::revoke_agent(std::int64_t id, const std::string& now) {
    return guard([&] { return server::revoke_agent(db_, id, now); });
}

std::optional<CheckinRecord> SqlRepositories::find_checkin(const std::string& report_id) {
    return guard([&] { return server::find_checkin(db_, report_id); });
}

void SqlRepositories::reported_device_states(const std::string& school_number,
                                             const std::vector<const std::string*>& serials,
                                             std::vector<ReportedDeviceState>& out) {
    return guard([&] { return server::reported_device_states(db_, school_number, serials, out); });
}

void SqlRepositories::write_checkin(const Agent& agent, const CheckinReport& report,
                                    const std::string& now, const CheckinChanges& changes,
                                    const CheckinOutcome& outcome) {
    return guard([&] { return server::write_checkin(db_, agent, report, now, changes, outcome); });
}

int SqlRepositories::prune_checkins(const std::string& before) {
    return guard([&] { return server::prune_checkins(db_, before); });
}

std::vector<UnknownSighting> SqlRepositories::list_unknown_sightings(
    const std::string& school_number, const std::string& after, int limit) {
    return guard([&] { return server::list_unknown_sightings(db_, school_number, after, limit); });
}

std::int64_t SqlRepositories::append_audit(const AuditEntry& entry) {
    return guard([&] { return server::append_audit(db_, entry); });
}

std::vector<AuditRecord> SqlRepositories::list_audit(const AuditFilter& filter) {
    return guard([&] { return server::list_audit(db_, filter); });
}

AuditHead SqlRepositories::audit_head() {
    return guard([&] { return server::audit_head(db_); });
}

AuditVerification SqlRepositories::verify_audit_chain() {
    return guard([&] {
        if (!autocommit_) return server::verify_audit_chain(db_);
        // On a read connection: one transaction, so entries appended meanwhile do not mix in.
        sql::Transaction snapshot(db_, sql::Transaction::Kind::snapshot);
        return server::verify_audit_chain(db_);
    });
}

std::int64_t SqlRepositories::insert_connector_run(const ConnectorRun& run) {
    return guard([&] { return server::insert_connector_run(db_, run); });
}

std::vector<ConnectorRun> SqlRepositories::list_connector_runs(const std::string& connector,
                                                               std::int64_t before_id, int limit) {
    return guard([&] { return server::list_connector_runs(db_, connector, before_id, limit); });
}

std::optional<std::string> SqlRepositories::last_successful_run_at(const std::string& connector) {
    return guard([&] { return server::last_successful_run_at(db_, connector); });
}

std::optional<StoredAsmDevice> SqlRepositories::find_asm_device(const std::string& serial) {
    return guard([&] { return server::find_asm_device(db_, serial); });
}

void SqlRepositories::upsert_asm_device(const AsmDevice& device,
                                        std::optional<std::int64_t> tranche_id,
                                        const std::string& now) {
    return guard([&] { return server::upsert_asm_device(db_, device, tranche_id, now); });
}

std::vector<std::string> SqlRepositories::released_serials_of_tranche(std::int64_t tranche_id) {
    return guard([&] { return server::released_serials_of_tranche(db_, tranche_id); });
}

std::vector<TrancheOrder> SqlRepositories::tranches_with_order_numbers() {
    return guard([&] { return server::tranches_with_order_numbers(db_); });
}

std::optional<MdmDevice> SqlRepositories::find_mdm_state(const std::string& serial,
                                                         const std::string& source) {
    return guard([&] { return server::find_mdm_state(db_, serial, source); });
}

void SqlRepositories::upsert_mdm_state(const MdmDevice& device, const std::string& source,
                                       const std::string& now) {
    return guard([&] { return server::upsert_mdm_state(db_, device, source, now); });
}

std::int64_t SqlRepositories::forget_unlisted_mdm_devices(const std::string& source,
                                                          const std::vector<std::string>& listed) {
    return guard([&] { return server::forget_unlisted_mdm_devices(db_, source, listed); });
}

bool SqlRepositories::has_device_event(const std::string& serial, const std::string& kind) {
    return guard([&] { return server::has_device_event(db_, serial, kind); });
}

void SqlRepositories::record_mdm_unknown_sighting(const std::string& school,
                                                  const std::string& serial,
                                                  const std::string& seen_at,
                                                  const std::optional<std::string>& os_version,
                                                  const std::string& source) {
    return guard([&] {
        return server::record_mdm_unknown_sighting(db_, school, serial, seen_at, os_version,
                                                   source);
    });
}

std::optional<Device> SqlRepositories::find_device(const std::string& serial) {
    return guard([&] { return server::find_device(db_, serial); });
}

std::optional<DeviceReport> SqlRepositories::find_device_report(const std::string& serial) {
    return guard([&] { return server::find_device_report(db_, serial); });
}

void SqlRepositories::insert_device(const Device& device) {
    return guard([&] { return server::insert_device(db_, device); });
}

void SqlRepositories::update_device(const Device& device) {
    return guard([&] { return server::update_device(db_, device); });
}

std::int64_t SqlRepositories::count_devices_in_tranche(std::int64_t tranche_id) {
    return guard([&] { return server::count_devices_in_tranche(db_, tranche_id); });
}

bool SqlRepositories::has_ever_been_lent(const std::string& serial) {
    return guard([&] { return server::has_ever_been_lent(db_, serial); });
}

void SqlRepositories::delete_device(const std::string& serial) {
    return guard([&] { return server::delete_device(db_, serial); });
}

std::map<std::string, std::int64_t> SqlRepositories::device_counts_by_status(
    const std::string& school) {
    return guard([&] { return server::device_counts_by_status(db_, school); });
}

std::vector<Device> SqlRepositories::list_devices(const DeviceFilter& filter) {
    return guard([&] { return server::list_devices(db_, filter); });
}

std::vector<LoanListRow> SqlRepositories::list_loans(const LoanFilter& filter) {
    return guard([&] { return server::list_loans(db_, filter); });
}

std::optional<Loan> SqlRepositories::find_loan(std::int64_t id) {
    return guard([&] { return server::find_loan(db_, id); });
}

SchoolLoanCounts SqlRepositories::count_school_loans(const std::string& school,
                                                     const std::string& today) {
    return guard([&] { return server::count_school_loans(db_, school, today); });
}

std::int64_t SqlRepositories::count_not_seen_since(const std::string& school,
                                                   const std::string& since) {
    return guard([&] { return server::count_not_seen_since(db_, school, since); });
}

std::optional<Loan> SqlRepositories::find_open_loan(const std::string& serial) {
    return guard([&] { return server::find_open_loan(db_, serial); });
}

std::int64_t SqlRepositories::insert_loan(const Loan& loan) {
    return guard([&] { return server::insert_loan(db_, loan); });
}

void SqlRepositories::close_loan(std::int64_t loan_id, const std::string& condition,
                                 const std::string& note, const std::string& returned_by) {
    return guard([&] { return server::close_loan(db_, loan_id, condition, note, returned_by); });
}

void SqlRepositories::append_device_event(const std::string& serial, const std::string& kind,
                                          const std::string& actor, const nlohmann::json& detail) {
    return guard([&] { return server::append_device_event(db_, serial, kind, actor, detail); });
}

std::vector<DeviceEvent> SqlRepositories::list_device_events(const std::string& serial,
                                                             std::int64_t before_id, int limit) {
    return guard([&] { return server::list_device_events(db_, serial, before_id, limit); });
}

std::vector<Programme> SqlRepositories::list_programmes() {
    return guard([&] { return server::list_programmes(db_); });
}

std::optional<Programme> SqlRepositories::find_programme(const std::string& code) {
    return guard([&] { return server::find_programme(db_, code); });
}

void SqlRepositories::insert_programme(const Programme& programme) {
    return guard([&] { return server::insert_programme(db_, programme); });
}

std::vector<Grant> SqlRepositories::list_grants(std::int64_t after_id, int limit,
                                                const std::optional<std::string>& programme_code) {
    return guard([&] { return server::list_grants(db_, after_id, limit, programme_code); });
}

std::optional<Grant> SqlRepositories::find_grant(std::int64_t id) {
    return guard([&] { return server::find_grant(db_, id); });
}

std::optional<std::int64_t> SqlRepositories::find_grant_by_reference(const std::string& reference) {
    return guard([&] { return server::find_grant_by_reference(db_, reference); });
}

std::int64_t SqlRepositories::insert_grant(const Grant& grant) {
    return guard([&] { return server::insert_grant(db_, grant); });
}

void SqlRepositories::update_grant(const Grant& grant) {
    return guard([&] { return server::update_grant(db_, grant); });
}

FundingInputs SqlRepositories::read_funding_inputs(const ReportFilter& filter) {
    return guard([&] { return server::read_funding_inputs(db_, filter); });
}

std::vector<RolloutRow> SqlRepositories::rollout_rows(const ReportFilter& filter,
                                                      const std::string& seen_since) {
    return guard([&] { return server::rollout_rows(db_, filter, seen_since); });
}

std::vector<EarmarkRow> SqlRepositories::earmark_rows(const ReportFilter& filter,
                                                      const std::string& today,
                                                      const std::string& unseen_since) {
    return guard([&] { return server::earmark_rows(db_, filter, today, unseen_since); });
}

std::optional<School> SqlRepositories::find_school(const std::string& school_number) {
    return guard([&] { return server::find_school(db_, school_number); });
}

bool SqlRepositories::school_exists(const std::string& school_number) {
    return guard([&] { return server::school_exists(db_, school_number); });
}

std::vector<School> SqlRepositories::list_schools(
    const std::string& after, int limit, const std::optional<std::vector<std::string>>& only,
    const std::optional<std::string>& search) {
    return guard([&] { return server::list_schools(db_, after, limit, only, search); });
}

void SqlRepositories::insert_school(const School& school) {
    return guard([&] { return server::insert_school(db_, school); });
}

bool SqlRepositories::update_school(const School& school) {
    return guard([&] { return server::update_school(db_, school); });
}

std::optional<BearerOwner> SqlRepositories::find_bearer(const std::string& token_hash,
                                                        const std::string& now_rfc3339,
                                                        const std::string& today,
                                                        const std::string& idle_cutoff) {
    return guard(
        [&] { return server::find_bearer(db_, token_hash, now_rfc3339, today, idle_cutoff); });
}

void SqlRepositories::touch_session(const std::string& token_hash, const std::string& now) {
    return guard([&] { return server::touch_session(db_, token_hash, now); });
}

void SqlRepositories::touch_api_token(std::int64_t id, const std::string& now) {
    return guard([&] { return server::touch_api_token(db_, id, now); });
}

RevokedAccess SqlRepositories::revoke_other_access(std::int64_t user_id,
                                                   const std::string& keep_token_hash) {
    return guard([&] { return server::revoke_other_access(db_, user_id, keep_token_hash); });
}

void SqlRepositories::insert_session(const std::string& token_hash, std::int64_t user_id,
                                     const std::string& expires_at,
                                     const std::string& client_address) {
    return guard([&] {
        return server::insert_session(db_, token_hash, user_id, expires_at, client_address);
    });
}

bool SqlRepositories::delete_session(const std::string& token_hash) {
    return guard([&] { return server::delete_session(db_, token_hash); });
}

void SqlRepositories::delete_sessions_of_user(std::int64_t user_id) {
    return guard([&] { return server::delete_sessions_of_user(db_, user_id); });
}

RevokedAccess SqlRepositories::revoke_user_access(std::int64_t user_id) {
    return guard([&] { return server::revoke_user_access(db_, user_id); });
}

int SqlRepositories::delete_expired_sessions(const std::string& now) {
    return guard([&] { return server::delete_expired_sessions(db_, now); });
}

std::int64_t SqlRepositories::insert_api_token(std::int64_t user_id, const std::string& name,
                                               const std::string& token_hash,
                                               const std::optional<std::string>& expires_on) {
    return guard(
        [&] { return server::insert_api_token(db_, user_id, name, token_hash, expires_on); });
}

std::vector<ApiTokenRecord> SqlRepositories::list_api_tokens(std::int64_t user_id,
                                                             std::int64_t after_id, int limit) {
    return guard([&] { return server::list_api_tokens(db_, user_id, after_id, limit); });
}

std::optional<ApiTokenRecord> SqlRepositories::find_api_token(std::int64_t id) {
    return guard([&] { return server::find_api_token(db_, id); });
}

bool SqlRepositories::delete_api_token(std::int64_t id) {
    return guard([&] { return server::delete_api_token(db_, id); });
}

std::int64_t SqlRepositories::insert_tranche(const Tranche& tranche) {
    return guard([&] { return server::insert_tranche(db_, tranche); });
}

std::optional<Tranche> SqlRepositories::find_tranche(std::int64_t id) {
    return guard([&] { return server::find_tranche(db_, id); });
}

void SqlRepositories::update_tranche(const Tranche& tranche) {
    return guard([&] { return server::update_tranche(db_, tranche); });
}

std::vector<Tranche> SqlRepositories::list_tranches(const TrancheFilter& filter) {
    return guard([&] { return server::list_tranches(db_, filter); });
}

TrancheProgress SqlRepositories::tranche_progress(std::int64_t tranche_id,
                                                  const std::string& seen_since) {
    return guard([&] { return server::tranche_progress(db_, tranche_id, seen_since); });
}

std::optional<std::int64_t> SqlRepositories::manifest_tranche_of(const std::string& serial) {
    return guard([&] { return server::manifest_tranche_of(db_, serial); });
}

std::optional<ManifestEntry> SqlRepositories::find_manifest_entry(const std::string& serial) {
    return guard([&] { return server::find_manifest_entry(db_, serial); });
}

std::int64_t SqlRepositories::manifest_size(std::int64_t tranche_id) {
    return guard([&] { return server::manifest_size(db_, tranche_id); });
}

void SqlRepositories::insert_manifest_entries(std::int64_t tranche_id,
                                              const std::vector<ManifestRow>& rows) {
    return guard([&] { return server::insert_manifest_entries(db_, tranche_id, rows); });
}

Reconciliation SqlRepositories::reconcile_tranche(std::int64_t tranche_id,
                                                  const std::string& seen_since) {
    return guard([&] { return server::reconcile_tranche(db_, tranche_id, seen_since); });
}

std::optional<UserRecord> SqlRepositories::find_user_by_username(const std::string& username) {
    return guard([&] { return server::find_user_by_username(db_, username); });
}

std::optional<UserRecord> SqlRepositories::find_user_by_id(std::int64_t id) {
    return guard([&] { return server::find_user_by_id(db_, id); });
}

std::vector<UserRecord> SqlRepositories::list_users(std::int64_t after_id, int limit) {
    return guard([&] { return server::list_users(db_, after_id, limit); });
}

std::int64_t SqlRepositories::insert_user(const UserRecord& user) {
    return guard([&] { return server::insert_user(db_, user); });
}

void SqlRepositories::update_user(const UserRecord& user) {
    return guard([&] { return server::update_user(db_, user); });
}

int SqlRepositories::count_enabled_city_admins() {
    return guard([&] { return server::count_enabled_city_admins(db_); });
}

}  // namespace pakt::server
