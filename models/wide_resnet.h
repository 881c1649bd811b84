// Wide ResNets (Zagoruyko & Komodakis 2016), pre-activation, xternalz/WideResNet-pytorch
// layout and parameter names: stem conv 16, three stages of widths 16k, 32k, 64k with
// (depth - 4) / 6 blocks each, 1x1 projection convs, final BN-ReLU, FC.
#pragma once
#include "models/net.h"

namespace nrs::models {

struct WideResNetConfig {
  int64_t blocks_per_stage = 4;
  int64_t stem = 16;
  int64_t widths[3] = {160, 320, 640};
  double dropout = 0.0;  // between the two convs of each block, as in the paper
};

// wrn-D-K: depth D = 6n + 4, widen factor K.
WideResNetConfig wide_resnet_config(int64_t depth, int64_t k, double dropout);
NetPtr make_wide_resnet(const ModelSpec& spec, const WideResNetConfig& cfg);

}  // namespace nrs::models
