// Step cost of each optimizer on one model and batch shape: the harness's
// throughput report for devices (CUDA events there), used by scripts/gpu-check
// and `nrsbench step-cost`. Ratios come from one process, variants
// interleaved round by round: the median of the per-round ratios to SGD, with
// their range.
#pragma once
#include "suite/optim/loss_scale.h"
#include "suite/optim/step_strategy.h"

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace nrs {

struct StepCostOptions {
  std::string model = "resnet18";
  int64_t channels = 3, height = 32, width = 32, classes = 10;
  int64_t batch_size = 256;
  std::string device = "cpu";
  std::string precision = "fp32";      // fp32 | bf16 | fp16
  optim::LossScaleOptions loss_scale;  // fp16: each variant has its own scaler
  bool channels_last = false;
  int64_t warmup = 5, steps = 20, rounds = 10;
  int threads = 0;
  std::vector<std::string> optimizers = {"sgd", "sam", "nrs-gradient", "nrs-random"};
  // Method flags the user gave (without "--", e.g. "looksam-k") with their
  // values in `method_flags`: each replaces the preset of every variant whose
  // strategy reads it, and must be read by at least one.
  optim::StrategyOptions method_flags;
  std::vector<std::string> given_method_flags;
  void validate() const;  // throws std::invalid_argument naming the flag
};

// Labels step-cost knows: sgd, sam, asam, gnp, looksam, rst, nrs-gradient, nrs-random, nrs-random-k2.
const std::vector<std::string>& step_cost_labels();
// The strategy each label stands for (one definition for step-cost and bench/).
optim::StrategyOptions step_cost_strategy(const std::string& label);
// The strategy a variant of `o` runs: its label's preset with the given
// method flags that its strategy reads.
optim::StrategyOptions step_cost_variant(const StepCostOptions& o, const std::string& label);

// One variant's cost.
struct StepCostRow {
  std::string label, variant;
  nlohmann::json optimizer;  // the strategy's configuration (optim::strategy_config_json)
  std::vector<double> ms_per_step_rounds;
  // With SGD measured first: each round's time over SGD's in the same round
  // (empty otherwise).
  std::vector<double> ratio_to_sgd_rounds;
  nlohmann::json optimizer_summary;  // the strategy's (RST's realised SAM fraction); null if none
  nlohmann::json loss_scale;         // fp16: the scaler's summary; null otherwise

  double ms_per_step() const;  // median over rounds
  double images_per_s(int64_t batch_size) const;
  std::optional<double> ratio_to_sgd() const;  // median of the per-round ratios; none without SGD
  nlohmann::json to_json(int64_t batch_size) const;
};

// A `nrsbench step-cost` report; to_json is its file (kind
// "nrsbench-step-cost", read back by matrix/step_cost_report.h).
struct StepCostMeasurement {
  StepCostOptions options;
  std::string device;  // "cpu: <model name>" or the GPU's name
  int threads = 0;
  std::string timing;  // how the time was taken (StepTimer::method and the pairing)
  std::vector<StepCostRow> rows;
  std::string git_commit, time;
  nlohmann::json environment;
  nlohmann::json to_json() const;
};

StepCostMeasurement measure_step_cost(const StepCostOptions& o);

}  // namespace nrs
