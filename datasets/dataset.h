// A dataset as nrsbench holds it: whole splits resident as tensors, plus the
// facts a model and the batch pipeline need (shape, classes, normalisation).
#pragma once
#include <torch/torch.h>
#include <cstdint>
#include <string>
#include <vector>

namespace nrs::data {

// Images are uint8 [N, C, H, W] (pixels 0..255) or float32 [N, C, H, W]
// (already in model units, e.g. synthetic data); labels are int64 [N].
struct Split {
  torch::Tensor images;
  torch::Tensor labels;
  int64_t size() const { return labels.defined() ? labels.size(0) : 0; }
};

struct DatasetInfo {
  std::string name;  // registry name as it appears in results
  int64_t channels = 0;
  int64_t height = 0;
  int64_t width = 0;
  int64_t num_classes = 0;
  std::vector<double> mean;  // per channel, in [0,1] pixel units (uint8 / 255)
  std::vector<double> std;
  std::vector<std::string> class_names;
  std::string source;  // where the files were read from (provenance)
};

struct Dataset {
  DatasetInfo info;
  Split train;  // training split (after the validation split is carved out)
  Split val;    // empty unless val_split > 0
  Split test;
};

struct DatasetOptions {
  std::string data_dir;   // explicit --data-dir ("" = search defaults)
  int64_t val_split = 0;  // samples carved from train for validation
  uint64_t seed = 0;      // drives the validation split
  std::string cifar100_labels = "fine";
  int64_t synthetic_train = 2048;  // synthetic dataset sizes
  int64_t synthetic_test = 512;
  int64_t image_size = 224;          // imagefolder: side after resize + centre crop
  int decode_threads = 2;            // imagefolder / cifar10-jpeg decode workers
  int64_t stream_prefetch_mb = 512;  // imagefolder-stream: decoded images queued ahead, at most (MiB)
};

// Error for bad or missing data; the message names the file and what was
// expected, and the CLI prints it on one line with exit code 2.
struct DataError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Carves `n` samples out of `train` for validation: seeded, stratified by
// class (each class contributes in proportion to its frequency), disjoint.
void carve_validation(Dataset& ds, int64_t n, uint64_t seed);
// The positions carve_validation takes from a split with these labels:
// {validation, remaining training}, CPU int64, each sorted ascending. Shared
// with the streamed ImageFolder, which carves its file index the same way.
std::pair<torch::Tensor, torch::Tensor> validation_indices(const torch::Tensor& labels, int64_t n, uint64_t seed);

}  // namespace nrs::data
