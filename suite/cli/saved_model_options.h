// The flags `hessian` and `landscape` share: which saved weights, and the
// training run that made them, named and parsed as `nrsbench run` names them
// (--model, --dataset, --data-dir, --val-split, --train-subset, --seed,
// --device, --threads; generated from the run field table). The same values
// as the run's select the same samples, so an analysis command is the run's
// command with --weights instead of training.
#pragma once
#include "suite/cli/cli_common.h"
#include "suite/run/run.h"
#include "suite/run/setup.h"

#include <string>
#include <vector>

namespace nrs::cli {

struct SavedModelInputs {
  RunConfig run;  // only the fields above are read
  std::string weights;

  // The run's flags above and --weights (with `weights_help`).
  void add_to(po::options_description& d, const std::string& weights_help);
  // Throws UsageError naming `command` when a required flag is missing or a
  // count is negative.
  void validate(const std::string& command) const;
  // The training run's data selection (load_run_data), no batch limit.
  RunData load_data() const;
  // The model with `weights_file` loaded onto the device.
  models::NetPtr load_model(const RunData& data, const std::string& weights_file) const;
};

// Flags these commands used to take under other names: `--old` given in
// `args` throws UsageError naming the flag that replaced it (exit 2), so an
// old command line stops instead of meaning something else.
struct RenamedFlag {
  std::string old_flag, new_flag;
};
void refuse_renamed_flags(const std::vector<std::string>& args, const std::vector<RenamedFlag>& renamed,
                          const std::string& command);

}  // namespace nrs::cli
