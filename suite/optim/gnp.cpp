#include "suite/optim/strategies.h"

namespace nrs::optim {

// With a = the first-pass gradient (raw) or that gradient over its norm
// (normalized), the perturbed pass accumulates its gradient onto
// ((1 - alpha) / alpha) * a and the sum is then scaled by alpha:
//   alpha * (((1 - alpha) / alpha) * a + grad L(w + e)) = (1 - alpha) a + alpha grad L(w + e).
// At alpha = 1 the pre-scale is 0 * a = 0 and the post-scale * 1 is exact, so
// the step is SAM's bit for bit. At r = 0 the official code trains with the
// plain gradient (training/training_core.py, train_step: "standard training
// if r equals 0"); here alpha is then taken as 1, i.e. SAM at rho 0, which is
// SGD bit for bit.
StepStats GnpStep::step(StepContext& ctx) {
  auto& base = ctx.base;
  const double alpha = opts_.rho == 0 ? 1.0 : opts_.gnp_alpha;
  micro_.begin(ctx);
  for (size_t c = 0; c < micro_.chunks(); ++c) {
    micro_.first_pass(ctx, c);
    snapshot_.save();
    torch::Tensor perturb_norm;
    {
      torch::NoGradGuard ng;
      const auto grad_norm = global_grad_norm(base.params());
      perturb_norm = ascend_along_gradient(base.params(), opts_.rho);  // e = r g/||g|| from this chunk
      const double pre = (1.0 - alpha) / alpha;
      const auto scale =
          opts_.gnp_mix == "normalized" ? safe_scale(pre, grad_norm) : torch::full({}, pre, grad_norm.options());
      for (const auto& p : base.params())
        if (p.grad().defined()) p.grad().mul_(scale.to(p.device()));
    }
    micro_.extra_pass(ctx, c, micro_.loss_objective(ctx), /*guard_bn=*/opts_.bn_stats == "first");
    snapshot_.restore();
    {
      torch::NoGradGuard ng;
      for (const auto& p : base.params())
        if (p.grad().defined()) p.grad().mul_(alpha);
    }
    micro_.end_chunk(c, perturb_norm);
  }
  auto s = micro_.finish();
  base.step(ctx.lr);
  return s;
}

nlohmann::json GnpStep::describe() const {
  nlohmann::json j = {{"name", "gnp"},
                      {"variant", "gnp-" + opts_.gnp_mix},
                      {"rho", opts_.rho},
                      {"gnp_alpha", opts_.gnp_alpha},
                      {"gnp_mix", opts_.gnp_mix},
                      {"bn_stats", opts_.bn_stats}};
  j.update(fidelity());
  return j;
}

}  // namespace nrs::optim
