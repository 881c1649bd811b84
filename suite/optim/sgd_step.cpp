// SGD: one forward/backward at w (per BN group), then the base update.
#include "suite/optim/strategies.h"

namespace nrs::optim {

SgdStep::SgdStep(const StrategyOptions& o, models::Net& model, BaseSgd& base) : opts_(o), micro_(o, model, base) {}

StepStats SgdStep::step(StepContext& ctx) {
  micro_.begin(ctx);
  torch::Tensor zero;
  for (size_t c = 0; c < micro_.chunks(); ++c) {
    micro_.first_pass(ctx, c);
    if (!zero.defined()) zero = torch::zeros({}, ctx.batch.x.options().dtype(torch::kFloat32));
    micro_.end_chunk(c, zero);
  }
  auto s = micro_.finish();
  ctx.base.step(ctx.lr);
  return s;
}

nlohmann::json SgdStep::describe() const {
  return {{"name", "sgd"}, {"variant", "sgd"}, {"bn_group", opts_.bn_group_effective()}};
}

}  // namespace nrs::optim
