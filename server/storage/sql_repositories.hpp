// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// The repositories over one SQL connection: each call runs the function of the same name in
// server/storage/*_repository.hpp on it.
#include <exception>

#include "server/domain/repositories.hpp"
#include "server/storage/sql/db.hpp"

namespace pakt::server {

class StatementCache;

/// Inside a catch block: rethrows a backend's exception as the Store's (StoreBusy where retrying
/// may help: SQLITE_BUSY or SQLITE_LOCKED, a transient PostgreSQL error; else StoreError), and
/// any other exception as it is.
[[noreturn]] void rethrow_as_store_error();
/// `error` as rethrow_as_store_error would rethrow it.
std::exception_ptr as_store_error(std::exception_ptr error);

/// Every call runs with `statements` in scope (if given: the statements stay compiled for the
/// connection's life) and turns the backend's exceptions into the Store's
/// (server/domain/store.hpp). `autocommit`: the connection is not inside a transaction (a read
/// connection), so a read that needs one snapshot opens its own.
class SqlRepositories final : public Repositories {
  public:
    explicit SqlRepositories(sql::Db db, StatementCache* statements = nullptr,
                             bool autocommit = false)
        : db_(db), statements_(statements), autocommit_(autocommit) {}

    // AgentRepository
    std::int64_t insert_agent_secret(const std::string& school_number,
                                     const std::string& secret_hash, const std::string& created_by,
                                     const std::string& expires_at, int max_uses) override;
    std::optional<AgentSecret> find_agent_secret(std::int64_t id) override;
    std::optional<AgentSecret> find_agent_secret_by_hash(const std::string& secret_hash) override;
    std::optional<AgentSecret> find_usable_agent_secret(const std::string& secret_hash,
                                                        const std::string& now) override;
    bool use_agent_secret(std::int64_t id) override;
    std::vector<AgentSecret> list_agent_secrets(const std::string& school_number) override;
    void revoke_agent_secret(std::int64_t id, const std::string& now) override;
    std::int64_t insert_agent(const Agent& agent, const std::string& node_key_hash,
                              std::int64_t secret_id) override;
    std::optional<Agent> find_agent(std::int64_t id) override;
    std::optional<Agent> find_agent_by_node_key(const std::string& node_key_hash) override;
    std::vector<ListedAgent> list_agents(const AgentFilter& filter) override;
    void revoke_agent(std::int64_t id, const std::string& now) override;
    std::optional<CheckinRecord> find_checkin(const std::string& report_id) override;
    int prune_checkins(const std::string& before) override;
    std::vector<UnknownSighting> list_unknown_sightings(const std::string& school_number,
                                                        const std::string& after,
                                                        int limit) override;

    void reported_device_states(const std::string& school_number,
                                const std::vector<const std::string*>& serials,
                                std::vector<ReportedDeviceState>& out) override;
    void write_checkin(const Agent& agent, const CheckinReport& report, const std::string& now,
                       const CheckinChanges& changes, const CheckinOutcome& outcome) override;

    // AuditRepository
    std::int64_t append_audit(const AuditEntry& entry) override;
    std::vector<AuditRecord> list_audit(const AuditFilter& filter) override;
    AuditHead audit_head() override;
    AuditVerification verify_audit_chain() override;

    // ConnectorRepository
    std::int64_t insert_connector_run(const ConnectorRun& run) override;
    std::vector<ConnectorRun> list_connector_runs(const std::string& connector,
                                                  std::int64_t before_id, int limit) override;
    std::optional<std::string> last_successful_run_at(const std::string& connector) override;
    std::optional<StoredAsmDevice> find_asm_device(const std::string& serial) override;
    void upsert_asm_device(const AsmDevice& device, std::optional<std::int64_t> tranche_id,
                           const std::string& now) override;
    std::vector<std::string> released_serials_of_tranche(std::int64_t tranche_id) override;
    std::vector<TrancheOrder> tranches_with_order_numbers() override;
    std::optional<MdmDevice> find_mdm_state(const std::string& serial,
                                            const std::string& source) override;
    void upsert_mdm_state(const MdmDevice& device, const std::string& source,
                          const std::string& now) override;
    std::int64_t forget_unlisted_mdm_devices(const std::string& source,
                                             const std::vector<std::string>& listed) override;
    bool has_device_event(const std::string& serial, const std::string& kind) override;
    void record_mdm_unknown_sighting(const std::string& school, const std::string& serial,
                                     const std::string& seen_at,
                                     const std::optional<std::string>& os_version,
                                     const std::string& source) override;

