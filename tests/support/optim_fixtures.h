// Small models and helpers shared by the optimizer tests.
#pragma once
#include "models/net.h"
#include "models/registry.h"
#include "suite/optim/strategies.h"

#include <gtest/gtest.h>

namespace nrs::testing {

// Output = the parameter vector w itself, so a custom objective can make the
// loss any closed-form function of w (here: quadratics).
class VectorNet : public models::Net {
 public:
  explicit VectorNet(torch::Tensor w0) { w = register_parameter("w", w0.clone()); }
  torch::Tensor forward(torch::Tensor) override { return w.unsqueeze(0); }
  torch::Tensor w;
};

// Softmax regression logits = x W^T + b, in the dtype of W.
class Linear : public models::Net {
 public:
  Linear(torch::Tensor W0, torch::Tensor b0) {
    W = register_parameter("weight", W0.clone());
    b = register_parameter("bias", b0.clone());
  }
  torch::Tensor forward(torch::Tensor x) override { return torch::matmul(x, W.t()) + b; }
  torch::Tensor W, b;
};

// 2-layer MLP with named tensors fc1.weight, fc1.bias, fc2.weight, fc2.bias.
class Mlp2 : public models::Net {
 public:
  Mlp2(int64_t in, int64_t hidden, int64_t out, torch::Dtype dt) {
    fc1 = register_module("fc1", torch::nn::Linear(in, hidden));
    fc2 = register_module("fc2", torch::nn::Linear(hidden, out));
    to(dt);
  }
  torch::Tensor forward(torch::Tensor x) override { return fc2(torch::relu(fc1(x))); }
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
};

// The quadratic 0.5 w'Aw on a VectorNet, with a symmetric positive definite A
// and a batch the objective ignores: closed-form steps for SAM, ASAM and GNP.
inline torch::Tensor spd_matrix() {
  return torch::tensor({{3.0, 1.0, 0.0}, {1.0, 2.0, 0.5}, {0.0, 0.5, 1.0}}, torch::kFloat64);
}

inline optim::Objective quadratic(torch::Tensor A) {
  optim::Objective o;
  o.custom = [A](const torch::Tensor& out, const torch::Tensor&) {
    auto w = out.squeeze(0);
    return 0.5 * torch::dot(w, torch::mv(A, w));
  };
  return o;
}

inline data::Batch dummy_batch() { return {torch::zeros({1, 1}, torch::kFloat64), torch::zeros({1}, torch::kInt64)}; }

// The mini CNN in train mode (seeded init) and a seeded batch of 16 for it:
// the small real model the strategy equivalence tests step.
inline models::NetPtr small_mini_cnn(uint64_t seed) {
  torch::manual_seed(seed);
  auto net = models::make_model("small-cnn-mini", {3, 8, 8, 4});
  net->train();
  return net;
}

inline data::Batch mini_batch(uint64_t seed) {
  torch::manual_seed(seed);
  return {torch::randn({16, 3, 8, 8}), torch::randint(0, 4, {16}, torch::kInt64)};
}

inline std::vector<std::pair<std::string, torch::Tensor>> named_params(models::Net& m) {
  std::vector<std::pair<std::string, torch::Tensor>> v;
  for (const auto& kv : m.named_parameters()) v.emplace_back(kv.key(), kv.value());
  return v;
}

// Runs `steps` steps of a strategy on one batch.
inline void run_steps(models::Net& model, optim::StrategyOptions so, optim::SgdOptions sgd, const data::Batch& batch,
                      double lr, int steps, const optim::Objective& obj = {}) {
  optim::BaseSgd base(named_params(model), sgd);
  auto strat = optim::make_strategy(so, model, base);
  for (int i = 0; i < steps; ++i) {
    optim::StepContext ctx{model, batch, obj, base, lr};
    strat->step(ctx);
  }
}

// Runs `steps` steps of a strategy at lr 0.05, step i (its global step) on
// batch_of(100 + i): one optimizer state across several batches.
template <class BatchOf>
void run_steps_on_batches(models::Net& model, const optim::StrategyOptions& so, const optim::SgdOptions& sgd, int steps,
                          BatchOf batch_of) {
  optim::BaseSgd base(named_params(model), sgd);
  auto strat = optim::make_strategy(so, model, base);
  optim::Objective obj;
  for (int i = 0; i < steps; ++i) {
    auto b = batch_of(100 + i);
    optim::StepContext ctx{model, b, obj, base, 0.05, optim::Precision::kFloat32, nullptr, 1.0, /*global_step=*/i};
    strat->step(ctx);
  }
}

inline bool states_equal(const torch::nn::Module& a, const torch::nn::Module& b) {
  auto pa = a.named_parameters(), pb = b.named_parameters();
  for (const auto& kv : pa)
    if (!torch::equal(kv.value(), pb[kv.key()])) return false;
  auto ba = a.named_buffers(), bb = b.named_buffers();
  for (const auto& kv : ba)
    if (!torch::equal(kv.value(), bb[kv.key()])) return false;
  return true;
}

}  // namespace nrs::testing
