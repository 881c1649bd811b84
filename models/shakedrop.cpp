#include "models/shakedrop.h"

namespace nrs::models {
namespace {

// Forward and backward multipliers differ, which plain autograd cannot express.
struct ShakeDropFn : public torch::autograd::Function<ShakeDropFn> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, torch::Tensor x, torch::Tensor fwd,
                               torch::Tensor bwd) {
    ctx->saved_data["bwd"] = bwd;
    return x * fwd;
  }
  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::tensor_list g) {
    auto bwd = ctx->saved_data["bwd"].toTensor();
    return {g[0] * bwd, torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor shake_drop(const torch::Tensor& x, double p_drop, bool training) {
  if (!training) return x * (1.0 - p_drop);
  std::vector<int64_t> shape(x.dim(), 1);
  shape[0] = x.size(0);
  auto opts = x.options().requires_grad(false);
  auto gate = torch::empty(shape, opts).bernoulli_(1.0 - p_drop);
  auto alpha = torch::empty(shape, opts).uniform_(-1.0, 1.0);
  auto beta = torch::empty(shape, opts).uniform_(0.0, 1.0);
  return ShakeDropFn::apply(x, gate + alpha - gate * alpha, gate + beta - gate * beta);
}

}  // namespace nrs::models
