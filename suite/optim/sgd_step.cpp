// SGD: one forward/backward at w, then the base update.
#include "suite/optim/strategies.h"

namespace nrs::optim {

StepStats SgdStep::step(StepContext& ctx) {
  auto s = first_pass(ctx);
  ctx.base.step(ctx.lr);
  s.perturb_norm = torch::zeros_like(s.grad_norm);
  return s;
}

nlohmann::json SgdStep::describe() const { return {{"name", "sgd"}, {"variant", "sgd"}}; }

}  // namespace nrs::optim
