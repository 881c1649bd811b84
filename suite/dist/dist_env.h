// Where this process sits in a data-parallel job, read from the environment
// the usual launchers set: torchrun's RANK / WORLD_SIZE / MASTER_ADDR /
// MASTER_PORT (also what `nrsbench run --nproc N` sets for its ranks), or
// Slurm's SLURM_PROCID / SLURM_NTASKS / SLURM_LAUNCH_NODE_IPADDR under srun.
#pragma once
#include <cstdint>
#include <string>

namespace nrs::dist {

struct DistEnv {
  int rank = 0, world = 1;
  int local_rank = 0, local_world = 1;  // ranks on this machine (threads, CUDA device)
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  std::string source = "none";  // none | torchrun | slurm | nrsbench (our own --nproc launcher)
  // Set by nrsbench's own launcher and matrix runner: the parent process holds
  // the result's lock, so rank 0 must not take it again.
  bool parent_holds_lock = false;
  bool distributed() const { return world > 1; }
};

// Reads the environment. RANK/WORLD_SIZE win over Slurm's variables; a Slurm
// job step with one task, or no variables at all, is a single process.
// Malformed values throw InputError naming the variable.
DistEnv read_dist_env();

// Names of the variables nrsbench's launcher sets (tests set them too).
inline constexpr const char* kParentLockVar = "NRSBENCH_PARENT_HOLDS_LOCK";

}  // namespace nrs::dist
