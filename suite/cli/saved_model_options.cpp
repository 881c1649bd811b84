#include "suite/cli/saved_model_options.h"
#include "suite/run/run_options.h"

namespace nrs::cli {

void SavedModelInputs::add_to(po::options_description& d, const std::string& weights_help) {
  run.model.clear();  // required: no default
  run.dataset.clear();
  po::options_description block(
      "the training run that made the weights (nrsbench run's flags: the same values select the same samples)");
  add_run_flags(block, run, {"model", "dataset", "data-dir", "val-split", "train-subset", "seed", "device", "threads"});
  d.add(block);
  d.add_options()("weights", po::value(&weights), weights_help.c_str());
}

void SavedModelInputs::validate(const std::string& command) const {
  if (run.model.empty() || run.dataset.empty() || weights.empty())
    throw UsageError("--model, --dataset and --weights are required (see nrsbench " + command + " --help)");
  if (run.threads < 0) throw UsageError("--threads: expected an integer >= 0");
  if (run.val_split < 0 || run.train_subset < 0) throw UsageError("--val-split/--train-subset: expected >= 0");
}

RunData SavedModelInputs::load_data() const {
  return load_run_data({run.dataset, run.data_dir, run.val_split, run.seed, run.train_subset, 0});
}

models::NetPtr SavedModelInputs::load_model(const RunData& data, const std::string& weights_file) const {
  ModelSelection ms;
  ms.model = run.model;
  ms.init_weights = weights_file;
  return make_run_model(ms, spec_of(data.info), torch::Device(run.device));
}

void refuse_renamed_flags(const std::vector<std::string>& args, const std::vector<RenamedFlag>& renamed,
                          const std::string& command) {
  for (const auto& a : args)
    for (const auto& r : renamed)
      if (a == r.old_flag || a.rfind(r.old_flag + "=", 0) == 0)
        throw UsageError(r.old_flag + ": nrsbench " + command + " now takes " + r.new_flag +
                         ", the flag nrsbench run gives the same meaning (docs/cli.md)");
}

}  // namespace nrs::cli
