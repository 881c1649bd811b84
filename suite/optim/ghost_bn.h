// Running statistics of BatchNorm ("ghost" BN) when the stats-advancing pass
// of a step is several forward passes (micro_batch.h groups).
//
// Each group's forward normalises with its own batch statistics. Done one
// after another, the running averages would be advanced once per group, in
// sequence. The official code instead keeps one copy per device, each
// advanced once per step from its own batch (flax BatchNorm, momentum 0.9 =
// PyTorch's 0.1), and averages the copies at evaluation and checkpointing
// (flax_training.py eval_step: jax.lax.pmean(state); save_checkpoint: mean
// over replicas). The update is linear in the batch statistics, so the average
// of the per-device copies after every step equals one running average
// advanced once per step by the mean of the groups' statistics, which is what
// this class keeps: every group starts from the buffers as they were before
// the step, and afterwards the buffers become the size-weighted mean of the
// groups' results (integer buffers such as num_batches_tracked: the last
// group's, which all groups share).
//
// Convention left as PyTorch's: each group's running variance uses the
// unbiased batch variance (n/(n-1), n = group size x H x W), flax the biased
// one; at 32 CIFAR images the factor is at most 1 + 1/2047 (8x8 maps).
#pragma once
#include <torch/torch.h>

namespace nrs::optim {

class GhostBnStats {
 public:
  explicit GhostBnStats(const torch::nn::Module& model);
  void begin();                     // remember the buffers before the step
  void before_group();              // every group starts from them
  void after_group(double weight);  // add weight x the group's result
  void finish();                    // buffers <- the weighted sum
  bool empty() const { return buffers_.empty(); }

 private:
  std::vector<torch::Tensor> buffers_, start_, sum_;
};

}  // namespace nrs::optim
