// The training-step contract shared by every strategy (SGD, SAM, ASAM, GNP,
// LookSAM, RST, NRS).
//
// step(ctx) is called with the model in train mode at weights w. It must
//   1. evaluate the objective on ctx.batch at w (this pass, and only this one,
//      advances BatchNorm running statistics unless bn_stats == "both");
//   2. compute whatever extra passes the method needs at perturbed weights,
//      restoring w exactly (bitwise) afterwards;
//   3. leave in p.grad() the gradient the method prescribes and call
//      ctx.base.step(ctx.lr) once.
// With --sam-m / --bn-group (micro_batch.h) steps 1-2 run per m-chunk of the
// batch, each chunk perturbed with its own gradient, and the gradient of step
// 3 is the mean over chunks (micro_step.h); with --shared-gates the passes of
// a chunk see the same stochastic-layer draws (gate_replay.h).
// It returns statistics as 0-dim tensors on the training device, so a step
// never forces a device-to-host sync (fp16 with loss scaling aside: one sync
// per step decides whether it is skipped, loss_scale.h).
#pragma once
#include "datasets/pipeline.h"
#include "models/net.h"
#include "suite/optim/base_sgd.h"
#include "suite/optim/replicas.h"

#include <memory>

namespace nrs::optim {

// The data loss: cross-entropy with optional label smoothing, or a custom
// function of (model output, targets) — closed-form tests use a quadratic.
// The L2 term of wd_mode == loss is added separately (with_penalty).
struct Objective {
  double label_smoothing = 0.0;
  std::function<torch::Tensor(const torch::Tensor&, const torch::Tensor&)> custom;
  torch::Tensor data_loss(const torch::Tensor& logits, const torch::Tensor& y) const;
};

// The forward passes' autocast dtype. kFloat16 is meant to run with a
// LossScaler (loss_scale.h) in the context.
enum class Precision { kFloat32, kBFloat16, kFloat16 };

class LossScaler;

struct StepContext {
  models::Net& model;
  const data::Batch& batch;
  const Objective& objective;
  BaseSgd& base;
  double lr;
  Precision precision = Precision::kFloat32;
  // Data-parallel (suite/dist): the other replicas, and this one's share of
  // the global batch (ctx.batch holds only this replica's rows). Null = one
  // process, whose batch is the global batch.
  Replicas* replicas = nullptr;
  double replica_weight = 1.0;
  int64_t global_step = 0;  // optimizer steps before this one (per-step random streams)
  int64_t total_steps = 0;  // the run's optimizer steps (0: unknown; RST's schedules need it)
  // Dynamic loss scaling (loss_scale.h; --precision fp16): every backward
  // pass is scaled and its gradient unscaled before a strategy reads it.
  // Null = no scaling. Call the step through scaled_step() when set.
  LossScaler* scaler = nullptr;
  bool data_parallel() const { return replicas != nullptr && replicas->world() > 1; }
};

struct StepStats {
  torch::Tensor loss;          // data loss at w (first pass)
  torch::Tensor correct;       // correctly classified samples at w (first pass)
  torch::Tensor grad_norm;     // ||g|| of the first-pass gradient
  torch::Tensor perturb_norm;  // ||delta|| (0 for SGD)
  torch::Tensor kl;            // mean KL over neighbours (NRS), else undefined
};

class StepStrategy {
 public:
  virtual ~StepStrategy() = default;
  virtual StepStats step(StepContext& ctx) = 0;
  // Name, variant and every hyperparameter that defines the update.
  virtual nlohmann::json describe() const = 0;
  // State carried from step to step (random generators), for checkpoints:
  // restoring it makes the next step identical to an uninterrupted run's.
  virtual std::vector<torch::Tensor> state() const { return {}; }
  virtual void load_state(const std::vector<torch::Tensor>& s) {}
  // What the run's steps did, for the result (RST: its SAM fraction); null
  // for strategies whose steps are all alike.
  virtual nlohmann::json summary() const { return nullptr; }
};

struct StrategyOptions {
  std::string name = "sgd";               // sgd | sam | asam | gnp | looksam | rst | nrs
  double rho = 0.05;                      // SAM / ASAM radius; GNP's finite-difference step r
  double gnp_alpha = 0.8;                 // GNP: weight of the perturbed gradient (official default)
  int64_t looksam_k = 5;                  // LookSAM: a SAM step every k steps (1 = SAM)
  double looksam_alpha = 0.7;             // LookSAM: weight of the reused orthogonal part
  double rst_p = 0.5;                     // RST: probability of a SAM step (at the start)
  double rst_p_end = 0.5;                 // RST: probability at the end (linear, cosine)
  std::string rst_schedule = "constant";  // RST: constant | linear | cosine
  std::string gnp_mix = "normalized";     // GNP: a = g/||g|| (official code) | raw (a = g, the paper)
  double asam_eta = 0.01;                 // ASAM: T_w = |w| + eta
  double nrs_radius = 0.1;                // NRS: ||delta|| (relative per filter for `filter`)
  double nrs_alpha = 1.0;                 // NRS: weight of the KL term
  std::string nrs_neighbor = "gradient";  // gradient | random | filter
  int64_t nrs_samples = 1;                // K neighbours (random / filter)
  std::string nrs_target = "detached";    // detached | full
  std::string bn_stats = "first";         // first | both
  uint64_t seed = 0;                      // random neighbours
  // Official-code semantics on one process (micro_batch.h, docs/fidelity.md):
  int64_t sam_m = 0;                   // m-sharpness: samples per perturbation (0 = the whole batch)
  int64_t bn_group = 0;                // samples per BatchNorm statistics group (0 = --sam-m, else the batch)
  bool shared_gates = false;           // the first pass's stochastic-layer draws replayed in the other passes
  std::string perturbation = "local";  // local | global (replicas.h)
  void validate() const;               // throws std::invalid_argument naming the flag
  void validate_batch(int64_t batch_size) const;  // --sam-m and --bn-group must divide it
  // The BN group size a step uses: bn_group, else sam_m (each m-chunk is its
  // own forward pass), else 0 (the whole batch). Recorded in results.
  int64_t bn_group_effective() const { return bn_group > 0 ? bn_group : sam_m; }
};

struct StrategyEntry {
  std::string name;
  std::string description;                                  // the exact update, one line
  std::vector<std::pair<std::string, std::string>> params;  // flag -> default and meaning (strategy_fields.h)
};

const std::vector<StrategyEntry>& strategy_registry();
// The variant a strategy reports in describe()["variant"] ("sgd", "sam",
// "nrs-gradient-detached", "nrs-random-k2-detached"), known before it is built.
std::string variant_name(const StrategyOptions& o);
std::unique_ptr<StepStrategy> make_strategy(const StrategyOptions& opts, models::Net& model, BaseSgd& base);

// ---- helpers shared by the strategies ----

// Forward pass in the context's precision; logits are returned in float32.
torch::Tensor forward_logits(StepContext& ctx);
torch::Tensor forward_logits(StepContext& ctx, const torch::Tensor& x);  // on rows x of the batch
// Objective at w: data loss + L2 penalty (loss mode) for the backward pass.
torch::Tensor with_penalty(StepContext& ctx, const torch::Tensor& data_loss);
// Scale factor s with s*||g|| = r, and 0 when ||g|| = 0 (no NaN, no sync).
torch::Tensor safe_scale(double r, const torch::Tensor& norm);
// w <- w + r * g / ||g|| with g the gradient in each p.grad() (SAM's epsilon,
// NRS-gradient's delta: one definition for both); returns ||delta||, 0 when
// g = 0. Call under NoGradGuard.
torch::Tensor ascend_along_gradient(const std::vector<torch::Tensor>& params, double r);

}  // namespace nrs::optim
