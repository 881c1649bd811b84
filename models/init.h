// The one place that states how weights are initialised.
#pragma once
#include <torch/torch.h>

namespace nrs::models {

// Conv: Kaiming normal (fan_out, ReLU gain), bias 0. BatchNorm: gamma 1,
// beta 0. Linear: PyTorch's default (Kaiming uniform a=sqrt(5); bias
// U(-1/sqrt(fan_in), 1/sqrt(fan_in))), which the CIFAR reference code keeps.
void init_weights(torch::nn::Module& m);

}  // namespace nrs::models
