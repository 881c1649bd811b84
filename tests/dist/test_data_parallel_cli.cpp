// `nrsbench run --nproc 2` and torchrun-style ranks through the real binary:
// a killed rank stops the job within the timeout, naming the rank; a
// preempted 2-rank run resumes on 2 ranks (bitwise like an uninterrupted
// one) and on 1 rank; the result is written once, by rank 0; mismatched
// jobs and busy ports give one-line errors.
// CTest label: dist
#include "models/registry.h"
#include "spawn.h"
#include "suite/io/weights.h"
#include "tests/support/result_files.h"
#include "tests/support/run_binary.h"

#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <sstream>

namespace fs = std::filesystem;
using nlohmann::json;
using nrs::test::nrsbench;
using nrs::test::read_json;
using nrs::test::run_cmd;

namespace {

// 2048 synthetic samples / batch 32 = 64 steps per epoch, 2 epochs. An MLP
// without BatchNorm: world size changes nothing but the summation order.
std::string run_args() {
  return "run --model mlp-mini --dataset synthetic-1x8x8-3 --epochs 2 --batch-size 32 --threads 1 --lr 0.05 "
         "--optimizer sam --rho 0.05 --perturbation global --quiet --dist-timeout 30";
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::vector<torch::Tensor> weights(const std::string& path) {
  auto m = nrs::models::make_model("mlp-mini", {1, 8, 8, 3});
  nrs::load_weights(*m, path);
  std::vector<torch::Tensor> out;
  for (const auto& p : m->parameters()) out.push_back(p.detach().clone());
  return out;
}

double max_abs_diff(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
  double m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, (a[i] - b[i]).abs().max().item<double>());
  return m;
}

TEST(DataParallelCli, KilledRankStopsTheJobAndIsNamed) {
  nrs::test::TempDir d;
  const auto t0 = std::chrono::steady_clock::now();
  auto r = run_cmd("NRSBENCH_TEST_SIGNAL_AT_STEP=5:KILL NRSBENCH_TEST_SIGNAL_RANK=1 " +
                   std::string(NRSBENCH_FAULTS_BINARY) + " " + run_args() + " --nproc 2 --out " + d / "r.json");
  EXPECT_NE(r.code, 0) << r.text;
  EXPECT_NE(r.text.find("rank 1 of 2 was killed by signal 9"), std::string::npos) << r.text;
  EXPECT_LT(seconds_since(t0), 60.0);
  EXPECT_FALSE(fs::exists(d / "r.json"));  // no partial result
}

TEST(DataParallelCli, TorchrunStyleRankFailsWithinTheTimeoutWhenItsPeerDies) {
  nrs::test::TempDir d;
  std::vector<std::string> argv = {NRSBENCH_FAULTS_BINARY};
  {
    std::stringstream ss(run_args() + " --out " + d / "r.json");
    for (std::string w; ss >> w;) argv.push_back(w);
  }
  const auto t0 = std::chrono::steady_clock::now();
  const auto exits = nrs::test::run_ranks(
      2, argv, {{"NRSBENCH_TEST_SIGNAL_AT_STEP", "5:KILL"}},
      [](int, auto& env) { env["NRSBENCH_TEST_SIGNAL_RANK"] = "1"; },
      /*deadline_s=*/120.0);
  ASSERT_TRUE(exits[0].exited) << "rank 0 hung after its peer died";
  EXPECT_NE(exits[0].status, 0);
  EXPECT_EQ(exits[1].status, 128 + 9);
  EXPECT_LT(seconds_since(t0), 30.0 + 30.0);  // --dist-timeout 30, plus start-up
  EXPECT_FALSE(fs::exists(d / "r.json"));
}

TEST(DataParallelCli, PreemptedRunResumesOnTwoRanksAndOnOne) {
  nrs::test::TempDir d;
  const std::string args = run_args() + " --nproc 2";
  auto ref = nrsbench(args + " --no-checkpoint --save-weights " + d / "ref.pt" + " --out " + d / "ref.json");
  ASSERT_EQ(ref.code, 0) << ref.text;
  // Written once, by rank 0: no second copy, temporary, lock or checkpoint.
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(d.str())) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"ref.json", "ref.pt"}));
  const json rj = read_json(d / "ref.json");
  EXPECT_EQ(rj["distributed"]["world_size"], 2);
  EXPECT_EQ(rj["distributed"]["backend"], "gloo");
  EXPECT_EQ(rj["distributed"]["per_replica_batch"], 16);
  EXPECT_EQ(rj["distributed"]["m"], 32);  // global: the whole batch shares one perturbation
  EXPECT_EQ(rj["config"]["distributed"]["nproc"], 2);
  EXPECT_EQ(rj["config"]["optimizer"]["perturbation"], "global");
  EXPECT_EQ(rj["throughput"]["steps"], 128);

  // SIGTERM to both ranks after step 70 (mid-epoch 2): checkpoint, exit 75.
  const std::string cmd = args + " --save-weights " + d / "a.pt" + " --out " + d / "a.json";
  auto stopped = run_cmd("NRSBENCH_TEST_SIGNAL_AT_STEP=70:TERM " + std::string(NRSBENCH_FAULTS_BINARY) + " " + cmd);
  EXPECT_EQ(stopped.code, 75) << stopped.text;
  ASSERT_TRUE(fs::exists(d / "a.json.ckpt"));
  EXPECT_FALSE(fs::exists(d / "a.json"));
  fs::copy_file(d / "a.json.ckpt", d / "b.json.ckpt");

  auto resumed = nrsbench(cmd);
  ASSERT_EQ(resumed.code, 0) << resumed.text;
  EXPECT_EQ(max_abs_diff(weights(d / "ref.pt"), weights(d / "a.pt")), 0.0);  // bitwise
  const json a = read_json(d / "a.json");
  EXPECT_EQ(a["final"]["test_acc"], rj["final"]["test_acc"]);
  EXPECT_EQ(a["resumes"].size(), 1u);
  EXPECT_EQ(a["resumes"][0]["from_global_step"], 70);

  // The same checkpoint on one process: the run continues (elastic), its
  // gradients are the same global means up to summation order.
  auto one = nrsbench(run_args() + " --nproc 1 --save-weights " + d / "b.pt" + " --out " + d / "b.json");
  ASSERT_EQ(one.code, 0) << one.text;
  const json b = read_json(d / "b.json");
  EXPECT_EQ(b["resumes"].size(), 1u);
  EXPECT_EQ(b["distributed"]["world_size"], 1);
  EXPECT_LT(max_abs_diff(weights(d / "ref.pt"), weights(d / "b.pt")), 1e-4);
  EXPECT_NEAR(b["final"]["test_acc"].get<double>(), rj["final"]["test_acc"].get<double>(), 0.01);
}

