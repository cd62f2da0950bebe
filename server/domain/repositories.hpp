// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// What the domain needs of storage, one interface per area, owned here so that storage depends
// on the domain and not the other way round. A Repositories object is one unit of work's view:
// every call goes to the same connection, inside the same transaction (see Store). The SQL
// implementation is server/storage/sql_repositories.hpp.
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "server/domain/agent_records.hpp"
#include "server/domain/audit_records.hpp"
#include "server/domain/connector_records.hpp"
#include "server/domain/device_records.hpp"
#include "server/domain/funding_records.hpp"
#include "server/domain/report_records.hpp"
#include "server/domain/school_records.hpp"
#include "server/domain/session_records.hpp"
#include "server/domain/tranche_records.hpp"
#include "server/domain/user_records.hpp"

namespace pakt::server {

class AgentRepository {
  public:
    virtual ~AgentRepository() = default;

    virtual std::int64_t insert_agent_secret(const std::string& school_number,
                                             const std::string& secret_hash,
                                             const std::string& created_by,
                                             const std::string& expires_at, int max_uses = 1) = 0;

    virtual std::optional<AgentSecret> find_agent_secret(std::int64_t id) = 0;

    /// The secret with that hash in whatever state (used up, expired, revoked or usable).
    virtual std::optional<AgentSecret> find_agent_secret_by_hash(
        const std::string& secret_hash) = 0;

    /// A secret usable at `now` (not expired, not revoked, not used up), by hash.
    virtual std::optional<AgentSecret> find_usable_agent_secret(const std::string& secret_hash,
                                                                const std::string& now) = 0;

    /// Counts one enrollment against the secret; false if it was used up already. Call in the
    /// transaction that enrolls the agent.
    virtual bool use_agent_secret(std::int64_t id) = 0;

    virtual std::vector<AgentSecret> list_agent_secrets(const std::string& school_number) = 0;

    virtual void revoke_agent_secret(std::int64_t id, const std::string& now) = 0;

    virtual std::int64_t insert_agent(const Agent& agent, const std::string& node_key_hash,
                                      std::int64_t secret_id) = 0;

    virtual std::optional<Agent> find_agent(std::int64_t id) = 0;

    /// The agent holding this node key (hash), unless revoked.
    virtual std::optional<Agent> find_agent_by_node_key(const std::string& node_key_hash) = 0;

    /// Agents matching the filter, by id. The state is computed and filtered in the query, so pages
    /// stay whole and continue correctly.
    virtual std::vector<ListedAgent> list_agents(const AgentFilter& filter) = 0;

    virtual void revoke_agent(std::int64_t id, const std::string& now) = 0;

    virtual std::optional<CheckinRecord> find_checkin(const std::string& report_id) = 0;

    /// The state of each of `serials` (out[i] for serials[i]) for a check-in of an agent of
    /// `school_number`: whether it is enrolled there, at another school or nowhere, and what an
    /// agent of the school last reported of it.
    virtual void reported_device_states(const std::string& school_number,
                                        const std::vector<const std::string*>& serials,
                                        std::vector<ReportedDeviceState>& out) = 0;

    /// Writes what applying `report` of `agent` decided (on the writer, in its transaction):
    /// unknown sightings, device events and the latest state of each stored device (a newer
    /// sighting stored before stays), the idempotency record with `outcome`, and the agent's last
    /// check-in time and version.
    virtual void write_checkin(const Agent& agent, const CheckinReport& report,
                               const std::string& now, const CheckinChanges& changes,
                               const CheckinOutcome& outcome) = 0;

    /// Deletes idempotency records received before `before`; returns how many.
    virtual int prune_checkins(const std::string& before) = 0;

    /// Unknown sightings of a school, by serial number after `after`.
    virtual std::vector<UnknownSighting> list_unknown_sightings(const std::string& school_number,
                                                                const std::string& after,
                                                                int limit) = 0;
};

class AuditRepository {
  public:
    virtual ~AuditRepository() = default;

    /// Appends `entry` with the current time, chained to the last entry. Must run inside the
    /// transaction of the change it records (on the writer). Returns the new entry's id.
    virtual std::int64_t append_audit(const AuditEntry& entry) = 0;

    /// Entries newest first, every given filter applied. A school scope sees only entries of its
    /// schools (city-wide entries, without a school, are for city_admin). Each filter is served by
    /// an index (schema/0006_admin_api.sql); a time range becomes a range of ids through the
    /// entries' times, which grow with their ids (one writer appends them with the current time).
    virtual std::vector<AuditRecord> list_audit(const AuditFilter& filter) = 0;

