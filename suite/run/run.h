// One training run ("cell"): its configuration (RunConfig: everything that
// defines the run lands in the results file) and run_training, which strings
// the phases together: process scope (suite/run/process_scope.h), setup
// (suite/run/setup.h, train_state.h), checkpoint resume (checkpoint.h), the
// epoch loop (epoch_loop.h), weights, Hessian, and the result (result_builder.h).
#pragma once
#include "datasets/pipeline.h"
#include "suite/hessian/landscape.h"
#include "suite/hessian/spectrum.h"
#include "suite/io/run_result.h"
#include "suite/optim/loss_scale.h"
#include "suite/optim/schedule.h"
#include "suite/optim/step_strategy.h"

#include <nlohmann/json.hpp>

namespace nrs::dist {
class Communicator;
}

namespace nrs {

// Each field is declared once more, in the run field table (run_fields.cpp):
// its flag, config key, help and role; to_json and the flags come from there.
struct RunConfig {
  std::string model = "small-cnn";
  std::string dataset = "fashion-mnist";
  int64_t epochs = 3;
  int64_t batch_size = 128;
  int64_t eval_batch_size = 1000;
  ScheduleOptions schedule;
  optim::SgdOptions sgd;
  optim::StrategyOptions strategy;
  double label_smoothing = 0.0;
  uint64_t seed = 0;
  std::string device = "cpu";
  int threads = 0;  // 0 = all hardware threads
  std::string data_dir;
  int64_t val_split = 0;
  int64_t train_subset = 0;  // a fixed random subset of N training samples (0 = all); smoke runs
  int64_t test_subset = 0;
  data::AugmentOptions augment;
  bool deterministic = false;          // no shuffle, no augmentation, fixed batch order
  std::string precision = "fp32";      // fp32 | bf16 | fp16 (autocast; fp16 with dynamic loss scaling)
  optim::LossScaleOptions loss_scale;  // fp16 only (suite/optim/loss_scale.h)
  bool channels_last = false;
  bool cudnn_benchmark = false;
  // CPU: flush denormal floats to zero. NRS's KL gradients start tiny and
  // underflow into denormals, whose arithmetic is orders of magnitude slower.
  bool flush_denormal = true;
  std::string init_weights, save_weights;
  int64_t hessian_top_k = 0;        // 0 = no spectrum
  int64_t hessian_every = 0;        // also every E epochs (0 = final only)
  hessian::HessianOptions hessian;  // hessian.top_k is unused: hessian_top_k says
  bool zero_init_residual = false;  // gamma = 0 in each residual branch's last BN (models/init.h)
  // Loss-landscape slices of the final model (off by default): random
  // filter-normalised and top-eigenvector directions seeded by `seed`, on the
  // Hessian's sample subset (hessian.seed).
  bool landscape = false;
  hessian::LandscapeOptions landscape_opts;
  // Operational: how image folders are decoded (not part of a cell's id).
  int decode_threads = 2;            // decode workers (imagefolder, imagefolder-stream, cifar10-jpeg cache)
  int64_t stream_prefetch_mb = 512;  // imagefolder-stream: decoded bytes queued ahead per source
  // Operational, not part of a cell's id (matrix/cell_id.h): where and how
  // often the run checkpoints itself.
  struct Checkpointing {
    std::string path;              // "" = no checkpoints
    std::string every = "1";       // N epochs, or N followed by m (minutes, also mid-epoch); 0 = end and signals only
    bool keep = false;             // keep the checkpoint after the run succeeded
    int64_t every_epochs() const;  // parsed `every`: epochs (0 when minutes)
    double every_seconds() const;  // parsed `every`: seconds (0 when epochs)
  } checkpoint;
  // Official-code semantics (docs/fidelity.md); the others live in strategy
  // (sam_m, bn_group, shared_gates), sgd (wd_mode) and augment (cutout_mode).
  bool drop_last = false;  // drop each epoch's last partial training batch
  // Data-parallel (suite/dist, README "Data-parallel and m-sharpness"): the
  // number of replicas the global batch is split across. Part of the cell
  // id, as the perturbation semantics (strategy.perturbation) are.
  int64_t nproc = 1;
  // Operational: how long a collective or the rendezvous waits for a peer
  // before every rank gives up with an error.
  double dist_timeout_s = 300.0;

  nlohmann::json to_json() const;  // the fully resolved configuration (run_config_json)
  // Throws std::invalid_argument naming the flag. check_device: also require
  // that a CUDA device asked for exists here (off when only planning runs).
  void validate(bool check_device = true) const;
};

struct Progress {
  bool tty = false;  // one updating line on a terminal, a line per epoch otherwise
  bool quiet = false;
};

// Where a run's result goes and what else it carries.
struct RunOutput {
  std::string command_line;
  Progress progress;
  std::string path;                    // the result JSON, written atomically
  std::optional<ResultMatrix> matrix;  // protocol runs: the runner's block
};

// Runs the cell (resuming from cfg.checkpoint.path when that file exists),
// writes the result to out.path, removes the checkpoint unless kept, and
// returns the result (status ok | diverged). Data and configuration errors
// throw (data::DataError, std::invalid_argument) before training starts; a
// preemption signal throws Preempted (suite/run/preemption.h) after the
// checkpoint is written, with no result.
// With `comm` (a data-parallel rank, cfg.nproc == comm->world()) every rank
// trains its rows of each global batch; only rank 0 writes checkpoints,
// weights and the result, and computes the final Hessian and landscape. The
// other ranks return a result with only its status set after training.
RunResult run_training(const RunConfig& cfg, const RunOutput& out, dist::Communicator* comm = nullptr);

// --precision (and, for fp16, the loss scale) on `device`: shared by run and
// step-cost. Throws std::invalid_argument naming the flag.
void validate_precision(const std::string& precision, const std::string& device,
                        const optim::LossScaleOptions& loss_scale);

// The shared setup's selections for this configuration (suite/run/setup.h).
struct DataSelection;
struct ModelSelection;
DataSelection data_selection(const RunConfig& c);
ModelSelection model_selection(const RunConfig& c);

}  // namespace nrs
