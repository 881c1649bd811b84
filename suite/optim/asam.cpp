#include "suite/optim/strategies.h"

namespace nrs::optim {

namespace {
bool is_adaptive(const std::string& name) {
  const std::string w = "weight";
  return name.size() >= w.size() && name.compare(name.size() - w.size(), w.size(), w) == 0;
}
}  // namespace

torch::Tensor AsamStep::perturb(BaseSgd& base) {
  torch::NoGradGuard ng;
  const auto& params = base.params();
  const auto& names = base.names();
  std::vector<torch::Tensor> tg(params.size()), norms;
  for (size_t i = 0; i < params.size(); ++i) {
    if (!params[i].grad().defined()) continue;
    tg[i] = is_adaptive(names[i]) ? (params[i].abs() + opts_.asam_eta) * params[i].grad() : params[i].grad().clone();
    norms.push_back(wide_norm(tg[i]));
  }
  if (norms.empty()) return torch::zeros({}, torch::kFloat32);
  auto scale = safe_scale(opts_.rho, torch::stack(norms).norm());
  std::vector<torch::Tensor> eps_norms;
  for (size_t i = 0; i < params.size(); ++i) {
    if (!tg[i].defined()) continue;
    // e = rho * T * (T g) / ||T g||; T is taken at w before any update.
    auto e = is_adaptive(names[i]) ? (params[i].abs() + opts_.asam_eta) * tg[i] : tg[i];
    e.mul_(scale.to(e.device()));
    eps_norms.push_back(wide_norm(e));
    params[i].add_(e);
  }
  return torch::stack(eps_norms).norm();
}

nlohmann::json AsamStep::describe() const {
  nlohmann::json j = {{"name", "asam"},
                      {"variant", "asam"},
                      {"rho", opts_.rho},
                      {"asam_eta", opts_.asam_eta},
                      {"adaptive_tensors", "names ending in 'weight' (conv/linear weights, BN gamma)"},
                      {"bn_stats", opts_.bn_stats}};
  j.update(fidelity());
  return j;
}

}  // namespace nrs::optim
