// Data-parallel steps on c10d Gloo (2 ranks on loopback, each a copy of this
// executable running DistWorker.DISABLED_Train) against independent values:
//   - global semantics: world 2 x 64 rows = one process with the batch of
//     128, for every strategy (an MLP without BatchNorm, float64);
//   - local SAM, GNP, LookSAM and RST = a hand-written reference in which
//     each half-batch takes its step from its own gradients and the halves
//     are averaged (autograd on the raw tensors, not the strategy code);
//   - --sam-m 64 in one process = local SAM on 2 replicas.
// CTest label: dist
#include "spawn.h"
#include "suite/dist/communicator.h"
#include "suite/run/replica_sync.h"
#include "tests/support/optim_fixtures.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

namespace {

using nrs::testing::Mlp2;
using nrs::testing::named_params;

constexpr int kSteps = 4;
constexpr int64_t kBatch = 128, kIn = 6, kHidden = 10, kClasses = 3;
constexpr double kLr = 0.1, kMomentum = 0.9, kWd = 5e-4, kRho = 0.05;
constexpr uint64_t kRstSeed = 0;  // RST at p = 0.5: the steps' draws (asserted mixed below)

nrs::data::Batch global_batch(int step) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(1000 + step);
  auto x = torch::randn({kBatch, kIn}, gen, torch::TensorOptions().dtype(torch::kFloat64));
  auto y = torch::randint(0, kClasses, {kBatch}, gen, torch::TensorOptions().dtype(torch::kInt64));
  return {x, y};
}

std::shared_ptr<Mlp2> make_mlp() {
  torch::manual_seed(7);
  return std::make_shared<Mlp2>(kIn, kHidden, kClasses, torch::kFloat64);
}

nrs::optim::SgdOptions sgd_options() {
  nrs::optim::SgdOptions o;
  o.momentum = kMomentum;
  o.weight_decay = kWd;
  return o;
}

nrs::optim::StrategyOptions scenario(const std::string& name, int64_t sam_m = 0) {
  nrs::optim::StrategyOptions o;
  const auto dash = name.rfind('-');
  o.name = name.substr(0, dash);
  o.perturbation = name.substr(dash + 1);
  o.rho = kRho;
  o.nrs_radius = 0.05;
  o.nrs_alpha = 1.0;
  o.sam_m = sam_m;
  o.looksam_k = 2;  // steps 0 and 2 full, 1 and 3 reuse g_v
  o.seed = kRstSeed;
  return o;
}

// kSteps steps of `so`; with replicas, each trains its rows of every batch.
std::vector<torch::Tensor> train(const nrs::optim::StrategyOptions& so, nrs::optim::Replicas* replicas) {
  auto model = make_mlp();
  nrs::optim::BaseSgd base(named_params(*model), sgd_options());
  auto strat = nrs::optim::make_strategy(so, *model, base);
  nrs::optim::Objective obj;
  for (int i = 0; i < kSteps; ++i) {
    const auto b = global_batch(i);
    nrs::ReplicaRows rows{b, 1.0};
    if (replicas != nullptr) rows = nrs::replica_rows(b, replicas->rank(), replicas->world());
    nrs::optim::StepContext ctx{*model,   rows.batch,  obj, base,  kLr, nrs::optim::Precision::kFloat32,
                                replicas, rows.weight, i,   kSteps};
    strat->step(ctx);
  }
  std::vector<torch::Tensor> out;
  for (const auto& p : model->parameters()) out.push_back(p.detach().clone());
  return out;
}

// The worker: one rank of the job the parent test started.
TEST(DistWorker, DISABLED_Train) {
  const auto env = nrs::dist::read_dist_env();
  auto comm = nrs::dist::Communicator::connect(env, "cpu", std::chrono::seconds(60));
  const auto params = train(scenario(std::getenv("NRS_TEST_SCENARIO")), comm.get());
  if (env.rank == 0) torch::save(params, std::getenv("NRS_TEST_OUT"));
}

