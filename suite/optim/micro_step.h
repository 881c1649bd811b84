// The passes of one step over its micro-batches (micro_batch.h), shared by
// every strategy: a strategy loops over the m-chunks, runs first_pass on a
// chunk, perturbs with the chunk's gradient, runs its other passes with
// extra_pass, restores w and calls end_chunk; finish() then leaves the
// size-weighted mean of the chunks' gradients in p.grad(), as the official
// code's jax.lax.pmean over devices does, ready for clipping and the base
// update.
//
// With neither --sam-m nor --bn-group the step is one chunk of one group and
// every pass is exactly the single forward/backward it was before (no extra
// arithmetic), so default runs are bit-identical to earlier versions.
//
// With a LossScaler in the context (loss_scale.h) every pass back-propagates
// the scaled objective into fresh gradient tensors, which are unscaled and
// checked for inf/NaN before they join what p.grad() held, so strategies
// only ever see unscaled gradients; finish() then asks the scaler whether
// the step goes ahead and, if not, tells the base optimizer to skip it.
#pragma once
#include "suite/optim/gate_replay.h"
#include "suite/optim/ghost_bn.h"
#include "suite/optim/micro_batch.h"
#include "suite/optim/snapshot.h"
#include "suite/optim/step_strategy.h"

#include <functional>

namespace nrs::optim {

// What a pass back-propagates for one group: {objective, statistic}. The
// objective is the group's mean-over-samples value (the pass weights it by
// group size); the statistic (detached) is averaged the same way. `in_chunk`
// locates the group's rows inside its m-chunk (e.g. to slice NRS targets).
using GroupObjective = std::function<std::pair<torch::Tensor, torch::Tensor>(
    const torch::Tensor& logits, const data::Batch& group, const Span& in_chunk)>;

struct PassResult {
  torch::Tensor stat;    // chunk mean of the group statistics (0-dim, detached)
  torch::Tensor logits;  // detached logits of the chunk (when asked)
};

class MicroSteps {
 public:
  MicroSteps(const StrategyOptions& o, models::Net& model, BaseSgd& base);

  // Plans the step's chunks for ctx.batch; call first in every step.
  void begin(StepContext& ctx);
  size_t chunks() const { return plan_.size(); }

  // The unperturbed pass on chunk c: zero grads, forward and backward of
  // data loss + L2 penalty (wd-mode loss) per group, BN running statistics
  // advanced (ghost_bn.h when the step has several groups), generator states
  // recorded for the gates. Leaves the chunk's gradient in p.grad(); adds the
  // chunk's loss, correct count and gradient norm to the step statistics.
  void first_pass(StepContext& ctx, size_t c, torch::Tensor* logits_out = nullptr);

  // Another pass on chunk c at the current (perturbed) weights, accumulating
  // f's gradient into p.grad(). BN buffers are restored afterwards when
  // guard_bn; with --shared-gates the first pass's gates are replayed.
  PassResult extra_pass(StepContext& ctx, size_t c, const GroupObjective& f, bool guard_bn, bool keep_logits = false);

  // The data loss + L2 penalty objective (SAM's perturbed pass).
  GroupObjective loss_objective(StepContext& ctx) const;

  // Chunk c is done: its gradient (p.grad()) enters the step's mean; its
  // perturbation norm and KL (undefined if none) enter the statistics.
  void end_chunk(size_t c, const torch::Tensor& perturb_norm, const torch::Tensor& kl = {});

  // Step gradient into p.grad(), BN statistics finalised; the statistics.
  // Under loss scaling, a step with an overflowed pass is marked skipped in
  // the base optimizer (its next step() updates nothing).
  StepStats finish();

 private:
  PassResult run(StepContext& ctx, size_t c, const GroupObjective& f, bool first, bool keep_logits);
  double chunk_weight(size_t c) const;

  // Data-parallel: gradients meet across replicas after the first pass
  // (--perturbation global) and at the end of the step (always).
  void average_across_replicas();

  StrategyOptions opts_;
  BaseSgd& base_;
  Replicas* replicas_ = nullptr;
  double replica_weight_ = 1.0;
  LossScaler* scaler_ = nullptr;
  bool averaged_ = false;  // p.grad() already holds the mean over replicas
  std::vector<MChunk> plan_;
  int64_t batch_ = 0;
  bool ghost_ = false;
  GhostBnStats ghost_bn_;
  BufferSnapshot buffers_;
  GateReplay gates_;
  std::vector<torch::Tensor> grad_sum_;
  StepStats stats_;
  torch::Tensor first_stat_, first_correct_;
};

}  // namespace nrs::optim
