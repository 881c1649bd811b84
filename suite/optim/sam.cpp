#include "suite/optim/strategies.h"

namespace nrs::optim {

SamStep::SamStep(const StrategyOptions& o, models::Net& model, BaseSgd& base)
    : opts_(o), snapshot_(base.params()), buffers_(model) {}

torch::Tensor SamStep::perturb(BaseSgd& base) {
  torch::NoGradGuard ng;
  auto norm = global_grad_norm(base.params());
  auto scale = safe_scale(opts_.rho, norm);
  for (auto& p : base.params())
    if (p.grad().defined()) p.addcmul_(p.grad(), scale.to(p.device()));
  return scale * norm;
}

StepStats SamStep::step(StepContext& ctx) {
  auto& base = ctx.base;
  auto s = first_pass(ctx);

  snapshot_.save();
  s.perturb_norm = perturb(base);
  base.zero_grad();
  {
    BufferGuard guard(buffers_, opts_.bn_stats == "first");
    auto logits2 = forward_logits(ctx);
    with_penalty(ctx, ctx.objective.data_loss(logits2, ctx.batch.y)).backward();
  }
  snapshot_.restore();
  base.step(ctx.lr);
  return s;
}

nlohmann::json SamStep::describe() const {
  return {{"name", "sam"}, {"variant", "sam"}, {"rho", opts_.rho}, {"bn_stats", opts_.bn_stats}};
}

}  // namespace nrs::optim
