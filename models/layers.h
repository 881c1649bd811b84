// Building blocks shared by the zoo families.
#pragma once
#include <torch/torch.h>

namespace nrs::models {

// Every zoo conv that feeds a BatchNorm has no bias: the BN shift makes it redundant
// and the reference parameter counts exclude it. VGG is the exception (vgg.cpp).
inline torch::nn::Conv2d conv3x3(int64_t in, int64_t out, int64_t stride = 1, bool bias = false) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).stride(stride).padding(1).bias(bias));
}
inline torch::nn::Conv2d conv1x1(int64_t in, int64_t out, int64_t stride = 1) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 1).stride(stride).bias(false));
}

// Global average pooling so any input size (28, 32, 224) reaches the classifier
// as a [B, C] vector; on CIFAR-sized maps it equals the references' fixed pools.
inline torch::Tensor global_avg_pool(const torch::Tensor& x) {
  return torch::adaptive_avg_pool2d(x, {1, 1}).flatten(1);
}

// Mini variants divide channel counts by this (see docs/models.md).
constexpr int64_t kMiniWidthDivisor = 8;
inline int64_t mini_width(int64_t c) { return std::max<int64_t>(1, c / kMiniWidthDivisor); }

}  // namespace nrs::models