    /// Reads the head with two index lookups (no scan): cheap enough for every metrics scrape.
    virtual AuditHead audit_head() = 0;

    /// Walks the chain from the first entry, checking that every entry's hash matches its content
    /// and links to its predecessor. Stops at the first entry that does not, reporting its id and
    /// why ("hash does not match the entry's content", "prev_hash does not match the hash of entry
    /// N", "entry N is missing"). Reads the whole log: run it inside one read transaction so
    /// entries appended meanwhile do not mix in.
    virtual AuditVerification verify_audit_chain() = 0;
};

class ConnectorRepository {
  public:
    virtual ~ConnectorRepository() = default;

    virtual std::int64_t insert_connector_run(const ConnectorRun& run) = 0;

    /// The connector's runs, newest first, with id < `before_id` (0: from the newest).
    virtual std::vector<ConnectorRun> list_connector_runs(const std::string& connector,
                                                          std::int64_t before_id, int limit) = 0;

    /// Finish time of the connector's newest successful run, if any.
    virtual std::optional<std::string> last_successful_run_at(const std::string& connector) = 0;

    virtual std::optional<StoredAsmDevice> find_asm_device(const std::string& serial) = 0;

    /// Inserts or replaces the device's row (first_synced_at kept).
    virtual void upsert_asm_device(const AsmDevice& device, std::optional<std::int64_t> tranche_id,
                                   const std::string& now) = 0;

    /// Serials of the tranche (in its manifest or enrolled into it) that Apple School Manager
    /// reports as released from the organisation, sorted.
    virtual std::vector<std::string> released_serials_of_tranche(std::int64_t tranche_id) = 0;

    virtual std::vector<TrancheOrder> tranches_with_order_numbers() = 0;

    /// The MDM's last stored state of a device, if it reported one.
    virtual std::optional<MdmDevice> find_mdm_state(const std::string& serial,
                                                    const std::string& source) = 0;

    virtual void upsert_mdm_state(const MdmDevice& device, const std::string& source,
                                  const std::string& now) = 0;

    /// Removes the state and the unknown sightings the MDM `source` reported for any serial not in
    /// `listed` (what a complete run no longer lists); returns how many states were removed.
    virtual std::int64_t forget_unlisted_mdm_devices(const std::string& source,
                                                     const std::vector<std::string>& listed) = 0;

    /// True if the device's history has an event of `kind`.
    virtual bool has_device_event(const std::string& serial, const std::string& kind) = 0;

    /// Records that the MDM `source` manages `serial` at `school`, which has no enrollment for it;
    /// the sighting the same MDM recorded at any other school is removed (the device moved).
    virtual void record_mdm_unknown_sighting(const std::string& school, const std::string& serial,
                                             const std::string& seen_at,
                                             const std::optional<std::string>& os_version,
                                             const std::string& source) = 0;
};

class DeviceRepository {
  public:
    virtual ~DeviceRepository() = default;

    virtual std::optional<Device> find_device(const std::string& serial) = 0;

    virtual std::optional<DeviceReport> find_device_report(const std::string& serial) = 0;

    /// Inserts the device; `enrolled_at` and `updated_at` are set to now.
    virtual void insert_device(const Device& device) = 0;

    /// Writes status, asset tag, location, note and retired reason.
    virtual void update_device(const Device& device) = 0;

    virtual std::int64_t count_devices_in_tranche(std::int64_t tranche_id) = 0;

    /// True if the device has a loan, open or returned.
    virtual bool has_ever_been_lent(const std::string& serial) = 0;

    /// Deletes the device with its latest report and its events (its enrollment undone).
    /// Precondition: the device has no loans (their rows keep the device's serial as a reference).
    virtual void delete_device(const std::string& serial) = 0;

    /// Device counts of a school by status (statuses without devices are absent).
    virtual std::map<std::string, std::int64_t> device_counts_by_status(
        const std::string& school) = 0;

    /// Devices matching the filter in serial-number order. Keyset pagination: a page continues
    /// after the last serial of the previous one, so devices added meanwhile cause no duplicates or
    /// gaps.
    virtual std::vector<Device> list_devices(const DeviceFilter& filter) = 0;

    /// Loans matching the filter, newest first (descending id).
    virtual std::vector<LoanListRow> list_loans(const LoanFilter& filter) = 0;

    virtual std::optional<Loan> find_loan(std::int64_t id) = 0;

    virtual SchoolLoanCounts count_school_loans(const std::string& school,
                                                const std::string& today) = 0;

