// The setup every command shares (`run`, `hessian`, `step-cost`): which
// samples a run sees, and the model it starts from on its device. One path,
// so that a Hessian measured by `nrsbench hessian` uses exactly the samples
// the run trained on.
#pragma once
#include "datasets/dataset.h"
#include "models/init.h"
#include "models/net.h"

#include <string>

namespace nrs {

struct DataSelection {
  std::string dataset;
  std::string data_dir;
  int64_t val_split = 0;     // carved from train, seeded by `seed`
  uint64_t seed = 0;         // the run's seed (drives the validation split)
  int64_t train_subset = 0;  // fixed random subset (0 = all)
  int64_t test_subset = 0;
};

// Loads the dataset, carves the validation split, then takes the subsets.
data::Dataset load_run_data(const DataSelection& sel);

// --train-subset/--test-subset: a fixed random subset (the same for every
// seed, so cells stay comparable), in original order; a prefix would be
// single-class on class-sorted files.
data::Split fixed_subset(const data::Split& s, int64_t n);

// SHA-256 of a split's labels and pixels: which samples a command saw, for
// results and for tests that two commands saw the same ones.
std::string split_fingerprint(const data::Split& s);

struct ModelSelection {
  std::string model;
  std::string init_weights;  // optional weights file loaded after init
  bool channels_last = false;
  models::InitOptions init;
};

// Builds the model for the dataset's shape, loads weights if asked, moves it
// to `device` (4-D weights to channels_last if asked), in train mode.
models::NetPtr make_run_model(const ModelSelection& sel, const models::ModelSpec& spec, torch::Device device);
models::ModelSpec spec_of(const data::DatasetInfo& info);

}  // namespace nrs
