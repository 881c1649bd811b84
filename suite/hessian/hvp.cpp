#include "suite/hessian/hvp.h"

#include <unistd.h>

#include <fstream>
#include <stdexcept>

namespace nrs::hessian {
namespace {

// Resident set size in bytes (Linux); 0 when unavailable.
int64_t resident_bytes() {
  std::ifstream f("/proc/self/statm");
  int64_t pages = 0, resident = 0;
  if (!(f >> pages >> resident)) return 0;
  return resident * static_cast<int64_t>(::sysconf(_SC_PAGESIZE));
}

}  // namespace

torch::Tensor mean_cross_entropy(const torch::Tensor& logits, const torch::Tensor& targets) {
  return torch::nn::functional::cross_entropy(logits, targets);
}

ModelHessian::ModelHessian(models::Net& model, torch::Tensor x, torch::Tensor y, HvpOptions opts, LossFn loss)
    : model_(model), x_(std::move(x)), y_(std::move(y)), opts_(std::move(opts)), loss_(std::move(loss)) {
  if (opts_.bn_mode != "eval" && opts_.bn_mode != "train")
    throw std::invalid_argument("--hessian-bn '" + opts_.bn_mode + "': expected eval or train");
  if (opts_.batch_size < 0) throw std::invalid_argument("--batch-size: expected >= 0 (0 = automatic)");
  if (opts_.graph_cache_mb < 0) throw std::invalid_argument("--graph-cache-mb: expected >= 0");
  n_ = x_.size(0);
  if (n_ <= 0 || y_.size(0) != n_) throw std::invalid_argument("ModelHessian: expected matching, non-empty x and y");
  const bool train = opts_.bn_mode == "train";
  batch_ = opts_.batch_size > 0 ? std::min(opts_.batch_size, n_) : (train ? n_ : std::min<int64_t>(256, n_));
  if (train && batch_ < n_)
    throw std::invalid_argument("--hessian-bn train: micro-batches of " + std::to_string(batch_) + " < " +
                                std::to_string(n_) +
                                " samples would use per-batch BatchNorm statistics and silently change the loss; "
                                "use one batch (batch size >= samples) or BatchNorm eval mode");
  for (int64_t s = 0; s < n_; s += batch_) starts_.push_back(s);

  for (const auto& p : model_.parameters())
    if (p.requires_grad()) params_.push_back(p);
  if (params_.empty()) throw std::invalid_argument("ModelHessian: the model has no trainable parameters");
  for (const auto& p : params_) {
    offsets_.push_back(dim_);
    dim_ += p.numel();
  }
  device_ = params_.front().device();

  was_training_ = model_.is_training();
  if (train) {
    // Train-mode forwards update running statistics; the measurement must
    // leave the model as it found it.
    torch::NoGradGuard ng;
    for (auto& b : model_.buffers()) saved_buffers_.emplace_back(b, b.clone());
  }
  model_.train(train);

  if (opts_.graph_cache_mb > 0) {
    const int64_t budget = opts_.graph_cache_mb * (int64_t{1} << 20);
    const bool measurable = device_.is_cpu() && resident_bytes() > 0;
    const int64_t rss0 = measurable ? resident_bytes() : 0;
    for (int64_t b = 0; b < num_batches(); ++b) {
      cache_.push_back(first_order(b));
      if (!measurable) continue;
      const int64_t used = resident_bytes() - rss0;
      const int64_t per_batch = used / (b + 1);
      if (used + per_batch > budget) break;
    }
  }
}

ModelHessian::~ModelHessian() {
  cache_.clear();
  try {
    torch::NoGradGuard ng;
    for (auto& [buf, copy] : saved_buffers_) buf.copy_(copy);
    model_.train(was_training_);
  } catch (...) {
  }
}

torch::Tensor ModelHessian::batch_loss(int64_t b) {
  const int64_t s = starts_[b], e = std::min(s + batch_, n_);
  auto logits = model_.forward(x_.slice(0, s, e));
  return loss_(logits, y_.slice(0, s, e)) * (static_cast<double>(e - s) / static_cast<double>(n_));
}

std::vector<torch::Tensor> ModelHessian::first_order(int64_t b) {
  auto l = batch_loss(b);
  return torch::autograd::grad({l}, params_, {}, /*retain_graph=*/true, /*create_graph=*/true, /*allow_unused=*/true);
}

std::vector<torch::Tensor> ModelHessian::unflatten(const torch::Tensor& v) const {
  std::vector<torch::Tensor> out;
  out.reserve(params_.size());
  for (size_t i = 0; i < params_.size(); ++i)
    out.push_back(v.narrow(0, offsets_[i], params_[i].numel()).view(params_[i].sizes()).to(params_[i].scalar_type()));
  return out;
}

void ModelHessian::accumulate(torch::Tensor& out, const std::vector<torch::Tensor>& grads,
                              const std::vector<torch::Tensor>& vs, bool retain) {
  // d(g . v)/dw = H v. Gradients that do not depend on the parameters (e.g.
  // unused ones) contribute nothing and cannot be differentiated again.
  std::vector<torch::Tensor> outs, gos;
  for (size_t i = 0; i < grads.size(); ++i) {
    if (grads[i].defined() && grads[i].requires_grad()) {
      outs.push_back(grads[i]);
      gos.push_back(vs[i]);
    }
  }
  if (outs.empty()) return;
  auto hv = torch::autograd::grad(outs, params_, gos, /*retain_graph=*/retain, /*create_graph=*/false,
                                  /*allow_unused=*/true);
  for (size_t i = 0; i < params_.size(); ++i)
    if (hv[i].defined()) out.narrow(0, offsets_[i], params_[i].numel()).add_(hv[i].reshape({-1}).to(torch::kFloat64));
}

torch::Tensor ModelHessian::apply(const torch::Tensor& v) {
  ++applies_;
  if (v.dim() != 1 || v.size(0) != dim_) throw std::invalid_argument("ModelHessian::apply: expected a vector of dim()");
  const auto vs = unflatten(v.to(device_));
  auto out = torch::zeros({dim_}, vector_options());
  for (int64_t b = 0; b < num_batches(); ++b) {
    if (b < cached_batches()) {
      accumulate(out, cache_[b], vs, /*retain=*/true);
    } else {
      auto g = first_order(b);
      accumulate(out, g, vs, /*retain=*/false);
    }
  }
  return out;
}

double ModelHessian::loss() {
  torch::NoGradGuard ng;
  double total = 0.0;
  for (int64_t b = 0; b < num_batches(); ++b) total += batch_loss(b).item<double>();
  return total;
}

torch::Tensor ModelHessian::gradient() {
  auto out = torch::zeros({dim_}, vector_options());
  for (int64_t b = 0; b < num_batches(); ++b) {
    auto g = torch::autograd::grad({batch_loss(b)}, params_, {}, false, false, /*allow_unused=*/true);
    for (size_t i = 0; i < params_.size(); ++i)
      if (g[i].defined()) out.narrow(0, offsets_[i], params_[i].numel()).add_(g[i].reshape({-1}).to(torch::kFloat64));
  }
  return out;
}

}  // namespace nrs::hessian
