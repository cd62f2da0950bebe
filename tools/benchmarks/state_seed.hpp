// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// A federal state's fleet for `tools/bench state`, written through Pakt's own code before paktd
// starts: the schools through paktctl's school import, and then per school what the API would
// have written for it: grants, deliveries (tranches) with their delivery lists, enrolled devices
// with their enrollment events and audit entries, statuses, open and returned loans, an enrolled
// agent, and its first check-ins applied by the check-in code itself. Only the pace differs: one
// transaction per group of schools and no HTTP.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace pakt::bench {

struct StatePlan {
    std::filesystem::path
        schools_csv;                  ///< the Datenschule columns (tools/demo-data/nrw-schools.csv)
    unsigned schools = 5860;          ///< taken evenly over the list's schools
    std::size_t devices = 2'000'003;  ///< spread evenly over the schools
    /// Serial numbers as Apple issues them since 2021 (12 random characters), or, with this set,
    /// a school's serials next to each other in key order (what older, sequential serials and
    /// deliveries of one batch look like).
    bool adjacent_serials = false;
    std::uint32_t random_seed = 20261201;
};

struct SeededSchool {
    std::string school_number;
    std::int64_t agent_id = 0;
    std::string node_key;
    std::vector<std::int64_t> tranche_ids;
    /// The devices its agent sees on the network: those in service (not lost, stolen, retired).
    std::vector<std::string> present_serials;
    std::size_t devices = 0;  ///< enrolled, in service or not
};

struct SeededState {
    std::vector<SeededSchool> schools;
    std::int64_t grant_id = 0;                   ///< the largest grant (DigitalPakt Basis)
    std::vector<std::string> sample_asset_tags;  ///< a few, for asset-tag searches
    std::size_t devices = 0;
    std::size_t loans_open = 0;
    std::size_t audit_entries = 0;
    /// Bearer tokens of a city_admin, of a school_it and of a headteacher of schools[0].
    std::string admin_token;
    std::string school_it_token;
    std::string headteacher_token;
    double seconds = 0;  ///< seeding time
};

/// Writes `state` with its plan's sizes to `file` (JSON; it holds the agents' node keys and the
/// users' tokens, which the database keeps only hashed), so a later run can reuse the database.
void save_seeded_state(const std::filesystem::path& file, const StatePlan& plan,
                       const SeededState& state);

/// Reads what save_seeded_state() wrote; nullopt if `file` does not exist. Throws if it was
/// written for another plan (schools, devices or serials differ) or cannot be read.
std::optional<SeededState> load_seeded_state(const std::filesystem::path& file,
                                             const StatePlan& plan);

/// Creates and migrates `database_file` (which must not exist) and seeds `plan` into it. Prints a
/// line of progress every tenth of the schools. Throws on a bad plan or file, and on any database
/// error.
SeededState seed_state(const std::filesystem::path& database_file, const StatePlan& plan);

}  // namespace pakt::bench
