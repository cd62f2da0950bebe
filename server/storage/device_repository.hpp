#pragma once
// Devices, their latest agent report, loans and device events.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace SQLite {
class Database;
}

namespace pakt::server {

struct Device {
    std::string serial_number;
    std::int64_t tranche_id = 0;
    std::string school_number;
    std::string asset_tag;
    std::string model;
    std::string status = "in_storage";
    std::string location;
    std::string note;
    bool off_manifest = false;
    std::optional<std::string> retired_reason;
    std::string enrolled_at;
    std::string enrolled_by;
    std::string updated_at;
};

struct DeviceReport {
    std::int64_t agent_id = 0;
    std::string seen_at;
    std::optional<std::string> os_version;
    std::optional<std::int64_t> battery_pct;
    std::optional<std::int64_t> storage_free_mb;
    std::optional<bool> managed;
    std::optional<std::string> ip_address;
};

std::optional<Device> find_device(SQLite::Database& db, const std::string& serial);
std::optional<DeviceReport> find_device_report(SQLite::Database& db, const std::string& serial);
/// Inserts the device; `enrolled_at` and `updated_at` are set to now.
void insert_device(SQLite::Database& db, const Device& device);
/// Writes status, asset tag, location, note and retired reason.
void update_device(SQLite::Database& db, const Device& device);
std::int64_t count_devices_in_tranche(SQLite::Database& db, std::int64_t tranche_id);
/// True if the device has a loan, open or returned.
bool has_ever_been_lent(SQLite::Database& db, const std::string& serial);
/// Deletes the device with its latest report and its events (its enrollment undone).
/// Precondition: the device has no loans (their rows keep the device's serial as a reference).
void delete_device(SQLite::Database& db, const std::string& serial);
/// Device counts of a school by status (statuses without devices are absent).
std::map<std::string, std::int64_t> device_counts_by_status(SQLite::Database& db, const std::string& school);

struct DeviceFilter {
    std::optional<std::vector<std::string>> schools;  ///< the caller's scope (nullopt: all)
    std::optional<std::string> school_number;
    std::optional<std::int64_t> tranche_id;
    std::optional<std::int64_t> grant_id;  ///< only devices of the grant's tranches
    /// Set by list_devices when the grant has many enrolled devices (10,000): the list then
    /// walks the serial-number order and keeps the grant's devices, rather than reading every
    /// device of the grant through its tranches and sorting them for one page.
    bool large_grant = false;
    std::optional<std::string> status;
    /// `q` of the API: devices whose serial number starts with `serial_prefix` or whose asset tag
    /// starts with `asset_tag_prefix` (set both or neither).
    std::optional<std::string> serial_prefix;
    std::optional<std::string> asset_tag_prefix;
    std::optional<std::string> stale_before;  ///< only devices not reported since then
    /// Only devices in service (not retired) that no agent reported since then, or ever.
    std::optional<std::string> unseen_since;
    bool on_loan = false;                     ///< only devices with an open loan
    std::string after;                     ///< keyset: serial numbers > after
    int limit = 50;
};

/// Devices matching the filter in serial-number order. Keyset pagination: a page continues after
/// the last serial of the previous one, so devices added meanwhile cause no duplicates or gaps.
std::vector<Device> list_devices(SQLite::Database& db, const DeviceFilter& filter);

/// The SQL list_devices runs for `filter` (for EXPLAIN QUERY PLAN checks in tests).
std::string device_list_sql(const DeviceFilter& filter);

struct Loan {
    std::int64_t id = 0;
    std::string serial_number;
    std::string school_number;
    std::string borrower_ref;
    std::string borrower_kind;
    std::string agreement_ref;
    std::optional<std::string> due_on;
    std::string started_at;
    std::string started_by;
    std::optional<std::string> returned_at;
    std::optional<std::string> return_condition;
    std::string return_note;
    std::optional<std::string> returned_by;
    std::string accessories;          ///< what was handed over with the device
    std::string pre_existing_damage;  ///< damage the device had when it was handed over
};

/// Which loans a list shows.
enum class LoanState { current, overdue, returned };

struct LoanFilter {
    std::optional<std::vector<std::string>> schools;  ///< the caller's scope (nullopt: all)
    std::optional<std::string> school_number;
    LoanState state = LoanState::current;
    std::string today;          ///< YYYY-MM-DD: overdue means due before this day
    std::int64_t before_id = 0;  ///< keyset: loans with a smaller id (0: from the newest)
    int limit = 50;
};

/// A loan with what a list shows of its device.
struct LoanListRow {
    Loan loan;
    std::string asset_tag;
    std::string model;
};

/// Loans matching the filter, newest first (descending id).
std::vector<LoanListRow> list_loans(SQLite::Database& db, const LoanFilter& filter);

std::optional<Loan> find_loan(SQLite::Database& db, std::int64_t id);

/// What a school's overview counts.
struct SchoolLoanCounts {
    std::int64_t on_loan = 0;
    std::int64_t overdue = 0;  ///< on loan with a due date before `today`
};
SchoolLoanCounts count_school_loans(SQLite::Database& db, const std::string& school, const std::string& today);

/// Devices of the school no agent has reported since `since` (or ever): the count of the device
/// list's `stale` filter, which the overview links to.
std::int64_t count_not_seen_since(SQLite::Database& db, const std::string& school, const std::string& since);

std::optional<Loan> find_open_loan(SQLite::Database& db, const std::string& serial);
/// Inserts an open loan (started now); returns its id.
std::int64_t insert_loan(SQLite::Database& db, const Loan& loan);
/// Closes the loan: returned now, with condition and note.
void close_loan(SQLite::Database& db, std::int64_t loan_id, const std::string& condition,
                const std::string& note, const std::string& returned_by);

struct DeviceEvent {
    std::int64_t id = 0;
    std::string serial_number;
    std::string at;
    std::string kind;
    std::string actor;
    nlohmann::json detail;
};

/// Appends an event to a device's history, at the current time.
void append_device_event(SQLite::Database& db, const std::string& serial, const std::string& kind,
                         const std::string& actor, const nlohmann::json& detail);
/// Events of the device, newest first, with id < `before_id` (0: from the newest).
std::vector<DeviceEvent> list_device_events(SQLite::Database& db, const std::string& serial,
                                            std::int64_t before_id, int limit);

}  // namespace pakt::server
