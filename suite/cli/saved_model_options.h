// The flags `hessian` and `landscape` share: which saved weights, on which
// data selection, on which device. One block, so that both commands select
// the samples `nrsbench run` trained on in the same way and cannot drift.
#pragma once
#include "suite/cli/cli_common.h"
#include "suite/run/setup.h"

#include <cstdint>
#include <string>

namespace nrs::cli {

struct SavedModelInputs {
  std::string model, dataset, weights, data_dir, device = "cpu";
  int64_t val_split = 0, train_subset = 0;
  uint64_t data_seed = 0;
  int threads = 0;

  // --model, --dataset, --weights (with `weights_help`), --data-dir,
  // --val-split, --data-seed, --train-subset, --device, --threads.
  void add_to(po::options_description& d, const std::string& weights_help);
  // Throws UsageError naming `command` when a required flag is missing or a
  // count is negative.
  void validate(const std::string& command) const;
  // The training run's data selection (load_run_data), no batch limit.
  RunData load_data() const;
  // The model with `weights_file` loaded onto `device`.
  models::NetPtr load_model(const RunData& data, const std::string& weights_file) const;
};

}  // namespace nrs::cli
