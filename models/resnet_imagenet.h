// ImageNet ResNet-50 in torchvision's layout and parameter names (v1.5: stride on
// the 3x3 conv of the bottleneck): 7x7/2 stem, 3x3/2 max-pool, bottleneck stages
// [3, 4, 6, 3] of widths 64..512 (x4 out), 1x1 conv + BN downsample, adaptive pool, fc.
#pragma once
#include <vector>
#include "models/net.h"

namespace nrs::models {

struct ImageNetResNetConfig {
  std::vector<int64_t> blocks{3, 4, 6, 3};
  int64_t width = 64;  // stem and first-stage bottleneck width
};

NetPtr make_imagenet_resnet(const ModelSpec& spec, const ImageNetResNetConfig& cfg);

}  // namespace nrs::models
