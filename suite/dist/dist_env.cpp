#include "suite/dist/dist_env.h"
#include "suite/core/errors.h"

#include <algorithm>
#include <cstdlib>
#include <string>

namespace nrs::dist {
namespace {

const char* env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : nullptr;
}

int env_int(const char* name, int lo, int hi, int fallback) {
  const char* v = env(name);
  if (v == nullptr) return fallback;
  try {
    size_t used = 0;
    const long long n = std::stoll(v, &used);
    if (used == std::string(v).size() && n >= lo && n <= hi) return static_cast<int>(n);
  } catch (const std::exception&) {
  }
  throw InputError(std::string("environment variable ") + name + "='" + v + "': expected an integer in [" +
                   std::to_string(lo) + ", " + std::to_string(hi) + "]");
}

}  // namespace

DistEnv read_dist_env() {
  DistEnv e;
  e.master_port = env_int("MASTER_PORT", 1, 65535, 29500);
  if (const char* a = env("MASTER_ADDR")) e.master_addr = a;
  if (env("WORLD_SIZE") != nullptr || env("RANK") != nullptr) {
    if (env("WORLD_SIZE") == nullptr || env("RANK") == nullptr)
      throw InputError("environment: RANK and WORLD_SIZE must be set together (torchrun style)");
    e.world = env_int("WORLD_SIZE", 1, 1 << 20, 1);
    e.rank = env_int("RANK", 0, e.world - 1, 0);
    e.local_rank = env_int("LOCAL_RANK", 0, e.world - 1, e.rank);
    e.local_world = env_int("LOCAL_WORLD_SIZE", 1, e.world, e.world);
    e.source = env("NRSBENCH_LAUNCHER") != nullptr ? "nrsbench" : "torchrun";
  } else if (env("SLURM_NTASKS") != nullptr && env("SLURM_PROCID") != nullptr) {
    e.world = env_int("SLURM_NTASKS", 1, 1 << 20, 1);
    e.rank = env_int("SLURM_PROCID", 0, e.world - 1, 0);
    e.local_rank = env_int("SLURM_LOCALID", 0, e.world - 1, 0);
    // SLURM_NTASKS_PER_NODE may read "2(x3)"; the leading count is enough here.
    if (const char* t = env("SLURM_NTASKS_PER_NODE")) e.local_world = std::max(1, std::atoi(t));
    if (env("MASTER_ADDR") == nullptr) {
      const char* a = env("SLURM_LAUNCH_NODE_IPADDR");
      if (a == nullptr && e.world > 1)
        throw InputError("environment: under Slurm set MASTER_ADDR or run through srun (SLURM_LAUNCH_NODE_IPADDR)");
      if (a != nullptr) e.master_addr = a;
    }
    // One port per job, so two jobs on one node do not meet in one store.
    if (env("MASTER_PORT") == nullptr && env("SLURM_JOB_ID") != nullptr)
      e.master_port = 20000 + static_cast<int>(std::strtoull(env("SLURM_JOB_ID"), nullptr, 10) % 20000);
    e.source = "slurm";
  }
  if (e.world == 1) e.source = "none";
  e.parent_holds_lock = env(kParentLockVar) != nullptr;
  return e;
}

}  // namespace nrs::dist
