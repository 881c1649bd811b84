// The concrete step strategies. Construct them through make_strategy(); the
// classes are visible for tests that drive a single step by hand.
#pragma once
#include "suite/optim/micro_step.h"
#include "suite/optim/snapshot.h"
#include "suite/optim/step_strategy.h"

namespace nrs::optim {

// w <- base_update(w, g(w)); with --bn-group, g is the mean of the groups'
// gradients, each group normalised by its own batch statistics.
class SgdStep : public StepStrategy {
 public:
  SgdStep(const StrategyOptions& o, models::Net& model, BaseSgd& base);
  StepStats step(StepContext& ctx) override;
  nlohmann::json describe() const override;

 private:
  StrategyOptions opts_;
  MicroSteps micro_;
};

// SAM (Foret et al. 2021): e = rho * g / ||g|| (global norm, e = 0 if g = 0);
// g_SAM = grad L(w + e) with BN statistics from the first pass only;
// restore w exactly, w <- base_update(w, g_SAM). With --sam-m M each chunk of
// M samples has its own e from its own gradient and g_SAM is the mean of the
// chunks' grad L_chunk(w + e_chunk) (m-sharpness, the paper's per-device SAM).
class SamStep : public StepStrategy {
 public:
  SamStep(const StrategyOptions& o, models::Net& model, BaseSgd& base);
  StepStats step(StepContext& ctx) override;
  nlohmann::json describe() const override;

 protected:
  // Perturbation e_i for parameter i given first-pass gradients; returns ||e||.
  virtual torch::Tensor perturb(BaseSgd& base);
  nlohmann::json fidelity() const;  // sam_m, bn_group, shared_gates for describe()
  StrategyOptions opts_;
  ParamSnapshot snapshot_;
  MicroSteps micro_;
};

// ASAM (Kwon et al. 2021, SamsungLabs/ASAM convention): T_i = |w_i| + eta on
// tensors whose name ends in "weight" (conv/linear weights, BN gamma), T_i = 1
// elsewhere; e_i = rho * T_i^2 g_i / ||T g||.
class AsamStep : public SamStep {
 public:
  using SamStep::SamStep;
  nlohmann::json describe() const override;

 protected:
  torch::Tensor perturb(BaseSgd& base) override;
};

// GNP (Zhao, Zhang & Hu, ICML 2022; official JAX code zhaoyang-0204/gnp):
// L + lambda ||grad L|| by finite difference along g/||g||,
//   g_GNP = (1 - alpha) a + alpha grad L(w + r g/||g||),  r = --rho,
// with a = g/||g|| (mix normalized: the official code's default,
// norm_perturbations=True) or a = g (mix raw: the paper's formula). BN
// statistics from the first pass; alpha = 1 is SAM bit for bit. With --sam-m
// each chunk mixes its own a and perturbed gradient.
class GnpStep : public SamStep {
 public:
  using SamStep::SamStep;
  StepStats step(StepContext& ctx) override;
  nlohmann::json describe() const override;
};

// LookSAM (Liu et al., CVPR 2022, arXiv 2203.02714, Algorithm 1 as its
// public reimplementations read it; the paper's text is not in our
// reference): every k-th step is SAM's and stores g_v, the part of the SAM
// gradient g_s orthogonal to the plain gradient g,
//   g_v = g_s - (<g_s, g> / ||g||^2) g;
// the steps between take one pass and use g + alpha (||g|| / ||g_v||) g_v.
// k = 1 is SAM bit for bit. g_v is strategy state (checkpoints). One
// perturbation per replica (no --sam-m).
class LookSamStep : public SamStep {
 public:
  LookSamStep(const StrategyOptions& o, models::Net& model, BaseSgd& base);
  StepStats step(StepContext& ctx) override;
  nlohmann::json describe() const override;
  std::vector<torch::Tensor> state() const override;
  void load_state(const std::vector<torch::Tensor>& s) override;

 private:
  // g_v from the plain gradient g and the SAM gradient now in p.grad().
  void store_orthogonal_part(const std::vector<torch::Tensor>& params, const std::vector<torch::Tensor>& g,
                             torch::Device dev);
  std::vector<torch::Tensor> g_v_;
};

// RST / SS-SAM (Zhao, Zhang & Hu, arXiv 2203.09962; no official code found):
// each step a Bernoulli trial with probability p(t) (rst_probability) takes
// SAM's step, else SGD's. The uniform of step t is rst_uniform(seed, t), a
// pure function of the run's seed and the step, so replicas agree and a
// resumed run draws what an uninterrupted one would; the step and SAM-step
// counts are state, reported by summary(). p = 1 is SAM, p = 0 SGD, bit for bit.
class RstStep : public SamStep {
 public:
  RstStep(const StrategyOptions& o, models::Net& model, BaseSgd& base);
  StepStats step(StepContext& ctx) override;
  nlohmann::json describe() const override;
  nlohmann::json summary() const override;
  std::vector<torch::Tensor> state() const override;
  void load_state(const std::vector<torch::Tensor>& s) override;

 private:
  SgdStep sgd_;
  int64_t steps_ = 0, sam_steps_ = 0;
};
// p(t) of step t of total_steps: constant p; linear p -> p_end; cosine
// p_end + (p - p_end)(1 + cos(pi t/T))/2. Throws for a schedule that needs
// the length when total_steps <= 0.
double rst_probability(const StrategyOptions& o, int64_t step, int64_t total_steps);
// The uniform in [0, 1) step `step` of a run with seed `seed` compares with p(t).
double rst_uniform(uint64_t seed, int64_t step);

// NRS (nrsbench definition, ../shared/reference/nrs-paper.md):
//   L = CE(w) + alpha * mean_k KL(p_w || p_{w+delta_k})
// gradient = grad CE(w) + alpha/K * sum_k grad_w KL(p_w.detach() || p_{w+delta_k})
// evaluated at w + delta_k (delta held constant), plus, with target=full, the
// gradient through p_w at w (one extra forward at w). With --sam-m M every
// chunk of M samples is its own NRS problem: neighbours from the chunk's
// gradient (gradient) or its own draws (random, filter), KL and CE on the
// chunk's samples; the chunks' gradients are averaged.
class NrsStep : public StepStrategy {
 public:
  NrsStep(const StrategyOptions& o, models::Net& model, BaseSgd& base);
  StepStats step(StepContext& ctx) override;
  nlohmann::json describe() const override;
  std::vector<torch::Tensor> state() const override;
  void load_state(const std::vector<torch::Tensor>& s) override;
  std::string variant() const;

 private:
  // Writes delta_k into the parameters (w + delta) and returns ||delta||.
  torch::Tensor apply_neighbor(const StepContext& ctx, BaseSgd& base);
  // The generator random directions are drawn from (nullptr: the device's
  // default generator).
  at::Generator* direction_generator(const StepContext& ctx, const torch::Device& device);
  StrategyOptions opts_;
  ParamSnapshot snapshot_;
  MicroSteps micro_;
  std::vector<torch::Tensor> direction_;
  at::Generator gen_;
  at::Generator step_gen_;  // data-parallel: reseeded every step
};

}  // namespace nrs::optim
