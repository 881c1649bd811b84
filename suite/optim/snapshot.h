// Exact save/restore of parameters and buffers around a perturbed pass.
// Restoring copies the saved bits back (never subtracts the perturbation), so
// w is bitwise unchanged after perturb + restore.
#pragma once
#include <torch/torch.h>

namespace nrs::optim {

class ParamSnapshot {
 public:
  explicit ParamSnapshot(std::vector<torch::Tensor> params) : params_(std::move(params)) {}
  void save();     // copies every parameter into storage allocated once
  void restore();  // copies the saved values back
  const std::vector<torch::Tensor>& saved() const { return saved_; }

 private:
  std::vector<torch::Tensor> params_, saved_;
};

// Saves every buffer of a module (BatchNorm running mean/var and
// num_batches_tracked, and any other stateful buffer) and puts them back, so a
// perturbed train-mode forward uses batch statistics but leaves no trace —
// cumulative-average BN (momentum unset) included, unlike the momentum=0 trick.
class BufferSnapshot {
 public:
  explicit BufferSnapshot(const torch::nn::Module& m);
  void save();
  void restore();
  bool empty() const { return buffers_.empty(); }

 private:
  std::vector<torch::Tensor> buffers_, saved_;
};

// RAII: saves buffers on construction and restores on destruction when active.
class BufferGuard {
 public:
  BufferGuard(BufferSnapshot& s, bool active) : s_(s), active_(active && !s.empty()) {
    if (active_) s_.save();
  }
  ~BufferGuard() {
    if (active_) s_.restore();
  }
  BufferGuard(const BufferGuard&) = delete;
  BufferGuard& operator=(const BufferGuard&) = delete;

 private:
  BufferSnapshot& s_;
  bool active_;
};

}  // namespace nrs::optim
