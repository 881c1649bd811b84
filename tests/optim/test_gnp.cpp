// GNP (Zhao, Zhang & Hu, ICML 2022) against closed forms on a quadratic,
// against SAM at alpha = 1, and under bf16 autocast.
#include "tests/support/optim_fixtures.h"

using namespace nrs;
using namespace nrs::testing;

namespace {

optim::StrategyOptions gnp(double r, double alpha, const std::string& mix) {
  optim::StrategyOptions so;
  so.name = "gnp";
  so.rho = r;
  so.gnp_alpha = alpha;
  so.gnp_mix = mix;
  return so;
}

optim::SgdOptions momentum_and_wd() {
  optim::SgdOptions s;
  s.momentum = 0.9;
  s.weight_decay = 5e-4;
  return s;
}

}  // namespace

// One step from w0 on 0.5 w'Aw, written out from the paper's finite
// difference: g = A w0, e = r g/||g||, g_GNP = (1 - alpha) a + alpha A (w0 + e)
// with a = g/||g|| (official code) or a = g (paper). Plain SGD, no momentum.
TEST(Gnp, QuadraticStepMatchesClosedFormForBothMixes) {
  const auto A = spd_matrix();
  const auto w0 = torch::tensor({1.0, -2.0, 0.5}, torch::kFloat64);
  const double lr = 0.1, r = 0.05;
  for (const std::string mix : {"normalized", "raw"})
    for (double alpha : {0.8, 0.5, 2.0}) {
      VectorNet net(w0);
      optim::SgdOptions sgd;
      sgd.momentum = 0.0;
      run_steps(net, gnp(r, alpha, mix), sgd, dummy_batch(), lr, 1, quadratic(A));
      const auto g = torch::mv(A, w0);
      const auto a = mix == "normalized" ? g / g.norm() : g;
      const auto expected = w0 - lr * ((1 - alpha) * a + alpha * torch::mv(A, w0 + r * g / g.norm()));
      EXPECT_TRUE(torch::allclose(net.w.detach(), expected, 0, 1e-14)) << mix << " alpha " << alpha << "\n"
                                                                       << net.w << expected;
    }
}

// ||g|| = 1.5 here, so the two mixes must give different steps.
TEST(Gnp, NormalizedAndRawMixesDiffer) {
  const auto A = spd_matrix();
  const auto w0 = torch::tensor({0.5, 0.0, 0.0}, torch::kFloat64);  // g = (1.5, 0.5, 0)
  VectorNet a(w0), b(w0);
  optim::SgdOptions sgd;
  sgd.momentum = 0.0;
  run_steps(a, gnp(0.05, 0.8, "normalized"), sgd, dummy_batch(), 0.1, 1, quadratic(A));
  run_steps(b, gnp(0.05, 0.8, "raw"), sgd, dummy_batch(), 0.1, 1, quadratic(A));
  EXPECT_GT((a.w - b.w).abs().max().item<double>(), 1e-4);
}

// alpha = 1: the first-gradient term vanishes and GNP is SAM bit for bit,
// with momentum and weight decay, over several batches.
TEST(Gnp, AlphaOneIsBitwiseSam) {
  const auto sgd = momentum_and_wd();
  for (const std::string mix : {"normalized", "raw"}) {
    auto a = small_mini_cnn(5), b = small_mini_cnn(5);
    optim::StrategyOptions sam;
    sam.name = "sam";
    sam.rho = 0.1;
    run_steps_on_batches(*a, sam, sgd, 3, mini_batch);
    run_steps_on_batches(*b, gnp(0.1, 1.0, mix), sgd, 3, mini_batch);
    EXPECT_TRUE(states_equal(*a, *b)) << mix;
    // And alpha below 1 is not SAM (the test can tell them apart).
    auto c = small_mini_cnn(5);
    run_steps_on_batches(*c, gnp(0.1, 0.8, mix), sgd, 3, mini_batch);
    EXPECT_FALSE(states_equal(*a, *c)) << mix;
  }
}

// r = 0 trains with the plain gradient, as the official train_step does.
TEST(Gnp, RadiusZeroIsBitwiseSgd) {
  const auto sgd = momentum_and_wd();
  for (const std::string mix : {"normalized", "raw"}) {
    auto a = small_mini_cnn(6), b = small_mini_cnn(6);
    run_steps_on_batches(*a, optim::StrategyOptions{}, sgd, 3, mini_batch);
    run_steps_on_batches(*b, gnp(0.0, 0.8, mix), sgd, 3, mini_batch);
    EXPECT_TRUE(states_equal(*a, *b)) << mix;
  }
}

TEST(Gnp, ZeroGradientGivesNoPerturbationAndNoNaN) {
  const auto A = spd_matrix();
  VectorNet net(torch::zeros({3}, torch::kFloat64));  // grad L(0) = 0
  optim::SgdOptions sgd;
  run_steps(net, gnp(0.05, 0.8, "normalized"), sgd, dummy_batch(), 0.1, 2, quadratic(A));
  EXPECT_TRUE(torch::equal(net.w.detach(), torch::zeros({3}, torch::kFloat64))) << net.w;
}

TEST(Gnp, RefusesNonPositiveAlphaAndUnknownMix) {
  for (const auto& [alpha, mix, flag] : std::vector<std::tuple<double, std::string, std::string>>{
           {0.0, "normalized", "--gnp-alpha"}, {-1.0, "raw", "--gnp-alpha"}, {0.8, "paper", "--gnp-mix"}}) {
    try {
      gnp(0.05, alpha, mix).validate();
      ADD_FAILURE() << "accepted alpha " << alpha << " mix " << mix;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(flag), std::string::npos) << e.what();
    }
  }
}

TEST(Gnp, DescribesItsVariantAndSettings) {
  auto net = small_mini_cnn(1);
  optim::BaseSgd base(named_params(*net), {});
  const auto d = optim::make_strategy(gnp(0.1, 0.8, "raw"), *net, base)->describe();
  EXPECT_EQ(d["name"], "gnp");
  EXPECT_EQ(d["variant"], "gnp-raw");
  EXPECT_EQ(d["variant"], optim::variant_name(gnp(0.1, 0.8, "raw")));
  EXPECT_EQ(d["rho"], 0.1);
  EXPECT_EQ(d["gnp_alpha"], 0.8);
}
