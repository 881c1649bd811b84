// The CUDA path. These run where LibTorch sees a GPU (scripts/gpu-check) and
// skip elsewhere: a CPU-only LibTorch cannot exercise them.
// CTest label: cuda
#include "models/registry.h"
#include "suite/dist/communicator.h"
#include "suite/optim/strategies.h"
#include "suite/run/step_timer.h"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

using namespace nrs;

namespace {

std::vector<std::pair<std::string, torch::Tensor>> named(models::Net& n) {
  std::vector<std::pair<std::string, torch::Tensor>> v;
  for (const auto& kv : n.named_parameters()) v.emplace_back(kv.key(), kv.value());
  return v;
}

// One step of `name` from the same initial weights and batch on `device`;
// returns the updated parameters on the CPU.
std::vector<torch::Tensor> one_step(const std::string& name, torch::Device device, optim::Precision prec, double lr) {
  torch::manual_seed(3);
  auto net = models::make_model("small-cnn-mini", {3, 8, 8, 4});
  net->to(device);
  net->train();
  torch::manual_seed(5);
  data::Batch b{torch::randn({16, 3, 8, 8}).to(device), torch::randint(0, 4, {16}, torch::kInt64).to(device)};
  optim::SgdOptions sgd;
  sgd.weight_decay = 5e-4;
  optim::BaseSgd base(named(*net), sgd);
  optim::StrategyOptions so;
  so.name = name;
  so.nrs_radius = 0.1;
  auto strat = optim::make_strategy(so, *net, base);
  optim::Objective obj;
  optim::StepContext ctx{*net, b, obj, base, lr, prec};
  strat->step(ctx);
  std::vector<torch::Tensor> out;
  for (const auto& p : net->parameters()) out.push_back(p.detach().cpu());
  return out;
}

}  // namespace

TEST(Cuda, StepsMatchTheCpuInFp32) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device in this LibTorch/machine";
  at::globalContext().setAllowTF32CuDNN(false);
  at::globalContext().setAllowTF32CuBLAS(false);
  for (const std::string name : {"sgd", "sam", "nrs"}) {
    auto c = one_step(name, torch::kCPU, optim::Precision::kFloat32, 0.1);
    auto g = one_step(name, torch::kCUDA, optim::Precision::kFloat32, 0.1);
    ASSERT_EQ(c.size(), g.size());
    for (size_t i = 0; i < c.size(); ++i)
      EXPECT_TRUE(torch::allclose(c[i], g[i], 1e-4, 1e-5)) << name << " parameter " << i;
  }
}

TEST(Cuda, Bf16PassesRestoreWeightsExactly) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device in this LibTorch/machine";
  // lr = 0: after perturbing and restoring, the weights are the initial ones bit for bit.
  torch::manual_seed(3);
  auto init = models::make_model("small-cnn-mini", {3, 8, 8, 4});
  std::vector<torch::Tensor> w0;
  for (const auto& p : init->parameters()) w0.push_back(p.detach().clone());
  for (const std::string name : {"sam", "nrs"}) {
    auto w = one_step(name, torch::kCUDA, optim::Precision::kBFloat16, 0.0);
    for (size_t i = 0; i < w.size(); ++i) {
      EXPECT_EQ(w[i].scalar_type(), torch::kFloat32);
      EXPECT_TRUE(torch::equal(w[i], w0[i])) << name << " parameter " << i;
    }
  }
}

TEST(Cuda, StepTimerUsesCudaEvents) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device in this LibTorch/machine";
  StepTimer t(torch::kCUDA);
  auto a = torch::randn({2048, 2048}, torch::kCUDA);
  t.start();
  for (int i = 0; i < 10; ++i) a = a.mm(a).tanh();
  t.stop();
  EXPECT_GT(t.seconds(), 0.0);
  EXPECT_NE(t.method().find("CUDA events"), std::string::npos) << t.method();
}

// The binary this build made, or the one NRSBENCH_BINARY names: the GPU pack
// carries this test executable to a machine where the build path is not.
static std::string binary() {
  const char* e = std::getenv("NRSBENCH_BINARY");
  return e != nullptr && *e != 0 ? e : NRSBENCH_BINARY;
}

TEST(Cuda, RunOnTheGpuWithBf16AndChannelsLast) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device in this LibTorch/machine";
  const std::string out = ::testing::TempDir() + "/cuda-run.json";
  const std::string cmd = binary() +
                          " run --quiet --dataset synthetic --model resnet18-mini --optimizer nrs --device cuda"
                          " --precision bf16 --channels-last --cudnn-benchmark --epochs 2 --hessian-top-k 2"
                          " --hessian-samples 128 --out " +
                          out + " > /dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::ifstream f(out);
  auto j = nlohmann::json::parse(f);
  EXPECT_EQ(j["status"], "ok");
  EXPECT_GT(j["final"]["test_acc"].get<double>(), 0.5);
  EXPECT_NE(j["throughput"]["timing"].get<std::string>().find("CUDA events"), std::string::npos);
  EXPECT_GT(j["throughput"]["steady_images_per_s"].get<double>(), 0.0);
}

// A one-rank NCCL process group (c10d's ProcessGroupNCCL, as a data-parallel
// run on GPUs makes it): collectives on the GPU give the one rank's values.
TEST(Cuda, OneRankNcclProcessGroupReduces) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device in this LibTorch/machine";
  dist::DistEnv env;
  env.master_port = 29600 + static_cast<int>(::getpid() % 300);
  auto comm = dist::Communicator::connect(env, "cuda", std::chrono::milliseconds(60000));
  EXPECT_EQ(comm->backend(), "nccl");
  auto t = torch::arange(4, torch::TensorOptions().dtype(torch::kFloat32).device(torch::kCUDA));
  comm->all_reduce_sum({t});
  EXPECT_TRUE(torch::equal(t.cpu(), torch::arange(4, torch::kFloat32)));
  EXPECT_EQ(comm->broadcast_value(2.5), 2.5);
  comm->barrier();
}
