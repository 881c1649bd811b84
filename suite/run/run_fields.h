// The one declaration of every RunConfig field: its flag, its path in a
// result's `config`, the member it sets (whose initialiser is the default),
// its help, and its role in a cell's identity. Generated from it:
//   - the run flags (run_options.cpp: `nrsbench run`, protocol cells);
//   - RunConfig::to_json, the `config` every result and checkpoint records;
//   - the fields a cell id leaves out (cell_id.cpp), by role, not by a list;
//   - docs/run-flags.md (`nrsbench list flags`, checked by a test).
// The strategy, Hessian and landscape fields have tables of their own
// (optim/strategy_fields.h, hessian/hessian_fields.h, hessian/
// landscape_fields.h); this table places their flag blocks and records them
// under "optimizer", "hessian" and "landscape".
// So a new run flag is one member, one entry here, and its use.
#pragma once
#include "suite/run/run.h"

#include <nlohmann/json.hpp>

#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace nrs {

template <typename T>
using RunFieldRef = T& (*)(RunConfig&);

struct RunField {
  using Ref =
      std::variant<std::monostate, RunFieldRef<std::string>, RunFieldRef<double>, RunFieldRef<int64_t>,
                   RunFieldRef<uint64_t>, RunFieldRef<int>, RunFieldRef<bool>, RunFieldRef<std::vector<double>>>;
  // What a field is to a cell: part of what the cell is (its id), which
  // replicate of the cell (the seed), or how and where it runs (threads,
  // paths, checkpointing, timeouts). Only kCell fields enter a cell id.
  enum class Role { kCell, kReplicate, kOperational };
  // A leaf of the configuration, or the place of another table's flags
  // (recorded under "optimizer", "hessian" or "landscape").
  enum class Block { kLeaf, kStrategySelector, kStrategyMethod, kStrategyOfficial, kHessian, kLandscape };

  std::string flag;  // without "--"; empty: recorded only (no flag sets it)
  std::string key;   // path in config, dot-separated ("schedule.base_lr")
  Ref ref;
  std::string help;
  Role role = Role::kCell;
  Block block = Block::kLeaf;
  bool inverted = false;  // a switch that sets the bool member to false (--keep-denormals)
  std::vector<std::pair<std::string, std::string>> aliases;  // value a user may write -> the recorded one
  bool (*recorded_when)(const RunConfig&) = nullptr;         // null: always recorded

  // Builders for the table's entries.
  RunField& operational() { return role = Role::kOperational, *this; }
  RunField& replicate() { return role = Role::kReplicate, *this; }
  RunField& invert() { return inverted = true, *this; }
  RunField& alias(std::string from, std::string to) { return aliases.emplace_back(from, to), *this; }
  RunField& when(bool (*f)(const RunConfig&)) { return recorded_when = f, *this; }
};

const std::vector<RunField>& run_fields();

// The entry whose flag is `flag` (without "--"); throws std::logic_error.
const RunField& run_field(const std::string& flag);

// config of a result: every field of the table at its key.
nlohmann::json run_config_json(const RunConfig& c);

// Top-level config keys that never enter a cell id: those whose fields are
// all replicate or operational, and retired operational keys that results
// written by older versions still carry.
std::vector<std::string> run_id_excluded_keys();

// The default of a leaf as --help and docs/run-flags.md print it.
std::string run_field_default_text(const RunField& f);

// docs/run-flags.md: every flag of `nrsbench run`, in --help order, with its
// config key, default and role (`nrsbench list flags` prints it).
std::string run_flags_markdown();

}  // namespace nrs
