// One training run ("cell"): data, model, step strategy, schedule, metrics,
// results JSON. Everything that defines the run is in RunConfig and lands in
// the results file.
#pragma once
#include "datasets/pipeline.h"
#include "suite/hessian/spectrum.h"
#include "suite/optim/step_strategy.h"
#include "suite/schedule.h"

#include <nlohmann/json.hpp>

namespace nrs {

struct RunConfig {
  std::string model = "small-cnn";
  std::string dataset = "fashion-mnist";
  int64_t epochs = 3;
  int64_t batch_size = 128;
  int64_t eval_batch_size = 1000;
  ScheduleOptions schedule;
  optim::SgdOptions sgd;
  optim::StrategyOptions strategy;
  double label_smoothing = 0.0;
  uint64_t seed = 0;
  std::string device = "cpu";
  int threads = 0;                 // 0 = all hardware threads
  std::string data_dir;
  int64_t val_split = 0;
  int64_t train_subset = 0;        // first N training samples only (0 = all); smoke runs
  int64_t test_subset = 0;
  data::AugmentOptions augment;
  bool deterministic = false;      // no shuffle, no augmentation, fixed batch order
  std::string precision = "fp32";  // fp32 | bf16 (autocast)
  bool channels_last = false;
  bool cudnn_benchmark = false;
  // CPU: flush denormal floats to zero. NRS's KL gradients start tiny and
  // underflow into denormals, whose arithmetic is orders of magnitude slower.
  bool flush_denormal = true;
  std::string init_weights, save_weights;
  int64_t hessian_top_k = 0;       // 0 = no spectrum
  int64_t hessian_every = 0;       // also every E epochs (0 = final only)
  hessian::HessianOptions hessian;
  // Official-code semantics (docs/fidelity.md); the others live in strategy
  // (sam_m, bn_group, shared_gates), sgd (wd_mode) and augment (cutout_mode).
  bool drop_last = false;          // drop each epoch's last partial training batch

  nlohmann::json to_json() const;  // the fully resolved configuration
  // Throws std::invalid_argument naming the flag. check_device: also require
  // that a CUDA device asked for exists here (off when only planning runs).
  void validate(bool check_device = true) const;
};

struct Progress {
  bool tty = false;  // one updating line on a terminal, a line per epoch otherwise
  bool quiet = false;
};

// Runs the cell and returns the schema-1 result (status ok | diverged |
// failed). Data and configuration errors throw (data::DataError,
// std::invalid_argument) before training starts.
nlohmann::json run_training(const RunConfig& cfg, const std::string& command_line, const Progress& progress);

// Evaluates mean loss and accuracy of `model` on a split (eval mode, no grad).
std::pair<double, double> evaluate(models::Net& model, const data::Split& split, const data::DatasetInfo& info,
                                   int64_t batch_size, torch::Device device, bool channels_last);

}  // namespace nrs
