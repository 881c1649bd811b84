// Cell ids: the stable name of a resolved run configuration. A stored result
// is matched to its protocol cell by this id, so the id is a versioned
// promise: adding a flag must not change the id of any existing cell.
//
// Scheme 2 (current): the SHA-256 (first 12 hex digits) of the canonical
// configuration, which keeps only the fields whose value differs from the
// default RunConfig (recursively) and leaves out what does not change a
// result's meaning (seed, threads, data location, output paths, checkpoint
// settings). A new flag enters the id only where a cell sets it to a
// non-default value.
// Scheme 1 (until 2026-11): the same hash over every field, defaults included;
// kept only so that `nrsbench migrate-ids` can verify old files.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

namespace nrs {
struct RunConfig;
}

namespace nrs::matrix {

constexpr int kCellIdScheme = 2;

// Fields of RunConfig::to_json() that never enter an id: the replicate and
// operational ones of the run field table (run_fields.h), and retired keys.
const std::vector<std::string>& id_excluded_fields();

// `config` without excluded fields and without fields equal to `defaults`
// (objects are compared member by member; numbers by value, so 1 == 1.0).
nlohmann::json canonical_config(const nlohmann::json& config, const nlohmann::json& defaults);

// Scheme-2 id of a configuration against explicit defaults (tests), against
// RunConfig{}'s (everything else), or of a RunConfig.
std::string config_id(const nlohmann::json& config, const nlohmann::json& defaults);
std::string config_id(const nlohmann::json& config);
std::string cell_id(const RunConfig& c);

// Scheme 1, for verifying files written before scheme 2.
std::string config_id_v1(const nlohmann::json& config);

}  // namespace nrs::matrix
