// CIFAR ResNets (He et al. 2016, kuangliu/pytorch-cifar layout and parameter names):
// 3x3 stem, no max-pool, stages of width w, 2w, 4w, 8w with stride 1, 2, 2, 2.
#pragma once
#include <vector>
#include "models/net.h"

namespace nrs::models {

// Where a block changes shape: a 1x1 convolution + BN (He et al.'s option B,
// kuangliu's ResNet-18), or option A, the identity on every other pixel with
// the new channels zero (He et al. 2016, sec. 4.2: the CIFAR ResNet-20..110,
// no parameters; akamaster/pytorch_resnet_cifar10 pads half the new channels
// before and half after).
enum class Shortcut { kProjection, kZeroPad };

struct CifarResNetConfig {
  std::vector<int64_t> blocks;  // per stage, e.g. {2, 2, 2, 2} for ResNet-18
  int64_t width = 64;           // stem and first-stage channels
  Shortcut shortcut = Shortcut::kProjection;
};

// Post-activation BasicBlocks; shortcut as cfg.shortcut says where shape
// changes. He et al.'s CIFAR nets (resnet20 ... resnet110, depth 6n + 2) are
// {n, n, n} at width 16 with option A.
NetPtr make_cifar_resnet(const ModelSpec& spec, const CifarResNetConfig& cfg);
// Pre-activation BasicBlocks (He et al. 2016b); shortcut = 1x1 conv without BN;
// no BN/ReLU after the last block (kuangliu), which the 11,171,146 count assumes.
NetPtr make_preact_resnet(const ModelSpec& spec, const CifarResNetConfig& cfg);

}  // namespace nrs::models
