// The initialisation stated in models/init.h, checked against its closed forms.
#include <gtest/gtest.h>
#include <cmath>
#include "models/registry.h"
#include "tests/models/specs.h"

namespace nrs::models {
namespace {

torch::Tensor param(const NetPtr& net, const std::string& name) {
  for (const auto& p : net->named_parameters())
    if (p.key() == name) return p.value();
  throw std::runtime_error("no parameter " + name);
}

TEST(Init, ConvIsKaimingNormalFanOut) {
  auto net = make_model("resnet18", testing::cifar10());
  auto w = param(net, "layer4.1.conv2.weight");  // 512x512x3x3: std sqrt(2 / (512*9))
  const double expected = std::sqrt(2.0 / (512 * 9));
  EXPECT_NEAR(w.std().item<double>(), expected, 0.01 * expected);
  EXPECT_NEAR(w.mean().item<double>(), 0.0, 0.01 * expected);
}

TEST(Init, BatchNormIsIdentity) {
  auto net = make_model("pyramidnet-110-270-mini", testing::cifar10());
  EXPECT_TRUE(torch::all(param(net, "layer2.0.bn3.weight") == 1).item<bool>());
  EXPECT_TRUE(torch::all(param(net, "layer2.0.bn3.bias") == 0).item<bool>());
}

TEST(Init, ZeroInitResidualZeroesEachBranchEndBn) {
  InitOptions zero;
  zero.zero_init_residual = true;
  const std::vector<std::pair<std::string, std::string>> branch_end = {
      {"resnet18-mini", ".bn2.weight"},
      {"resnet50-mini", ".bn3.weight"},
      {"pyramidnet-110-270-mini", ".bn3.weight"},
      {"pyramidnet-272-200-bottleneck-mini", ".bn4.weight"}};
  for (const auto& [name, suffix] : branch_end) {
    int zeroed = 0;
    for (const auto& p : make_model(name, testing::cifar10(), zero)->named_parameters()) {
      const auto& k = p.key();
      if (k.size() < suffix.size() || k.compare(k.size() - suffix.size(), suffix.size(), suffix) != 0) continue;
      EXPECT_TRUE(torch::all(p.value() == 0).item<bool>()) << name << " " << k;
      ++zeroed;
    }
    EXPECT_EQ(zeroed, name == "resnet18-mini" || name == "resnet50-mini" ? 4 : 3) << name;  // one per block
  }
}

TEST(Init, ZeroInitResidualBlockStartsAsItsShortcut) {
  InitOptions zero;
  zero.zero_init_residual = true;
  auto net = make_model("resnet18-mini", testing::cifar10(), zero);
  net->eval();
  // layer1 of the mini is one block with an identity shortcut: out = relu(0 + x).
  auto layer1 = std::dynamic_pointer_cast<torch::nn::SequentialImpl>(net->named_children()["layer1"]);
  ASSERT_TRUE(layer1);
  torch::NoGradGuard ng;
  auto x = torch::randn({2, 8, 8, 8});
  EXPECT_TRUE(torch::allclose(layer1->forward(x), torch::relu(x)));
}

TEST(Init, ZeroInitResidualOffByDefault) {
  auto net = make_model("resnet18-mini", testing::cifar10());
  EXPECT_TRUE(torch::all(param(net, "layer1.0.bn2.weight") == 1).item<bool>());
}

}  // namespace
}  // namespace nrs::models
