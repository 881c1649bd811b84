// VGG with BatchNorm for CIFAR (Simonyan & Zisserman 2015; kuangliu/pytorch-cifar
// layout): 3x3 convs with bias, BN, ReLU, 2x2 max-pools; then global average pool
// and a single Linear(512, classes) head (no 4096-wide FC layers).
#pragma once
#include <vector>
#include "models/net.h"

namespace nrs::models {

// kMaxPool marks a pooling stage in a layer list; every other entry is a conv width.
constexpr int64_t kMaxPool = 0;
// depth 11, 13, 16 or 19: the standard configurations A, B, D, E.
std::vector<int64_t> vgg_layers(int depth);
// Pools whose input would be smaller than 2x2 (Fashion-MNIST's 28x28 reaches 1x1
// after four) become identities, so any input >= 16x16 keeps the same parameters.
NetPtr make_vgg_bn(const ModelSpec& spec, const std::vector<int64_t>& layers);

}  // namespace nrs::models
