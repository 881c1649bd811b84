// The one place that states how weights are initialised.
#pragma once
#include <torch/torch.h>

namespace nrs::models {

// A residual block whose branch ends in a BatchNorm (post-activation ResNet,
// ResNet-50 bottleneck, PyramidNet). Pre-activation blocks (PreAct-ResNet, WRN)
// end in a conv and do not implement this, so zero_init_residual leaves them alone.
class ResidualBranchEnd {
 public:
  virtual ~ResidualBranchEnd() = default;
  virtual torch::nn::BatchNorm2d& branch_end_bn() = 0;
};

struct InitOptions {
  // Goyal et al. 2017 / torchvision's zero_init_residual: gamma=0 in the last BN of
  // every residual branch, so each block starts as its shortcut. Off by default
  // because the CIFAR references (kuangliu, xternalz, dyhan0920) do not do it.
  bool zero_init_residual = false;
};

// Conv: Kaiming normal (fan_out, ReLU gain), bias 0. BatchNorm: gamma 1,
// beta 0. Linear: PyTorch's default (Kaiming uniform a=sqrt(5); bias
// U(-1/sqrt(fan_in), 1/sqrt(fan_in))), which the CIFAR reference code keeps.
// Then, if asked, zero_init_residual as above.
void init_weights(torch::nn::Module& m, const InitOptions& opts = {});

}  // namespace nrs::models
