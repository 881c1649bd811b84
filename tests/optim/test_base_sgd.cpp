// Base SGD update against hand-computed values (torch.optim.SGD semantics).
#include "tests/support/optim_fixtures.h"

using namespace nrs;
using namespace nrs::testing;

namespace {

// Applies BaseSgd twice with given gradients to w0 and returns w.
torch::Tensor two_steps(optim::SgdOptions o, const std::vector<double>& w0, const std::vector<double>& g1,
                        const std::vector<double>& g2, double lr) {
  auto w = torch::tensor(w0, torch::kFloat64).requires_grad_(true);
  optim::BaseSgd sgd({{"w", w}}, o);
  w.mutable_grad() = torch::tensor(g1, torch::kFloat64);
  sgd.step(lr);
  w.mutable_grad() = torch::tensor(g2, torch::kFloat64);
  sgd.step(lr);
  return w.detach();
}

}  // namespace

TEST(BaseSgd, MomentumMatchesHandComputation) {
  optim::SgdOptions o;
  o.momentum = 0.9;
  // step 1: buf = g1 = 1 -> w = 2 - 0.1*1 = 1.9
  // step 2: buf = 0.9*1 + 3 = 3.9 -> w = 1.9 - 0.39 = 1.51
  auto w = two_steps(o, {2.0}, {1.0}, {3.0}, 0.1);
  EXPECT_NEAR(w[0].item<double>(), 1.51, 1e-15);
}

TEST(BaseSgd, NesterovMatchesHandComputation) {
  optim::SgdOptions o;
  o.momentum = 0.9;
  o.nesterov = true;
  // step 1: buf = 1, d = 1 + 0.9*1 = 1.9 -> w = 2 - 0.19 = 1.81
  // step 2: buf = 0.9 + 3 = 3.9, d = 3 + 0.9*3.9 = 6.51 -> w = 1.81 - 0.651 = 1.159
  auto w = two_steps(o, {2.0}, {1.0}, {3.0}, 0.1);
  EXPECT_NEAR(w[0].item<double>(), 1.159, 1e-15);
}

TEST(BaseSgd, OptimizerWeightDecayMatchesHandComputation) {
  optim::SgdOptions o;  // wd_mode optimizer (the default): torch.optim.SGD's coupled weight_decay
  o.momentum = 0.9;
  o.weight_decay = 0.5;
  // step 1: d = 1 + 0.5*2 = 2, buf = 2 -> w = 2 - 0.2 = 1.8
  // step 2: d = 3 + 0.5*1.8 = 3.9, buf = 1.8 + 3.9 = 5.7 -> w = 1.8 - 0.57 = 1.23
  auto w = two_steps(o, {2.0}, {1.0}, {3.0}, 0.1);
  EXPECT_NEAR(w[0].item<double>(), 1.23, 1e-15);
}

TEST(BaseSgd, SgdwDecoupledWeightDecayMatchesHandComputation) {
  optim::SgdOptions o;
  o.momentum = 0.9;
  o.weight_decay = 0.5;
  o.wd_mode = "decoupled";
  // SGDW, decay scaled by lr (AdamW convention), never in the momentum buffer:
  // step 1: w = 2 * (1 - 0.1*0.5) = 1.9; buf = 1 -> w = 1.9 - 0.1*1 = 1.8
  // step 2: w = 1.8 * 0.95 = 1.71; buf = 0.9*1 + 3 = 3.9 -> w = 1.71 - 0.39 = 1.32
  // (the optimizer mode gives 1.23 above: its decay compounds through momentum)
  auto w = two_steps(o, {2.0}, {1.0}, {3.0}, 0.1);
  EXPECT_NEAR(w[0].item<double>(), 1.32, 1e-15);
}

TEST(BaseSgd, WdModeNames) {
  optim::SgdOptions o;
  EXPECT_EQ(o.wd_mode, "optimizer");  // torch.optim.SGD's coupled decay is the default
  for (const char* ok : {"optimizer", "loss", "decoupled"}) {
    o.wd_mode = ok;
    EXPECT_NO_THROW(o.validate()) << ok;
  }
  o.wd_mode = "adamw";
  try {
    o.validate();
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("--wd-mode 'adamw': expected optimizer, loss (alias l2) or decoupled"),
              std::string::npos)
        << e.what();
  }
}

TEST(BaseSgd, ExcludesOneDimensionalTensorsFromDecayWhenAsked) {
  optim::SgdOptions o;
  o.momentum = 0.0;
  o.weight_decay = 1.0;
  o.wd_exclude_bn_bias = true;
  auto W = torch::ones({2, 2}, torch::kFloat64).requires_grad_(true);
  auto b = torch::ones({2}, torch::kFloat64).requires_grad_(true);
  optim::BaseSgd sgd({{"fc.weight", W}, {"fc.bias", b}}, o);
  W.mutable_grad() = torch::zeros_like(W);
  b.mutable_grad() = torch::zeros_like(b);
  sgd.step(0.1);
  EXPECT_TRUE(torch::allclose(W, torch::full({2, 2}, 0.9, torch::kFloat64)));
  EXPECT_TRUE(torch::equal(b, torch::ones({2}, torch::kFloat64)));
}

TEST(BaseSgd, ClipsTheGlobalNorm) {
  optim::SgdOptions o;
  o.momentum = 0.0;
  o.grad_clip = 1.0;
  auto w = torch::zeros({2}, torch::kFloat64).requires_grad_(true);
  optim::BaseSgd sgd({{"w", w}}, o);
  w.mutable_grad() = torch::tensor({3.0, 4.0}, torch::kFloat64);  // norm 5
  auto norm = sgd.step(1.0);
  EXPECT_NEAR(norm.item<double>(), 5.0, 1e-12);
  // clip scale 1/(5+1e-6): w = -g * scale
  EXPECT_NEAR(w[0].item<double>(), -3.0 / (5.0 + 1e-6), 1e-12);
  EXPECT_NEAR(w[1].item<double>(), -4.0 / (5.0 + 1e-6), 1e-12);
}

TEST(BaseSgd, RejectsBadOptions) {
  optim::SgdOptions o;
  o.wd_mode = "adamw";
  EXPECT_THROW(o.validate(), std::invalid_argument);
  o = {};
  o.nesterov = true;
  o.momentum = 0.0;
  EXPECT_THROW(o.validate(), std::invalid_argument);
}
