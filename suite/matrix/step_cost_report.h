// A step-cost report (`nrsbench step-cost`, kind "nrsbench-step-cost") kept
// beside a study: per-step costs measured in one process with the variants
// interleaved. Runs of a long study share the machine with other work, so
// their own ms per step is wall clock under load; where a report matches a
// cell, the aggregation publishes the report's cost beside the runs' own.
#pragma once
#include <cmath>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace nrs::matrix {

struct StepCostReport {
  std::string file;  // path relative to the results directory
  std::string model, device_kind, precision, git_commit, time;
  int64_t batch_size = 0, threads = 0;
  bool channels_last = false;
  int64_t rounds = 0;
  struct Entry {
    std::string label, variant;
    double ms_per_step = 0, ratio_to_sgd = 0;
    // The per-round ratios' range; absent (NaN) in reports written before
    // ratios were paired by round (their ratio_to_sgd is a ratio of medians).
    double ratio_low = std::nan(""), ratio_high = std::nan("");
  };
  std::vector<Entry> entries;
};

// `report` read into its typed form. Throws InputError naming `file` and the
// field when a field is missing or of another type.
StepCostReport read_step_cost_report(const nlohmann::json& report, const std::string& file);

// "cpu" for "cpu", "cpu: Intel(R) ..." or "cpu:0"; "cuda" for "cuda:1" or "cuda: NVIDIA H200".
std::string device_kind(const std::string& device);

// The cost a report gives one cell, with where it comes from.
struct CellStepCost {
  double ms_per_step = 0, ratio_to_sgd = 0;
  double ratio_low = std::nan(""), ratio_high = std::nan("");  // per-round range, when paired
  int64_t rounds = 0;
  std::string file, git_commit, time;
  int64_t threads = 0;
  nlohmann::json to_json() const;
};

// The entry of `reports` measured for a cell of this model, variant, batch
// size, threads, device kind, precision and memory format; nullopt when none
// matches. Two reports that both match are an InputError naming both files:
// which one the verdict uses must not depend on file order.
std::optional<CellStepCost> match_step_cost(const std::vector<StepCostReport>& reports, const nlohmann::json& config,
                                            const std::string& model, const std::string& variant);

}  // namespace nrs::matrix
