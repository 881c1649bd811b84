// The Hessian of a model's mean loss over a fixed set of samples, as a
// matrix-free operator: v -> H v by double backward.
#pragma once
#include "models/net.h"
#include "suite/hessian/operator.h"

#include <functional>

namespace nrs::hessian {

// Mean-reduced loss of a micro-batch: (logits, targets) -> scalar.
using LossFn = std::function<torch::Tensor(const torch::Tensor& logits, const torch::Tensor& targets)>;
torch::Tensor mean_cross_entropy(const torch::Tensor& logits, const torch::Tensor& targets);

struct HvpOptions {
  // Micro-batch size; 0 = 256 in eval mode, all samples in one batch in
  // train mode. Micro-batch losses are weighted by their sample counts, so
  // the operator is the Hessian of the mean loss over all samples.
  int64_t batch_size = 0;
  // eval: BatchNorm uses its running statistics, the loss is a sum over
  // samples and micro-batching is exact. train: batch statistics over the
  // whole sample set, which couples samples, so micro-batching is refused.
  std::string bn_mode = "eval";
  // First-order graphs (create_graph) are built once and kept for as many
  // micro-batches as fit in this budget; each apply then costs only the
  // second backward for those. 0 = rebuild forward + backward every apply.
  // The budget is checked against measured resident memory growth on CPU; on
  // other devices it is not measured and every micro-batch is cached.
  int64_t graph_cache_mb = 2048;
};

// Holds the samples and, while alive, puts the model in the mode bn_mode
// asks for; the destructor restores the mode and (train mode) the BatchNorm
// running statistics the forward passes updated. The parameters must not be
// changed while the operator is alive (autograd rejects cached graphs whose
// saved parameters were modified in place).
class ModelHessian : public SymmetricOperator {
 public:
  ModelHessian(models::Net& model, torch::Tensor x, torch::Tensor y, HvpOptions opts, LossFn loss = mean_cross_entropy);
  ~ModelHessian() override;
  ModelHessian(const ModelHessian&) = delete;
  ModelHessian& operator=(const ModelHessian&) = delete;

  int64_t dim() const override { return dim_; }
  torch::Device device() const override { return device_; }
  torch::Tensor apply(const torch::Tensor& v) override;

  // Mean loss and its flat float64 gradient at the current parameters,
  // computed afresh (finite-difference tests move the parameters).
  double loss();
  torch::Tensor gradient();

  int64_t samples() const { return n_; }
  int64_t batch_size() const { return batch_; }
  int64_t num_batches() const { return static_cast<int64_t>(starts_.size()); }
  int64_t cached_batches() const { return static_cast<int64_t>(cache_.size()); }
  const std::vector<torch::Tensor>& parameters() const { return params_; }

  // v (flat, float64) -> per-parameter views in the parameters' dtype.
  std::vector<torch::Tensor> unflatten(const torch::Tensor& v) const;

 private:
  torch::Tensor batch_loss(int64_t b);  // weighted: mean loss * n_b / n
  std::vector<torch::Tensor> first_order(int64_t b);
  void accumulate(torch::Tensor& out, const std::vector<torch::Tensor>& grads, const std::vector<torch::Tensor>& vs,
                  bool retain);

  models::Net& model_;
  torch::Tensor x_, y_;
  HvpOptions opts_;
  LossFn loss_;
  std::vector<torch::Tensor> params_;
  std::vector<int64_t> offsets_;
  int64_t dim_ = 0, n_ = 0, batch_ = 0;
  torch::Device device_{torch::kCPU};
  std::vector<int64_t> starts_;
  std::vector<std::vector<torch::Tensor>> cache_;  // first-order grads with graphs, batches 0..size-1
  bool was_training_ = false;
  std::vector<std::pair<torch::Tensor, torch::Tensor>> saved_buffers_;  // (buffer, copy)
};

}  // namespace nrs::hessian
