// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// Site agents: enroll secrets, agents and their node keys, check-in idempotency records, the
// application of a check-in report, and unknown sightings.
// The SQL behind AgentRepository (server/domain/repositories.hpp, where each function
// is documented), over one connection.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/checkin_report.hpp"
#include "common/time.hpp"
#include "server/domain/agent_records.hpp"
#include "server/storage/sql/db.hpp"

namespace pakt::server {

std::int64_t insert_agent_secret(sql::Db db, const std::string& school_number,
                                 const std::string& secret_hash, const std::string& created_by,
                                 const std::string& expires_at, int max_uses = 1);
std::optional<AgentSecret> find_agent_secret(sql::Db db, std::int64_t id);
std::optional<AgentSecret> find_agent_secret_by_hash(sql::Db db, const std::string& secret_hash);
std::optional<AgentSecret> find_usable_agent_secret(sql::Db db, const std::string& secret_hash,
                                                    const std::string& now);
bool use_agent_secret(sql::Db db, std::int64_t id);
std::vector<AgentSecret> list_agent_secrets(sql::Db db, const std::string& school_number);
void revoke_agent_secret(sql::Db db, std::int64_t id, const std::string& now);

std::int64_t insert_agent(sql::Db db, const Agent& agent, const std::string& node_key_hash,
                          std::int64_t secret_id);
std::optional<Agent> find_agent(sql::Db db, std::int64_t id);
std::optional<Agent> find_agent_by_node_key(sql::Db db, const std::string& node_key_hash);

std::vector<ListedAgent> list_agents(sql::Db db, const AgentFilter& filter);
void revoke_agent(sql::Db db, std::int64_t id, const std::string& now);

std::optional<CheckinRecord> find_checkin(sql::Db db, const std::string& report_id);

void reported_device_states(sql::Db db, const std::string& school_number,
                            const std::vector<const std::string*>& serials,
                            std::vector<ReportedDeviceState>& out);

void write_checkin(sql::Db db, const Agent& agent, const CheckinReport& report,
                   const std::string& now, const CheckinChanges& changes,
                   const CheckinOutcome& outcome);

int prune_checkins(sql::Db db, const std::string& before);

std::vector<UnknownSighting> list_unknown_sightings(sql::Db db, const std::string& school_number,
                                                    const std::string& after, int limit);

}  // namespace pakt::server