// Runs the scenario on 2 ranks and returns rank 0's final parameters.
std::vector<torch::Tensor> train_on_two_ranks(const std::string& name) {
  const auto out =
      (std::filesystem::temp_directory_path() / ("nrs-dp-" + std::to_string(::getpid()) + "-" + name + ".pt")).string();
  const auto exits = nrs::test::run_ranks(
      2, {"/proc/self/exe", "--gtest_also_run_disabled_tests", "--gtest_filter=DistWorker.DISABLED_Train"},
      {{"NRS_TEST_SCENARIO", name}, {"NRS_TEST_OUT", out}}, [](int, auto&) {});
  for (int r = 0; r < 2; ++r) {
    EXPECT_TRUE(exits[r].exited) << "rank " << r << " still running at the deadline";
    EXPECT_EQ(exits[r].status, 0) << "rank " << r;
  }
  std::vector<torch::Tensor> p;
  if (std::filesystem::exists(out)) {
    torch::load(p, out);
    std::filesystem::remove(out);
  }
  return p;
}

double max_abs_diff(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
  EXPECT_EQ(a.size(), b.size());
  double m = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) m = std::max(m, (a[i] - b[i]).abs().max().item<double>());
  return m;
}

std::vector<torch::Tensor> initial_params() {
  std::vector<torch::Tensor> out;
  for (const auto& p : make_mlp()->parameters()) out.push_back(p.detach().clone());
  return out;
}

class GlobalSemantics : public ::testing::TestWithParam<std::string> {};

TEST_P(GlobalSemantics, TwoReplicasOf64MatchOneProcessWith128) {
  const auto so = scenario(GetParam());
  const auto one = train(so, nullptr);
  const auto two = train_on_two_ranks(GetParam());
  ASSERT_FALSE(two.empty());
  EXPECT_GT(max_abs_diff(one, initial_params()), 1e-3);  // the steps moved the weights
  EXPECT_LT(max_abs_diff(one, two), 1e-12);              // float64: summation order only
}

INSTANTIATE_TEST_SUITE_P(DataParallel, GlobalSemantics,
                         ::testing::Values("sgd-global", "sam-global", "gnp-global", "looksam-global", "rst-global",
                                           "nrs-global"),
                         [](const auto& i) { return i.param.substr(0, i.param.find('-')); });

// Local perturbations, by hand: each half of the batch takes its own step
// kind from its own gradients, the two halves' gradients are averaged, then
// torch.optim.SGD's update (weight decay added to the gradient, momentum
// buffer = gradient at the first step). A SAM step perturbs w with the
// half's normalised gradient g0 and uses g1 = grad L(w + rho g0/||g0||), or
// with alpha < 1 GNP's (1 - alpha) g0/||g0|| + alpha g1 (the official code's
// normalized first gradient, its per-device perturbation), and stores the
// half's g_v = g1 - (<g1, g0>/||g0||^2) g0; an SGD step uses g0; a LookSAM
// reuse step g0 + look_alpha ||g0||/||g_v|| g_v with the half's own g_v.
enum class Kind { kSgd, kSam, kReuse };

std::vector<torch::Tensor> local_by_hand(const std::function<Kind(int)>& kind, double alpha = 1.0,
                                         double look_alpha = 0.0) {
  std::vector<torch::Tensor> w = initial_params(), buf(w.size());
  std::vector<torch::Tensor> gv[2];
  auto loss_at = [](const std::vector<torch::Tensor>& p, const nrs::data::Batch& b) {
    auto h = torch::relu(torch::matmul(b.x, p[0].t()) + p[1]);
    return torch::nn::functional::cross_entropy(torch::matmul(h, p[2].t()) + p[3], b.y);
  };
  auto grad_at = [&](const std::vector<torch::Tensor>& p, const nrs::data::Batch& b) {
    std::vector<torch::Tensor> leaves;
    for (const auto& t : p) leaves.push_back(t.detach().clone().requires_grad_(true));
    return torch::autograd::grad({loss_at(leaves, b)}, leaves);
  };
  auto dot = [](const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
    double s = 0;
    for (size_t k = 0; k < a.size(); ++k) s += (a[k] * b[k]).sum().item<double>();
    return s;
  };
  for (int i = 0; i < kSteps; ++i) {
    const auto b = global_batch(i);
    std::vector<torch::Tensor> g(w.size());
    for (int h = 0; h < 2; ++h) {
      const nrs::data::Batch half{b.x.narrow(0, h * 64, 64), b.y.narrow(0, h * 64, 64)};
      auto g0 = grad_at(w, half);
      const double n0 = std::sqrt(dot(g0, g0));
      std::vector<torch::Tensor> step(w.size());
      if (kind(i) == Kind::kSgd) {
        step = g0;
      } else if (kind(i) == Kind::kReuse) {
        const double scale = look_alpha * n0 / std::sqrt(dot(gv[h], gv[h]));
        for (size_t k = 0; k < w.size(); ++k) step[k] = g0[k] + scale * gv[h][k];
      } else {
        std::vector<torch::Tensor> pert;
        for (size_t k = 0; k < w.size(); ++k) pert.push_back(w[k] + kRho / n0 * g0[k]);
        auto g1 = grad_at(pert, half);
        const double c = dot(g1, g0) / (n0 * n0);
        gv[h].assign(w.size(), torch::Tensor());
        for (size_t k = 0; k < w.size(); ++k) {
          gv[h][k] = g1[k] - c * g0[k];
          step[k] = alpha == 1.0 ? g1[k] : (1 - alpha) * g0[k] / n0 + alpha * g1[k];
        }
      }
      for (size_t k = 0; k < w.size(); ++k) g[k] = h == 0 ? 0.5 * step[k] : g[k] + 0.5 * step[k];
    }
    for (size_t k = 0; k < w.size(); ++k) {
      auto d = g[k] + kWd * w[k];
      buf[k] = i == 0 ? d : kMomentum * buf[k] + d;
      w[k] = w[k] - kLr * buf[k];
    }
  }
  return w;
}

