// One backward pass reaches every trainable parameter (no detached or unused branch).
#include <gtest/gtest.h>
#include "models/registry.h"
#include "tests/models/specs.h"

namespace nrs::models {
namespace {

class MiniGradients : public ::testing::TestWithParam<std::string> {};

TEST_P(MiniGradients, ReachEveryParameter) {
  torch::manual_seed(0);
  const auto s = testing::cifar10();
  auto net = make_model(GetParam(), s);
  net->train();
  auto y = net->forward(torch::randn({4, s.channels, s.height, s.width}));
  torch::nn::functional::cross_entropy(y, torch::randint(s.num_classes, {4})).backward();
  for (const auto& p : net->named_parameters()) {
    ASSERT_TRUE(p.value().grad().defined()) << GetParam() << ": no gradient for " << p.key();
    EXPECT_GT(p.value().grad().abs().sum().item<double>(), 0.0) << GetParam() << ": zero gradient for " << p.key();
  }
}

INSTANTIATE_TEST_SUITE_P(Zoo, MiniGradients, ::testing::ValuesIn(testing::mini_names()), testing::param_name);

}  // namespace
}  // namespace nrs::models
