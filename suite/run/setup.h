// The setup every command shares (`run`, `hessian`, `step-cost`): which
// samples a run sees, and the model it starts from on its device. One path,
// so that a Hessian measured by `nrsbench hessian` uses exactly the samples
// the run trained on.
#pragma once
#include "datasets/batch_source.h"
#include "datasets/dataset.h"
#include "datasets/pipeline.h"
#include "datasets/streaming_folder.h"
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
  int decode_threads = 2;            // image decoding workers
  int64_t stream_prefetch_mb = 512;  // streamed folders: decoded bytes queued ahead per source
};

// The data a run or a Hessian sees: whole splits in memory (every dataset
// but the streamed ones), or a file index decoded per epoch
// (imagefolder-stream, datasets larger than memory). Both give batch
// sources, so the training loop and evaluation do not care which.
struct RunData {
  data::DatasetInfo info;
  data::Dataset memory;                           // in-memory splits (empty when streamed)
  std::shared_ptr<data::StreamingFolder> stream;  // set when streamed
  int decode_threads = 2;

  bool streamed() const { return stream != nullptr; }
  int64_t train_size() const;
  int64_t val_size() const;
  int64_t test_size() const;
  // Training batches: augmentation `aug` for in-memory data (streamed data is
  // augmented by its loader: random-resized crop + flip); `drop_last` ends
  // each epoch before a partial batch.
  std::unique_ptr<data::BatchSource> train_source(int64_t batch, torch::Device device, const data::AugmentOptions& aug,
                                                  bool shuffle, uint64_t seed, bool drop_last = false) const;
  // Evaluation batches of the validation (val = true) or test split, in order.
  std::unique_ptr<data::BatchSource> eval_source(bool val, int64_t batch, torch::Device device) const;
  // The training split as evaluation batches: in order, no augmentation (the
  // final model's fit to its training data, in eval mode). Null when the
  // training split is streamed: a pass over ImageNet costs an epoch.
  std::unique_ptr<data::BatchSource> train_eval_source(int64_t batch, torch::Device device) const;
  // The training images a Hessian with `samples`/`seed` is computed on, in
  // memory: the whole split (hessian_report draws its subset) or, streamed,
  // exactly that subset decoded once.
  data::Split hessian_split(int64_t samples, uint64_t seed) const;
  // SHA-256 of what training sees: labels and pixels, or (streamed) the file
  // paths and labels of the index.
  std::string train_fingerprint() const;
};

// Loads the dataset, carves the validation split, then takes the subsets.
RunData load_run_data(const DataSelection& sel);

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
