// RST / SS-SAM (Zhao, Zhang & Hu, arXiv 2203.09962): each step a Bernoulli
// trial with probability p(t) picks a SAM step, else an SGD step.
#include "suite/optim/splitmix64.h"
#include "suite/optim/strategies.h"

#include <cmath>

namespace nrs::optim {

namespace {
constexpr double kPi = 3.14159265358979323846;
}  // namespace

double rst_probability(const StrategyOptions& o, int64_t step, int64_t total_steps) {
  if (o.rst_schedule == "constant") return o.rst_p;
  if (total_steps <= 0) throw std::logic_error("--rst-schedule " + o.rst_schedule + ": the run's length is unknown");
  const double t = std::min(1.0, static_cast<double>(step) / static_cast<double>(total_steps));
  if (o.rst_schedule == "linear") return o.rst_p + (o.rst_p_end - o.rst_p) * t;
  return o.rst_p_end + (o.rst_p - o.rst_p_end) * 0.5 * (1.0 + std::cos(kPi * t));  // cosine
}

double rst_uniform(uint64_t seed, int64_t step) {
  const uint64_t key = splitmix64(seed ^ 0x525354ULL);  // "RST": a stream apart from NRS's
  return static_cast<double>(splitmix64(key ^ static_cast<uint64_t>(step)) >> 11) * 0x1.0p-53;
}

RstStep::RstStep(const StrategyOptions& o, models::Net& model, BaseSgd& base)
    : SamStep(o, model, base), sgd_(o, model, base) {}

// The draw is a pure function of (seed, step): every replica makes the same
// choice with no communication, and a resumed run the same as an
// uninterrupted one. The counts are state, for the result's SAM fraction.
StepStats RstStep::step(StepContext& ctx) {
  const bool sam = rst_uniform(opts_.seed, ctx.global_step) < rst_probability(opts_, ctx.global_step, ctx.total_steps);
  ++steps_;
  if (!sam) return sgd_.step(ctx);
  ++sam_steps_;
  return SamStep::step(ctx);
}

nlohmann::json RstStep::describe() const {
  nlohmann::json j = {{"name", "rst"},
                      {"variant", variant_name(opts_)},
                      {"rho", opts_.rho},
                      {"rst_p", opts_.rst_p},
                      {"rst_p_end", opts_.rst_p_end},
                      {"rst_schedule", opts_.rst_schedule},
                      {"bn_stats", opts_.bn_stats}};
  j.update(fidelity());
  return j;
}

nlohmann::json RstStep::summary() const {
  return {{"steps", steps_},
          {"sam_steps", sam_steps_},
          {"sam_fraction", steps_ > 0 ? static_cast<double>(sam_steps_) / static_cast<double>(steps_) : 0.0}};
}

std::vector<torch::Tensor> RstStep::state() const { return {torch::tensor({steps_, sam_steps_}, torch::kInt64)}; }

void RstStep::load_state(const std::vector<torch::Tensor>& s) {
  if (s.size() != 1 || s[0].dim() != 1 || s[0].numel() != 2 || s[0].scalar_type() != torch::kInt64)
    throw std::invalid_argument("RST state: expected one int64 tensor of 2 counts");
  steps_ = s[0][0].item<int64_t>();
  sam_steps_ = s[0][1].item<int64_t>();
  if (steps_ < 0 || sam_steps_ < 0 || sam_steps_ > steps_)
    throw std::invalid_argument("RST state: counts out of range");
}

}  // namespace nrs::optim
