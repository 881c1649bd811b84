// SAM and ASAM against closed forms and hand computations.
#include "tests/support/optim_fixtures.h"

using namespace nrs;
using namespace nrs::testing;

namespace {

optim::SgdOptions plain_sgd() {
  optim::SgdOptions s;
  s.momentum = 0.0;
  return s;
}

}  // namespace

TEST(Sam, QuadraticStepMatchesClosedForm) {
  auto A = spd_matrix();
  auto w0 = torch::tensor({1.0, -2.0, 0.5}, torch::kFloat64);
  const double lr = 0.1, rho = 0.05;
  VectorNet net(w0);
  optim::StrategyOptions so;
  so.name = "sam";
  so.rho = rho;
  run_steps(net, so, plain_sgd(), dummy_batch(), lr, 1, quadratic(A));
  auto g = torch::mv(A, w0);
  auto expected = w0 - lr * torch::mv(A, w0 + rho * g / g.norm());
  EXPECT_TRUE(torch::allclose(net.w.detach(), expected, 0, 1e-14)) << net.w << expected;
}

namespace {

// One SAM step (lr 0.1, rho 0.05) on the quadratic 0.5 w'Aw from w0, with
// weight decay 0.3 in wd-mode `mode`: the weights after it, for the three
// closed forms below.
struct WdStep {
  torch::Tensor A = spd_matrix(), w0 = torch::tensor({1.0, -2.0, 0.5}, torch::kFloat64), w1;
  double lr = 0.1, rho = 0.05, wd = 0.3;
};
WdStep sam_step_with_wd(const std::string& mode) {
  WdStep c;
  VectorNet net(c.w0);
  optim::StrategyOptions so;
  so.name = "sam";
  so.rho = c.rho;
  auto sgd = plain_sgd();
  sgd.weight_decay = c.wd;
  sgd.wd_mode = mode;
  run_steps(net, so, sgd, dummy_batch(), c.lr, 1, quadratic(c.A));
  c.w1 = net.w.detach();
  return c;
}

}  // namespace

TEST(Sam, L2ModePutsWeightDecayIntoThePerturbation) {
  auto c = sam_step_with_wd("loss");
  auto Aw = c.A + c.wd * torch::eye(3, torch::kFloat64);
  auto g = torch::mv(Aw, c.w0);
  auto expected = c.w0 - c.lr * torch::mv(Aw, c.w0 + c.rho * g / g.norm());
  EXPECT_TRUE(torch::allclose(c.w1, expected, 0, 1e-14));
}

TEST(Sam, OptimizerModeKeepsWeightDecayOutOfThePerturbation) {
  auto c = sam_step_with_wd("optimizer");
  auto g = torch::mv(c.A, c.w0);
  auto expected = c.w0 - c.lr * (torch::mv(c.A, c.w0 + c.rho * g / g.norm()) + c.wd * c.w0);
  EXPECT_TRUE(torch::allclose(c.w1, expected, 0, 1e-14));
}

TEST(Sam, SgdwModeDecaysApartFromTheSamGradient) {
  auto c = sam_step_with_wd("decoupled");
  auto g = torch::mv(c.A, c.w0);
  auto expected = c.w0 * (1 - c.lr * c.wd) - c.lr * torch::mv(c.A, c.w0 + c.rho * g / g.norm());
  EXPECT_TRUE(torch::allclose(c.w1, expected, 0, 1e-14));
}

TEST(Sam, ClipsTheMeanOfTheChunkGradientsOnce) {
  // Official order: per-device SAM gradients, averaged (pmean), then one
  // global-norm clip. Loss = 0.5 ||w - t_i||^2 per sample (targets t_i), two
  // samples, --sam-m 1: each sample perturbs with its own gradient w - t_i.
  // w0 = 0, t_1 = (3, 0), t_2 = (0, 4): g_1 = (-3, 0), g_2 = (0, -4);
  // e_i = rho g_i/||g_i||, rho = 1: e_1 = (-1, 0), e_2 = (0, -1);
  // g_SAM_i = w0 + e_i - t_i: (-4, 0), (0, -5); mean (-2, -2.5), norm sqrt(10.25);
  // clip 1: c = mean / (sqrt(10.25) + 1e-6); w1 = -lr c with lr 1.
  struct TargetNet : models::Net {
    TargetNet() { w = register_parameter("w", torch::zeros({2}, torch::kFloat64)); }
    torch::Tensor forward(torch::Tensor x) override { return w.unsqueeze(0).expand({x.size(0), 2}); }
    torch::Tensor w;
  } net;
  optim::Objective obj;
  obj.custom = [](const torch::Tensor& out, const torch::Tensor& y) {
    auto t = torch::stack({torch::tensor({3.0, 0.0}, torch::kFloat64), torch::tensor({0.0, 4.0}, torch::kFloat64)})
                 .index_select(0, y);
    return 0.5 * (out - t).pow(2).sum(1).mean();
  };
  optim::StrategyOptions so;
  so.name = "sam";
  so.rho = 1.0;
  so.sam_m = 1;
  auto sgd = plain_sgd();
  sgd.grad_clip = 1.0;
  data::Batch b{torch::zeros({2, 1}, torch::kFloat64), torch::tensor({0, 1}, torch::kInt64)};
  run_steps(net, so, sgd, b, 1.0, 1, obj);
  const double n = std::sqrt(10.25) + 1e-6;
  EXPECT_NEAR(net.w[0].item<double>(), 2.0 / n, 1e-14);
  EXPECT_NEAR(net.w[1].item<double>(), 2.5 / n, 1e-14);
}

