// RST / SS-SAM (Zhao, Zhang & Hu, arXiv 2203.09962): every step is exactly
// SGD's or SAM's closed-form step on a quadratic, chosen by the documented
// draw; the SAM fraction follows the binomial law; p = 1 is SAM and p = 0
// SGD bit for bit; the counts survive a restart.
#include "tests/support/optim_fixtures.h"

#include <cmath>

using namespace nrs;
using namespace nrs::testing;

namespace {

optim::StrategyOptions rst(double p, const std::string& schedule = "constant", double p_end = 0.5) {
  optim::StrategyOptions so;
  so.name = "rst";
  so.rho = 0.05;
  so.rst_p = p;
  so.rst_p_end = p_end;
  so.rst_schedule = schedule;
  so.seed = 11;
  return so;
}

// Steps [from, to) of `strat` on mini_batch(100 + i), global step i of `total`.
void steps(models::Net& net, optim::StepStrategy& strat, optim::BaseSgd& base, int from, int to, int64_t total = 0) {
  optim::Objective obj;
  for (int i = from; i < to; ++i) {
    auto b = mini_batch(100 + i);
    optim::StepContext ctx{net, b, obj, base, 0.05, optim::Precision::kFloat32, nullptr, 1.0, i, total};
    strat.step(ctx);
  }
}

}  // namespace

// On 0.5 w'Aw (plain SGD, no momentum) step t is either SGD's w - lr A w or
// SAM's w - lr A (w + rho g/||g||), never anything else; it is SAM's exactly
// when the uniform of step t is below p; the summary counts the SAM steps.
TEST(Rst, EachStepIsSgdOrSamAsTheDrawSays) {
  const auto A = spd_matrix();
  const double lr = 0.1, rho = 0.05, p = 0.5;
  VectorNet net(torch::tensor({1.0, -2.0, 0.5}, torch::kFloat64));
  optim::SgdOptions sgd;
  sgd.momentum = 0.0;
  optim::BaseSgd base(named_params(net), sgd);
  auto so = rst(p);
  so.rho = rho;
  auto strat = optim::make_strategy(so, net, base);
  const auto obj = quadratic(A);
  const auto b = dummy_batch();
  int sam_steps = 0;
  for (int t = 0; t < 24; ++t) {
    const auto w = net.w.detach().clone();
    optim::StepContext ctx{net, b, obj, base, lr, optim::Precision::kFloat32, nullptr, 1.0, t};
    strat->step(ctx);
    const auto g = torch::mv(A, w);
    const auto w_sgd = w - lr * g;
    const auto w_sam = w - lr * torch::mv(A, w + rho * g / g.norm());
    const bool is_sgd = torch::allclose(net.w.detach(), w_sgd, 0, 1e-14);
    const bool is_sam = torch::allclose(net.w.detach(), w_sam, 0, 1e-14);
    ASSERT_NE(is_sgd, is_sam) << "step " << t;  // the two differ by ~lr rho ||A|| >> 1e-14
    EXPECT_EQ(is_sam, optim::rst_uniform(so.seed, t) < p) << "step " << t;
    sam_steps += is_sam;
  }
  EXPECT_GT(sam_steps, 0);
  EXPECT_LT(sam_steps, 24);
  const auto s = strat->summary();
  EXPECT_EQ(s.at("steps").get<int64_t>(), 24);
  EXPECT_EQ(s.at("sam_steps").get<int>(), sam_steps);
  EXPECT_DOUBLE_EQ(s.at("sam_fraction").get<double>(), sam_steps / 24.0);
}

// The draws are independent Bernoulli(p) trials: over n = 20,000 steps the
// SAM fraction is within 4.5 binomial standard deviations of p, pairs of
// consecutive SAM steps occur at p^2, and two seeds give other sequences.
TEST(Rst, DrawsFollowTheBinomialLaw) {
  const int n = 20000;
  for (double p : {0.1, 0.5, 0.8}) {
    auto so = rst(p);
    int hits = 0, pairs = 0, same_as_other_seed = 0;
    bool prev = false;
    for (int t = 0; t < n; ++t) {
      const bool h = optim::rst_uniform(so.seed, t) < p;
      hits += h;
      pairs += h && prev;
      prev = h;
      same_as_other_seed += h == (optim::rst_uniform(so.seed + 1, t) < p);
    }
    EXPECT_NEAR(hits / double(n), p, 4.5 * std::sqrt(p * (1 - p) / n)) << p;
    EXPECT_NEAR(pairs / double(n - 1), p * p, 4.5 * std::sqrt(p * p * (1 - p * p) / n) * 2) << p;
    // Two independent sequences agree with probability p^2 + (1-p)^2.
    const double agree = p * p + (1 - p) * (1 - p);
    EXPECT_NEAR(same_as_other_seed / double(n), agree, 4.5 * std::sqrt(agree * (1 - agree) / n)) << p;
  }
  // The uniforms lie in [0, 1).
  for (int t = 0; t < 1000; ++t) {
    const double u = optim::rst_uniform(3, t);
    EXPECT_GE(u, 0.0);
    EXPECT_LT(u, 1.0);
  }
}

