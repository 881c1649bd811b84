#include "suite/train.h"
#include "datasets/registry.h"
#include "models/registry.h"
#include "suite/optim/strategies.h"
#include "suite/build_info.h"
#include "suite/results.h"
#include "suite/step_timer.h"
#include "suite/weights.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <thread>

namespace nrs {

nlohmann::json RunConfig::to_json() const {
  nlohmann::json strat = {{"name", strategy.name},
                          {"rho", strategy.rho},
                          {"asam_eta", strategy.asam_eta},
                          {"nrs_radius", strategy.nrs_radius},
                          {"nrs_alpha", strategy.nrs_alpha},
                          {"nrs_neighbor", strategy.nrs_neighbor},
                          {"nrs_samples", strategy.nrs_samples},
                          {"nrs_target", strategy.nrs_target},
                          {"bn_stats", strategy.bn_stats},
                          {"sam_m", strategy.sam_m},
                          {"bn_group", strategy.bn_group_effective()},
                          {"shared_gates", strategy.shared_gates}};
  return {{"model", model},
          {"dataset", dataset},
          {"epochs", epochs},
          {"batch_size", batch_size},
          {"eval_batch_size", eval_batch_size},
          {"schedule", schedule.to_json()},
          {"sgd", sgd.to_json()},
          {"optimizer", strat},
          {"label_smoothing", label_smoothing},
          {"seed", seed},
          {"device", device},
          {"threads", threads},
          {"data_dir", data_dir},
          {"val_split", val_split},
          {"train_subset", train_subset},
          {"test_subset", test_subset},
          {"augment",
           {{"mode", deterministic ? "none" : augment.mode},
            {"pad", augment.pad},
            {"pad_mode", augment.pad_mode},
            {"flip", augment.flip},
            {"cutout", augment.cutout},
            {"cutout_mode", augment.cutout_mode}}},
          {"deterministic", deterministic},
          {"precision", precision},
          {"channels_last", channels_last},
          {"cudnn_benchmark", cudnn_benchmark},
          {"flush_denormal", flush_denormal},
          {"init_weights", init_weights},
          {"save_weights", save_weights},
          {"hessian_top_k", hessian_top_k},
          {"hessian_every", hessian_every},
          {"hessian", hessian.to_json()},
          {"drop_last", drop_last}};
}

void RunConfig::validate(bool check_device) const {
  if (epochs < 1) throw std::invalid_argument("--epochs: expected an integer >= 1");
  if (batch_size < 1) throw std::invalid_argument("--batch-size: expected an integer >= 1");
  if (eval_batch_size < 1) throw std::invalid_argument("--eval-batch-size: expected an integer >= 1");
  if (val_split < 0) throw std::invalid_argument("--val-split: expected an integer >= 0");
  if (train_subset < 0 || test_subset < 0) throw std::invalid_argument("--train-subset/--test-subset: expected >= 0");
  if (label_smoothing < 0 || label_smoothing >= 1)
    throw std::invalid_argument("--label-smoothing: expected a value in [0, 1)");
  if (precision != "fp32" && precision != "bf16")
    throw std::invalid_argument("--precision '" + precision + "': expected fp32 or bf16");
  if (device != "cpu" && device.rfind("cuda", 0) != 0)
    throw std::invalid_argument("--device '" + device + "': expected cpu, cuda or cuda:N");
  if (check_device && device.rfind("cuda", 0) == 0 && !torch::cuda::is_available())
    throw std::invalid_argument("--device '" + device + "': CUDA is not available in this build/machine");
  if (threads < 0) throw std::invalid_argument("--threads: expected an integer >= 0");
  if (hessian_top_k < 0 || hessian_every < 0) throw std::invalid_argument("--hessian-top-k/--hessian-every: expected >= 0");
  if (hessian_top_k > 0) hessian.validate();
  schedule.validate();
  sgd.validate();
  strategy.validate();
  strategy.validate_batch(batch_size);
  data::AugmentOptions::validate(augment);
}

std::pair<double, double> evaluate(models::Net& model, const data::Split& split, const data::DatasetInfo& info,
                                   int64_t batch_size, torch::Device device, bool channels_last) {
  if (split.size() == 0) return {std::nan(""), std::nan("")};
  const bool was_training = model.is_training();
  model.eval();
  torch::NoGradGuard ng;
  data::BatchPipeline pipe(split, info, batch_size, device, data::AugmentOptions{}, /*shuffle=*/false, 0);
  data::Batch b;
  auto loss_sum = torch::zeros({}, torch::TensorOptions().dtype(torch::kFloat64).device(device));
  auto correct = torch::zeros({}, torch::TensorOptions().dtype(torch::kInt64).device(device));
  while (pipe.next(b)) {
    auto x = channels_last ? b.x.contiguous(torch::MemoryFormat::ChannelsLast) : b.x;
    auto logits = model.forward(x).to(torch::kFloat32);
    loss_sum += torch::nn::functional::cross_entropy(
                    logits, b.y, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum))
                    .to(torch::kFloat64);
    correct += logits.argmax(1).eq(b.y).sum();
  }
  model.train(was_training);
  const double n = static_cast<double>(split.size());
  return {loss_sum.item<double>() / n, static_cast<double>(correct.item<int64_t>()) / n};
}

