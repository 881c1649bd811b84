// sbatch job-array scripts: array range, per-task command line, options.
// CTest label: cli
#include "suite/matrix/slurm.h"
#include "tests/support/result_files.h"
#include "tests/support/run_binary.h"

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
  for (const char* want :
       {"#SBATCH --array=0-15\n", "#SBATCH --partition=gpu\n", "#SBATCH --gpus-per-task=1\n",
        "#SBATCH --time=2-00:00:00\n", "#SBATCH --output=/scratch/res/slurm-%A_%a.out\n",
        "#SBATCH --signal=B:USR1@300\n", "#SBATCH --requeue\n",
        "/opt/nrsbench run --protocol /p/paper-cifar.json --out /scratch/res --shard "
        "\"${SLURM_ARRAY_TASK_ID}/16\" --threads \"${SLURM_CPUS_PER_TASK}\" --quiet --device cuda &\n",
        "trap '[ -z \"$child\" ] || kill -USR1 \"$child\" 2>/dev/null' USR1 TERM\n",
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

TEST(Slurm, TasksPerCellRunEachCellAsAnSrunStepOfRanks) {
  nrs::matrix::SlurmOptions o;
  o.protocol = "paper-imagenet";
  o.out_dir = "/scratch/res";
  o.shards = 4;
  o.gpus_per_task = 1;
  o.binary = "/opt/nrsbench";
  o.extra_flags = "--device cuda";
  o.tasks_per_cell = 8;
  const auto s = sbatch_script(o);
  for (const char* want : {"#SBATCH --ntasks=8\n", "#SBATCH --gpus-per-task=1\n",
                           "srun --ntasks=8 /opt/nrsbench run --protocol paper-imagenet --out "
                           "/scratch/res --shard \"${SLURM_ARRAY_TASK_ID}/4\" --threads \"${SLURM_CPUS_PER_TASK}\" "
                           "--quiet --nproc 8 --device cuda &\n"})
    EXPECT_NE(s.find(want), std::string::npos) << want << "\n" << s;
  o.tasks_per_cell = 1;
  EXPECT_EQ(sbatch_script(o).find("srun"), std::string::npos);
  o.tasks_per_cell = 0;
  EXPECT_THROW(sbatch_script(o), std::invalid_argument);
}

// The script itself under bash, with stand-ins for nrsbench and scontrol: a
// signal to the batch shell reaches the run, the run's exit 75 requeues the
// task, and other statuses pass through. The stand-in exits the moment the
// forwarded signal arrives; the previous wait loop then returned the shell's
// interrupted status (138) about one time in four and skipped the requeue.
TEST(Slurm, ScriptForwardsTheSignalAndRequeuesOnExit75) {
  nrs::test::TempDir t;
  nrs::test::write_bytes(t / "nrsbench",
                         "#!/usr/bin/env perl\n"
                         "$SIG{USR1} = $SIG{TERM} = sub { exit 75 };\n"
                         "my $m = $ENV{FAKE_MODE};\n"
                         "if ($m eq 'signal') {  # USR1 to the batch shell, as --signal=B:USR1@N does\n"
                         "  for (1 .. 100) { select(undef, undef, undef, 0.05); kill 'USR1', getppid(); }\n"
                         "  exit 1;\n"
                         "}\n"
                         "exit $m;\n");
  nrs::test::write_bytes(t / "bin/scontrol", "#!/bin/sh\necho \"$*\" >> \"$SCONTROL_LOG\"\n");
  std::filesystem::permissions(t / "nrsbench", std::filesystem::perms::owner_all);
  std::filesystem::permissions(t / "bin/scontrol", std::filesystem::perms::owner_all);
  nrs::matrix::SlurmOptions o;
  o.protocol = "p.json";
  o.out_dir = t.str();
  o.shards = 2;
  o.binary = t / "nrsbench";
  nrs::test::write_bytes(t / "job.sbatch", sbatch_script(o));
  const auto run = [&](const std::string& mode) {
    return nrs::test::run_cmd("PATH=" + t / "bin" + ":$PATH SCONTROL_LOG=" + t / "scontrol.log" + " FAKE_MODE=" + mode +
                              " SLURM_ARRAY_JOB_ID=7 SLURM_ARRAY_TASK_ID=1 SLURM_CPUS_PER_TASK=1 bash " +
                              t / "job.sbatch");
  };
  const int n = 12;
  for (int i = 0; i < n; ++i) {
    const auto r = run("signal");
    ASSERT_EQ(r.code, 75) << "run " << i << ":\n" << r.text;
    EXPECT_NE(r.text.find("nrsbench: checkpointed; requeueing 7_1"), std::string::npos) << r.text;
  }
  std::ifstream log(t / "scontrol.log");
  std::string line;
  int requeues = 0;
  while (std::getline(log, line)) requeues += line == "requeue 7_1";
  EXPECT_EQ(requeues, n);
  std::filesystem::remove(t / "scontrol.log");
  EXPECT_EQ(run("0").code, 0);
  EXPECT_EQ(run("3").code, 3);
  EXPECT_FALSE(std::filesystem::exists(t / "scontrol.log"));
}

TEST(Slurm, RejectsBadOptions) {
  nrs::matrix::SlurmOptions o;
  o.protocol = "proto.json";  // not a 1-char literal: GCC 12 -Wrestrict false positive under C++20
  o.out_dir = "out";
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
