// SGD: one forward/backward at w, then the base update.
#include "suite/optim/strategies.h"

namespace nrs::optim {

StepStats SgdStep::step(StepContext& ctx) {
  ctx.base.zero_grad();
  auto logits = forward_logits(ctx);
  auto loss = ctx.objective.data_loss(logits, ctx.batch.y);
  with_penalty(ctx, loss).backward();
  StepStats s;
  s.loss = loss.detach();
  s.correct = logits.detach().argmax(1).eq(ctx.batch.y).sum();
  s.grad_norm = ctx.base.step(ctx.lr);
  s.perturb_norm = torch::zeros_like(s.grad_norm);
  return s;
}

nlohmann::json SgdStep::describe() const { return {{"name", "sgd"}, {"variant", "sgd"}}; }

}  // namespace nrs::optim
