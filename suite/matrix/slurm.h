// Scale-out on Slurm: an sbatch job-array script whose task i runs shard i of
// a protocol into one shared results directory (locks keep tasks apart;
// aggregation reads the directory as a whole).
#pragma once
#include <string>

namespace nrs::matrix {

struct SlurmOptions {
  std::string protocol;  // as given to --protocol
  std::string out_dir;   // shared results directory
  int shards = 1;
  std::string partition;  // empty: cluster default
  int gpus_per_task = 0;  // 0: CPU-only job
  int cpus_per_task = 8;
  std::string time = "24:00:00";
  std::string job_name = "nrsbench";
  std::string binary;       // nrsbench path on the cluster
  std::string extra_flags;  // appended to every `nrsbench run` (e.g. --device cuda)
  int signal_lead_s = 300;  // USR1 this long before the time limit: checkpoint, then requeue
  // > 1: every cell runs data-parallel as `srun --ntasks N` (ranks from
  // SLURM_PROCID/SLURM_NTASKS, rendezvous at the launch node), with --nproc N.
  int tasks_per_cell = 1;
};

// The script text; validate() throws std::invalid_argument naming the flag.
std::string sbatch_script(const SlurmOptions& o);

}  // namespace nrs::matrix