TEST(Sam, ZeroGradientGivesNoPerturbationAndNoNaN) {
  auto A = spd_matrix();
  VectorNet net(torch::zeros({3}, torch::kFloat64));  // minimum: g = 0
  optim::StrategyOptions so;
  so.name = "sam";
  optim::BaseSgd base(named_params(net), plain_sgd());
  auto strat = optim::make_strategy(so, net, base);
  auto batch = dummy_batch();
  auto obj = quadratic(A);
  optim::StepContext ctx{net, batch, obj, base, 0.1};
  auto st = strat->step(ctx);
  EXPECT_EQ(st.perturb_norm.item<double>(), 0.0);
  EXPECT_TRUE(torch::equal(net.w.detach(), torch::zeros({3}, torch::kFloat64)));
}

TEST(Sam, ZeroLearningRateLeavesParametersBitwiseUnchanged) {
  // Exact restore: a SAM step with lr 0 must return w bit for bit (a
  // subtraction-based restore would drift in float32).
  torch::manual_seed(3);
  auto net = std::make_shared<Mlp2>(5, 7, 3, torch::kFloat32);
  auto before = std::make_shared<Mlp2>(5, 7, 3, torch::kFloat32);
  {
    torch::NoGradGuard ng;
    for (auto& kv : before->named_parameters()) kv.value().copy_(net->named_parameters()[kv.key()]);
  }
  data::Batch b{torch::randn({8, 5}), torch::randint(0, 3, {8}, torch::kInt64)};
  optim::StrategyOptions so;
  so.name = "sam";
  so.rho = 0.7;
  run_steps(*net, so, plain_sgd(), b, 0.0, 3);
  EXPECT_TRUE(states_equal(*net, *before));
}

TEST(Asam, PerturbationMatchesHandComputation) {
  // Expose the protected perturbation so the test can inspect e alone.
  struct Probe : optim::AsamStep {
    using optim::AsamStep::AsamStep;
    using optim::AsamStep::perturb;
  };
  torch::manual_seed(11);
  Mlp2 net(3, 4, 2, torch::kFloat64);
  std::map<std::string, torch::Tensor> w0, g;
  for (auto& kv : net.named_parameters()) {
    w0[kv.key()] = kv.value().detach().clone();
    g[kv.key()] = torch::randn_like(kv.value());
    kv.value().mutable_grad() = g[kv.key()].clone();
  }
  optim::StrategyOptions so;
  so.name = "asam";
  so.rho = 0.5;
  so.asam_eta = 0.01;
  optim::BaseSgd base(named_params(net), plain_sgd());
  Probe probe(so, net, base);
  probe.perturb(base);

  // Hand computation: T = |w| + eta for *.weight, 1 for *.bias;
  // e = rho * T^2 g / sqrt(sum ||T g||^2).
  double denom = 0.0;
  std::map<std::string, torch::Tensor> T;
  for (auto& [k, w] : w0) {
    const bool adaptive = k.size() >= 6 && k.substr(k.size() - 6) == "weight";
    T[k] = adaptive ? w.abs() + 0.01 : torch::ones_like(w);
    denom += (T[k] * g[k]).pow(2).sum().item<double>();
  }
  denom = std::sqrt(denom);
  for (auto& kv : net.named_parameters()) {
    const auto& k = kv.key();
    auto expected = w0[k] + 0.5 * T[k] * T[k] * g[k] / denom;
    EXPECT_TRUE(torch::allclose(kv.value().detach(), expected, 0, 1e-14)) << k;
  }
}
