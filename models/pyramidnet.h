// PyramidNet (Han et al. 2017), dyhan0920/PyramidNet-PyTorch layout and parameter
// names: stem conv 16 + BN; three stages whose widths grow by alpha / (3n) per block
// (rounded half-to-even, as Python's round); blocks BN-conv-BN-ReLU-conv-BN (basic)
// or BN-1x1-BN-ReLU-3x3-BN-ReLU-1x1(x4)-BN (bottleneck); shortcut = 2x2 average pool
// where the stride is 2, then zero channels appended; final BN-ReLU, FC.
//
// official = the google-research/sam PyramidNet (sam_jax/models/pyramidnet.py,
// PyramidNetShakeDrop): the same blocks, widths, shortcuts and ShakeDrop
// schedule, but the stride-2 3x3 convs pad TensorFlow-"SAME" (layers.h
// pad_same) and the classifier is initialised U(-1/sqrt(classes),
// 1/sqrt(classes)) with bias 0 (models/utils.py dense_layer_init_fn).
#pragma once
#include "models/net.h"

namespace nrs::models {

struct PyramidNetConfig {
  int64_t blocks_per_stage = 18;
  double alpha = 270;
  bool bottleneck = false;
  int64_t stem = 16;
  // ShakeDrop on every branch, drop probability rising linearly from
  // p_max / L at block 1 to p_max at block L (0 disables).
  double shakedrop_p_max = 0.0;
  bool official = false;  // the google-research/sam variant (above)
};

// pyramidnet-D-A: depth D = 6n + 2 (basic) or 9n + 2 (bottleneck).
PyramidNetConfig pyramidnet_config(int64_t depth, double alpha, bool bottleneck, bool shakedrop);
NetPtr make_pyramidnet(const ModelSpec& spec, const PyramidNetConfig& cfg);

}  // namespace nrs::models