namespace {

// --train-subset/--test-subset: a fixed random subset (the same for every
// seed, so cells stay comparable), in original order; a prefix would be
// single-class on class-sorted files.
data::Split subset(const data::Split& s, int64_t n) {
  if (n <= 0 || n >= s.size()) return s;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(0x5b5e7ULL);
  auto idx = std::get<0>(torch::randperm(s.size(), gen, torch::kInt64).slice(0, 0, n).sort());
  return data::Split{s.images.index_select(0, idx.to(s.images.device())),
                     s.labels.index_select(0, idx.to(s.labels.device()))};
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

constexpr int64_t kWarmupSteps = 10;

}  // namespace

nlohmann::json run_training(const RunConfig& cfg, const std::string& command_line, const Progress& progress) {
  cfg.validate();
  const auto wall0 = std::chrono::steady_clock::now();
  const int threads = cfg.threads > 0 ? cfg.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(threads);
  torch::manual_seed(cfg.seed);
  const torch::Device device(cfg.device);
  if (device.is_cuda()) at::globalContext().setBenchmarkCuDNN(cfg.cudnn_benchmark);
  at::globalContext().setFlushDenormal(cfg.flush_denormal);

  data::DatasetOptions dopts;
  dopts.data_dir = cfg.data_dir;
  dopts.val_split = cfg.val_split;
  dopts.seed = cfg.seed;
  auto ds = data::make_dataset(cfg.dataset, dopts);
  ds.train = subset(ds.train, cfg.train_subset);
  ds.test = subset(ds.test, cfg.test_subset);

  models::ModelSpec spec{ds.info.channels, ds.info.height, ds.info.width, ds.info.num_classes};
  auto model = models::make_model(cfg.model, spec);
  if (!cfg.init_weights.empty()) load_weights(*model, cfg.init_weights);
  model->to(device);
  if (cfg.channels_last) {
    // Module::to has no memory-format overload: convert 4-D weights in place.
    torch::NoGradGuard ng;
    for (auto& p : model->parameters())
      if (p.dim() == 4) p.set_data(p.data().contiguous(torch::MemoryFormat::ChannelsLast));
  }
  model->train();

  std::vector<std::pair<std::string, torch::Tensor>> named;
  for (const auto& kv : model->named_parameters()) named.emplace_back(kv.key(), kv.value());
  optim::BaseSgd base(named, cfg.sgd);
  auto strategy_opts = cfg.strategy;
  strategy_opts.seed = cfg.seed;
  auto strategy = optim::make_strategy(strategy_opts, *model, base);
  optim::Objective objective{cfg.label_smoothing, {}};

  data::AugmentOptions aug = cfg.augment;
  if (cfg.deterministic) aug.mode = "none";
  data::BatchPipeline pipe(ds.train, ds.info, cfg.batch_size, device, aug, /*shuffle=*/!cfg.deterministic, cfg.seed,
                           cfg.drop_last);
  LrSchedule schedule(cfg.schedule, cfg.epochs, pipe.batches_per_epoch());
  const auto precision = cfg.precision == "bf16" ? optim::Precision::kBFloat16 : optim::Precision::kFloat32;

  nlohmann::json result;
  result["schema_version"] = kResultsSchemaVersion;
  result["suite_version"] = suite_version();
  result["git_commit"] = git_commit();
  result["command_line"] = command_line;
  result["config"] = cfg.to_json();
  result["config"]["threads"] = threads;
  result["seed"] = cfg.seed;
  result["optimizer"] = strategy->describe();
  result["variant"] = result["optimizer"]["variant"];
  result["model"] = {{"name", cfg.model}, {"trainable_parameters", models::count_trainable_parameters(*model)}};
  result["dataset"] = {{"name", ds.info.name},
                       {"source", ds.info.source},
                       {"train_size", ds.train.size()},
                       {"val_size", ds.val.size()},
                       {"test_size", ds.test.size()},
                       {"num_classes", ds.info.num_classes},
                       {"shape", {ds.info.channels, ds.info.height, ds.info.width}}};
  result["device"] = device.is_cuda() ? gpu_name(device.has_index() ? device.index() : 0) : "cpu: " + cpu_model();
  result["environment"] = environment_info(cfg.device);
  result["threads"] = threads;
  result["start_time"] = iso8601_now();
  result["history"] = nlohmann::json::array();
  result["status"] = "ok";

  auto dopt = torch::TensorOptions().device(device);
  int64_t global_step = 0;
  double train_time = 0.0, steady_train_time = 0.0;
  int64_t train_images = 0, steady_images = 0, steady_steps = 0;
  std::string timing_method;
  std::string status = "ok", reason;

  auto hessian_now = [&](int64_t epoch) {
    auto ho = cfg.hessian;
    ho.top_k = cfg.hessian_top_k;
    auto h = hessian::hessian_report(*model, ds.train, ds.info, ho, device);
    h["epoch"] = epoch;
    return h;
  };
  nlohmann::json hessian_curve = nlohmann::json::array();

  for (int64_t epoch = 0; epoch < cfg.epochs && status == "ok"; ++epoch) {
    pipe.start_epoch(epoch);
    model->train();
    auto loss_sum = torch::zeros({}, dopt.dtype(torch::kFloat64));
    auto correct = torch::zeros({}, dopt.dtype(torch::kInt64));
    auto gn_sum = torch::zeros({}, dopt.dtype(torch::kFloat64));
    auto pn_sum = torch::zeros({}, dopt.dtype(torch::kFloat64));
    auto kl_sum = torch::zeros({}, dopt.dtype(torch::kFloat64));
    bool has_kl = false;
    int64_t seen = 0, steps = 0;
    double lr = 0.0;
    // The first steps of a run (allocator growth, cuDNN autotuning, lazy
    // init) are timed apart and left out of the steady throughput.
    const int64_t warm = epoch == 0 ? std::min<int64_t>(kWarmupSteps, pipe.batches_per_epoch() / 5) : 0;
    int64_t warm_images = 0;
    StepTimer warm_timer(device), timer(device);
    (warm > 0 ? warm_timer : timer).start();
    data::Batch batch;
    while (pipe.next(batch)) {
      if (cfg.channels_last) batch.x = batch.x.contiguous(torch::MemoryFormat::ChannelsLast);
      lr = schedule.at(global_step);
      optim::StepContext ctx{*model, batch, objective, base, lr, precision};
      auto st = strategy->step(ctx);
      const int64_t B = batch.y.size(0);
      loss_sum += st.loss.to(torch::kFloat64) * static_cast<double>(B);
      correct += st.correct;
      gn_sum += st.grad_norm.to(torch::kFloat64);
      pn_sum += st.perturb_norm.to(torch::kFloat64);
      if (st.kl.defined()) {
        kl_sum += st.kl.to(torch::kFloat64);
        has_kl = true;
      }
      seen += B;
      ++steps;
      ++global_step;
      if (steps == warm) {
        warm_timer.stop();
        warm_images = seen;
        timer.start();
      }
      // Divergence check every 50 steps keeps host syncs rare.
      if (steps % 50 == 0) {
        if (!std::isfinite(st.loss.item<double>())) {
          status = "diverged";
          reason = "non-finite training loss at epoch " + std::to_string(epoch + 1) + ", step " + std::to_string(steps);
          break;
        }
        if (progress.tty && !progress.quiet) {
          std::fprintf(stderr, "\r[epoch %lld/%lld] step %lld/%lld  loss %.4f  lr %.4g   ",
                       static_cast<long long>(epoch + 1), static_cast<long long>(cfg.epochs),
                       static_cast<long long>(steps), static_cast<long long>(pipe.batches_per_epoch()),
                       loss_sum.item<double>() / static_cast<double>(seen), lr);
          std::fflush(stderr);
        }
      }
    }
    (warm > 0 && steps < warm ? warm_timer : timer).stop();
    const double steady_time = timer.seconds();
    const double epoch_time = warm_timer.seconds() + steady_time;
    train_time += epoch_time;
    train_images += seen;
    steady_train_time += steady_time;
    steady_images += seen - warm_images;
    steady_steps += steps - (steps >= warm ? warm : steps);
    timing_method = timer.method();
    const double train_loss = loss_sum.item<double>() / static_cast<double>(std::max<int64_t>(seen, 1));
    if (status == "ok" && !std::isfinite(train_loss)) {
      status = "diverged";
      reason = "non-finite training loss in epoch " + std::to_string(epoch + 1);
    }
    nlohmann::json h = {{"epoch", epoch + 1},
                        {"lr", lr},
                        {"train_loss", train_loss},
                        {"train_acc", static_cast<double>(correct.item<int64_t>()) / std::max<int64_t>(seen, 1)},
                        {"grad_norm", gn_sum.item<double>() / std::max<int64_t>(steps, 1)},
                        {"perturb_norm", pn_sum.item<double>() / std::max<int64_t>(steps, 1)},
                        {"epoch_time_s", epoch_time},
                        {"train_images_per_s", seen / std::max(epoch_time, 1e-9)}};
    if (has_kl) h["kl"] = kl_sum.item<double>() / std::max<int64_t>(steps, 1);
    if (status == "ok") {
      if (ds.val.size() > 0) {
        auto [vl, va] = evaluate(*model, ds.val, ds.info, cfg.eval_batch_size, device, cfg.channels_last);
        h["val_loss"] = vl;
        h["val_acc"] = va;
      }
      auto [tl, ta] = evaluate(*model, ds.test, ds.info, cfg.eval_batch_size, device, cfg.channels_last);
      h["test_loss"] = tl;
      h["test_acc"] = ta;
      if (cfg.hessian_top_k > 0 && cfg.hessian_every > 0 && (epoch + 1) % cfg.hessian_every == 0 &&
          epoch + 1 < cfg.epochs)
        hessian_curve.push_back(hessian_now(epoch + 1));
    }
    result["history"].push_back(h);
    if (!progress.quiet) {
      if (progress.tty) std::fprintf(stderr, "\r");
      std::fprintf(stderr, "[epoch %lld/%lld] %s lr %.4g train loss %.4f acc %.4f | %s%stest acc %.4f | %.0f img/s %.1fs\n",
                   static_cast<long long>(epoch + 1), static_cast<long long>(cfg.epochs),
                   result["variant"].get<std::string>().c_str(), lr, train_loss, h["train_acc"].get<double>(),
                   h.contains("val_acc") ? "val acc " : "",
                   h.contains("val_acc") ? (std::to_string(h["val_acc"].get<double>()).substr(0, 6) + " | ").c_str() : "",
                   h.value("test_acc", std::nan("")), h["train_images_per_s"].get<double>(), epoch_time);
    }
  }

  nlohmann::json fin = nlohmann::json::object();
  if (!result["history"].empty()) {
    const auto& last = result["history"].back();
    for (const char* k : {"train_loss", "train_acc", "val_loss", "val_acc", "test_loss", "test_acc"})
      if (last.contains(k)) fin[k] = last[k];
    fin["epochs_completed"] = last["epoch"];
  }
  result["final"] = fin;
  result["throughput"] = {{"train_images_per_s", train_images / std::max(train_time, 1e-9)},
                          {"ms_per_step", 1000.0 * train_time / std::max<int64_t>(global_step, 1)},
                          {"steady_images_per_s", steady_images / std::max(steady_train_time, 1e-9)},
                          {"steady_ms_per_step", 1000.0 * steady_train_time / std::max<int64_t>(steady_steps, 1)},
                          {"warmup_steps", global_step - steady_steps},
                          {"steps", global_step},
                          {"train_time_s", train_time},
                          {"timing", timing_method}};
  if (status == "ok" && cfg.hessian_top_k > 0) {
    hessian_curve.push_back(hessian_now(cfg.epochs));
    result["hessian"] = hessian_curve.back();
    if (hessian_curve.size() > 1) result["hessian_curve"] = hessian_curve;
  }
  if (status == "ok" && !cfg.save_weights.empty()) save_weights(*model, cfg.save_weights);
  result["status"] = status;
  if (!reason.empty()) result["reason"] = reason;
  result["end_time"] = iso8601_now();
  result["wall_time_s"] = seconds_since(wall0);
  return result;
}

}  // namespace nrs
