#include "suite/optim/strategies.h"

namespace nrs::optim {

namespace {

// <a, b> over all tensors, in float64; undefined or empty entries count 0.
torch::Tensor dot_all(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b, torch::Device device) {
  auto s = torch::zeros({}, torch::TensorOptions().dtype(torch::kFloat64).device(device));
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].defined() && b[i].defined() && a[i].numel() > 0 && a[i].numel() == b[i].numel())
      s = s + (a[i].to(torch::kFloat64) * b[i].to(torch::kFloat64)).sum();
  return s;
}

}  // namespace

LookSamStep::LookSamStep(const StrategyOptions& o, models::Net& model, BaseSgd& base) : SamStep(o, model, base) {}

// Every k-th step (global_step % k == 0) is SAM's, and keeps
//   g_v = g_s - (<g_s, g> / ||g||^2) g,
// the part of the SAM gradient g_s orthogonal to the plain gradient g. Every
// other step is one pass: g + alpha (||g|| / ||g_v||) g_v. k = 1 is SAM bit for
// bit (the extra arithmetic only writes g_v).
StepStats LookSamStep::step(StepContext& ctx) {
  auto& base = ctx.base;
  const auto& params = base.params();
  const auto dev = params.front().device();
  const bool global = ctx.data_parallel() && opts_.perturbation == "global";
  const bool full = ctx.global_step % opts_.looksam_k == 0 || g_v_.empty();
  micro_.begin(ctx);
  micro_.first_pass(ctx, 0);
  torch::NoGradGuard ng;
  torch::Tensor perturb_norm;
  std::vector<torch::Tensor> g;  // the plain gradient of a full step
  if (full) {
    g.resize(params.size());
    for (size_t i = 0; i < params.size(); ++i)
      if (params[i].grad().defined()) g[i] = params[i].grad().clone();
    snapshot_.save();
    perturb_norm = perturb(base);
    base.zero_grad();
    {
      torch::AutoGradMode on(true);
      micro_.extra_pass(ctx, 0, micro_.loss_objective(ctx), /*guard_bn=*/opts_.bn_stats == "first");
    }
    snapshot_.restore();
    // A replica's own g_s (local perturbation, or one process); with a global
    // perturbation g is the replicas' mean and so must g_s be (below).
    if (!global) store_orthogonal_part(params, g, dev);
  } else {
    // One pass: add the stored orthogonal part, rescaled to this gradient's norm.
    std::vector<torch::Tensor> cur(params.size());
    for (size_t i = 0; i < params.size(); ++i) {
      cur[i] = params[i].grad();
      if (g_v_[i].device() != params[i].device()) g_v_[i] = g_v_[i].to(params[i].device());  // after a resume
    }
    const auto gnorm = dot_all(cur, cur, dev).sqrt();
    const auto vnorm = dot_all(g_v_, g_v_, dev).sqrt();
    const auto scale = torch::where(vnorm > 0, opts_.looksam_alpha * gnorm / vnorm, torch::zeros_like(vnorm));
    for (size_t i = 0; i < params.size(); ++i)
      if (cur[i].defined() && g_v_[i].numel() == cur[i].numel()) cur[i].add_(g_v_[i] * scale.to(g_v_[i].scalar_type()));
    perturb_norm = torch::zeros({}, gnorm.options().dtype(torch::kFloat32));
  }
  micro_.end_chunk(0, perturb_norm);
  auto s = micro_.finish();
  if (full && global) store_orthogonal_part(params, g, dev);  // g_s: now the mean over replicas
  base.step(ctx.lr);
  return s;
}

void LookSamStep::store_orthogonal_part(const std::vector<torch::Tensor>& params, const std::vector<torch::Tensor>& g,
                                        torch::Device dev) {
  std::vector<torch::Tensor> gs(params.size());
  for (size_t i = 0; i < params.size(); ++i) gs[i] = params[i].grad();
  const auto gg = dot_all(g, g, dev);
  const auto coef = torch::where(gg > 0, dot_all(gs, g, dev) / gg, torch::zeros_like(gg));
  g_v_.assign(params.size(), torch::Tensor());
  for (size_t i = 0; i < params.size(); ++i)
    g_v_[i] = gs[i].defined() && g[i].defined() ? gs[i] - coef.to(gs[i].scalar_type()) * g[i]
                                                : torch::empty({0}, params[i].options());
}

nlohmann::json LookSamStep::describe() const {
  nlohmann::json j = {{"name", "looksam"},
                      {"variant", "looksam-k" + std::to_string(opts_.looksam_k)},
                      {"rho", opts_.rho},
                      {"looksam_k", opts_.looksam_k},
                      {"looksam_alpha", opts_.looksam_alpha},
                      {"bn_stats", opts_.bn_stats}};
  j.update(fidelity());
  return j;
}

// g_v (one tensor per parameter, empty where it has no gradient), so a
// resumed run reuses what the uninterrupted one would.
std::vector<torch::Tensor> LookSamStep::state() const { return g_v_; }

void LookSamStep::load_state(const std::vector<torch::Tensor>& s) {
  g_v_.clear();
  for (const auto& t : s) g_v_.push_back(t.clone());
}

}  // namespace nrs::optim
