#include "suite/optim/micro_step.h"

#include "suite/optim/loss_scale.h"

namespace nrs::optim {

namespace {
// acc + w * v; a single term of weight 1 is v itself (no arithmetic).
torch::Tensor add_weighted(const torch::Tensor& acc, const torch::Tensor& v, double w) {
  auto t = w == 1.0 ? v : v * w;
  return acc.defined() ? acc + t : t;
}
}  // namespace

MicroSteps::MicroSteps(const StrategyOptions& o, models::Net& model, BaseSgd& base)
    : opts_(o), base_(base), ghost_bn_(model), buffers_(model) {}

void MicroSteps::begin(StepContext& ctx) {
  batch_ = ctx.batch.y.size(0);
  replicas_ = ctx.data_parallel() ? ctx.replicas : nullptr;
  replica_weight_ = ctx.replica_weight;
  scaler_ = ctx.scaler;
  plan_ = plan_micro_batches(batch_, opts_.sam_m, opts_.bn_group);
  size_t groups = 0;
  for (const auto& c : plan_) groups += c.groups.size();
  ghost_ = groups > 1 && !ghost_bn_.empty();
  if (ghost_) ghost_bn_.begin();
  if (plan_.size() > 1)
    for (auto& t : grad_sum_)
      if (t.defined()) t.zero_();
  stats_ = {};
}

double MicroSteps::chunk_weight(size_t c) const {
  return static_cast<double>(plan_[c].span.size) / static_cast<double>(batch_);
}

GroupObjective MicroSteps::loss_objective(StepContext& ctx) const {
  // The penalty rides on every group: the group weights sum to 1, so the
  // pass back-propagates mean data loss + penalty, as one device's loss does.
  return [&ctx](const torch::Tensor& logits, const data::Batch& g, const Span&) {
    auto loss = ctx.objective.data_loss(logits, g.y);
    return std::make_pair(with_penalty(ctx, loss), loss.detach());
  };
}

PassResult MicroSteps::run(StepContext& ctx, size_t c, const GroupObjective& f, bool first, bool keep_logits) {
  const auto& chunk = plan_[c];
  PassResult r;
  std::vector<torch::Tensor> logits;
  // Loss scaling: the pass's own gradients land in fresh tensors (held apart
  // from what p.grad() already holds) so they can be unscaled alone.
  std::vector<torch::Tensor> held;
  if (scaler_ != nullptr) {
    for (const auto& p : base_.params()) {
      held.push_back(p.grad());
      p.mutable_grad() = torch::Tensor();
    }
  }
  for (const auto& g : chunk.groups) {
    const auto gb = slice(ctx.batch, g);
    const double w = static_cast<double>(g.size) / static_cast<double>(chunk.span.size);
    if (first && ghost_) ghost_bn_.before_group();
    auto out = forward_logits(ctx, gb.x);
    auto [objective, stat] = f(out, gb, Span{g.start - chunk.span.start, g.size});
    auto weighted = w == 1.0 ? objective : objective * w;
    (scaler_ != nullptr ? scaler_->scaled(weighted) : weighted).backward();
    if (first && ghost_) ghost_bn_.after_group(static_cast<double>(g.size) / static_cast<double>(batch_));
    r.stat = add_weighted(r.stat, stat, w);
    if (keep_logits) logits.push_back(out.detach());
  }
  if (keep_logits) r.logits = logits.size() == 1 ? logits[0] : torch::cat(logits);
  if (scaler_ != nullptr) {
    torch::NoGradGuard ng;
    const auto& ps = base_.params();
    std::vector<torch::Tensor> fresh;
    for (const auto& p : ps) fresh.push_back(p.grad());
    scaler_->unscale_and_check(fresh);
    // held + fresh, into the held tensor: the sum autograd's accumulation
    // forms, and p.grad() keeps its identity.
    for (size_t i = 0; i < ps.size(); ++i) {
      auto p = ps[i];
      if (!held[i].defined()) continue;
      if (fresh[i].defined()) held[i].add_(fresh[i]);
      p.mutable_grad() = held[i];
    }
  }
  return r;
}

void MicroSteps::first_pass(StepContext& ctx, size_t c, torch::Tensor* logits_out) {
  base_.zero_grad();
  if (opts_.shared_gates) gates_.record(ctx.batch.x.device());
  auto r = run(ctx, c, loss_objective(ctx), /*first=*/true, /*keep_logits=*/true);
  // global: the perturbation (and the recorded norm) use the global batch's
  // gradient. validate() keeps this to one chunk.
  if (opts_.perturbation == "global")
    average_across_replicas();
  else
    averaged_ = false;
  const double w = chunk_weight(c);
  const auto y = slice(ctx.batch, plan_[c].span).y;
  auto correct = r.logits.argmax(1).eq(y).sum();
  stats_.loss = add_weighted(stats_.loss, r.stat, w);
  stats_.correct = stats_.correct.defined() ? stats_.correct + correct : correct;
  stats_.grad_norm = add_weighted(stats_.grad_norm, global_grad_norm(base_.params()), w);
  if (logits_out) *logits_out = r.logits;
}

PassResult MicroSteps::extra_pass(StepContext& ctx, size_t c, const GroupObjective& f, bool guard_bn,
                                  bool keep_logits) {
  GateReplay::Scope gates(gates_, opts_.shared_gates);
  BufferGuard guard(buffers_, guard_bn);
  averaged_ = false;  // this pass adds this replica's own gradient
  return run(ctx, c, f, /*first=*/false, keep_logits);
}

void MicroSteps::end_chunk(size_t c, const torch::Tensor& perturb_norm, const torch::Tensor& kl) {
  const double w = chunk_weight(c);
  stats_.perturb_norm = add_weighted(stats_.perturb_norm, perturb_norm, w);
  if (kl.defined()) stats_.kl = add_weighted(stats_.kl, kl, w);
  if (plan_.size() == 1) return;  // the step's gradient is already in p.grad()
  torch::NoGradGuard ng;
  const auto& ps = base_.params();
  if (grad_sum_.size() != ps.size()) grad_sum_.assign(ps.size(), torch::Tensor());
  for (size_t i = 0; i < ps.size(); ++i) {
    const auto& g = ps[i].grad();
    if (!g.defined()) continue;
    if (!grad_sum_[i].defined()) grad_sum_[i] = torch::zeros_like(g);
    grad_sum_[i].add_(g, w);
  }
}

StepStats MicroSteps::finish() {
  if (plan_.size() > 1) {
    torch::NoGradGuard ng;
    const auto& ps = base_.params();
    for (size_t i = 0; i < ps.size() && i < grad_sum_.size(); ++i) {
      if (!grad_sum_[i].defined()) continue;
      auto p = ps[i];
      if (p.grad().defined())
        p.mutable_grad().copy_(grad_sum_[i]);
      else
        p.mutable_grad() = grad_sum_[i].clone();
    }
  }
  if (!averaged_) average_across_replicas();  // SGD with global: already the global mean
  if (ghost_) ghost_bn_.finish();
  if (scaler_ != nullptr && scaler_->end_step(replicas_, replica_weight_, base_.params().front().device()))
    base_.skip_next_step();
  return stats_;
}

void MicroSteps::average_across_replicas() {
  if (replicas_ == nullptr) return;
  torch::NoGradGuard ng;
  replicas_->average_gradients(base_.params(), replica_weight_);
  averaged_ = true;
}

}  // namespace nrs::optim
