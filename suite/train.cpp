#include "suite/train.h"
#include "suite/results.h"
#include "suite/run/checkpoint.h"
#include "suite/run/epoch_loop.h"
#include "suite/run/preemption.h"
#include "suite/run/process_scope.h"
#include "suite/run/run_result.h"
#include "suite/run/setup.h"
#include "suite/weights.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>

namespace nrs {

nlohmann::json RunConfig::to_json() const {
  // hessian_top_k is the count; HessianOptions' own top_k is not used here.
  nlohmann::json hessian_json = hessian.to_json();
  hessian_json.erase("top_k");
  // Off and at its defaults this equals RunConfig{}'s, so no cell id moves.
  nlohmann::json landscape_json = landscape_opts.to_json();
  landscape_json["enabled"] = landscape;
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
          {"hessian", hessian_json},
          {"zero_init_residual", zero_init_residual},
          {"landscape", landscape_json},
          {"data_loading", {{"decode_threads", decode_threads}, {"stream_prefetch_mb", stream_prefetch_mb}}},
          {"checkpoint", {{"path", checkpoint.path}, {"every", checkpoint.every}, {"keep", checkpoint.keep}}},
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
  if (decode_threads < 1) throw std::invalid_argument("--decode-threads: expected an integer >= 1");
  if (stream_prefetch_mb < 1) throw std::invalid_argument("--stream-prefetch-mb: expected an integer >= 1");
  if (hessian_top_k < 0 || hessian_every < 0)
    throw std::invalid_argument("--hessian-top-k/--hessian-every: expected >= 0");
  if (hessian_top_k == 0 && (hessian.density || hessian.repeats > 1))
    throw std::invalid_argument(
        "--hessian-density/--hessian-repeats: they extend the final Hessian report; "
        "set --hessian-top-k > 0");
  if (hessian_top_k > 0) {
    auto h = hessian;
    h.top_k = hessian_top_k;
    h.validate();
  }
  if (landscape) landscape_opts.validate();
  (void)checkpoint.every_epochs();  // throws on a malformed --checkpoint-every
  schedule.validate();
  sgd.validate();
  strategy.validate();
  strategy.validate_batch(batch_size);
  data::AugmentOptions::validate(augment);
}

int64_t RunConfig::Checkpointing::every_epochs() const {
  size_t used = 0;
  long long n = -1;
  try {
    n = std::stoll(every, &used);
  } catch (const std::exception&) {
  }
  const std::string unit = n >= 0 ? every.substr(used) : "";
  if (n < 0 || (unit != "" && unit != "m" && unit != "min"))
    throw std::invalid_argument("--checkpoint-every '" + every +
                                "': expected N (epochs; 0 = only at the end and on signals) or Nm (minutes)");
  return unit.empty() ? n : 0;
}

double RunConfig::Checkpointing::every_seconds() const {
  return every_epochs() == 0 && every.find('m') != std::string::npos ? 60.0 * std::stod(every) : 0.0;
}

DataSelection data_selection(const RunConfig& c) {
  return {c.dataset,      c.data_dir,    c.val_split,      c.seed,
          c.train_subset, c.test_subset, c.decode_threads, c.stream_prefetch_mb};
}

ModelSelection model_selection(const RunConfig& c) {
  ModelSelection m;
  m.model = c.model;
  m.init_weights = c.init_weights;
  m.channels_last = c.channels_last;
  m.init.zero_init_residual = c.zero_init_residual;
  return m;
}

namespace {

ProcessSettings process_settings(const RunConfig& c) {
  return {c.threads, c.seed, c.flush_denormal, c.cudnn_benchmark, torch::Device(c.device).is_cuda()};
}

// Hessian of the final model; a failure (memory, a non-finite loss) is
// recorded in the result and does not fail the run: the weights are saved.
nlohmann::json final_hessian(TrainState& s) {
  auto ho = s.cfg.hessian;
  ho.top_k = s.cfg.hessian_top_k;
  try {
    auto h = hessian::hessian_report(*s.model, s.data.hessian_split(ho.samples * ho.repeats, ho.seed), s.data.info, ho,
                                     s.device);
    h["epoch"] = s.cfg.epochs;
    h["status"] = "ok";
    return h;
  } catch (const std::exception& e) {
    std::string m = e.what();
    return {{"status", "failed"},
            {"error", m.substr(0, m.find('\n'))},
            {"epoch", s.cfg.epochs},
            {"settings", ho.to_json()}};
  }
}

// Landscape slices of the final model, recorded like the Hessian: a failure
// is written into the result and does not fail the run.
nlohmann::json final_landscape(TrainState& s) {
  const auto& lo = s.cfg.landscape_opts;
  try {
    const auto split = s.data.hessian_split(lo.samples, s.cfg.hessian.seed);
    const int64_t n = std::min(lo.samples, split.size());
    auto [x, y] = hessian::hessian_inputs(*s.model, split, s.data.info, n, s.cfg.hessian.seed, 0, s.device);
    auto j = hessian::landscape(*s.model, x, y, lo, s.cfg.seed);
    j["sample_seed"] = s.cfg.hessian.seed;
    j["epoch"] = s.cfg.epochs;
    j["status"] = "ok";
    return j;
  } catch (const std::exception& e) {
    std::string m = e.what();
    return {{"status", "failed"}, {"error", m.substr(0, m.find('\n'))}, {"settings", lo.to_json()}};
  }
}

}  // namespace

nlohmann::json run_training(const RunConfig& cfg, const RunOutput& out) {
  cfg.validate();
  RunClock clock;
  PreemptionHandlers handlers;
  ProcessScope scope(process_settings(cfg));
  auto s = build_train_state(cfg, scope.threads());
  s.progress.start_time = clock.start_time;  // a checkpoint replaces it with the first process's

  CheckpointLog ckpt_log;
  const std::string& ckpt = cfg.checkpoint.path;
  if (load_checkpoint(s, ckpt)) {
    s.progress.resumes.push_back({{"from_epoch", s.progress.epoch},
                                  {"step_in_epoch", s.progress.sums.steps},
                                  {"from_global_step", s.progress.global_step},
                                  {"at", iso8601_now()},
                                  {"checkpoint", ckpt}});
    if (!out.progress.quiet)
      std::fprintf(stderr, "[resume] %s: epoch %lld, step %lld (global step %lld)\n", ckpt.c_str(),
                   static_cast<long long>(s.progress.epoch + 1), static_cast<long long>(s.progress.sums.steps),
                   static_cast<long long>(s.progress.global_step));
  }

  LoopOptions lo;
  lo.tty = out.progress.tty;
  lo.quiet = out.progress.quiet;
  lo.checkpoint_every_epochs = cfg.checkpoint.every_epochs();
  lo.checkpoint_every_seconds = cfg.checkpoint.every_seconds();
  lo.checkpoint_path = ckpt;
  // A checkpoint carries the wall time of this and every earlier process.
  const double earlier_wall = s.progress.timings.previous_wall_s;
  if (!ckpt.empty())
    lo.checkpoint = [&](const TrainState&) {
      s.progress.timings.previous_wall_s = earlier_wall + clock.seconds();
      ckpt_log.add(save_checkpoint(s, ckpt));
      s.progress.timings.previous_wall_s = earlier_wall;
    };
  train_epochs(s, lo);

  // Weights first: a Hessian that fails or is killed must not cost them.
  if (s.progress.status == "ok" && !cfg.save_weights.empty()) save_weights(*s.model, cfg.save_weights);
  nlohmann::json hessian;
  if (s.progress.status == "ok" && cfg.hessian_top_k > 0) hessian = final_hessian(s);

  nlohmann::json landscape;
  if (s.progress.status == "ok" && cfg.landscape) landscape = final_landscape(s);

  auto result = build_result(s, hessian, ckpt_log, clock, out.command_line);
  if (!landscape.is_null()) result["landscape"] = landscape;
  for (const auto& [k, v] : out.extra.items()) result[k] = v;
  if (!out.path.empty()) write_json_atomic(out.path, result);
  if (!ckpt.empty() && !cfg.checkpoint.keep) {
    std::error_code ec;
    std::filesystem::remove(ckpt, ec);
  }
  return result;
}

}  // namespace nrs
