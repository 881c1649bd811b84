#include "suite/optim/strategies.h"

namespace nrs::optim {

SamStep::SamStep(const StrategyOptions& o, models::Net& model, BaseSgd& base)
    : opts_(o), snapshot_(base.params()), micro_(o, model, base) {}

torch::Tensor SamStep::perturb(BaseSgd& base) {
  torch::NoGradGuard ng;
  return ascend_along_gradient(base.params(), opts_.rho);
}

StepStats SamStep::step(StepContext& ctx) {
  auto& base = ctx.base;
  micro_.begin(ctx);
  for (size_t c = 0; c < micro_.chunks(); ++c) {
    micro_.first_pass(ctx, c);
    snapshot_.save();
    auto perturb_norm = perturb(base);  // e from this chunk's gradient
    base.zero_grad();
    micro_.extra_pass(ctx, c, micro_.loss_objective(ctx), /*guard_bn=*/opts_.bn_stats == "first");
    snapshot_.restore();
    micro_.end_chunk(c, perturb_norm);
  }
  auto s = micro_.finish();
  base.step(ctx.lr);
  return s;
}

nlohmann::json SamStep::fidelity() const {
  return {{"sam_m", opts_.sam_m},
          {"bn_group", opts_.bn_group_effective()},
          {"shared_gates", opts_.shared_gates},
          {"perturbation", opts_.perturbation}};
}

nlohmann::json SamStep::describe() const {
  nlohmann::json j = {{"name", "sam"}, {"variant", "sam"}, {"rho", opts_.rho}, {"bn_stats", opts_.bn_stats}};
  j.update(fidelity());
  return j;
}

}  // namespace nrs::optim
