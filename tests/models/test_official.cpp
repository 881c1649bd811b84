// The *-official models (google-research/sam conventions, docs/fidelity.md)
// against independent computations: TF-"SAME" padding, parameter-free
// shortcuts (raw vs BN-ReLU'd input), classifier initialisation.
#include <gtest/gtest.h>
#include <cmath>
#include "models/layers.h"
#include "models/registry.h"

namespace nrs::models {
namespace {

TEST(Official, SamePaddingPutsTheOddPixelAfter) {
  // 3x3, stride 2 on 8x8: total (4-1)*2 + 3 - 8 = 1 pixel, after; the output
  // grid starts at input (0, 0), where PyTorch's padding=1 starts at (-1, -1).
  auto x = torch::arange(64, torch::kFloat64).view({1, 1, 8, 8});
  auto p = pad_same(x, 3, 2);
  ASSERT_EQ(p.sizes(), (std::vector<int64_t>{1, 1, 9, 9}));
  EXPECT_TRUE(torch::equal(p.slice(2, 0, 8).slice(3, 0, 8), x));
  EXPECT_EQ(p.select(2, 8).abs().sum().item<double>(), 0.0);
  EXPECT_EQ(p.select(3, 8).abs().sum().item<double>(), 0.0);
  auto w = torch::ones({1, 1, 3, 3}, torch::kFloat64);
  auto y = torch::conv2d(p, w, {}, 2);
  EXPECT_EQ(y[0][0][0][0].item<double>(), 0 + 1 + 2 + 8 + 9 + 10 + 16 + 17 + 18);
  EXPECT_EQ(y.size(2), 4);
  // Stride 1 is symmetric (PyTorch's padding=1); odd sizes split 1 / 1.
  EXPECT_EQ(pad_same(x, 3, 1).sizes(), (std::vector<int64_t>{1, 1, 10, 10}));
  EXPECT_EQ(pad_same(torch::zeros({1, 1, 7, 7}), 3, 2).sizes(), (std::vector<int64_t>{1, 1, 9, 9}));
}

TEST(Official, WrnShortcutsArePooledZeroPaddedAndRawAfterTheFirstBlock) {
  // Residual branches silenced (conv2 = 0) and every BN in eval mode with
  // running mean 0.5, variance 4 (gamma 1, beta 0), so BN-ReLU visibly
  // changes its input: the network is its shortcuts, computed here by hand.
  // Stem 2 -> block 1 (8 ch, shortcut = BN-ReLU(x) padded) -> block 2 (16 ch,
  // stride 2: avg-pool of the raw input, padded) -> block 3 (32 ch, likewise)
  // -> BN-ReLU, mean, FC.
  torch::manual_seed(0);
  auto net = make_model("wrn-16-4-official-mini", {3, 8, 8, 5});
  net->eval();
  auto params = net->named_parameters();
  {
    torch::NoGradGuard ng;
    for (auto& kv : params)
      if (kv.key().find("conv2") != std::string::npos) kv.value().zero_();
    for (auto& kv : net->named_buffers()) {
      if (kv.key().find("running_mean") != std::string::npos) kv.value().fill_(0.5);
      if (kv.key().find("running_var") != std::string::npos) kv.value().fill_(4.0);
    }
  }
  for (const auto& kv : params) EXPECT_EQ(kv.key().find("convShortcut"), std::string::npos) << kv.key();
  auto x = torch::randn({2, 3, 8, 8});
  auto bn_relu = [](const torch::Tensor& t) { return torch::relu((t - 0.5) / std::sqrt(4.0 + 1e-5)); };
  auto pad_to = [](const torch::Tensor& t, int64_t c) {
    return torch::constant_pad_nd(t, {0, 0, 0, 0, 0, c - t.size(1)});
  };
  auto s = torch::conv2d(x, params["conv1.weight"], {}, 1, 1);
  auto b1 = pad_to(bn_relu(s), 8);
  auto b2 = pad_to(torch::avg_pool2d(b1, 2, 2), 16);
  auto b3 = pad_to(torch::avg_pool2d(b2, 2, 2), 32);
  auto f = bn_relu(b3).mean({2, 3});
  auto expected = torch::addmm(params["fc.bias"], f, params["fc.weight"].t());
  torch::NoGradGuard ng;
  EXPECT_TRUE(torch::allclose(net->forward(x), expected, 1e-5, 1e-6));
}

TEST(Official, ClassifierIsUniformOverOneOverSqrtClassesWithZeroBias) {
  for (const std::string name : {"wrn-28-10-official-mini", "pyramidnet-110-270-official-mini"}) {
    torch::manual_seed(1);
    auto net = make_model(name, {3, 32, 32, 100});
    auto p = net->named_parameters();
    const double r = 1.0 / std::sqrt(100.0);
    auto w = p["fc.weight"];
    EXPECT_LE(w.abs().max().item<double>(), r) << name;
    EXPECT_GT(w.abs().max().item<double>(), 0.9 * r) << name;                         // spread over the whole range
    EXPECT_NEAR(w.pow(2).mean().item<double>(), r * r / 3, 0.1 * r * r / 3) << name;  // U(-r, r) variance
    EXPECT_EQ(p["fc.bias"].abs().sum().item<double>(), 0.0) << name;
    // The PyTorch default (Kaiming uniform a=sqrt(5)) bounds by 1/sqrt(fan_in) instead.
    auto common = make_model(name.substr(0, name.find("-official")) + "-mini", {3, 32, 32, 100});
    EXPECT_NE(common->named_parameters()["fc.bias"].abs().sum().item<double>(), 0.0) << name;
  }
}

}  // namespace
}  // namespace nrs::models
