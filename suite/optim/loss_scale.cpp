#include "suite/optim/loss_scale.h"

#include "suite/optim/replicas.h"
#include "suite/optim/snapshot.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace nrs::optim {

namespace {
bool is_power_of_two(double x) {
  if (!(x > 0) || !std::isfinite(x)) return false;
  int e = 0;
  return std::frexp(x, &e) == 0.5;
}
}  // namespace

nlohmann::json LossScaleOptions::to_json() const { return {{"init", init}, {"growth_interval", growth_interval}}; }

void LossScaleOptions::validate() const {
  if (!is_power_of_two(init) || init < 1.0 || init > 0x1p64)
    throw std::invalid_argument("--loss-scale-init: expected a power of two in [1, 2^64] (exact scaling)");
  if (growth_interval < 1) throw std::invalid_argument("--loss-scale-growth-interval: expected an integer >= 1");
}

LossScaler::LossScaler(LossScaleOptions o) : opts_(o), scale_(o.init) { opts_.validate(); }

torch::Tensor LossScaler::scaled(const torch::Tensor& objective) const { return objective * scale_; }

void LossScaler::unscale_and_check(const std::vector<torch::Tensor>& fresh) {
  torch::NoGradGuard ng;
  const double inv = 1.0 / scale_;  // exact: the scale is a power of two
  for (const auto& g : fresh) {
    if (!g.defined() || g.numel() == 0) continue;
    g.mul_(inv);
    auto bad = torch::isfinite(g).logical_not().any().to(torch::kFloat32);
    found_inf_ = found_inf_.defined() ? torch::maximum(found_inf_, bad) : bad;
  }
}

bool LossScaler::end_step(Replicas* replicas, double replica_weight, torch::Device device) {
  torch::Tensor flag = found_inf_.defined() ? found_inf_.to(device) : torch::zeros({}, torch::TensorOptions(device));
  found_inf_ = torch::Tensor();
  if (replicas != nullptr && replicas->world() > 1) {
    // One collective on a 1-element "gradient": > 0 iff any replica overflowed.
    auto carrier = torch::zeros({1}, torch::TensorOptions(device).requires_grad(true));
    carrier.mutable_grad() = flag.reshape({1}).clone();
    replicas->average_gradients({carrier}, replica_weight > 0 ? replica_weight : 1.0);
    flag = carrier.grad().reshape({});
  }
  last_skipped_ = flag.item<float>() > 0;  // the one host sync loss scaling needs
  ++steps_;
  if (last_skipped_) {
    ++skipped_;
    scale_ = std::max(1.0, scale_ * kBackoff);
    growth_tracker_ = 0;
  } else if (++growth_tracker_ >= opts_.growth_interval) {
    scale_ = std::min(0x1p64, scale_ * kGrowth);
    growth_tracker_ = 0;
  }
  return last_skipped_;
}

torch::Tensor LossScaler::state() const {
  return torch::tensor(
      {scale_, static_cast<double>(growth_tracker_), static_cast<double>(skipped_), static_cast<double>(steps_)},
      torch::kFloat64);
}

void LossScaler::load_state(const torch::Tensor& t) {
  if (t.scalar_type() != torch::kFloat64 || t.dim() != 1 || t.numel() != 4)
    throw std::invalid_argument("loss-scale state: expected 4 float64 values");
  const auto v = t.contiguous();
  const double* d = v.data_ptr<double>();
  if (!is_power_of_two(d[0]) || d[1] < 0 || d[2] < 0 || d[3] < d[2])
    throw std::invalid_argument("loss-scale state: malformed values");
  scale_ = d[0];
  growth_tracker_ = static_cast<int64_t>(d[1]);
  skipped_ = static_cast<int64_t>(d[2]);
  steps_ = static_cast<int64_t>(d[3]);
}

nlohmann::json LossScaler::summary() const {
  return {{"init", opts_.init},       {"growth_interval", opts_.growth_interval},
          {"growth_factor", kGrowth}, {"backoff_factor", kBackoff},
          {"final_scale", scale_},    {"steps", steps_},
          {"skipped_steps", skipped_}};
}

StepStats scaled_step(StepStrategy& strategy, StepContext& ctx) {
  if (ctx.scaler == nullptr) return strategy.step(ctx);
  BufferSnapshot buffers(ctx.model);
  buffers.save();
  std::vector<torch::Tensor> state;
  for (const auto& t : strategy.state()) state.push_back(t.clone());
  auto stats = strategy.step(ctx);
  if (ctx.scaler->last_skipped()) {
    buffers.restore();
    strategy.load_state(state);
  }
  return stats;
}

}  // namespace nrs::optim
