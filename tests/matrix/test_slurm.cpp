// sbatch job-array scripts: array range, per-task command line, options.
#include "suite/matrix/slurm.h"
#include "util.h"

#include <gtest/gtest.h>

using nrs::matrix::sbatch_script;

TEST(Slurm, ArrayRangeAndShardCommand) {
  nrs::matrix::SlurmOptions o;
  o.protocol = "/p/paper-cifar.json";
  o.out_dir = "/scratch/res";
  o.shards = 16;
  o.partition = "gpu";
  o.gpus_per_task = 1;
  o.time = "2-00:00:00";
  o.binary = "/opt/nrsbench";
  o.extra_flags = "--device cuda";
  const auto s = sbatch_script(o);
  EXPECT_EQ(s.rfind("#!/bin/bash\n", 0), 0u);
  for (const char* want : {"#SBATCH --array=0-15\n", "#SBATCH --partition=gpu\n", "#SBATCH --gpus-per-task=1\n",
                           "#SBATCH --time=2-00:00:00\n", "#SBATCH --output=/scratch/res/slurm-%A_%a.out\n",
                           "#SBATCH --signal=B:USR1@300\n", "#SBATCH --requeue\n",
                           "/opt/nrsbench run --protocol /p/paper-cifar.json --out /scratch/res --shard "
                           "\"${SLURM_ARRAY_TASK_ID}/16\" --threads \"${SLURM_CPUS_PER_TASK}\" --quiet --device cuda &\n",
                           "trap 'kill -USR1 \"$child\" 2>/dev/null' USR1 TERM\n",
                           "scontrol requeue \"${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}\"\n"})
    EXPECT_NE(s.find(want), std::string::npos) << want << "\n" << s;
  o.gpus_per_task = 0;
  o.partition.clear();
  const auto cpu = sbatch_script(o);
  EXPECT_EQ(cpu.find("--gpus-per-task"), std::string::npos);
  EXPECT_EQ(cpu.find("--partition"), std::string::npos);
  o.out_dir = "/scratch/my results";
  EXPECT_NE(sbatch_script(o).find("--out '/scratch/my results'"), std::string::npos);
}

TEST(Slurm, RejectsBadOptions) {
  nrs::matrix::SlurmOptions o;
  o.protocol = "p";
  o.out_dir = "o";
  o.shards = 0;
  EXPECT_THROW(sbatch_script(o), std::invalid_argument);
  o.shards = 2;
  o.time = "tomorrow";
  EXPECT_THROW(sbatch_script(o), std::invalid_argument);
}

TEST(Slurm, CliWritesTheScriptForABuiltinProtocol) {
  nrs::test::TempDir t;
  auto o = nrs::test::nrsbench("slurm --protocol ci-smoke --out " + t / "res" + " --shards 4 --partition cpu");
  ASSERT_EQ(o.code, 0) << o.text;
  EXPECT_NE(o.text.find("ci-smoke: 12 runs in 4 array tasks (3-3 runs each)"), std::string::npos) << o.text;
  std::ifstream f(t / "res/ci-smoke.sbatch");
  std::string s((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  EXPECT_NE(s.find("#SBATCH --array=0-3"), std::string::npos) << s;
  EXPECT_NE(s.find("--shard \"${SLURM_ARRAY_TASK_ID}/4\""), std::string::npos) << s;
  auto bad = nrs::test::nrsbench("slurm --protocol no-such-protocol --out " + t / "x" + " --shards 2");
  EXPECT_EQ(bad.code, 2) << bad.text;
  EXPECT_NE(bad.text.find("--protocol 'no-such-protocol'"), std::string::npos) << bad.text;
}
