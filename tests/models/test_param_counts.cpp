// Trainable parameter counts against the published / independently derived table in
// shared/reference/anchors.md and torchvision's ResNet-50.
#include "models/registry.h"
#include "tests/models/specs.h"
#include <gtest/gtest.h>

namespace nrs::models {
namespace {

using testing::cifar10;
using testing::cifar100;

int64_t count(const std::string& name, const ModelSpec& s) { return count_trainable_parameters(*make_model(name, s)); }

TEST(ParamCounts, ResNet18Cifar) {
  EXPECT_EQ(count("resnet18", cifar10()), 11173962);
  EXPECT_EQ(count("resnet18", cifar100()), 11220132);
}

TEST(ParamCounts, PreActResNet18Cifar) {
  EXPECT_EQ(count("preact-resnet18", cifar10()), 11171146);
  EXPECT_EQ(count("preact-resnet18", cifar100()), 11217316);
}

TEST(ParamCounts, WideResNet28x10) {
  EXPECT_EQ(count("wrn-28-10", cifar10()), 36479194);
  EXPECT_EQ(count("wrn-28-10", cifar100()), 36536884);
}

TEST(ParamCounts, WideResNet16x8) {
  EXPECT_EQ(count("wrn-16-8", cifar10()), 10961370);
  EXPECT_EQ(count("wrn-16-8", cifar100()), 11007540);
}

TEST(ParamCounts, DropoutAddsNoParameters) { EXPECT_EQ(count("wrn-16-8-d0.3", cifar10()), 10961370); }

TEST(ParamCounts, Vgg16BnCifar) {
  EXPECT_EQ(count("vgg16-bn", cifar10()), 14728266);
  EXPECT_EQ(count("vgg16-bn", cifar100()), 14774436);
}

TEST(ParamCounts, PyramidNet110Alpha270) {
  EXPECT_EQ(count("pyramidnet-110-270", cifar10()), 28485477);
  EXPECT_EQ(count("pyramidnet-110-270", cifar100()), 28511307);
}

TEST(ParamCounts, PyramidNet272Alpha200Bottleneck) {
  EXPECT_EQ(count("pyramidnet-272-200-bottleneck", cifar10()), 26210842);
  EXPECT_EQ(count("pyramidnet-272-200-bottleneck", cifar100()), 26288692);
  EXPECT_EQ(count("pyramidnet-272-200-bottleneck-shakedrop", cifar10()), 26210842);
}

TEST(ParamCounts, ResNet50TorchvisionImageNet) { EXPECT_EQ(count("resnet50", testing::imagenet()), 25557032); }

}  // namespace
}  // namespace nrs::models