    /// Devices of the school no agent has reported since `since` (or ever): the count of the device
    /// list's `stale` filter, which the overview links to.
    virtual std::int64_t count_not_seen_since(const std::string& school,
                                              const std::string& since) = 0;

    virtual std::optional<Loan> find_open_loan(const std::string& serial) = 0;

    /// Inserts an open loan (started now); returns its id.
    virtual std::int64_t insert_loan(const Loan& loan) = 0;

    /// Closes the loan: returned now, with condition and note.
    virtual void close_loan(std::int64_t loan_id, const std::string& condition,
                            const std::string& note, const std::string& returned_by) = 0;

    /// Appends an event to a device's history, at the current time.
    virtual void append_device_event(const std::string& serial, const std::string& kind,
                                     const std::string& actor, const nlohmann::json& detail) = 0;

    /// Events of the device, newest first, with id < `before_id` (0: from the newest).
    virtual std::vector<DeviceEvent> list_device_events(const std::string& serial,
                                                        std::int64_t before_id, int limit) = 0;
};

class FundingRepository {
  public:
    virtual ~FundingRepository() = default;

    virtual std::vector<Programme> list_programmes() = 0;

    virtual std::optional<Programme> find_programme(const std::string& code) = 0;

    virtual void insert_programme(const Programme& programme) = 0;

    /// Grants with id > `after_id`, ascending, optionally of one programme.
    virtual std::vector<Grant> list_grants(std::int64_t after_id, int limit,
                                           const std::optional<std::string>& programme_code) = 0;

    virtual std::optional<Grant> find_grant(std::int64_t id) = 0;

    /// The id of the grant with this reference (Aktenzeichen), if any.
    virtual std::optional<std::int64_t> find_grant_by_reference(const std::string& reference) = 0;

    virtual std::int64_t insert_grant(const Grant& grant) = 0;

    virtual void update_grant(const Grant& grant) = 0;
};

class ReportRepository {
  public:
    virtual ~ReportRepository() = default;

    /// Reads the funding report's inputs. Ignores `school_number` (the report has no such filter).
    virtual FundingInputs read_funding_inputs(const ReportFilter& filter) = 0;

    /// One row per tranche in the filter, by tranche id.
    virtual std::vector<RolloutRow> rollout_rows(const ReportFilter& filter,
                                                 const std::string& seen_since) = 0;

    /// Grants of programmes that fund devices whose earmarking period runs on `today` (spend_by <
    /// today <= earmark_end), by id, with their devices' figures. With a school scope, only grants
    /// with a tranche at one of those schools, counting only those schools' devices. Ignores
    /// `school_number` and `grant_id`.
    virtual std::vector<EarmarkRow> earmark_rows(const ReportFilter& filter,
                                                 const std::string& today,
                                                 const std::string& unseen_since) = 0;
};

class SchoolRepository {
  public:
    virtual ~SchoolRepository() = default;

    virtual std::optional<School> find_school(const std::string& school_number) = 0;

    virtual bool school_exists(const std::string& school_number) = 0;

    /// Schools with number > `after`, ascending, at most `limit`; restricted to `only` if given
    /// (the caller's schools), and to the schools `search` finds if given: those whose number
    /// starts with it or whose name, district or address contains it, ignoring case (also of
    /// umlauts and the other Latin-1 letters). A search walks the schools in number order until the
    /// page is full, at worst the whole table: a few milliseconds for the 5,860 schools of a
    /// federal state.
    virtual std::vector<School> list_schools(
        const std::string& after, int limit, const std::optional<std::vector<std::string>>& only,
        const std::optional<std::string>& search = std::nullopt) = 0;

    /// Inserts a new school. Throws StoreError if one with that number exists.
    virtual void insert_school(const School& school) = 0;

    /// Writes the mutable fields of an existing school; returns false if it does not exist.
    virtual bool update_school(const School& school) = 0;
};

class SessionRepository {
  public:
    virtual ~SessionRepository() = default;

    /// The user a bearer token (given as its hash) belongs to, if the session or API token exists
    /// and has not expired at `now_rfc3339` / `today` (YYYY-MM-DD, for API token expiry by day). A
    /// session last used before `idle_cutoff` (RFC 3339; empty: no idle limit) has ended.
    virtual std::optional<BearerOwner> find_bearer(const std::string& token_hash,
                                                   const std::string& now_rfc3339,
                                                   const std::string& today,
                                                   const std::string& idle_cutoff = {}) = 0;

    /// Records that the session was used at `now` (the idle timeout counts from here).
    virtual void touch_session(const std::string& token_hash, const std::string& now) = 0;

