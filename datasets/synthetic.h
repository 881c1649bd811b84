// Seeded Gaussian class clusters of any image shape, for tests and benchmarks.
#pragma once
#include "datasets/dataset.h"

namespace nrs::data {

struct SyntheticSpec {
  int64_t channels = 3, height = 32, width = 32, num_classes = 10;
  int64_t train = 2048, test = 512;
  double separation = 1.0;  // distance scale between class centres
  uint64_t seed = 0;
};

// Float32 images: class centre (N(0, separation^2) per pixel) + N(0, 1) noise.
Dataset make_synthetic(const SyntheticSpec& spec);
// Parses "synthetic", "synthetic-CxHxW" or "synthetic-CxHxW-K".
bool parse_synthetic_name(const std::string& name, SyntheticSpec* spec);

}  // namespace nrs::data
