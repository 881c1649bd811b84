// ShakeDrop against its closed-form moments: with gate b ~ Bernoulli(1-p) and
// alpha ~ U[-1,1], beta ~ U[0,1], E[forward multiplier] = 1-p and
// E[backward multiplier] = (1-p) + p/2.
#include <gtest/gtest.h>
#include <cmath>
#include "models/registry.h"
#include "models/shakedrop.h"
#include "tests/models/specs.h"

namespace nrs::models {
namespace {

constexpr int64_t kDraws = 400000;

TEST(ShakeDrop, EvalIsTheExpectation) {
  auto x = torch::randn({4, 3, 5, 5});
  EXPECT_TRUE(torch::allclose(shake_drop(x, 0.3, false), x * 0.7));
  EXPECT_TRUE(torch::equal(shake_drop(x, 0.0, false), x));
}

TEST(ShakeDrop, TrainForwardMeanMatchesExpectation) {
  torch::manual_seed(1);
  const double p = 0.5;
  auto m = shake_drop(torch::ones({kDraws, 1}), p, true);
  // Var = E[m^2] - E[m]^2 with E[m^2] = (1-p) + p/3.
  const double sd = std::sqrt((1 - p) + p / 3 - (1 - p) * (1 - p));
  EXPECT_NEAR(m.mean().item<double>(), 1 - p, 5 * sd / std::sqrt(double(kDraws)));
  // Dropped images are scaled by alpha in [-1, 1]; kept ones pass unchanged.
  EXPECT_LE(m.abs().max().item<double>(), 1.0);
  EXPECT_NEAR(m.eq(1.0).to(torch::kDouble).mean().item<double>(), 1 - p, 0.01);
}

TEST(ShakeDrop, TrainBackwardMeanMatchesExpectation) {
  torch::manual_seed(2);
  const double p = 0.4;
  auto x = torch::ones({kDraws, 1}, torch::requires_grad());
  shake_drop(x, p, true).sum().backward();
  const double mean = (1 - p) + p / 2;
  const double sd = std::sqrt((1 - p) + p / 3 - mean * mean);
  EXPECT_NEAR(x.grad().mean().item<double>(), mean, 5 * sd / std::sqrt(double(kDraws)));
  EXPECT_GE(x.grad().min().item<double>(), 0.0);  // beta in [0, 1]: never flips the sign
}

TEST(ShakeDrop, ModelEvalIsDeterministicTrainIsNot) {
  auto net = make_model("pyramidnet-272-200-bottleneck-shakedrop-mini", testing::cifar10());
  auto x = torch::randn({8, 3, 32, 32});
  torch::NoGradGuard ng;
  net->eval();
  auto a = net->forward(x), b = net->forward(x);
  EXPECT_TRUE(torch::equal(a, b));
  net->train();
  torch::manual_seed(3);
  auto c = net->forward(x);
  auto d = net->forward(x);
  EXPECT_FALSE(torch::allclose(c, d));
}

TEST(ShakeDrop, WithoutShakeDropTrainIsDeterministic) {
  // The control for the test above: the randomness comes from ShakeDrop alone.
  auto net = make_model("pyramidnet-272-200-bottleneck-mini", testing::cifar10());
  auto x = torch::randn({8, 3, 32, 32});
  torch::NoGradGuard ng;
  net->train();
  EXPECT_TRUE(torch::allclose(net->forward(x), net->forward(x)));
}

}  // namespace
}  // namespace nrs::models
