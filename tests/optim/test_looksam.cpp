// LookSAM (Liu et al., CVPR 2022): a closed form over a full and a reuse step
// on a quadratic, k = 1 against SAM, and the stored g_v across a restart.
#include "tests/support/optim_fixtures.h"

using namespace nrs;
using namespace nrs::testing;

namespace {

optim::StrategyOptions looksam(int64_t k, double rho = 0.05, double alpha = 0.7) {
  optim::StrategyOptions so;
  so.name = "looksam";
  so.rho = rho;
  so.looksam_k = k;
  so.looksam_alpha = alpha;
  return so;
}

// Steps [from, to) of `strat`, step i on mini_batch(100 + i) with global_step i:
// LookSAM decides full or reuse steps by the global step.
void steps(models::Net& net, optim::StepStrategy& strat, optim::BaseSgd& base, int from, int to) {
  optim::Objective obj;
  for (int i = from; i < to; ++i) {
    auto b = mini_batch(100 + i);
    optim::StepContext ctx{net, b, obj, base, 0.05, optim::Precision::kFloat32, nullptr, 1.0, i};
    strat.step(ctx);
  }
}

}  // namespace

// Step 0 is SAM's: g0 = A w0, gs = A (w0 + rho g0/||g0||), w1 = w0 - lr gs,
// g_v = gs - (<gs, g0>/||g0||^2) g0. Step 1 reuses it: g1 = A w1,
// w2 = w1 - lr (g1 + alpha ||g1||/||g_v|| g_v). Plain SGD, no momentum.
TEST(LookSam, FullThenReuseStepMatchClosedForm) {
  const auto A = spd_matrix();
  const auto w0 = torch::tensor({1.0, -2.0, 0.5}, torch::kFloat64);
  const double lr = 0.1, rho = 0.05, alpha = 0.7;
  VectorNet net(w0);
  optim::SgdOptions sgd;
  sgd.momentum = 0.0;
  optim::BaseSgd base(named_params(net), sgd);
  auto strat = optim::make_strategy(looksam(2, rho, alpha), net, base);
  const auto obj = quadratic(A);
  const auto b = dummy_batch();
  for (int i = 0; i < 2; ++i) {
    optim::StepContext ctx{net, b, obj, base, lr, optim::Precision::kFloat32, nullptr, 1.0, i};
    strat->step(ctx);
  }
  const auto g0 = torch::mv(A, w0);
  const auto gs = torch::mv(A, w0 + rho * g0 / g0.norm());
  const auto w1 = w0 - lr * gs;
  const auto gv = gs - (torch::dot(gs, g0) / torch::dot(g0, g0)) * g0;
  const auto g1 = torch::mv(A, w1);
  const auto w2 = w1 - lr * (g1 + alpha * g1.norm() / gv.norm() * gv);
  EXPECT_TRUE(torch::allclose(net.w.detach(), w2, 0, 1e-14)) << net.w << w2;
  // g_v is orthogonal to g0 by construction; the step used it, not SGD's g1.
  EXPECT_LT(std::abs(torch::dot(gv, g0).item<double>()), 1e-14);
  EXPECT_GT((w2 - (w1 - lr * g1)).abs().max().item<double>(), 1e-4);
}

// k = 1: every step is SAM's, bit for bit, with momentum and weight decay.
TEST(LookSam, KOneIsBitwiseSam) {
  optim::SgdOptions sgd;
  sgd.momentum = 0.9;
  sgd.weight_decay = 5e-4;
  auto a = small_mini_cnn(7), b = small_mini_cnn(7), c = small_mini_cnn(7);
  optim::StrategyOptions sam;
  sam.name = "sam";
  sam.rho = 0.05;
  for (auto& [net, so] : std::vector<std::pair<models::Net*, optim::StrategyOptions>>{
           {a.get(), sam}, {b.get(), looksam(1)}, {c.get(), looksam(2)}}) {
    optim::BaseSgd base(named_params(*net), sgd);
    auto strat = optim::make_strategy(so, *net, base);
    steps(*net, *strat, base, 0, 4);
  }
  EXPECT_TRUE(states_equal(*a, *b));
  EXPECT_FALSE(states_equal(*a, *c));  // k = 2 reuses g_v on steps 1 and 3
}

// A run restarted after step 2 of 5 (k = 3: steps 0 and 3 full) with the
// strategy's state continues bit for bit; without it, step 2 differs.
TEST(LookSam, StoredOrthogonalPartSurvivesARestart) {
  optim::SgdOptions sgd;
  sgd.momentum = 0.0;  // a stateless base: only the strategy carries state
  auto ref = small_mini_cnn(8), resumed = small_mini_cnn(8), fresh = small_mini_cnn(8);
  {
    optim::BaseSgd base(named_params(*ref), sgd);
    auto strat = optim::make_strategy(looksam(3), *ref, base);
    steps(*ref, *strat, base, 0, 5);
  }
  std::vector<torch::Tensor> state;
  for (auto* net : {resumed.get(), fresh.get()}) {
    optim::BaseSgd base(named_params(*net), sgd);
    auto strat = optim::make_strategy(looksam(3), *net, base);
    steps(*net, *strat, base, 0, 2);
    state = strat->state();
  }
  ASSERT_FALSE(state.empty());
  for (auto* net : {resumed.get(), fresh.get()}) {
    optim::BaseSgd base(named_params(*net), sgd);
    auto strat = optim::make_strategy(looksam(3), *net, base);
    if (net == resumed.get()) strat->load_state(state);
    steps(*net, *strat, base, 2, 5);
  }
  EXPECT_TRUE(states_equal(*ref, *resumed));
  EXPECT_FALSE(states_equal(*ref, *fresh));
}

TEST(LookSam, RefusesBadKAndSamM) {
  auto so = looksam(0);
  EXPECT_THROW(so.validate(), std::invalid_argument);
  so = looksam(5);
  so.sam_m = 8;
  try {
    so.validate();
    FAIL() << "accepted --sam-m";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("--sam-m"), std::string::npos) << e.what();
  }
}
