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

// TensorFlow / flax "SAME" padding of a k x k, stride-s conv or pool on an
// H x W input: per axis max((ceil(n/s) - 1) s + k - n, 0) pixels, the odd one
// after (bottom/right). For stride 1 and k = 3 it is PyTorch's padding=1; for
// stride 2 on an even size it is (0, 1), where padding=1 gives (1, 1) and the
// output grid starts one pixel earlier. Used by the *-official models.
inline torch::Tensor pad_same(const torch::Tensor& x, int64_t k, int64_t s) {
  auto total = [&](int64_t n) { return std::max<int64_t>(((n + s - 1) / s - 1) * s + k - n, 0); };
  const int64_t th = total(x.size(2)), tw = total(x.size(3));
  return torch::constant_pad_nd(x, {tw / 2, tw - tw / 2, th / 2, th - th / 2}, 0);
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