std::vector<torch::Tensor> local_sam_by_hand(double alpha = 1.0) {
  return local_by_hand([](int) { return Kind::kSam; }, alpha);
}

TEST(DataParallel, LocalSamAveragesEachReplicasOwnSamGradient) {
  const auto two = train_on_two_ranks("sam-local");
  ASSERT_FALSE(two.empty());
  EXPECT_LT(max_abs_diff(two, local_sam_by_hand()), 1e-12);
  // And it is not the global update (the semantics differ measurably).
  EXPECT_GT(max_abs_diff(two, train(scenario("sam-global"), nullptr)), 1e-6);
}

TEST(DataParallel, LocalGnpMixesEachReplicasOwnGradients) {
  const auto two = train_on_two_ranks("gnp-local");
  ASSERT_FALSE(two.empty());
  EXPECT_LT(max_abs_diff(two, local_sam_by_hand(0.8)), 1e-12);
  EXPECT_GT(max_abs_diff(two, local_sam_by_hand()), 1e-6);  // not SAM's update
}

// LookSAM k = 2 (scenario()): steps 0 and 2 are each replica's SAM step and
// store its own g_v; steps 1 and 3 reuse it with the replica's own gradient.
TEST(DataParallel, LocalLookSamReusesEachReplicasOwnOrthogonalPart) {
  const auto two = train_on_two_ranks("looksam-local");
  ASSERT_FALSE(two.empty());
  const auto by_hand = local_by_hand([](int i) { return i % 2 == 0 ? Kind::kSam : Kind::kReuse; }, 1.0, 0.7);
  EXPECT_LT(max_abs_diff(two, by_hand), 1e-12);
  EXPECT_GT(max_abs_diff(two, local_sam_by_hand()), 1e-6);  // the reuse steps are not SAM's
}

// RST at p = 0.5: both replicas draw the same kind for each step (the draw is
// keyed by the run's seed and the step) and take it with their own gradients.
TEST(DataParallel, LocalRstTakesTheDrawnStepOnEveryReplica) {
  auto sam_at = [](int i) { return nrs::optim::rst_uniform(kRstSeed, i) < 0.5; };
  int sam_steps = 0;
  for (int i = 0; i < kSteps; ++i) sam_steps += sam_at(i);
  ASSERT_GT(sam_steps, 0);  // the seed's draws mix both kinds over the steps
  ASSERT_LT(sam_steps, kSteps);
  const auto two = train_on_two_ranks("rst-local");
  ASSERT_FALSE(two.empty());
  EXPECT_LT(max_abs_diff(two, local_by_hand([&](int i) { return sam_at(i) ? Kind::kSam : Kind::kSgd; })), 1e-12);
  EXPECT_GT(max_abs_diff(two, local_sam_by_hand()), 1e-6);
}

TEST(DataParallel, SamMInOneProcessEqualsLocalReplicas) {
  const auto two = train_on_two_ranks("sam-local");
  ASSERT_FALSE(two.empty());
  EXPECT_LT(max_abs_diff(train(scenario("sam-local", /*sam_m=*/64), nullptr), two), 1e-12);
}

TEST(DataParallel, GlobalPerturbationRefusesSamM) {
  auto o = scenario("sam-global", 64);
  try {
    o.validate();
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("--perturbation global"), std::string::npos) << e.what();
  }
}

}  // namespace
