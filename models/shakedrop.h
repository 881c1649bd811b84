// ShakeDrop (Yamada et al. 2019) applied to a residual branch output x:
//   train: gate b ~ Bernoulli(1 - p_drop) per image; alpha ~ U[-1, 1] forward and
//          beta ~ U[0, 1] backward, per image; y = (b + alpha - b*alpha) x,
//          dL/dx = (b + beta - b*beta) dL/dy.
//   eval:  y = E[b + alpha - b*alpha] x = (1 - p_drop) x.
#pragma once
#include <torch/torch.h>

namespace nrs::models {

torch::Tensor shake_drop(const torch::Tensor& x, double p_drop, bool training);

}  // namespace nrs::models
