// Process-global state a run sets (thread count, global seed, denormal
// flushing, cuDNN autotuning), and restores when it ends: one command, or a
// test, may run several cells in one process without them leaking into each
// other.
#pragma once
#include <torch/torch.h>

#include <cstdint>

namespace nrs {

struct ProcessSettings {
  int threads = 0;               // 0 = all hardware threads
  uint64_t seed = 0;             // torch::manual_seed
  bool flush_denormal = true;    // CPU: denormal floats to zero (NRS's KL gradients underflow)
  bool cudnn_benchmark = false;  // only touched when the run is on CUDA
  bool cuda = false;
};

class ProcessScope {
 public:
  explicit ProcessScope(const ProcessSettings& s);
  ~ProcessScope();
  ProcessScope(const ProcessScope&) = delete;
  ProcessScope& operator=(const ProcessScope&) = delete;
  int threads() const { return threads_; }  // the resolved thread count

 private:
  int threads_ = 1, prev_threads_ = 1;
  unsigned prev_fp_control_ = 0;
  bool cuda_ = false, prev_cudnn_benchmark_ = false;
  torch::Tensor prev_rng_;
};

// Resolves --threads 0 to the hardware thread count.
int resolve_threads(int threads);

}  // namespace nrs
