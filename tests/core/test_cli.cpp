// CLI: bad input gives one line naming the flag or file and exit code 2.
// CTest label: cli
#include "suite/io/results.h"
#include "tests/support/run_binary.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <torch/version.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

namespace {

using Out = nrs::test::CmdOut;
using nrs::test::run_cmd;

Out run(const std::string& args) {
  return run_cmd(std::string("env -u NRSBENCH_DATA ") + NRSBENCH_BINARY + " " + args);
}

void expect_usage_error(const std::string& args, const std::string& needle) {
  auto o = run(args);
  EXPECT_EQ(o.code, 2) << args << "\n" << o.text;
  EXPECT_NE(o.text.find(needle), std::string::npos) << args << "\n" << o.text;
  EXPECT_EQ(std::count(o.text.begin(), o.text.end(), '\n'), 1) << "one line expected:\n" << o.text;
}

}  // namespace

TEST(Cli, UnknownCommand) { expect_usage_error("frobnicate", "unknown command 'frobnicate'"); }
TEST(Cli, UnknownFlag) { expect_usage_error("run --no-such-flag 3", "no-such-flag"); }
TEST(Cli, NonNumericValue) { expect_usage_error("run --lr abc", "lr"); }
TEST(Cli, NegativeLearningRate) { expect_usage_error("run --lr -1 --dataset synthetic", "--lr"); }
TEST(Cli, UnknownOptimizer) { expect_usage_error("run --optimizer adam --dataset synthetic", "--optimizer 'adam'"); }
TEST(Cli, UnknownModel) { expect_usage_error("run --model resnet9000 --dataset synthetic", "--model 'resnet9000'"); }
TEST(Cli, MissingData) { expect_usage_error("run --dataset mnist --data-dir /nonexistent/x", "/nonexistent/x"); }
TEST(Cli, BadNeighbor) {
  expect_usage_error("run --optimizer nrs --nrs-neighbor up --dataset synthetic", "--nrs-neighbor");
}

TEST(Cli, HelpOnEverySubcommand) {
  for (const char* sub : {"run", "list", "version", "hessian", "landscape", "table", "check", "step-cost",
                          "leaderboard", "slurm", "migrate-ids"}) {
    auto o = run(std::string(sub) + " --help");
    EXPECT_EQ(o.code, 0) << sub;
    EXPECT_NE(o.text.find("usage: nrsbench"), std::string::npos) << sub;
  }
}

TEST(Cli, ListShowsRegistries) {
  auto o = run("list");
  EXPECT_EQ(o.code, 0);
  for (const char* name : {"small-cnn", "resnet18", "fashion-mnist", "cifar10-jpeg", "nrs", "--nrs-radius"})
    EXPECT_NE(o.text.find(name), std::string::npos) << name;
}

TEST(Cli, VersionNamesLibTorchAndCommit) {
  auto o = run("version --json");
  ASSERT_EQ(o.code, 0) << o.text;
  const auto v = nlohmann::json::parse(o.text);
  // Values, each against a source outside the binary: git for the commit the
  // checkout was built at, coreutils for the executable's hash and the cores.
  // The commit is a real one of this checkout's history: HEAD when just
  // built, an ancestor of it after later commits.
  const std::string git = "git -C " + std::string(NRSBENCH_SOURCE_DIR);
  if (run_cmd(git + " rev-parse HEAD").code == 0) {
    const std::string commit = v["git_commit"].get<std::string>().substr(0, 40);
    EXPECT_EQ(run_cmd(git + " merge-base --is-ancestor " + commit + " HEAD").code, 0) << commit;
  }
  const auto sum = run_cmd("sha256sum " + std::string(NRSBENCH_BINARY));
  EXPECT_EQ(v["binary_sha256"], sum.text.substr(0, 64));
  EXPECT_EQ(v["hardware_threads"], std::stoi(run_cmd("nproc --all").text));
  EXPECT_TRUE(v["libtorch_version"].is_string());
  EXPECT_NE(v["libtorch_version"].get<std::string>().find('.'), std::string::npos);  // "1.13.0", "2.11.0", ...
}

