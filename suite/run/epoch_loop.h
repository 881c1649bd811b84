// The epoch loop: advances a TrainState from its position to the end of
// training, evaluating after each epoch, writing checkpoints when due, and
// stopping at a checkpoint when a preemption signal arrives.
#pragma once
#include "suite/run/train_state.h"

#include <functional>

namespace nrs {

struct LoopOptions {
  bool tty = false, quiet = false;        // progress output on stderr
  int64_t checkpoint_every_epochs = 1;    // 0 = only at the end and on signals
  double checkpoint_every_seconds = 0.0;  // > 0: also mid-epoch when this much time passed
  // Writes a checkpoint of the state; empty = checkpoints off (signals then
  // still stop the run, but it restarts from the beginning).
  std::function<void(const TrainState&)> checkpoint;
  std::string checkpoint_path;  // named in the Preempted error
};

// Trains until progress.epoch == cfg.epochs or the run diverges (status
// "diverged"). After each step the standard step hooks (step_hooks.h) decide
// whether to stop, checkpoint or end as diverged. On SIGTERM/SIGUSR1/SIGINT:
// checkpoint, then throw Preempted.
void train_epochs(TrainState& s, const LoopOptions& o);

// The two pieces train_epochs and the reference loop (reference_loop.h)
// share. train_step: one optimizer step on the next global batch (a
// replica's rows of it), counted into progress.sums and global_step.
// close_epoch: the epoch's history row from its sums, with the evaluation
// (validation, test, and after the last epoch the training split in eval
// mode) and any --hessian-every point; appends it, advances progress.epoch
// and clears the sums. A non-finite epoch loss sets status "diverged".
optim::StepStats train_step(TrainState& s, const data::Batch& global);
nlohmann::json close_epoch(TrainState& s);

// Mean loss and accuracy of `model` over one epoch of `source` (eval mode,
// no grad; the source is started at epoch 0). With replicas (`comm`), each
// evaluates every world-th batch and the sums are reduced: all ranks get the
// same figures.
std::pair<double, double> evaluate(models::Net& model, data::BatchSource& source, torch::Device device,
                                   bool channels_last, dist::Communicator* comm = nullptr);

}  // namespace nrs
