#include "suite/run/run.h"
#include "suite/core/build_info.h"
#include "suite/core/cpu_features.h"
#include "suite/dist/communicator.h"
#include "suite/io/results.h"
#include "suite/io/weights.h"
#include "suite/optim/strategy_fields.h"
#include "suite/run/cell_id.h"
#include "suite/run/checkpoint.h"
#include "suite/run/epoch_loop.h"
#include "suite/run/preemption.h"
#include "suite/run/process_scope.h"
#include "suite/run/replica_sync.h"
#include "suite/run/result_builder.h"
#include "suite/run/run_fields.h"
#include "suite/run/setup.h"

#include <torch/version.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>

namespace nrs {

nlohmann::json RunConfig::to_json() const { return run_config_json(*this); }

void RunConfig::validate(bool check_device) const {
  if (epochs < 1) throw std::invalid_argument("--epochs: expected an integer >= 1");
  if (batch_size < 1) throw std::invalid_argument("--batch-size: expected an integer >= 1");
  if (eval_batch_size < 1) throw std::invalid_argument("--eval-batch-size: expected an integer >= 1");
  if (val_split < 0) throw std::invalid_argument("--val-split: expected an integer >= 0");
  if (train_subset < 0 || test_subset < 0) throw std::invalid_argument("--train-subset/--test-subset: expected >= 0");
  if (label_smoothing < 0 || label_smoothing >= 1)
    throw std::invalid_argument("--label-smoothing: expected a value in [0, 1)");
  validate_precision(precision, device, loss_scale);
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
  if (nproc < 1) throw std::invalid_argument("--nproc: expected an integer >= 1");
  if (batch_size % nproc != 0)
    throw std::invalid_argument("--batch-size " + std::to_string(batch_size) + ": must split evenly across --nproc " +
                                std::to_string(nproc) + " replicas");
  if (!(dist_timeout_s > 0)) throw std::invalid_argument("--dist-timeout: expected seconds > 0");
  // --sam-m and --bn-group divide each replica's rows, not the global batch.
  strategy.validate_batch(batch_size / nproc);
  data::AugmentOptions::validate(augment);
}

void validate_precision(const std::string& precision, const std::string& device,
                        const optim::LossScaleOptions& loss_scale) {
  if (precision != "fp32" && precision != "bf16" && precision != "fp16")
    throw std::invalid_argument("--precision '" + precision + "': expected fp32, bf16 or fp16");
#if TORCH_VERSION_MAJOR < 2
  if (precision == "fp16" && device == "cpu")
    throw std::invalid_argument("--precision fp16: CPU autocast to float16 needs LibTorch 2.x (this build has " +
                                std::string(TORCH_VERSION) + "); use --precision bf16, or a CUDA device");
#endif
  if (precision == "fp16") loss_scale.validate();
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

ProcessSettings process_settings(const RunConfig& c, const dist::Communicator* comm) {
  ProcessSettings p{c.threads, c.seed, c.flush_denormal, c.cudnn_benchmark, torch::Device(c.device).is_cuda()};
  // Ranks on one machine share its cores: --threads 0 means an equal share.
  if (comm != nullptr && p.threads == 0)
    p.threads = std::max(1, resolve_threads(0) / std::max(1, comm->env().local_world));
  return p;
}

// A rank's own accelerator: "cuda" names the cell's device kind; rank r of a
// machine trains on cuda:(local rank).
std::string rank_device(const RunConfig& c, const dist::Communicator* comm) {
  if (comm == nullptr || c.device != "cuda") return c.device;
  return "cuda:" + std::to_string(comm->env().local_rank % std::max<int64_t>(1, torch::cuda::device_count()));
}

// Data-parallel checks that need the data: every replica needs at least one
// row of the last, partial batch.
void check_replica_rows(const TrainState& s) {
  const int64_t n = s.data.train_size(), B = s.cfg.batch_size, W = s.cfg.nproc;
  if (!s.cfg.drop_last && n % B != 0 && n % B < W)
    throw std::invalid_argument("--nproc " + std::to_string(W) + ": the last training batch has " +
                                std::to_string(n % B) +
                                " samples, fewer than the replicas; add --drop-last or "
                                "change --batch-size");
}

// The result's record of the replicas: world size, semantics, m, and the
// cost of the gradient all-reduce.
nlohmann::json distributed_record(const TrainState& s, const dist::Communicator* comm) {
  const auto& st = s.cfg.strategy;
  const int64_t W = s.cfg.nproc, per_replica = s.cfg.batch_size / W;
  const bool perturbs = st.name != "sgd";
  nlohmann::json j = {{"world_size", W},
                      {"per_replica_batch", per_replica},
                      {"perturbation", perturbs ? st.perturbation : "none"},
                      // samples that share one perturbation (the SAM paper's m)
                      {"m", !perturbs                    ? 0
                            : st.sam_m > 0               ? st.sam_m
                            : st.perturbation == "local" ? per_replica
                                                         : s.cfg.batch_size},
                      {"batchnorm", W > 1 ? "per replica; running statistics averaged over replicas before each "
                                            "evaluation and checkpoint"
                                          : "one process"}};
  if (comm != nullptr) {
    const auto& cs = comm->stats();
    j["backend"] = comm->backend();
    j["launcher"] = comm->env().source;
    // Steps this process ran (a resumed one started at its checkpoint).
    const int64_t first = s.progress.resumes.empty() ? 0 : s.progress.resumes.back().value("from_global_step", 0);
    const double steps = static_cast<double>(std::max<int64_t>(s.progress.global_step - first, 1));
    j["gradient_allreduce"] = {
        {"calls", cs.gradient_reductions},
        {"calls_per_step", static_cast<double>(cs.gradient_reductions) / steps},
        {"bytes_per_step", static_cast<double>(cs.gradient_bytes) / steps},
        {"ms_per_step", 1000.0 * cs.gradient_seconds / steps},
        {"note", "rank 0, this process; bytes one rank contributes; time includes waiting for slower replicas"}};
    j["throughput_note"] = "throughput fields are rank 0's images; the job trains world_size times as many";
  }
  return j;
}

// Hessian of the final model; a failure (memory, a non-finite loss) is
// recorded in the result and does not fail the run: the weights are saved.
nlohmann::json final_hessian(TrainState& s) {
  auto ho = s.cfg.hessian;
  ho.top_k = s.cfg.hessian_top_k;
  try {
    auto h = hessian::hessian_report(*s.model, s.data.hessian_split(ho.samples * ho.repeats, ho.seed), s.data.info, ho,
                                     s.device)
                 .to_json();
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
    auto j = hessian::landscape(*s.model, x, y, lo, s.cfg.seed).to_json();
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

RunResult run_training(const RunConfig& cfg, const RunOutput& out, dist::Communicator* comm) {
  cfg.validate();
  if (comm != nullptr && comm->world() != cfg.nproc)
    throw std::invalid_argument("--nproc " + std::to_string(cfg.nproc) + ": the job has " +
                                std::to_string(comm->world()) + " ranks (WORLD_SIZE)");
  if (comm == nullptr && cfg.nproc > 1)
    throw std::invalid_argument("--nproc " + std::to_string(cfg.nproc) +
                                ": this process is not one of the job's ranks (start it with nrsbench run --nproc, "
                                "torchrun or srun)");
  const bool writer = comm == nullptr || comm->rank() == 0;
  if (writer && cfg.precision == "bf16" && cfg.device == "cpu" && cpu_features().bf16_unit() == "none")
    std::fprintf(stderr,
                 "nrsbench run: note: --precision bf16 on a CPU with neither AMX nor AVX512-BF16 (%s): bf16 is "
                 "emulated and slower than fp32 here; the result records environment.cpu_features\n",
                 cpu_model().c_str());
  RunClock clock;
  PreemptionHandlers handlers;
  ProcessScope scope(process_settings(cfg, comm));
  auto s = build_train_state(cfg, scope.threads(), rank_device(cfg, comm));
  s.comm = comm;
  s.progress.start_time = clock.start_time;  // a checkpoint replaces it with the first process's
  if (comm != nullptr) {
    check_replica_rows(s);
    // Every rank must run the same cell: a mismatch is named, not trained.
    comm->require_same("configuration", "cell " + matrix::cell_id(cfg) + " seed " + std::to_string(cfg.seed));
  }

  CheckpointLog ckpt_log;
  const std::string& ckpt = cfg.checkpoint.path;
  s.progress.origin = {{"git_commit", git_commit()}, {"binary_sha256", binary_sha256()}, {"at", iso8601_now()}};
  if (load_checkpoint(s, ckpt)) {
    s.progress.resumes.push_back({{"from_epoch", s.progress.epoch},
                                  {"step_in_epoch", s.progress.sums.steps},
                                  {"from_global_step", s.progress.global_step},
                                  {"at", iso8601_now()},
                                  {"checkpoint", ckpt},
                                  {"git_commit", git_commit()},
                                  {"binary_sha256", binary_sha256()}});
    if (comm != nullptr) {
      s.progress.resumes.back()["world_size"] = comm->world();
      keep_sums_on_rank0(*comm, s.progress.sums, s.device);  // the checkpoint's sums are the job's
    }
    if (!out.progress.quiet && writer)
      std::fprintf(stderr, "[resume] %s: epoch %lld, step %lld (global step %lld)\n", ckpt.c_str(),
                   static_cast<long long>(s.progress.epoch + 1), static_cast<long long>(s.progress.sums.steps),
                   static_cast<long long>(s.progress.global_step));
  }
  if (comm != nullptr) {
    broadcast_model(*comm, *s.model);
    // Stochastic layers draw differently on each replica (the model was
    // initialised identically above, and rank 0 keeps the one-process stream).
    if (comm->rank() > 0) torch::manual_seed(cfg.seed + 0x9e3779b97f4a7c15ULL * static_cast<uint64_t>(comm->rank()));
  }

  LoopOptions lo;
  lo.tty = out.progress.tty && writer;
  lo.quiet = out.progress.quiet || !writer;
  lo.checkpoint_every_epochs = cfg.checkpoint.every_epochs();
  lo.checkpoint_every_seconds = cfg.checkpoint.every_seconds();
  lo.checkpoint_path = ckpt;
  // A checkpoint carries the wall time of this and every earlier process.
  const double earlier_wall = s.progress.timings.previous_wall_s;
  if (!ckpt.empty())
    lo.checkpoint = [&](const TrainState&) {
      // Replicas: the job's sums and averaged BN statistics go to disk, from
      // rank 0 only (every rank takes part in the collectives).
      if (comm != nullptr) {
        reduce_epoch_sums(*comm, s.progress.sums);
        average_buffers(*comm, *s.model);
      }
      if (writer) {
        s.progress.timings.previous_wall_s = earlier_wall + clock.seconds();
        ckpt_log.add(save_checkpoint(s, ckpt));
        s.progress.timings.previous_wall_s = earlier_wall;
      }
      if (comm != nullptr) keep_sums_on_rank0(*comm, s.progress.sums, s.device);
    };
  train_epochs(s, lo);
  if (!writer) {  // rank 0 reports and writes
    RunResult status_only;
    status_only.status = parse_run_status(s.progress.status);
    return status_only;
  }

  // Weights first: a Hessian that fails or is killed must not cost them.
  if (s.progress.status == "ok" && !cfg.save_weights.empty()) save_weights(*s.model, cfg.save_weights);
  nlohmann::json hessian;
  if (s.progress.status == "ok" && cfg.hessian_top_k > 0) hessian = final_hessian(s);

  nlohmann::json landscape;
  if (s.progress.status == "ok" && cfg.landscape) landscape = final_landscape(s);

  auto result = build_result(s, hessian, ckpt_log, clock, out.command_line);
  if (!landscape.is_null()) result.landscape = landscape;
  result.distributed = distributed_record(s, comm);
  result.matrix = out.matrix;
  if (!out.path.empty()) write_result_atomic(out.path, result);
  if (!ckpt.empty() && !cfg.checkpoint.keep) {
    std::error_code ec;
    std::filesystem::remove(ckpt, ec);
  }
  return result;
}

}  // namespace nrs