TEST(Cli, StepCostReportsRatiosToSgd) {
  const std::string out = ::testing::TempDir() + "/step-cost.json";
  auto o =
      run("step-cost --model mlp-mini --shape 1x8x8 --batch-size 16 --steps 3 --rounds 2 --warmup 1 "
          "--optimizers sgd,sam,nrs-random --threads 1 --out " +
          out);
  ASSERT_EQ(o.code, 0) << o.text;
  auto j = nrs::read_json_file(out);
  ASSERT_EQ(j["results"].size(), 3u);
  EXPECT_EQ(j["results"][0]["label"], "sgd");
  EXPECT_DOUBLE_EQ(j["results"][0]["ratio_to_sgd"].get<double>(), 1.0);
  for (const auto& r : j["results"]) {
    EXPECT_EQ(r["ms_per_step_rounds"].size(), 2u);
    EXPECT_NEAR(r["images_per_s"].get<double>(), 16000.0 / r["ms_per_step"].get<double>(), 1e-6);
  }
  EXPECT_NE(j["results"][2]["variant"].get<std::string>().find("random"), std::string::npos);
}
TEST(Cli, StepCostUnknownOptimizer) { expect_usage_error("step-cost --optimizers sgd,adam", "'adam'"); }

// The run's method flags reach step-cost's variants: each flag replaces the
// preset of every variant whose strategy reads it, and only those.
TEST(Cli, StepCostTakesTheRunsMethodFlags) {
  const std::string out = ::testing::TempDir() + "/step-cost-flags.json";
  auto o =
      run("step-cost --model mlp-mini --shape 1x8x8 --batch-size 16 --steps 3 --rounds 2 --warmup 1 --threads 1 "
          "--optimizers sgd,sam,looksam,rst --rho 0.2 --looksam-k 2 --rst-p 1 --out " +
          out);
  ASSERT_EQ(o.code, 0) << o.text;
  const auto rows = nrs::read_json_file(out)["results"];
  ASSERT_EQ(rows.size(), 4u);
  // SGD reads no radius: its row keeps the table's default (0.05), not 0.2.
  EXPECT_EQ(rows[0]["optimizer"]["name"], "sgd");
  EXPECT_DOUBLE_EQ(rows[0]["optimizer"]["rho"].get<double>(), 0.05);
  for (size_t i = 1; i < 4; ++i) EXPECT_DOUBLE_EQ(rows[i]["optimizer"]["rho"].get<double>(), 0.2) << i;
  EXPECT_EQ(rows[2]["optimizer"]["looksam_k"], 2);
  EXPECT_EQ(rows[2]["variant"], "looksam-k2");
  EXPECT_EQ(rows[1]["optimizer"]["looksam_k"], 5);  // SAM does not read it
  // RST at p = 1 takes SAM's step on every one of its 1 + 2 x 3 steps.
  EXPECT_DOUBLE_EQ(rows[3]["optimizer"]["rst_p"].get<double>(), 1.0);
  EXPECT_EQ(rows[3]["optimizer_summary"]["steps"], 7);
  EXPECT_EQ(rows[3]["optimizer_summary"]["sam_steps"], 7);
}
TEST(Cli, StepCostMethodFlagNoVariantReads) {
  // A tiny measurement, so that a step-cost that wrongly accepts the flag fails fast.
  expect_usage_error(
      "step-cost --model mlp-mini --shape 1x8x8 --batch-size 16 --steps 1 --rounds 1 --warmup 0 --threads 1 "
      "--optimizers sgd,sam --looksam-k 2",
      "--looksam-k: none of --optimizers sgd,sam");
}
// fp16: every variant steps under its own loss scaler and its row says what
// the scaler did; at 2^40 float16 overflows at once, so steps are skipped.
TEST(Cli, StepCostInFp16RecordsEachVariantsScaler) {
#if TORCH_VERSION_MAJOR < 2
  expect_usage_error("step-cost --model mlp-mini --shape 1x8x8 --precision fp16", "--precision fp16");
#else
  const std::string out = ::testing::TempDir() + "/step-cost-fp16.json";
  auto o =
      run("step-cost --model mlp-mini --shape 1x8x8 --batch-size 16 --steps 3 --rounds 2 --warmup 1 --threads 1 "
          "--optimizers sgd,sam --precision fp16 --loss-scale-init 1099511627776 --out " +
          out);
  ASSERT_EQ(o.code, 0) << o.text;
  const auto j = nrs::read_json_file(out);
  EXPECT_EQ(j["precision"], "fp16");
  for (const auto& r : j["results"]) {
    EXPECT_EQ(r["loss_scale"]["steps"], 7) << r;  // 1 + 2 x 3
    EXPECT_GE(r["loss_scale"]["skipped_steps"].get<int>(), 1) << r;
    EXPECT_LT(r["loss_scale"]["final_scale"].get<double>(), 1099511627776.0) << r;
  }
#endif
  expect_usage_error("step-cost --model mlp-mini --shape 1x8x8 --precision fp16 --loss-scale-init 3 --device cuda",
                     "--loss-scale-init");
}
TEST(Cli, StepCostBadMethodFlagValue) {
  expect_usage_error("step-cost --model mlp-mini --shape 1x8x8 --optimizers sgd,looksam --looksam-k 0", "--looksam-k");
}

