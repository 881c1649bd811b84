#include "suite/run/step_cost.h"
#include "models/registry.h"
#include "suite/core/build_info.h"
#include "suite/io/results.h"
#include "suite/optim/strategies.h"
#include "suite/optim/strategy_fields.h"
#include "suite/run/memory_format.h"
#include "suite/run/process_scope.h"
#include "suite/run/run.h"
#include "suite/run/setup.h"
#include "suite/run/step_timer.h"

#include <algorithm>
#include <thread>

namespace nrs {
namespace {}  // namespace

optim::StrategyOptions step_cost_strategy(const std::string& label) {
  optim::StrategyOptions o;
  if (label == "sgd") return o;
  if (label == "gnp") {  // the official WRN recipe's alpha, SAM's radius
    o.name = "gnp";
    o.rho = 0.05;
    o.gnp_alpha = 0.8;
    return o;
  }
  if (label == "looksam") {  // the cheap end: a SAM step every 5
    o.name = "looksam";
    o.rho = 0.05;
    return o;
  }
  if (label == "rst") {  // the cheap end: SAM's step with probability 1/2
    o.name = "rst";
    o.rho = 0.05;
    o.rst_p = 0.5;
    return o;
  }
  if (label == "sam" || label == "asam") {
    o.name = label;
    o.rho = label == "sam" ? 0.05 : 0.5;
    return o;
  }
  o.name = "nrs";
  o.nrs_alpha = 1.0;
  if (label == "nrs-gradient") {
    o.nrs_radius = 0.05;
  } else {
    o.nrs_neighbor = "random";
    o.nrs_radius = 0.5;
    o.nrs_samples = label == "nrs-random-k2" ? 2 : 1;
  }
  return o;
}

optim::StrategyOptions step_cost_variant(const StepCostOptions& o, const std::string& label) {
  auto s = step_cost_strategy(label);
  optim::copy_strategy_fields(o.method_flags, o.given_method_flags, s);
  return s;
}

namespace {

struct Variant {
  std::string label;
  models::NetPtr net;
  std::unique_ptr<optim::BaseSgd> base;
  optim::StrategyOptions options;
  std::unique_ptr<optim::StepStrategy> strategy;
  std::unique_ptr<optim::LossScaler> scaler;  // fp16
  std::vector<double> ms;
  std::string variant;
  int64_t steps = 0;  // steps taken (warm-up included)
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace

const std::vector<std::string>& step_cost_labels() {
  static const std::vector<std::string> l = {"sgd", "sam",          "asam",       "gnp",          "looksam",
                                             "rst", "nrs-gradient", "nrs-random", "nrs-random-k2"};
  return l;
}

void StepCostOptions::validate() const {
  if (!models::has_model(model)) throw std::invalid_argument("--model '" + model + "': unknown (nrsbench list)");
  if (batch_size < 1 || channels < 1 || height < 1 || width < 1 || classes < 2)
    throw std::invalid_argument("--batch-size/--shape/--classes: expected positive sizes (classes >= 2)");
  validate_precision(precision, device, loss_scale);
  if (warmup < 0 || steps < 1 || rounds < 1)
    throw std::invalid_argument("--warmup/--steps/--rounds: expected warmup >= 0, steps >= 1, rounds >= 1");
  if (device != "cpu" && device.rfind("cuda", 0) != 0)
    throw std::invalid_argument("--device '" + device + "': expected cpu, cuda or cuda:N");
  if (device.rfind("cuda", 0) == 0 && !torch::cuda::is_available())
    throw std::invalid_argument("--device '" + device + "': CUDA is not available in this build/machine");
  if (optimizers.empty()) throw std::invalid_argument("--optimizers: expected at least one");
  for (const auto& l : optimizers)
    if (std::find(step_cost_labels().begin(), step_cost_labels().end(), l) == step_cost_labels().end())
      throw std::invalid_argument(
          "--optimizers: '" + l +
          "' is not one of sgd, sam, asam, gnp, looksam, rst, nrs-gradient, nrs-random, nrs-random-k2");
  for (const auto& flag : given_method_flags) {
    bool read = false;
    for (const auto& l : optimizers) {
      auto preset = step_cost_strategy(l);
      read = read || !optim::copy_strategy_fields(method_flags, {flag}, preset).empty();
    }
    if (!read) {
      std::string labels;
      for (const auto& l : optimizers) {
        if (!labels.empty()) labels += ',';
        labels += l;
      }
      throw std::invalid_argument("--" + flag + ": none of --optimizers " + labels + " reads it");
    }
  }
  for (const auto& l : optimizers) {
    const auto s = step_cost_variant(*this, l);
    s.validate();
    s.validate_batch(batch_size);
  }
}

StepCostMeasurement measure_step_cost(const StepCostOptions& o) {
  o.validate();
  const torch::Device device(o.device);
  // As `nrsbench run` sets the process up (denormals flushed), with cuDNN autotuning.
  ProcessScope scope({o.threads, 0, /*flush_denormal=*/true, /*cudnn_benchmark=*/true, device.is_cuda()});
  const int threads = scope.threads();
  const auto precision = o.precision == "bf16"   ? optim::Precision::kBFloat16
                         : o.precision == "fp16" ? optim::Precision::kFloat16
                                                 : optim::Precision::kFloat32;
  const models::ModelSpec spec{o.channels, o.height, o.width, o.classes};

  torch::manual_seed(0);
  data::Batch batch{torch::randn({o.batch_size, o.channels, o.height, o.width}).to(device),
                    torch::randint(0, o.classes, {o.batch_size}, torch::kInt64).to(device)};
  if (o.channels_last) batch.x = to_channels_last(batch.x);
  optim::Objective objective;

  std::vector<Variant> vs;
  for (const auto& label : o.optimizers) {
    Variant v;
    v.label = label;
    torch::manual_seed(0);
    ModelSelection ms;
    ms.model = o.model;
    ms.channels_last = o.channels_last;
    v.net = make_run_model(ms, spec, device);
    std::vector<std::pair<std::string, torch::Tensor>> named;
    for (const auto& kv : v.net->named_parameters()) named.emplace_back(kv.key(), kv.value());
    optim::SgdOptions sgd;
    sgd.weight_decay = 5e-4;
    v.base = std::make_unique<optim::BaseSgd>(named, sgd);
    v.options = step_cost_variant(o, label);
    v.strategy = optim::make_strategy(v.options, *v.net, *v.base);
    v.variant = v.strategy->describe().value("variant", label);
    if (o.precision == "fp16") v.scaler = std::make_unique<optim::LossScaler>(o.loss_scale);
    vs.push_back(std::move(v));
  }
  auto step = [&](Variant& v) {
    // The step's index, for strategies that depend on it (LookSAM's every k-th full step).
    optim::StepContext ctx{*v.net,  batch, objective, *v.base, 0.01,          precision,
                           nullptr, 1.0,   v.steps++, 0,       v.scaler.get()};
    return optim::scaled_step(*v.strategy, ctx);
  };
  for (auto& v : vs)
    for (int64_t i = 0; i < o.warmup; ++i) step(v);
  std::string method;
  for (int64_t r = 0; r < o.rounds; ++r)
    for (auto& v : vs) {
      StepTimer t(device);
      t.start();
      for (int64_t i = 0; i < o.steps; ++i) step(v);
      t.stop();
      v.ms.push_back(1000.0 * t.seconds() / static_cast<double>(o.steps));
      method = t.method();
    }
  // Ratios to SGD pair each round's time with SGD's in the same round, so a
  // load that comes and goes between rounds cancels; the median of those
  // ratios and their range are reported.
  const bool have_sgd = vs.front().label == "sgd";
  StepCostMeasurement out;
  out.options = o;
  out.device = device.is_cuda() ? gpu_name(device.has_index() ? device.index() : 0) : "cpu: " + cpu_model();
  out.threads = threads;
  out.timing = method +
               "; variants interleaved round by round; ms_per_step: median over rounds; ratio_to_sgd: median of the "
               "per-round ratios to SGD's time in the same round";
  for (const auto& v : vs) {
    StepCostRow row;
    row.label = v.label;
    row.variant = v.variant;
    row.optimizer = optim::strategy_config_json(v.options);
    row.ms_per_step_rounds = v.ms;
    // RST: the SAM fraction its steps (warm-up included) realised, which its cost follows.
    row.optimizer_summary = v.strategy->summary();
    // fp16: how many of the measured steps (warm-up included) the scaler skipped.
    if (v.scaler) row.loss_scale = v.scaler->summary();
    if (have_sgd)
      for (size_t r = 0; r < v.ms.size(); ++r) row.ratio_to_sgd_rounds.push_back(v.ms[r] / vs.front().ms[r]);
    out.rows.push_back(std::move(row));
  }
  out.git_commit = git_commit();
  out.environment = environment_info(o.device);
  out.time = iso8601_now();
  return out;
}

double StepCostRow::ms_per_step() const { return median(ms_per_step_rounds); }

double StepCostRow::images_per_s(int64_t batch_size) const {
  return 1000.0 * static_cast<double>(batch_size) / ms_per_step();
}

std::optional<double> StepCostRow::ratio_to_sgd() const {
  if (ratio_to_sgd_rounds.empty()) return std::nullopt;
  return median(ratio_to_sgd_rounds);
}

nlohmann::json StepCostRow::to_json(int64_t batch_size) const {
  const auto ratio = ratio_to_sgd();
  nlohmann::json j = {{"label", label},
                      {"variant", variant},
                      {"optimizer", optimizer},
                      {"ms_per_step", ms_per_step()},
                      {"ms_per_step_rounds", ms_per_step_rounds},
                      {"images_per_s", images_per_s(batch_size)},
                      {"ratio_to_sgd", ratio ? nlohmann::json(*ratio) : nlohmann::json(nullptr)}};
  if (!optimizer_summary.is_null()) j["optimizer_summary"] = optimizer_summary;
  if (!loss_scale.is_null()) j["loss_scale"] = loss_scale;
  if (ratio) {
    j["ratio_to_sgd_rounds"] = ratio_to_sgd_rounds;
    j["ratio_to_sgd_range"] = {*std::min_element(ratio_to_sgd_rounds.begin(), ratio_to_sgd_rounds.end()),
                               *std::max_element(ratio_to_sgd_rounds.begin(), ratio_to_sgd_rounds.end())};
  }
  return j;
}

nlohmann::json StepCostMeasurement::to_json() const {
  nlohmann::json rs = nlohmann::json::array();
  for (const auto& r : rows) rs.push_back(r.to_json(options.batch_size));
  const auto& o = options;
  return {{"kind", "nrsbench-step-cost"},
          {"model", o.model},
          {"input_shape", {o.channels, o.height, o.width}},
          {"classes", o.classes},
          {"batch_size", o.batch_size},
          {"device", device},
          {"precision", o.precision},
          {"channels_last", o.channels_last},
          {"threads", threads},
          {"warmup_steps", o.warmup},
          {"steps_per_round", o.steps},
          {"rounds", o.rounds},
          {"timing", timing},
          {"results", rs},
          {"git_commit", git_commit},
          {"environment", environment},
          {"time", time}};
}

}  // namespace nrs
