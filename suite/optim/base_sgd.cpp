#include "suite/optim/base_sgd.h"

namespace nrs::optim {

void SgdOptions::validate() const {
  if (momentum < 0) throw std::invalid_argument("--momentum: expected a value >= 0");
  if (weight_decay < 0) throw std::invalid_argument("--weight-decay: expected a value >= 0");
  if (wd_mode != "optimizer" && wd_mode != "loss" && wd_mode != "decoupled")
    throw std::invalid_argument("--wd-mode '" + wd_mode + "': expected optimizer, loss (alias l2) or decoupled");
  if (nesterov && (momentum <= 0 || dampening != 0))
    throw std::invalid_argument("--nesterov: requires --momentum > 0 and zero dampening");
  if (grad_clip < 0) throw std::invalid_argument("--grad-clip: expected a value >= 0");
}

BaseSgd::BaseSgd(std::vector<std::pair<std::string, torch::Tensor>> named_params, SgdOptions opts)
    : opts_(std::move(opts)) {
  opts_.validate();
  for (auto& [name, p] : named_params) {
    if (!p.requires_grad()) continue;
    names_.push_back(name);
    params_.push_back(p);
    decayed_.push_back(!(opts_.wd_exclude_bn_bias && p.dim() <= 1));
    momentum_.emplace_back();
  }
}

torch::Tensor wide_norm(const torch::Tensor& t) {
  return t.scalar_type() == torch::kFloat64 ? t.norm() : t.to(torch::kFloat32).norm();
}

torch::Tensor global_grad_norm(const std::vector<torch::Tensor>& params) {
  std::vector<torch::Tensor> norms;
  norms.reserve(params.size());
  for (const auto& p : params)
    if (p.grad().defined()) norms.push_back(wide_norm(p.grad().detach()));
  if (norms.empty()) return torch::zeros({}, torch::kFloat32);
  return torch::stack(norms).norm();
}

void BaseSgd::zero_grad() {
  for (auto& p : params_)
    if (p.grad().defined()) p.mutable_grad().zero_();
}

torch::Tensor BaseSgd::l2_penalty() const {
  if (opts_.wd_mode != "loss" || opts_.weight_decay == 0.0) return {};
  torch::Tensor acc;
  for (size_t i = 0; i < params_.size(); ++i) {
    if (!decayed_[i]) continue;
    auto t = params_[i].pow(2).sum();
    acc = acc.defined() ? acc + t : t;
  }
  return acc.defined() ? acc * (0.5 * opts_.weight_decay) : acc;
}

torch::Tensor BaseSgd::step(double lr) {
  torch::NoGradGuard ng;
  auto norm = global_grad_norm(params_);
  if (skip_next_) {
    skip_next_ = false;
    return norm;
  }
  if (opts_.grad_clip > 0) {
    // torch.nn.utils.clip_grad_norm_: scale by min(1, clip/(norm+1e-6)).
    auto coef = torch::clamp_max(opts_.grad_clip / (norm + 1e-6), 1.0);
    for (auto& p : params_)
      if (p.grad().defined()) p.mutable_grad().mul_(coef.to(p.device()));
  }
  for (size_t i = 0; i < params_.size(); ++i) {
    auto& p = params_[i];
    if (!p.grad().defined()) continue;
    auto d = p.grad();
    const bool decay = opts_.weight_decay != 0.0 && decayed_[i];
    if (decay && opts_.wd_mode == "optimizer") d = d.add(p, opts_.weight_decay);
    if (opts_.momentum != 0.0) {
      auto& buf = momentum_[i];
      if (!buf.defined()) {
        buf = d.detach().clone();
      } else {
        buf.mul_(opts_.momentum).add_(d, 1.0 - opts_.dampening);
      }
      d = opts_.nesterov ? d.add(buf, opts_.momentum) : buf;
    }
    // SGDW: the decay uses w before this step and never passes through the
    // momentum buffer (AdamW order: decay, then the gradient step).
    if (decay && opts_.wd_mode == "decoupled") p.mul_(1.0 - lr * opts_.weight_decay);
    p.add_(d, -lr);
  }
  return norm;
}

}  // namespace nrs::optim
