// The view a training step has of data-parallel replicas (suite/dist): its
// rank, the world size, and one collective, the weighted gradient sum. The
// step code depends on this interface only, so it is tested with a fake and
// runs unchanged in one process (no Replicas at all).
#pragma once
#include <torch/torch.h>

#include <string>
#include <vector>

namespace nrs::optim {

class Replicas {
 public:
  virtual ~Replicas() = default;
  virtual int rank() const = 0;
  virtual int world() const = 0;
  // p.grad() <- sum over ranks of weight_r * p.grad(), for every p in
  // `params`, on every rank. weight_r = this rank's share of the global batch
  // (the weights sum to 1), so the result is the global batch's mean
  // gradient even when the last batch splits unevenly. A missing p.grad()
  // counts as zeros (and is defined afterwards), so every rank sends the
  // same layout.
  virtual void average_gradients(const std::vector<torch::Tensor>& params, double weight) = 0;
};

// --perturbation: where SAM's epsilon / NRS's delta comes from when a step
// has several replicas or m-chunks.
//   local:  each replica (each --sam-m chunk) from its own gradient: the SAM
//           paper's m-sharpness, m = the per-replica batch (or --sam-m);
//   global: from the gradient of the whole global batch (all-reduced first).
// With one process and no --sam-m the two are the same update.
bool is_perturbation_mode(const std::string& s);

}  // namespace nrs::optim