// p(t) at hand-computed points: linear p + (p_end - p) t/T; cosine
// p_end + (p - p_end)(1 + cos(pi t/T))/2; constant needs no length.
TEST(Rst, ScheduleValues) {
  const auto lin = rst(0.2, "linear", 1.0), cosine = rst(0.2, "cosine", 1.0), flat = rst(0.3);
  EXPECT_DOUBLE_EQ(optim::rst_probability(lin, 0, 100), 0.2);
  EXPECT_DOUBLE_EQ(optim::rst_probability(lin, 25, 100), 0.4);
  EXPECT_DOUBLE_EQ(optim::rst_probability(lin, 100, 100), 1.0);
  EXPECT_DOUBLE_EQ(optim::rst_probability(cosine, 0, 100), 0.2);
  EXPECT_NEAR(optim::rst_probability(cosine, 50, 100), 0.6, 1e-15);
  EXPECT_NEAR(optim::rst_probability(cosine, 25, 100), 1.0 - 0.8 * (1 + std::sqrt(0.5)) / 2, 1e-15);
  EXPECT_NEAR(optim::rst_probability(cosine, 100, 100), 1.0, 1e-15);
  EXPECT_DOUBLE_EQ(optim::rst_probability(flat, 7, 0), 0.3);
  EXPECT_THROW(optim::rst_probability(lin, 7, 0), std::logic_error);
  // Over a run the linear schedule 0 -> 1 takes about half its steps as SAM's
  // (the sum of p(t) over n steps is n/2; variance sum p(1-p) ~ n/6).
  const auto ramp = rst(0.0, "linear", 1.0);
  const int n = 20000;
  int hits = 0;
  for (int t = 0; t < n; ++t) hits += optim::rst_uniform(ramp.seed, t) < optim::rst_probability(ramp, t, n);
  EXPECT_NEAR(hits / double(n), 0.5, 4.5 * std::sqrt(1.0 / 6 / n));
}

// p = 1 is SAM and p = 0 SGD, bit for bit, with momentum and weight decay on
// the mini CNN; p = 0.5 is neither.
TEST(Rst, EndpointsAreBitwiseSamAndSgd) {
  optim::SgdOptions sgd;
  sgd.momentum = 0.9;
  sgd.weight_decay = 5e-4;
  auto sam_net = small_mini_cnn(7), sgd_net = small_mini_cnn(7), p1 = small_mini_cnn(7), p0 = small_mini_cnn(7),
       half = small_mini_cnn(7);
  optim::StrategyOptions sam;
  sam.name = "sam";
  sam.rho = 0.05;
  for (auto& [net, so] : std::vector<std::pair<models::Net*, optim::StrategyOptions>>{{sam_net.get(), sam},
                                                                                      {sgd_net.get(), {}},
                                                                                      {p1.get(), rst(1.0)},
                                                                                      {p0.get(), rst(0.0)},
                                                                                      {half.get(), rst(0.5)}}) {
    optim::BaseSgd base(named_params(*net), sgd);
    auto strat = optim::make_strategy(so, *net, base);
    steps(*net, *strat, base, 0, 6);
  }
  EXPECT_TRUE(states_equal(*sam_net, *p1));
  EXPECT_TRUE(states_equal(*sgd_net, *p0));
  EXPECT_FALSE(states_equal(*sam_net, *half));
  EXPECT_FALSE(states_equal(*sgd_net, *half));
}

// A run restarted after step 3 of 8 with the strategy's state continues bit
// for bit and reports the uninterrupted run's counts; a fresh strategy takes
// the same steps (the draw is keyed by the step) but counts only its own.
TEST(Rst, CountsSurviveARestart) {
  optim::SgdOptions sgd;
  sgd.momentum = 0.0;
  auto so = rst(0.2, "linear", 0.9);
  auto ref = small_mini_cnn(8), resumed = small_mini_cnn(8), fresh = small_mini_cnn(8);
  nlohmann::json ref_summary;
  {
    optim::BaseSgd base(named_params(*ref), sgd);
    auto strat = optim::make_strategy(so, *ref, base);
    steps(*ref, *strat, base, 0, 8, 8);
    ref_summary = strat->summary();
  }
  std::vector<torch::Tensor> state;
  for (auto* net : {resumed.get(), fresh.get()}) {
    optim::BaseSgd base(named_params(*net), sgd);
    auto strat = optim::make_strategy(so, *net, base);
    steps(*net, *strat, base, 0, 3, 8);
    state = strat->state();
  }
  for (auto* net : {resumed.get(), fresh.get()}) {
    optim::BaseSgd base(named_params(*net), sgd);
    auto strat = optim::make_strategy(so, *net, base);
    if (net == resumed.get()) strat->load_state(state);
    steps(*net, *strat, base, 3, 8, 8);
    if (net == resumed.get()) {
      EXPECT_EQ(strat->summary(), ref_summary);
    } else {
      EXPECT_EQ(strat->summary().at("steps").get<int>(), 5);
    }
  }
  EXPECT_TRUE(states_equal(*ref, *resumed));
  EXPECT_TRUE(states_equal(*ref, *fresh));
  EXPECT_GT(ref_summary.at("sam_steps").get<int>(), 0);
}

TEST(Rst, RefusesBadOptionsAndState) {
  auto so = rst(1.5);
  EXPECT_THROW(so.validate(), std::invalid_argument);
  so = rst(0.5, "linear", -0.1);
  EXPECT_THROW(so.validate(), std::invalid_argument);
  so = rst(0.5, "step");
  try {
    so.validate();
    FAIL() << "accepted --rst-schedule step";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("--rst-schedule"), std::string::npos) << e.what();
  }
  auto net = small_mini_cnn(1);
  optim::BaseSgd base(named_params(*net), {});
  auto strat = optim::make_strategy(rst(0.5), *net, base);
  EXPECT_THROW(strat->load_state({torch::tensor({3, 5}, torch::kInt64)}), std::invalid_argument);  // 5 of 3
  EXPECT_THROW(strat->load_state({torch::tensor({3.0, 1.0})}), std::invalid_argument);
  EXPECT_THROW(strat->load_state({}), std::invalid_argument);
}
