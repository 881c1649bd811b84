// Name grammar, error messages and PyTorch-convention parameter names.
#include <gtest/gtest.h>
#include "models/registry.h"
#include "tests/models/specs.h"

namespace nrs::models {
namespace {

// A full model shares all code with its tested mini, so the mini covers it.
TEST(Registry, EveryEntryHasATestedMini) {
  const std::string suffix = "-mini";
  for (const auto& e : model_registry()) {
    bool covered = false;
    for (const auto& n : testing::mini_names())
      covered = covered || e.matches(n) || e.matches(n.substr(0, n.size() - suffix.size()));
    EXPECT_TRUE(covered) << e.pattern << " has no mini in tests/models/specs.h";
  }
}

TEST(Registry, ParameterisedNamesMatch) {
  for (const char* n :
       {"wrn-28-10", "wrn-16-8-mini", "wrn-28-10-d0.3", "vgg11-bn", "vgg19-bn-mini", "pyramidnet-110-270",
        "pyramidnet-272-200-bottleneck-shakedrop", "pyramidnet-110-48-shakedrop-mini"})
    EXPECT_TRUE(has_model(n)) << n;
  for (const char* n : {"wrn-28", "vgg16", "vgg12-bn", "resnet18-tiny", "pyramidnet-110", "wrn-16-8-mini-d0.3"})
    EXPECT_FALSE(has_model(n)) << n;
}

// 62 = 6*10+2 is a basic depth but not 9n+2, so only the bottleneck form is malformed.
TEST(Registry, MalformedDepthsThrowNamingTheModel) {
  EXPECT_NO_THROW(make_model("pyramidnet-62-200-mini", testing::cifar10()));
  for (const char* n : {"wrn-27-10", "pyramidnet-62-200-bottleneck", "pyramidnet-111-270", "wrn-16-0"}) {
    try {
      make_model(n, testing::cifar10());
      ADD_FAILURE() << n << " was accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(n), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(make_model("no-such-model", testing::cifar10()), std::invalid_argument);
}

TEST(Registry, DropoutOnlyActsInTraining) {
  auto net = make_model("wrn-16-8-d0.5-mini", testing::cifar10());
  auto x = torch::randn({4, 3, 32, 32});
  torch::NoGradGuard ng;
  net->eval();
  EXPECT_TRUE(torch::equal(net->forward(x), net->forward(x)));
  net->train();
  EXPECT_FALSE(torch::allclose(net->forward(x), net->forward(x)));
}

std::map<std::string, std::vector<int64_t>> shapes(const std::string& name, const ModelSpec& s) {
  std::map<std::string, std::vector<int64_t>> out;
  for (const auto& p : make_model(name, s)->named_parameters()) out[p.key()] = p.value().sizes().vec();
  return out;
}

// Names and shapes as torchvision.models.resnet50() reports them (161 tensors).
TEST(Registry, ResNet50NamesFollowTorchvision) {
  auto p = shapes("resnet50", testing::imagenet());
  EXPECT_EQ(p.size(), 161u);
  EXPECT_EQ(p.at("conv1.weight"), (std::vector<int64_t>{64, 3, 7, 7}));
  EXPECT_EQ(p.at("layer1.0.downsample.0.weight"), (std::vector<int64_t>{256, 64, 1, 1}));
  EXPECT_EQ(p.at("layer3.5.conv2.weight"), (std::vector<int64_t>{256, 256, 3, 3}));
  EXPECT_EQ(p.at("layer4.2.bn3.weight"), (std::vector<int64_t>{2048}));
  EXPECT_EQ(p.at("fc.weight"), (std::vector<int64_t>{1000, 2048}));
}

TEST(Registry, CifarNamesFollowReferenceCode) {
  auto r = shapes("resnet18", testing::cifar10());  // kuangliu/pytorch-cifar
  EXPECT_EQ(r.size(), 62u);
  EXPECT_EQ(r.at("layer2.0.shortcut.0.weight"), (std::vector<int64_t>{128, 64, 1, 1}));
  EXPECT_EQ(r.at("linear.weight"), (std::vector<int64_t>{10, 512}));
  auto w = shapes("wrn-28-10", testing::cifar10());  // xternalz/WideResNet-pytorch
  EXPECT_EQ(w.at("block1.layer.0.convShortcut.weight"), (std::vector<int64_t>{160, 16, 1, 1}));
  EXPECT_EQ(w.at("block3.layer.3.conv2.weight"), (std::vector<int64_t>{640, 640, 3, 3}));
  EXPECT_EQ(w.count("block1.layer.1.convShortcut.weight"), 0u);
  auto v = shapes("vgg16-bn", testing::cifar10());
  EXPECT_EQ(v.at("features.0.bias"), (std::vector<int64_t>{64}));
  EXPECT_EQ(v.at("classifier.weight"), (std::vector<int64_t>{10, 512}));
  // PyramidNet-110, alpha 270: widths 16 + 5k, k = 1..54 (dyhan0920/PyramidNet-PyTorch).
  auto py = shapes("pyramidnet-110-270", testing::cifar10());
  EXPECT_EQ(py.at("layer1.0.conv1.weight"), (std::vector<int64_t>{21, 16, 3, 3}));
  EXPECT_EQ(py.at("layer3.17.conv2.weight"), (std::vector<int64_t>{286, 286, 3, 3}));
  EXPECT_EQ(py.at("bn_final.weight"), (std::vector<int64_t>{286}));
}

TEST(Registry, VggKeepsItsParametersOnSmallInputs) {
  // Fashion-MNIST's 28x28 skips the last pool; the parameters must not change.
  EXPECT_EQ(count_trainable_parameters(*make_model("vgg16-bn", {1, 28, 28, 10})),
            count_trainable_parameters(*make_model("vgg16-bn", {1, 32, 32, 10})));
}

}  // namespace
}  // namespace nrs::models
