// CIFAR ResNets (He et al. 2016, kuangliu/pytorch-cifar layout and parameter names):
// 3x3 stem, no max-pool, stages of width w, 2w, 4w, 8w with stride 1, 2, 2, 2.
#pragma once
#include <vector>
#include "models/net.h"

namespace nrs::models {

struct CifarResNetConfig {
  std::vector<int64_t> blocks;  // per stage, e.g. {2, 2, 2, 2} for ResNet-18
  int64_t width = 64;           // stem and first-stage channels
};

// Post-activation BasicBlocks; shortcut = 1x1 conv + BN where shape changes.
NetPtr make_cifar_resnet(const ModelSpec& spec, const CifarResNetConfig& cfg);
// Pre-activation BasicBlocks (He et al. 2016b); shortcut = 1x1 conv without BN;
// no BN/ReLU after the last block (kuangliu), which the 11,171,146 count assumes.
NetPtr make_preact_resnet(const ModelSpec& spec, const CifarResNetConfig& cfg);

}  // namespace nrs::models
