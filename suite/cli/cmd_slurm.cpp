// `nrsbench slurm`: writes an sbatch job-array script for a protocol.
#include "suite/cli/cli_common.h"
#include "suite/matrix/protocol.h"
#include "suite/matrix/slurm.h"

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace nrs::cli {

int cmd_slurm(const std::vector<std::string>& args, const std::string& self) {
  matrix::SlurmOptions o;
  std::string script;
  po::options_description d("slurm options");
  // clang-format off
  d.add_options()
    ("protocol", po::value(&o.protocol)->required(), "protocol name or file")
    ("out", po::value(&o.out_dir)->required(), "results directory shared by all tasks (created)")
    ("shards", po::value(&o.shards)->required(), "number of array tasks")
    ("partition", po::value(&o.partition), "Slurm partition")
    ("gpus-per-task", po::value(&o.gpus_per_task)->default_value(0), "GPUs per task (0 = CPU job)")
    ("cpus-per-task", po::value(&o.cpus_per_task)->default_value(o.cpus_per_task), "CPUs per task (also --threads)")
    ("time", po::value(&o.time)->default_value(o.time), "time limit per task")
    ("signal-lead", po::value(&o.signal_lead_s)->default_value(o.signal_lead_s), "seconds before the time limit at which the task checkpoints and requeues itself")
    ("job-name", po::value(&o.job_name)->default_value(o.job_name), "job name")
    ("binary", po::value(&o.binary), "nrsbench path on the cluster (default: this binary's absolute path)")
    ("tasks-per-cell", po::value(&o.tasks_per_cell)->default_value(o.tasks_per_cell), "data-parallel: each cell runs as srun --ntasks N (N ranks, --nproc N); --gpus-per-task and --cpus-per-task are per rank")
    ("run-flags", po::value(&o.extra_flags), "extra flags for every task's nrsbench run (e.g. \"--device cuda\")")
    ("script", po::value(&script), "write the script here (default OUT/<protocol>.sbatch)");
  // clang-format on
  po::variables_map vm;
  if (!parse_or_help("slurm", "--protocol P --out DIR --shards N [options]", d, args, vm)) return 0;
  // Expanding the protocol here catches its errors before anything is queued.
  const auto path = matrix::find_protocol(o.protocol);
  const auto p = matrix::load_protocol(path);
  o.protocol = std::filesystem::absolute(path).string();
  o.out_dir = std::filesystem::absolute(o.out_dir).string();
  if (o.binary.empty()) {
    std::error_code ec;
    auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    o.binary = ec ? std::filesystem::absolute(self).string() : exe.string();
  }
  if (o.gpus_per_task > 0 && o.extra_flags.find("--device") == std::string::npos) o.extra_flags += " --device cuda";
  while (!o.extra_flags.empty() && o.extra_flags.front() == ' ') o.extra_flags.erase(0, 1);
  const auto text = matrix::sbatch_script(o);
  std::filesystem::create_directories(o.out_dir);
  if (script.empty()) script = (std::filesystem::path(o.out_dir) / (p.name + ".sbatch")).string();
  std::ofstream f(script);
  f << text;
  if (!f) throw UsageError("--script '" + script + "': cannot write");
  const size_t runs = p.cells.size() * p.seeds.size();
  std::printf("%s: %zu runs in %d array tasks (%zu-%zu runs each)\nwrote %s\nsubmit: sbatch %s\n", p.name.c_str(), runs,
              o.shards, runs / o.shards, (runs + o.shards - 1) / o.shards, script.c_str(), script.c_str());
  return 0;
}

}  // namespace nrs::cli
