// The base optimizer every step strategy ends with: SGD with momentum,
// Nesterov, weight decay and global-norm clipping, exactly as torch.optim.SGD
// computes it (so an update can be checked by hand or against PyTorch).
#pragma once
#include <torch/torch.h>
#include <nlohmann/json.hpp>

namespace nrs::optim {

struct SgdOptions {
  double momentum = 0.9;
  double dampening = 0.0;
  bool nesterov = false;
  double weight_decay = 0.0;
  // optimizer: the optimizer adds wd*w to the gradient at update time
  //            (torch.optim.SGD's weight_decay; never enters a perturbation).
  //            Results of schema 1 called this "decoupled", a misnomer.
  // loss:      0.5*wd*||w||^2 is part of the loss (google-research/sam), so it
  //            is in every gradient pass, the perturbation included ("l2" is
  //            an alias).
  // decoupled: SGDW (Loshchilov & Hutter 2019): w <- w - lr*wd*w apart from
  //            the gradient and the momentum buffer, scaled by the scheduled lr
  //            as PyTorch's AdamW (the paper's SGDW scales by the schedule
  //            multiplier only: its lambda is lr*wd at the peak lr).
  std::string wd_mode = "optimizer";
  bool wd_exclude_bn_bias = false;  // no decay on 1-D tensors (biases, BN gamma/beta)
  double grad_clip = 0.0;           // global L2 norm clip of the final gradient; 0 = off
  void validate() const;            // throws std::invalid_argument naming the flag
};

class BaseSgd {
 public:
  BaseSgd(std::vector<std::pair<std::string, torch::Tensor>> named_params, SgdOptions opts);

  // One update with the gradients currently in p.grad():
  //   g <- clip(g); if optimizer: g <- g + wd*w (decayed tensors only)
  //   buf <- g (first step) | momentum*buf + (1-dampening)*g
  //   d <- nesterov ? g + momentum*buf : buf
  //   if decoupled: w <- w - lr*wd*w (decayed tensors only);   w <- w - lr*d
  // Returns the gradient norm before clipping (0-dim tensor, no host sync).
  // After skip_next_step() (loss scaling found inf/NaN) the next step()
  // changes nothing (weights, momentum) and returns the norm all the same.
  torch::Tensor step(double lr);
  void skip_next_step() { skip_next_ = true; }
  void zero_grad();

  // 0.5 * wd * sum ||w||^2 over decayed tensors when wd_mode == loss, else 0.
  torch::Tensor l2_penalty() const;

  const std::vector<torch::Tensor>& params() const { return params_; }
  const std::vector<std::string>& names() const { return names_; }
  const std::vector<bool>& decayed() const { return decayed_; }
  const SgdOptions& options() const { return opts_; }
  // Momentum buffers, one per parameter; undefined until that parameter's
  // first update (torch.optim.SGD's first-step rule). Checkpoints save and
  // restore them.
  std::vector<torch::Tensor>& momentum_buffers() { return momentum_; }
  const std::vector<torch::Tensor>& momentum_buffers() const { return momentum_; }

 private:
  std::vector<std::string> names_;
  std::vector<torch::Tensor> params_;
  std::vector<bool> decayed_;
  std::vector<torch::Tensor> momentum_;
  SgdOptions opts_;
  bool skip_next_ = false;
};

// L2 norm accumulated in at least fp32 (fp64 tensors keep fp64).
torch::Tensor wide_norm(const torch::Tensor& t);

// Global L2 norm of the gradients of `params` (tensors without grad count 0).
torch::Tensor global_grad_norm(const std::vector<torch::Tensor>& params);

}  // namespace nrs::optim
