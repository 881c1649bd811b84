#include "suite/optim/step_strategy.h"

#include <ATen/autocast_mode.h>
#include <torch/version.h>

namespace nrs::optim {

torch::Tensor Objective::data_loss(const torch::Tensor& logits, const torch::Tensor& y) const {
  namespace F = torch::nn::functional;
  if (custom) return custom(logits, y);
  return F::cross_entropy(logits, y, F::CrossEntropyFuncOptions().label_smoothing(label_smoothing));
}

namespace {
// bf16 or fp16 autocast for the forward only; backward runs in the dtypes
// autocast recorded. Restores the previous state so nested use stays correct.
// LibTorch 2.4 replaced the per-backend autocast calls with ones taking a
// device type (the old ones are deprecated, later removed).
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
bool autocast_enabled(bool cuda) { return at::autocast::is_autocast_enabled(cuda ? at::kCUDA : at::kCPU); }
void autocast_enable(bool cuda, bool on, at::ScalarType dtype) {
  at::autocast::set_autocast_dtype(cuda ? at::kCUDA : at::kCPU, dtype);
  at::autocast::set_autocast_enabled(cuda ? at::kCUDA : at::kCPU, on);
}
#else
bool autocast_enabled(bool cuda) { return cuda ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled(); }
// (LibTorch 1.13's CPU autocast has no float16: RunConfig::validate refuses it.)
void autocast_enable(bool cuda, bool on, at::ScalarType dtype) {
  if (cuda) {
    at::autocast::set_autocast_gpu_dtype(dtype);
    at::autocast::set_enabled(on);
  } else {
    at::autocast::set_autocast_cpu_dtype(dtype);
    at::autocast::set_cpu_enabled(on);
  }
}
#endif

struct AutocastScope {
  AutocastScope(Precision p, bool cuda)
      : on_(p != Precision::kFloat32), cuda_(cuda), dtype_(p == Precision::kFloat16 ? at::kHalf : at::kBFloat16) {
    if (!on_) return;
    prev_ = autocast_enabled(cuda_);
    autocast_enable(cuda_, true, dtype_);
  }
  ~AutocastScope() {
    if (!on_) return;
    autocast_enable(cuda_, prev_, dtype_);
    at::autocast::clear_cache();
  }
  bool on_, cuda_;
  at::ScalarType dtype_;
  bool prev_ = false;
};
}  // namespace

torch::Tensor forward_logits(StepContext& ctx) { return forward_logits(ctx, ctx.batch.x); }

torch::Tensor forward_logits(StepContext& ctx, const torch::Tensor& x) {
  AutocastScope scope(ctx.precision, x.is_cuda());
  auto out = ctx.model.forward(x);
  // Loss, KL and norms in fp32 (or the model's own fp64 in exactness tests).
  const auto t = out.scalar_type();
  return (t == torch::kBFloat16 || t == torch::kHalf) ? out.to(torch::kFloat32) : out;
}

torch::Tensor with_penalty(StepContext& ctx, const torch::Tensor& data_loss) {
  auto pen = ctx.base.l2_penalty();
  return pen.defined() ? data_loss + pen : data_loss;
}

torch::Tensor safe_scale(double r, const torch::Tensor& norm) {
  return torch::where(norm > 0, r / norm, torch::zeros_like(norm));
}

torch::Tensor ascend_along_gradient(const std::vector<torch::Tensor>& params, double r) {
  auto norm = global_grad_norm(params);
  auto scale = safe_scale(r, norm);
  for (const auto& p : params)
    if (p.grad().defined()) p.addcmul_(p.grad(), scale.to(p.device()));
  return scale * norm;
}

bool is_perturbation_mode(const std::string& s) { return s == "local" || s == "global"; }

void StrategyOptions::validate() const {
  if (name != "sgd" && name != "sam" && name != "asam" && name != "gnp" && name != "looksam" && name != "rst" &&
      name != "nrs")
    throw std::invalid_argument("--optimizer '" + name + "': expected sgd, sam, asam, gnp, looksam, rst or nrs");
  if (!(rst_p >= 0 && rst_p <= 1)) throw std::invalid_argument("--rst-p: expected a probability in [0, 1]");
  if (!(rst_p_end >= 0 && rst_p_end <= 1)) throw std::invalid_argument("--rst-p-end: expected a probability in [0, 1]");
  if (rst_schedule != "constant" && rst_schedule != "linear" && rst_schedule != "cosine")
    throw std::invalid_argument("--rst-schedule '" + rst_schedule + "': expected constant, linear or cosine");
  if (looksam_k < 1) throw std::invalid_argument("--looksam-k: expected an integer >= 1 (1 = SAM)");
  if (looksam_alpha < 0) throw std::invalid_argument("--looksam-alpha: expected a value >= 0");
  if (name == "looksam" && sam_m > 0)
    throw std::invalid_argument("--sam-m: not supported with --optimizer looksam (one perturbation per replica)");
  if (rho < 0) throw std::invalid_argument("--rho: expected a value >= 0");
  if (asam_eta < 0) throw std::invalid_argument("--asam-eta: expected a value >= 0");
  if (!(gnp_alpha > 0)) throw std::invalid_argument("--gnp-alpha: expected a value > 0 (1 = SAM)");
  if (gnp_mix != "normalized" && gnp_mix != "raw")
    throw std::invalid_argument("--gnp-mix '" + gnp_mix + "': expected normalized or raw");
  if (nrs_radius < 0) throw std::invalid_argument("--nrs-radius: expected a value >= 0");
  if (nrs_alpha < 0) throw std::invalid_argument("--nrs-alpha: expected a value >= 0");
  if (nrs_neighbor != "gradient" && nrs_neighbor != "random" && nrs_neighbor != "filter")
    throw std::invalid_argument("--nrs-neighbor '" + nrs_neighbor + "': expected gradient, random or filter");
  if (nrs_samples < 1) throw std::invalid_argument("--nrs-samples: expected an integer >= 1");
  if (nrs_neighbor == "gradient" && nrs_samples != 1)
    throw std::invalid_argument("--nrs-samples: must be 1 with --nrs-neighbor gradient (one worst-case direction)");
  if (nrs_target != "detached" && nrs_target != "full")
    throw std::invalid_argument("--nrs-target '" + nrs_target + "': expected detached or full");
  if (bn_stats != "first" && bn_stats != "both")
    throw std::invalid_argument("--bn-stats '" + bn_stats + "': expected first or both");
  if (sam_m < 0) throw std::invalid_argument("--sam-m: expected an integer >= 0 (0 = one perturbation for the batch)");
  if (bn_group < 0)
    throw std::invalid_argument("--bn-group: expected an integer >= 0 (0 = statistics over the forward pass)");
  if (sam_m > 0 && name == "sgd")
    throw std::invalid_argument("--sam-m: applies to sam, asam and nrs (sgd has no perturbation; use --bn-group)");
  if (sam_m > 0 && bn_group > 0 && sam_m % bn_group != 0)
    throw std::invalid_argument("--bn-group: must divide --sam-m (a BN group lies within one m-chunk)");
  if (!is_perturbation_mode(perturbation))
    throw std::invalid_argument("--perturbation '" + perturbation + "': expected local or global");
  if (perturbation == "global" && sam_m > 0)
    throw std::invalid_argument(
        "--perturbation global: one perturbation from the whole batch's gradient; --sam-m asks for one per "
        "m-chunk (local)");
  if ((sam_m > 0 || bn_group > 0) && bn_stats == "both")
    throw std::invalid_argument(
        "--bn-stats both: not supported with --sam-m/--bn-group (each group's statistics enter "
        "the step's running average once)");
}

void StrategyOptions::validate_batch(int64_t batch_size) const {
  if (sam_m > 0 && batch_size % sam_m != 0)
    throw std::invalid_argument("--sam-m: must divide --batch-size (" + std::to_string(batch_size) + ")");
  if (bn_group > 0 && batch_size % bn_group != 0)
    throw std::invalid_argument("--bn-group: must divide --batch-size (" + std::to_string(batch_size) + ")");
}

}  // namespace nrs::optim
