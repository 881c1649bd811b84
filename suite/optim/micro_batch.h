// The micro-batch layout of one training step: how the official SAM code's
// data-parallel semantics run on one process.
//
// google-research/sam (sam_jax/training_utils/flax_training.py, train_step
// under jax.pmap over 8 devices) gives every device 1/8 of the batch: each
// computes its own SAM perturbation from its own gradient (m-sharpness,
// sync_perturbations=False) and its own BatchNorm statistics (flax BatchNorm
// without axis_name); the devices' gradients are averaged afterwards. Here:
//   m-chunk: --sam-m samples that share one perturbation (a device);
//   group:   --bn-group samples that share BatchNorm statistics, i.e. one
//            forward pass ("ghost" BN). Groups never straddle m-chunks.
// With --sam-m M and no --bn-group, every m-chunk is one group (a device's
// forward pass is over its own samples). A partial batch (no --drop-last)
// ends in a shorter chunk and group.
#pragma once
#include "datasets/pipeline.h"

#include <vector>

namespace nrs::optim {

struct Span {
  int64_t start = 0, size = 0;  // rows [start, start + size) of the batch
};

struct MChunk {
  Span span;                 // within the batch
  std::vector<Span> groups;  // within the batch, consecutive, covering span
};

// sam_m = 0: one m-chunk (the whole batch, a global perturbation);
// bn_group = 0: one group per m-chunk. Requires bn_group to divide sam_m when
// both are set (checked by StrategyOptions::validate).
std::vector<MChunk> plan_micro_batches(int64_t batch, int64_t sam_m, int64_t bn_group);

// Rows `s` of a batch (views, no copy).
data::Batch slice(const data::Batch& b, const Span& s);

}  // namespace nrs::optim
