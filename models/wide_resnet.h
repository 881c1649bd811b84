// Wide ResNets (Zagoruyko & Komodakis 2016), pre-activation, xternalz/WideResNet-pytorch
// layout and parameter names: stem conv 16, three stages of widths 16k, 32k, 64k with
// (depth - 4) / 6 blocks each, 1x1 projection convs, final BN-ReLU, FC.
//
// official = the google-research/sam WRN (sam_jax/models/wide_resnet.py, which
// mimics tensorflow/models autoaugment wrn.py; docs/fidelity.md):
//   - shortcuts where the width changes are parameter-free: average-pool by the
//     stride, then zero channels appended (_output_add), not 1x1 convs;
//   - the first block of the network adds the BN-ReLU'd input
//     (activate_before_residual), every other block the raw input;
//   - stride-2 convs pad TensorFlow-"SAME" (0 before, 1 after: layers.h pad_same);
//   - classifier weights U(-1/sqrt(classes), 1/sqrt(classes)), bias 0
//     (models/utils.py dense_layer_init_fn), not PyTorch's Linear default.
// Convs (Kaiming normal, fan_out, gain 2, no bias) and BN (gamma 1, beta 0)
// are initialised the same in both.
#pragma once
#include "models/net.h"

namespace nrs::models {

struct WideResNetConfig {
  int64_t blocks_per_stage = 4;
  int64_t stem = 16;
  int64_t widths[3] = {160, 320, 640};
  double dropout = 0.0;   // between the two convs of each block, as in the paper
  bool official = false;  // the google-research/sam variant (above)
};

// wrn-D-K: depth D = 6n + 4, widen factor K.
WideResNetConfig wide_resnet_config(int64_t depth, int64_t k, double dropout);
NetPtr make_wide_resnet(const ModelSpec& spec, const WideResNetConfig& cfg);

}  // namespace nrs::models