TEST(DataParallelCli, MismatchedJobsAndBusyPortsAreOneLineErrors) {
  nrs::test::TempDir d;
  std::vector<std::string> argv = {NRSBENCH_BINARY};
  {
    std::stringstream ss(run_args() + " --out " + d / "r.json");
    for (std::string w; ss >> w;) argv.push_back(w);
  }
  // --nproc 4 inside a job of 2 ranks.
  auto with_nproc4 = argv;
  with_nproc4.insert(with_nproc4.end(), {"--nproc", "4"});
  auto exits = nrs::test::run_ranks(
      2, with_nproc4, {}, [](int, auto&) {}, 60.0);
  EXPECT_EQ(exits[0].status, 2);
  EXPECT_EQ(exits[1].status, 2);
  // Ranks that disagree on WORLD_SIZE: named at the rendezvous, not a hang.
  // Rank 0 always sees rank 1's value; rank 1 may find the store gone first
  // (rank 0 serves it and has exited), an error too.
  exits = nrs::test::run_ranks(
      2, argv, {}, [](int r, auto& env) { env["WORLD_SIZE"] = r == 0 ? "2" : "4"; }, 60.0);
  ASSERT_TRUE(exits[0].exited && exits[1].exited);
  EXPECT_EQ(exits[0].status, 2);
  EXPECT_TRUE(exits[1].status == 2 || exits[1].status == 1) << exits[1].status;

  // A port already taken: rank 0 cannot serve the store there.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  const std::string port = std::to_string(ntohs(a.sin_port));
  auto busy = run_cmd("RANK=0 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=" + port + " " + NRSBENCH_BINARY + " " +
                      run_args() + " --out " + d / "p.json");
  ::close(fd);
  EXPECT_EQ(busy.code, 2) << busy.text;
  EXPECT_NE(busy.text.find("MASTER_PORT=" + port), std::string::npos) << busy.text;
}

TEST(DataParallelCli, GlobalSemanticsNeedNoSamM) {
  auto r = nrsbench(run_args() + " --nproc 2 --sam-m 8 --out /nonexistent/x.json");
  EXPECT_EQ(r.code, 2) << r.text;
  EXPECT_NE(r.text.find("--perturbation global"), std::string::npos) << r.text;
}

}  // namespace
