#include "suite/cli/saved_model_options.h"

namespace nrs::cli {

void SavedModelInputs::add_to(po::options_description& d, const std::string& weights_help) {
  // clang-format off
  d.add_options()
    ("model", po::value(&model), "model name (nrsbench list); required")
    ("dataset", po::value(&dataset), "dataset name (nrsbench list); required")
    ("weights", po::value(&weights), weights_help.c_str())
    ("data-dir", po::value(&data_dir), "dataset directory")
    ("val-split", po::value(&val_split)->default_value(val_split), "as the training run: samples carved from train")
    ("data-seed", po::value(&data_seed)->default_value(data_seed), "as the training run's --seed (drives --val-split)")
    ("train-subset", po::value(&train_subset)->default_value(train_subset), "as the training run: its fixed random subset of N training samples (0 = all)")
    ("device", po::value(&device)->default_value(device), "cpu | cuda | cuda:N")
    ("threads", po::value(&threads)->default_value(threads), "CPU threads (0 = all cores)");
  // clang-format on
}

void SavedModelInputs::validate(const std::string& command) const {
  if (model.empty() || dataset.empty() || weights.empty())
    throw UsageError("--model, --dataset and --weights are required (see nrsbench " + command + " --help)");
  if (threads < 0) throw UsageError("--threads: expected an integer >= 0");
  if (val_split < 0 || train_subset < 0) throw UsageError("--val-split/--train-subset: expected >= 0");
}

RunData SavedModelInputs::load_data() const {
  return load_run_data({dataset, data_dir, val_split, data_seed, train_subset, 0});
}

models::NetPtr SavedModelInputs::load_model(const RunData& data, const std::string& weights_file) const {
  ModelSelection ms;
  ms.model = model;
  ms.init_weights = weights_file;
  return make_run_model(ms, spec_of(data.info), torch::Device(device));
}

}  // namespace nrs::cli
