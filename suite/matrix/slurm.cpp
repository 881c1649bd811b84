#include "suite/matrix/slurm.h"

#include <regex>
#include <sstream>
#include <stdexcept>

namespace nrs::matrix {
namespace {

std::string shell_quote(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./:=,+@") ==
                        std::string::npos)
    return s;
  std::string o = "'";
  for (char c : s) o += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return o + "'";
}

}  // namespace

std::string sbatch_script(const SlurmOptions& o) {
  if (o.protocol.empty()) throw std::invalid_argument("--protocol: required");
  if (o.out_dir.empty()) throw std::invalid_argument("--out: required (a directory every task can write)");
  if (o.shards < 1) throw std::invalid_argument("--shards: expected an integer >= 1");
  if (o.gpus_per_task < 0) throw std::invalid_argument("--gpus-per-task: expected an integer >= 0");
  if (o.cpus_per_task < 1) throw std::invalid_argument("--cpus-per-task: expected an integer >= 1");
  if (o.tasks_per_cell < 1) throw std::invalid_argument("--tasks-per-cell: expected an integer >= 1");
  const bool dp = o.tasks_per_cell > 1;
  if (!std::regex_match(o.time, std::regex(R"((\d+-)?\d+(:\d{2}){0,2})")))
    throw std::invalid_argument("--time '" + o.time + "': expected Slurm's [D-]HH[:MM[:SS]]");
  std::ostringstream s;
  s << "#!/bin/bash\n"
    << "# nrsbench: protocol " << o.protocol << " in " << o.shards << " shards; task i runs shard i/" << o.shards
    << ".\n# Submit with: sbatch THIS_FILE. Rerunning a task resumes it (finished cells are skipped).\n"
    << "#SBATCH --job-name=" << o.job_name << "\n"
    << "#SBATCH --array=0-" << (o.shards - 1) << "\n"
    << "#SBATCH --cpus-per-task=" << o.cpus_per_task << "\n"
    << "#SBATCH --time=" << o.time << "\n";
  if (o.signal_lead_s < 0) throw std::invalid_argument("--signal-lead: expected seconds >= 0");
  if (!o.partition.empty()) s << "#SBATCH --partition=" << o.partition << "\n";
  if (dp) s << "#SBATCH --ntasks=" << o.tasks_per_cell << "\n";
  if (o.gpus_per_task > 0) s << "#SBATCH --gpus-per-task=" << o.gpus_per_task << "\n";
  // Slurm opens the log before the script runs: the directory must exist
  // (nrsbench slurm creates it).
  s << "#SBATCH --output=" << o.out_dir << "/slurm-%A_%a.out\n"
    << "#SBATCH --open-mode=append\n"
    // Before the time limit the batch shell gets USR1; on preemption Slurm
    // sends TERM. Either way nrsbench checkpoints the running cell and exits
    // 75, and the task is requeued to resume from there.
    << "#SBATCH --signal=B:USR1@" << o.signal_lead_s << "\n"
    << "#SBATCH --requeue\n"
    << "set -uo pipefail\n"
    // The trap is in place before the run starts (a signal in between would
    // otherwise kill this shell); the run gets the default actions back.
    << "child=\n"
    << "trap '[ -z \"$child\" ] || kill -USR1 \"$child\" 2>/dev/null' USR1 TERM\n";
  // Data-parallel cells: srun starts the ranks and passes USR1 on to every
  // one; they agree on the step, rank 0 checkpoints, all exit 75, and so
  // does srun. No --kill-on-bad-exit: it would count a rank's 75 as a
  // failure and kill rank 0 while it writes the checkpoint; a rank that
  // really fails ends its peers anyway (their next collective fails, or
  // --dist-timeout runs out).
  if (dp) s << "srun --ntasks=" << o.tasks_per_cell << " ";
  s << shell_quote(o.binary.empty() ? "nrsbench" : o.binary) << " run --protocol " << shell_quote(o.protocol)
    << " --out " << shell_quote(o.out_dir) << " --shard \"${SLURM_ARRAY_TASK_ID}/" << o.shards << "\""
    << " --threads \"${SLURM_CPUS_PER_TASK}\" --quiet" << (dp ? " --nproc " + std::to_string(o.tasks_per_cell) : "")
    << (o.extra_flags.empty() ? "" : " " + o.extra_flags) << " &\n"
    << "child=$!\n"
    // `wait` also returns (status > 128) when a trapped signal arrives. If the
    // run exits between that and the liveness check (a prompt checkpoint, a
    // signal between cells), its own status is still to be collected: waiting
    // once more returns it. Taking the interrupted status instead lost the 75
    // and with it the requeue.
    << "# wait returns early (status > 128) when a trapped signal arrives: wait until the run has exited,\n"
    << "# then collect its own status.\n"
    << "while :; do\n"
    << "  wait \"$child\"; rc=$?\n"
    << "  [ \"$rc\" -le 128 ] && break\n"
    << "  kill -0 \"$child\" 2>/dev/null && continue\n"
    << "  wait \"$child\"; rc=$?\n"
    << "  break\n"
    << "done\n"
    << "if [ \"$rc\" -eq 75 ]; then\n"
    << "  echo \"nrsbench: checkpointed; requeueing ${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}\"\n"
    << "  scontrol requeue \"${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}\"\n"
    << "fi\n"
    << "exit \"$rc\"\n";
  return s.str();
}

}  // namespace nrs::matrix
