// Dynamic loss scaling for fp16 training (--precision fp16), for every
// strategy behind the step contract, as torch.cuda.amp.GradScaler does it for
// one-pass optimizers, extended to the extra passes of SAM-like methods:
//   - every backward pass back-propagates scale * objective (micro_step.h);
//   - each pass's gradient is unscaled once, as it is produced, before any
//     strategy reads it: the perturbation is built from the unscaled
//     gradient, so rho means what it means in fp32, and clipping (BaseSgd)
//     sees the unscaled step gradient;
//   - a pass whose gradient holds inf or NaN marks the step; the step is then
//     skipped (no update, momentum untouched, weights, BatchNorm buffers and
//     the strategy's state restored bit for bit) and the scale halves;
//   - after growth_interval steps in a row without inf/NaN the scale doubles.
// The scale is a power of two, so scaling and unscaling are exact in binary
// floating point (barring overflow, which is what the check catches): at any
// scale a pass's unscaled gradient is the same bits as at scale 1.
// Defaults are GradScaler's (init 2^16, growth 2, backoff 0.5, interval 2000).
#pragma once
#include "suite/optim/step_strategy.h"

#include <torch/torch.h>

#include <nlohmann/json.hpp>

namespace nrs::optim {

struct LossScaleOptions {
  double init = 65536.0;           // initial scale: a power of two
  int64_t growth_interval = 2000;  // steps without inf/NaN before the scale doubles
  nlohmann::json to_json() const;
  void validate() const;  // throws std::invalid_argument naming the flag
};

class LossScaler {
 public:
  static constexpr double kGrowth = 2.0, kBackoff = 0.5;
  explicit LossScaler(LossScaleOptions o);

  double scale() const { return scale_; }
  // The objective a pass back-propagates.
  torch::Tensor scaled(const torch::Tensor& objective) const;
  // After a pass's backward: the gradients it added (fresh[i], each scale *
  // its unscaled value) are unscaled in place and checked; any inf/NaN marks
  // the step.
  void unscale_and_check(const std::vector<torch::Tensor>& fresh);
  // Called once per step before the base update: true when the step must be
  // skipped. With replicas, the replicas agree (any replica's inf skips all).
  // Updates the scale and the counters.
  bool end_step(Replicas* replicas, double replica_weight, torch::Device device);
  bool last_skipped() const { return last_skipped_; }

  int64_t skipped_steps() const { return skipped_; }
  int64_t steps() const { return steps_; }
  // For checkpoints: {scale, growth tracker, skipped steps, steps} as float64
  // (exact for these integers and powers of two).
  torch::Tensor state() const;
  void load_state(const torch::Tensor& t);  // throws std::invalid_argument on a malformed state
  // The result's record: options, final scale, skipped steps.
  nlohmann::json summary() const;

 private:
  LossScaleOptions opts_;
  double scale_;
  int64_t growth_tracker_ = 0, skipped_ = 0, steps_ = 0;
  bool last_skipped_ = false;
  torch::Tensor found_inf_;  // 0-dim float32 on the training device: > 0 once a pass overflowed
};

// One step of `strategy` (strategy.step(ctx) when ctx.scaler is null). When
// the scaler skips the step, the BatchNorm buffers its first pass advanced
// and the strategy's carried state (LookSAM's stored part, say) are put back
// bit for bit, as the weights and momentum already are (BaseSgd skipped).
StepStats scaled_step(StepStrategy& strategy, StepContext& ctx);

}  // namespace nrs::optim