TEST(Cli, DryRunPricesAProtocolFromAStepCostReport) {
  const std::string dir = ::testing::TempDir() + "/budget";
  std::filesystem::create_directories(dir);
  {
    std::ofstream(dir + "/p.json") << R"({"name": "p", "seeds": [0, 1, 2],
      "defaults": {"dataset": "synthetic-1x8x8", "epochs": 4, "batch-size": 16, "train-subset": 160,
                   "test-subset": 32},
      "models": ["mlp-mini"],
      "optimizers": ["sgd", "sam"]})";
  }
  auto o =
      run("step-cost --model mlp-mini --shape 1x8x8 --batch-size 16 --steps 2 --rounds 2 --warmup 1 "
          "--optimizers sgd,sam --threads 1 --out " +
          dir + "/sc.json");
  ASSERT_EQ(o.code, 0) << o.text;
  o = run("run --protocol " + dir + "/p.json --threads 1 --dry-run --step-cost " + dir + "/sc.json --budget-json " +
          dir + "/budget.json");
  ASSERT_EQ(o.code, 0) << o.text;
  EXPECT_NE(o.text.find("device-hours over 3 seeds"), std::string::npos) << o.text;
  const auto sc = nrs::read_json_file(dir + "/sc.json");
  const auto b = nrs::read_json_file(dir + "/budget.json");
  ASSERT_EQ(b["cells"].size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    // 160 / 16 = 10 steps an epoch x 4 epochs x 3 seeds.
    EXPECT_EQ(b["cells"][i]["steps_per_epoch"], 10);
    EXPECT_NEAR(b["cells"][i]["train_device_hours"].get<double>(),
                120 * sc["results"][i]["ms_per_step"].get<double>() / 3.6e6, 1e-12);
  }
  expect_usage_error("run --protocol " + dir + "/p.json --out " + dir + "/r --step-cost " + dir + "/sc.json",
                     "--step-cost: only with --dry-run");
  expect_usage_error("run --protocol " + dir + "/p.json --dry-run --step-cost " + dir + "/missing.json",
                     "missing.json");
  expect_usage_error("run --protocol " + dir + "/p.json --dry-run --step-cost " + dir + "/p.json",
                     "p.json: not a step-cost report");
}
