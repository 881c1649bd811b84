// What the epoch loop does after each training step besides the step: a
// list of hooks, asked in order, that together decide whether the loop stops
// (a preemption signal), writes a checkpoint now (the checkpoint clock) or
// ends the run as diverged. The standard list: the divergence check and the
// progress line (every 50 steps, to keep host syncs rare), the fault point
// (suite/core/fault_points.h), the preemption signal, the checkpoint clock
// and, with replicas, the agreement across ranks, last, so that every rank
// takes the same decision. The reference loop (reference_loop.h) runs none.
#pragma once
#include "suite/optim/step_strategy.h"

#include <memory>
#include <vector>

namespace nrs {

struct TrainState;
namespace dist {
class Communicator;
}

struct StepDecision {
  int stop_signal = 0;          // the signal that asks the run to stop (0 = none)
  bool checkpoint_due = false;  // write a checkpoint after this step
  bool nonfinite = false;       // the training loss is not finite: the run diverged
};

class StepHook {
 public:
  virtual ~StepHook() = default;
  // After a step: `s.progress` already counts it, `st` is what it returned.
  virtual void after_step(const TrainState& s, const optim::StepStats& st, StepDecision& d) = 0;
  // After the loop wrote a checkpoint.
  virtual void after_checkpoint() {}
};

using StepHooks = std::vector<std::unique_ptr<StepHook>>;

struct StepHookOptions {
  bool progress_line = false;             // the updating line on a terminal
  double checkpoint_every_seconds = 0.0;  // > 0: the checkpoint clock
  dist::Communicator* comm = nullptr;     // replicas: agree across ranks
};

StepHooks standard_step_hooks(const StepHookOptions& o);

}  // namespace nrs
