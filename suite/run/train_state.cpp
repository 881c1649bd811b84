#include "suite/run/train_state.h"
#include "suite/optim/strategies.h"
#include "suite/run/setup.h"

namespace nrs {

void EpochSums::reset(torch::Device device) {
  auto o = torch::TensorOptions().device(device);
  loss = torch::zeros({}, o.dtype(torch::kFloat64));
  correct = torch::zeros({}, o.dtype(torch::kInt64));
  grad_norm = torch::zeros({}, o.dtype(torch::kFloat64));
  perturb_norm = torch::zeros({}, o.dtype(torch::kFloat64));
  kl = torch::zeros({}, o.dtype(torch::kFloat64));
  has_kl = false;
  seen = steps = 0;
  lr = 0.0;
  time_s = 0.0;
}

TrainState build_train_state(const RunConfig& cfg, int threads, const std::string& device) {
  TrainState s;
  s.cfg = cfg;
  s.threads = threads;
  s.device = torch::Device(device.empty() ? cfg.device : device);
  s.data = load_run_data(data_selection(cfg));
  if (s.data.streamed() && cfg.augment.mode != "none")
    throw std::invalid_argument("--augment '" + cfg.augment.mode + "': " + cfg.dataset +
                                " is augmented by its loader (random-resized crop + flip); use --augment none");
  s.model = make_run_model(model_selection(cfg), spec_of(s.data.info), s.device);

  std::vector<std::pair<std::string, torch::Tensor>> named;
  for (const auto& kv : s.model->named_parameters()) named.emplace_back(kv.key(), kv.value());
  s.base = std::make_unique<optim::BaseSgd>(named, cfg.sgd);
  auto strategy_opts = cfg.strategy;
  strategy_opts.seed = cfg.seed;
  s.strategy = optim::make_strategy(strategy_opts, *s.model, *s.base);
  s.objective = optim::Objective{cfg.label_smoothing, {}};

  data::AugmentOptions aug = cfg.augment;
  if (cfg.deterministic) aug.mode = "none";
  s.pipe = s.data.train_source(cfg.batch_size, s.device, aug, /*shuffle=*/!cfg.deterministic, cfg.seed, cfg.drop_last);
  s.schedule = std::make_unique<LrSchedule>(cfg.schedule, cfg.epochs, s.pipe->batches_per_epoch());
  s.precision = cfg.precision == "bf16"   ? optim::Precision::kBFloat16
                : cfg.precision == "fp16" ? optim::Precision::kFloat16
                                          : optim::Precision::kFloat32;
  if (cfg.precision == "fp16") s.scaler = std::make_unique<optim::LossScaler>(cfg.loss_scale);
  s.progress.sums.reset(s.device);
  return s;
}

}  // namespace nrs
