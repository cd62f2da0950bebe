// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// Devices, their latest agent report, loans and device events.
// The SQL behind DeviceRepository (server/domain/repositories.hpp, where each function
// is documented), over one connection.
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "server/domain/device_records.hpp"
#include "server/storage/sql/db.hpp"

namespace pakt::server {

std::optional<Device> find_device(sql::Db db, const std::string& serial);
std::optional<DeviceReport> find_device_report(sql::Db db, const std::string& serial);
void insert_device(sql::Db db, const Device& device);
void update_device(sql::Db db, const Device& device);
std::int64_t count_devices_in_tranche(sql::Db db, std::int64_t tranche_id);
bool has_ever_been_lent(sql::Db db, const std::string& serial);
void delete_device(sql::Db db, const std::string& serial);
std::map<std::string, std::int64_t> device_counts_by_status(sql::Db db, const std::string& school);

std::vector<Device> list_devices(sql::Db db, const DeviceFilter& filter);

/// The SQL list_devices runs for `filter` (for EXPLAIN QUERY PLAN checks in tests).
std::string device_list_sql(const DeviceFilter& filter);

std::vector<LoanListRow> list_loans(sql::Db db, const LoanFilter& filter);

std::optional<Loan> find_loan(sql::Db db, std::int64_t id);

SchoolLoanCounts count_school_loans(sql::Db db, const std::string& school,
                                    const std::string& today);

std::int64_t count_not_seen_since(sql::Db db, const std::string& school, const std::string& since);

std::optional<Loan> find_open_loan(sql::Db db, const std::string& serial);
std::int64_t insert_loan(sql::Db db, const Loan& loan);
void close_loan(sql::Db db, std::int64_t loan_id, const std::string& condition,
                const std::string& note, const std::string& returned_by);

void append_device_event(sql::Db db, const std::string& serial, const std::string& kind,
                         const std::string& actor, const nlohmann::json& detail);
std::vector<DeviceEvent> list_device_events(sql::Db db, const std::string& serial,
                                            std::int64_t before_id, int limit);

}  // namespace pakt::server
