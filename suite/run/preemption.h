// Preemption: SIGTERM, SIGUSR1 and SIGINT ask a run to write a checkpoint at
// the next step boundary and stop (Slurm sends SIGTERM at a time limit or a
// preemption, and the signal chosen with `sbatch --signal` before it). The
// handler only sets a flag; the training loop acts on it.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>

namespace nrs {

// Exit status of a run that stopped at a checkpoint and can be resumed by
// rerunning the same command (sysexits' EX_TEMPFAIL: "try again later").
constexpr int kExitPreempted = 75;

// Thrown after the checkpoint is written.
struct Preempted : std::runtime_error {
  Preempted(const std::string& what, std::string ckpt) : std::runtime_error(what), checkpoint(std::move(ckpt)) {}
  std::string checkpoint;
};

// Installs the handlers while alive and restores the previous ones after.
class PreemptionHandlers {
 public:
  PreemptionHandlers();
  ~PreemptionHandlers();
  PreemptionHandlers(const PreemptionHandlers&) = delete;
  PreemptionHandlers& operator=(const PreemptionHandlers&) = delete;
};

// The signal that asked to stop (0 = none), and its name ("SIGTERM").
int preemption_signal();
std::string signal_name(int sig);
void clear_preemption();

}  // namespace nrs