    /// Records that the API token was used at `now` (shown as its last_used_at).
    virtual void touch_api_token(std::int64_t id, const std::string& now) = 0;

    /// Ends every session of the user but the one with `keep_token_hash`, and deletes every API
    /// token of the user: what a password change does. Call inside the caller's transaction.
    virtual RevokedAccess revoke_other_access(std::int64_t user_id,
                                              const std::string& keep_token_hash) = 0;

    virtual void insert_session(const std::string& token_hash, std::int64_t user_id,
                                const std::string& expires_at,
                                const std::string& client_address) = 0;

    /// Returns true if a session with that hash existed.
    virtual bool delete_session(const std::string& token_hash) = 0;

    /// Removes every session of the user (on disable or password change).
    virtual void delete_sessions_of_user(std::int64_t user_id) = 0;

    /// Ends every session and deletes every API token of the user: what disabling a user does,
    /// through PATCH /users/{id} and `paktctl user disable` alike. Tokens are deleted, not merely
    /// refused, so re-enabling the user does not bring old tokens back. Call inside the caller's
    /// transaction (the one that disables the user and writes the audit entry).
    virtual RevokedAccess revoke_user_access(std::int64_t user_id) = 0;

    /// Removes sessions that expired before `now`.
    virtual int delete_expired_sessions(const std::string& now) = 0;

    virtual std::int64_t insert_api_token(std::int64_t user_id, const std::string& name,
                                          const std::string& token_hash,
                                          const std::optional<std::string>& expires_on) = 0;

    /// The user's tokens with id > `after_id`, ascending by id, at most `limit` (negative: all).
    virtual std::vector<ApiTokenRecord> list_api_tokens(std::int64_t user_id,
                                                        std::int64_t after_id = 0,
                                                        int limit = -1) = 0;

    virtual std::optional<ApiTokenRecord> find_api_token(std::int64_t id) = 0;

    /// Returns true if the token existed.
    virtual bool delete_api_token(std::int64_t id) = 0;
};

class TrancheRepository {
  public:
    virtual ~TrancheRepository() = default;

    virtual std::int64_t insert_tranche(const Tranche& tranche) = 0;

    virtual std::optional<Tranche> find_tranche(std::int64_t id) = 0;

    /// Writes the tranche's details (supplier, order number, delivery note, delivery date, model,
    /// unit price, expected count) and sets `updated_at` to now. School and grant stay.
    virtual void update_tranche(const Tranche& tranche) = 0;

    virtual std::vector<Tranche> list_tranches(const TrancheFilter& filter) = 0;

    virtual TrancheProgress tranche_progress(std::int64_t tranche_id,
                                             const std::string& seen_since) = 0;

    /// The tranche whose manifest lists `serial`, if any.
    virtual std::optional<std::int64_t> manifest_tranche_of(const std::string& serial) = 0;

    virtual std::optional<ManifestEntry> find_manifest_entry(const std::string& serial) = 0;

    virtual std::int64_t manifest_size(std::int64_t tranche_id) = 0;

    /// Adds rows to the tranche's manifest (one prepared statement for all of them).
    virtual void insert_manifest_entries(std::int64_t tranche_id,
                                         const std::vector<ManifestRow>& rows) = 0;

    virtual Reconciliation reconcile_tranche(std::int64_t tranche_id,
                                             const std::string& seen_since) = 0;
};

class UserRepository {
  public:
    virtual ~UserRepository() = default;

    virtual std::optional<UserRecord> find_user_by_username(const std::string& username) = 0;

    virtual std::optional<UserRecord> find_user_by_id(std::int64_t id) = 0;

    /// Users with id > `after_id`, ascending, at most `limit`.
    virtual std::vector<UserRecord> list_users(std::int64_t after_id, int limit) = 0;

    /// Inserts the user and its schools; returns the new id. Throws StoreError if the username
    /// exists (compared case-insensitively).
    virtual std::int64_t insert_user(const UserRecord& user) = 0;

    /// Writes every field of `user` (by id) and replaces its school list.
    virtual void update_user(const UserRecord& user) = 0;

    /// Enabled users with role city_admin.
    virtual int count_enabled_city_admins() = 0;
};

/// Every repository of one unit of work.
class Repositories : public AgentRepository,
                     public AuditRepository,
                     public ConnectorRepository,
                     public DeviceRepository,
                     public FundingRepository,
                     public ReportRepository,
                     public SchoolRepository,
                     public SessionRepository,
                     public TrancheRepository,
                     public UserRepository {
  public:
    ~Repositories() override = default;
};

}  // namespace pakt::server
