// The one declaration of every StrategyOptions field a run sets: its flag,
// its key in a result's config.optimizer (and so in cell ids), its default
// (the member's initialiser), its help, and the strategies that read it. The
// run flags (run_options.cpp), config.optimizer (RunConfig::to_json) and the
// per-method flag lists of `nrsbench list` are all generated from it, so a
// new hyperparameter is one member, one entry here, its validation and its
// use in the strategy.
#pragma once
#include "suite/optim/step_strategy.h"

#include <nlohmann/json.hpp>

#include <string>
#include <variant>
#include <vector>

namespace nrs::optim {

struct StrategyField {
  using Member = std::variant<std::string StrategyOptions::*, double StrategyOptions::*, int64_t StrategyOptions::*,
                              bool StrategyOptions::*>;
  // Where the flag sits in `nrsbench run --help`: the method's selector
  // (--optimizer, first of the method flags and in no method's own list),
  // the method hyperparameters, or the official-code-semantics block.
  enum class Block { kSelector, kMethod, kOfficial };
  std::string flag;  // without the leading "--"
  std::string key;   // config.optimizer key
  Member member;
  std::string help;
  std::vector<std::string> used_by;  // strategy names that read it; empty = every strategy
  Block block = Block::kMethod;
  bool used_by_strategy(const std::string& name) const;
};

const std::vector<StrategyField>& strategy_fields();

// config.optimizer of a result: every field of the table under its key, with
// bn_group recorded as the group size a step uses (bn_group_effective()).
nlohmann::json strategy_config_json(const StrategyOptions& o);

// The default of a field as `nrsbench list` and --help print it.
std::string default_text(const StrategyField& f);

// Sets in `to` each field whose flag is in `flags` (without "--") and which
// `to.name`'s strategy reads, to its value in `from`. Returns the flags it
// set. step-cost applies the method flags a user gave to each of its presets.
std::vector<std::string> copy_strategy_fields(const StrategyOptions& from, const std::vector<std::string>& flags,
                                              StrategyOptions& to);

}  // namespace nrs::optim
