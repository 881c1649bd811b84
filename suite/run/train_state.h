// Everything a training run holds between steps: the objects built by the
// setup (data, model, optimizer, strategy, pipeline, schedule) and the
// progress (position, running sums, history, timings). A checkpoint is this
// state on disk; the epoch loop advances it.
#pragma once
#include "datasets/batch_source.h"
#include "models/net.h"
#include "suite/optim/schedule.h"
#include "suite/optim/step_strategy.h"
#include "suite/run/run.h"
#include "suite/run/setup.h"

#include <memory>
#include <nlohmann/json.hpp>

namespace nrs::dist {
class Communicator;
}

namespace nrs {

// Running sums of the epoch in progress (device tensors: no sync per step).
struct EpochSums {
  torch::Tensor loss, correct, grad_norm, perturb_norm, kl;
  bool has_kl = false;
  int64_t seen = 0, steps = 0;
  double lr = 0.0;
  double time_s = 0.0;  // time spent in this epoch before an interruption
  void reset(torch::Device device);
};

// Throughput bookkeeping over the whole run, resumes included.
struct Timings {
  double train_time = 0.0, steady_time = 0.0;
  int64_t train_images = 0, steady_images = 0, steady_steps = 0;
  std::string method;
  double previous_wall_s = 0.0;  // wall time of earlier processes of this run
};

// The run's position: what a checkpoint stores besides tensors.
struct RunProgress {
  int64_t epoch = 0;        // epoch in progress (0-based); == epochs when training is done
  int64_t global_step = 0;  // optimizer steps taken
  EpochSums sums;
  Timings timings;
  nlohmann::json history = nlohmann::json::array();
  nlohmann::json hessian_curve = nlohmann::json::array();  // --hessian-every points
  nlohmann::json resumes = nlohmann::json::array();
  // The first process's binary ({git_commit, binary_sha256, at}); null when
  // the run resumed from a checkpoint written before it was recorded.
  nlohmann::json origin;
  std::string status = "ok", reason;
  std::string start_time;  // of the run's first process
};

struct TrainState {
  RunConfig cfg;
  int threads = 1;
  torch::Device device{torch::kCPU};
  RunData data;
  models::NetPtr model;
  std::unique_ptr<optim::BaseSgd> base;
  std::unique_ptr<optim::StepStrategy> strategy;
  optim::Objective objective;
  std::unique_ptr<data::BatchSource> pipe;  // training batches
  std::unique_ptr<LrSchedule> schedule;
  optim::Precision precision = optim::Precision::kFloat32;
  std::unique_ptr<optim::LossScaler> scaler;  // fp16: dynamic loss scaling; null otherwise
  RunProgress progress;
  // Data-parallel replicas (suite/run/replica_sync.h); null = one process.
  dist::Communicator* comm = nullptr;
};

// The setup phase: data (the shared selection), model, optimizer, strategy,
// pipeline and schedule for `cfg` on its device, at step 0.
// `device` overrides cfg.device (a data-parallel rank's own GPU, while the
// configuration keeps the device the cell names).
TrainState build_train_state(const RunConfig& cfg, int threads, const std::string& device = "");

}  // namespace nrs
