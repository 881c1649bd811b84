#include "suite/optim/splitmix64.h"
#include "suite/optim/strategies.h"

namespace nrs::optim {

NrsStep::NrsStep(const StrategyOptions& o, models::Net& model, BaseSgd& base)
    : opts_(o),
      snapshot_(base.params()),
      micro_(o, model, base),
      gen_(at::make_generator<at::CPUGeneratorImpl>(o.seed ^ 0x4e5253ULL)) {}

// Only the CPU generator is the strategy's own; on an accelerator the
// device's default generator draws, and checkpoints save that one globally.
std::vector<torch::Tensor> NrsStep::state() const { return {gen_.get_state()}; }

void NrsStep::load_state(const std::vector<torch::Tensor>& s) {
  if (s.size() != 1) throw std::invalid_argument("NRS state: expected one generator state");
  gen_.set_state(s[0]);
}

std::string NrsStep::variant() const { return variant_name(opts_); }

at::Generator* NrsStep::direction_generator(const StepContext& ctx, const torch::Device& device) {
  // One process: the strategy's own CPU generator (its state is
  // checkpointed), or the device's default generator.
  if (!ctx.data_parallel()) return device.is_cpu() ? &gen_ : nullptr;
  // Data-parallel: a stream seeded per step, a pure function of (seed,
  // replica, step), so nothing per rank has to be checkpointed and a resume
  // at another world size draws what an uninterrupted run would. global:
  // every replica draws the same delta; local: each its own.
  const uint64_t stream = opts_.perturbation == "global" ? 0 : static_cast<uint64_t>(ctx.replicas->rank()) + 1;
  if (!step_gen_.defined() || step_gen_.device() != device)
    step_gen_ = device.is_cpu() ? at::make_generator<at::CPUGeneratorImpl>(0)
                                : at::globalContext().defaultGenerator(device).clone();
  std::lock_guard<std::mutex> lock(step_gen_.mutex());
  // Independent-looking seeds from (seed, stream, step).
  step_gen_.set_current_seed(splitmix64(splitmix64(opts_.seed ^ 0x4e5253ULL) ^ stream) ^
                             static_cast<uint64_t>(ctx.global_step));
  return &step_gen_;
}

torch::Tensor NrsStep::apply_neighbor(const StepContext& ctx, BaseSgd& base) {
  torch::NoGradGuard ng;
  const auto& params = base.params();
  if (opts_.nrs_neighbor == "gradient") {
    // delta = r * g / ||g|| with g the first-pass gradient (still in p.grad()).
    return ascend_along_gradient(params, opts_.nrs_radius);
  }
  if (direction_.empty())
    for (const auto& p : params) direction_.push_back(torch::empty_like(p));
  // Random directions come from the strategy's own seeded generator on CPU
  // (device-independent draws); on an accelerator from that device's generator.
  at::Generator* g = direction_generator(ctx, direction_.front().device());
  for (auto& d : direction_) {
    if (g != nullptr)
      d.normal_(0.0, 1.0, *g);
    else
      d.normal_(0.0, 1.0);
  }
  if (opts_.nrs_neighbor == "filter") {
    // Li et al. (2018): each filter (slice along dim 0) of a weight tensor is
    // rescaled to the norm of the same filter of w; 1-D tensors get no move.
    std::vector<torch::Tensor> norms;
    for (size_t i = 0; i < params.size(); ++i) {
      auto& d = direction_[i];
      if (params[i].dim() <= 1) {
        d.zero_();
        continue;
      }
      auto wn = params[i].flatten(1).norm(2, {1}, true);
      auto dn = d.flatten(1).norm(2, {1}, true);
      std::vector<int64_t> shape(d.dim(), 1);
      shape[0] = d.size(0);
      auto f = (wn / dn.clamp_min(1e-12)).view(shape);
      d.mul_(f * opts_.nrs_radius);
      norms.push_back(wide_norm(d));
      params[i].add_(d);
    }
    return norms.empty() ? torch::zeros({}, torch::kFloat32) : torch::stack(norms).norm();
  }
  // random: delta = r * u / ||u||, u ~ N(0, I) over all trainable parameters.
  std::vector<torch::Tensor> norms;
  for (auto& d : direction_) norms.push_back(wide_norm(d));
  auto scale = safe_scale(opts_.nrs_radius, torch::stack(norms).norm());
  for (size_t i = 0; i < params.size(); ++i) params[i].addcmul_(direction_[i], scale.to(params[i].device()));
  return scale * torch::stack(norms).norm();
}

namespace {
// KL(p || q) per batch (mean over samples), p given by its log-probabilities.
torch::Tensor kl_from_logp(const torch::Tensor& logp, const torch::Tensor& logits_q) {
  auto logq = torch::log_softmax(logits_q, 1);
  return (logp.exp() * (logp - logq)).sum(1).mean();
}
}  // namespace

StepStats NrsStep::step(StepContext& ctx) {
  auto& base = ctx.base;
  const int64_t K = opts_.nrs_samples;
  // Each of the K neighbours' KL terms enters with weight alpha / K, so the
  // objective is CE + alpha * mean_k KL.
  const double kl_weight = opts_.nrs_alpha / static_cast<double>(K);
  const bool full = opts_.nrs_target == "full";
  micro_.begin(ctx);
  for (size_t c = 0; c < micro_.chunks(); ++c) {
    torch::Tensor logits;
    micro_.first_pass(ctx, c, &logits);
    const auto logp = torch::log_softmax(logits, 1);
    // Gradients accumulate on top of grad CE(w): no second copy of g is kept.
    const GroupObjective kl_term = [&](const torch::Tensor& logits_k, const data::Batch&, const Span& in) {
      auto kl = kl_from_logp(logp.narrow(0, in.start, in.size), logits_k);
      return std::make_pair(kl * kl_weight, kl.detach());
    };
    torch::Tensor kl_sum, delta_norm_sum, mean_logq;
    snapshot_.save();
    for (int64_t k = 0; k < K; ++k) {
      if (k > 0) snapshot_.restore();
      auto dn = apply_neighbor(ctx, base);
      auto r = micro_.extra_pass(ctx, c, kl_term, /*guard_bn=*/opts_.bn_stats == "first", /*keep_logits=*/full);
      kl_sum = kl_sum.defined() ? kl_sum + r.stat : r.stat;
      delta_norm_sum = delta_norm_sum.defined() ? delta_norm_sum + dn : dn;
      if (full) {
        auto lq = torch::log_softmax(r.logits, 1) / static_cast<double>(K);
        mean_logq = mean_logq.defined() ? mean_logq + lq : lq;
      }
    }
    snapshot_.restore();
    if (full) {
      // Gradient through p_w: d/dw sum p_w (log p_w - mean_k log q_k), at w.
      const GroupObjective through_p = [&](const torch::Tensor& logits_w, const data::Batch&, const Span& in) {
        auto logp_w = torch::log_softmax(logits_w, 1);
        auto v = (logp_w.exp() * (logp_w - mean_logq.narrow(0, in.start, in.size))).sum(1).mean();
        return std::make_pair(v * opts_.nrs_alpha, v.detach());
      };
      micro_.extra_pass(ctx, c, through_p, /*guard_bn=*/true);
    }
    micro_.end_chunk(c, delta_norm_sum / static_cast<double>(K), kl_sum / static_cast<double>(K));
  }
  auto s = micro_.finish();
  base.step(ctx.lr);
  return s;
}

nlohmann::json NrsStep::describe() const {
  return {{"name", "nrs"},
          {"variant", variant()},
          {"nrs_radius", opts_.nrs_radius},
          {"nrs_alpha", opts_.nrs_alpha},
          {"nrs_neighbor", opts_.nrs_neighbor},
          {"nrs_samples", opts_.nrs_samples},
          {"nrs_target", opts_.nrs_target},
          {"bn_stats", opts_.bn_stats},
          {"sam_m", opts_.sam_m},
          {"bn_group", opts_.bn_group_effective()},
          {"shared_gates", opts_.shared_gates},
          {"perturbation", opts_.perturbation},
          {"definition", "CE(w) + alpha * mean_k KL(p_w || p_{w+delta_k}); nrsbench definition, not the paper's code"}};
}

}  // namespace nrs::optim
