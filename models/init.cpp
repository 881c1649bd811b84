#include "models/init.h"
#include "models/net.h"

namespace nrs::models {

void init_weights(torch::nn::Module& root, const InitOptions& opts) {
  torch::NoGradGuard ng;
  for (auto& m : root.modules(/*include_self=*/true)) {
    if (auto* c = m->as<torch::nn::Conv2d>()) {
      torch::nn::init::kaiming_normal_(c->weight, 0.0, torch::kFanOut, torch::kReLU);
      if (c->bias.defined()) c->bias.zero_();
    } else if (auto* b = m->as<torch::nn::BatchNorm2d>()) {
      if (b->weight.defined()) b->weight.fill_(1.0);
      if (b->bias.defined()) b->bias.zero_();
    } else if (auto* b1 = m->as<torch::nn::BatchNorm1d>()) {
      if (b1->weight.defined()) b1->weight.fill_(1.0);
      if (b1->bias.defined()) b1->bias.zero_();
    }
  }
  if (!opts.zero_init_residual) return;
  for (auto& m : root.modules(/*include_self=*/true))
    if (auto* r = dynamic_cast<ResidualBranchEnd*>(m.get())) r->branch_end_bn()->weight.zero_();
}

int64_t count_trainable_parameters(const torch::nn::Module& m) {
  int64_t n = 0;
  for (const auto& p : m.parameters())
    if (p.requires_grad()) n += p.numel();
  return n;
}

}  // namespace nrs::models