    // DeviceRepository
    std::optional<Device> find_device(const std::string& serial) override;
    std::optional<DeviceReport> find_device_report(const std::string& serial) override;
    void insert_device(const Device& device) override;
    void update_device(const Device& device) override;
    std::int64_t count_devices_in_tranche(std::int64_t tranche_id) override;
    bool has_ever_been_lent(const std::string& serial) override;
    void delete_device(const std::string& serial) override;
    std::map<std::string, std::int64_t> device_counts_by_status(const std::string& school) override;
    std::vector<Device> list_devices(const DeviceFilter& filter) override;
    std::vector<LoanListRow> list_loans(const LoanFilter& filter) override;
    std::optional<Loan> find_loan(std::int64_t id) override;
    SchoolLoanCounts count_school_loans(const std::string& school,
                                        const std::string& today) override;
    std::int64_t count_not_seen_since(const std::string& school, const std::string& since) override;
    std::optional<Loan> find_open_loan(const std::string& serial) override;
    std::int64_t insert_loan(const Loan& loan) override;
    void close_loan(std::int64_t loan_id, const std::string& condition, const std::string& note,
                    const std::string& returned_by) override;
    void append_device_event(const std::string& serial, const std::string& kind,
                             const std::string& actor, const nlohmann::json& detail) override;
    std::vector<DeviceEvent> list_device_events(const std::string& serial, std::int64_t before_id,
                                                int limit) override;

    // FundingRepository
    std::vector<Programme> list_programmes() override;
    std::optional<Programme> find_programme(const std::string& code) override;
    void insert_programme(const Programme& programme) override;
    std::vector<Grant> list_grants(std::int64_t after_id, int limit,
                                   const std::optional<std::string>& programme_code) override;
    std::optional<Grant> find_grant(std::int64_t id) override;
    std::optional<std::int64_t> find_grant_by_reference(const std::string& reference) override;
    std::int64_t insert_grant(const Grant& grant) override;
    void update_grant(const Grant& grant) override;

    // ReportRepository
    FundingInputs read_funding_inputs(const ReportFilter& filter) override;
    std::vector<RolloutRow> rollout_rows(const ReportFilter& filter,
                                         const std::string& seen_since) override;
    std::vector<EarmarkRow> earmark_rows(const ReportFilter& filter, const std::string& today,
                                         const std::string& unseen_since) override;

    // SchoolRepository
    std::optional<School> find_school(const std::string& school_number) override;
    bool school_exists(const std::string& school_number) override;
    std::vector<School> list_schools(const std::string& after, int limit,
                                     const std::optional<std::vector<std::string>>& only,
                                     const std::optional<std::string>& search) override;
    void insert_school(const School& school) override;
    bool update_school(const School& school) override;

    // SessionRepository
    std::optional<BearerOwner> find_bearer(const std::string& token_hash,
                                           const std::string& now_rfc3339, const std::string& today,
                                           const std::string& idle_cutoff) override;
    void touch_session(const std::string& token_hash, const std::string& now) override;
    void touch_api_token(std::int64_t id, const std::string& now) override;
    RevokedAccess revoke_other_access(std::int64_t user_id,
                                      const std::string& keep_token_hash) override;
    void insert_session(const std::string& token_hash, std::int64_t user_id,
                        const std::string& expires_at, const std::string& client_address) override;
    bool delete_session(const std::string& token_hash) override;
    void delete_sessions_of_user(std::int64_t user_id) override;
    RevokedAccess revoke_user_access(std::int64_t user_id) override;
    int delete_expired_sessions(const std::string& now) override;
    std::int64_t insert_api_token(std::int64_t user_id, const std::string& name,
                                  const std::string& token_hash,
                                  const std::optional<std::string>& expires_on) override;
    std::vector<ApiTokenRecord> list_api_tokens(std::int64_t user_id, std::int64_t after_id,
                                                int limit) override;
    std::optional<ApiTokenRecord> find_api_token(std::int64_t id) override;
    bool delete_api_token(std::int64_t id) override;

    // TrancheRepository
    std::int64_t insert_tranche(const Tranche& tranche) override;
    std::optional<Tranche> find_tranche(std::int64_t id) override;
    void update_tranche(const Tranche& tranche) override;
    std::vector<Tranche> list_tranches(const TrancheFilter& filter) override;
    TrancheProgress tranche_progress(std::int64_t tranche_id,
                                     const std::string& seen_since) override;
    std::optional<std::int64_t> manifest_tranche_of(const std::string& serial) override;
    std::optional<ManifestEntry> find_manifest_entry(const std::string& serial) override;
    std::int64_t manifest_size(std::int64_t tranche_id) override;
    void insert_manifest_entries(std::int64_t tranche_id,
                                 const std::vector<ManifestRow>& rows) override;
    Reconciliation reconcile_tranche(std::int64_t tranche_id,
                                     const std::string& seen_since) override;

    // UserRepository
    std::optional<UserRecord> find_user_by_username(const std::string& username) override;
    std::optional<UserRecord> find_user_by_id(std::int64_t id) override;
    std::vector<UserRecord> list_users(std::int64_t after_id, int limit) override;
    std::int64_t insert_user(const UserRecord& user) override;
    void update_user(const UserRecord& user) override;
    int count_enabled_city_admins() override;

  private:
    template <class Fn>
    auto guard(Fn&& fn) -> decltype(fn());

    sql::Db db_;
    StatementCache* statements_;
    bool autocommit_;
};

}  // namespace pakt::server
