// Trainable parameter counts against the published / independently derived table in
// shared/reference/anchors.md and torchvision's ResNet-50.
#include <gtest/gtest.h>
#include "models/registry.h"
#include "tests/models/specs.h"

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

// He et al. 2016's CIFAR ResNets (option-A shortcuts, no parameters) by
// closed form for n blocks per stage: stem 3*16*9 + BN 32; stage 1: 2n convs
// 16*16*9 and 2n BN(16); stage 2: 16*32*9 + (2n-1) * 32*32*9 and 2n BN(32);
// stage 3: 32*64*9 + (2n-1) * 64*64*9 and 2n BN(64); FC 64*C + C. Table 6 of
// the paper quotes 0.27M (n = 3), 0.46M, 0.66M, 0.85M and 1.7M (n = 18).
int64_t he_cifar_resnet(int64_t n, int64_t classes) {
  return 432 + 32 + 2 * n * (2304 + 32) + 4608 + (2 * n - 1) * 9216 + 2 * n * 64 + 18432 + (2 * n - 1) * 36864 +
         2 * n * 128 + 64 * classes + classes;
}

TEST(ParamCounts, HeCifarResNets) {
  EXPECT_EQ(he_cifar_resnet(3, 10), 269722);
  EXPECT_EQ(count("resnet20", cifar10()), 269722);
  EXPECT_EQ(count("resnet20", cifar100()), he_cifar_resnet(3, 100));
  const std::pair<const char*, int64_t> depths[] = {
      {"resnet32", 5}, {"resnet44", 7}, {"resnet56", 9}, {"resnet110", 18}};
  const double published_m[] = {0.46, 0.66, 0.85, 1.7};  // Table 6, millions, as printed
  for (size_t i = 0; i < 4; ++i) {
    const auto [name, n] = depths[i];
    const int64_t c = count(name, cifar10());
    EXPECT_EQ(c, he_cifar_resnet(n, 10)) << name;
    const double digits = i == 3 ? 0.1 : 0.01;  // the rounding of the printed figure
    EXPECT_NEAR(static_cast<double>(c) / 1e6, published_m[i], digits / 2) << name;
  }
  EXPECT_NEAR(count("resnet20", cifar10()) / 1e6, 0.27, 0.005);
}

TEST(ParamCounts, WideResNet28x10) {
  EXPECT_EQ(count("wrn-28-10", cifar10()), 36479194);
  EXPECT_EQ(count("wrn-28-10", cifar100()), 36536884);
}

// The google-research/sam WRN-28-10 (wrn-28-10-official) has no 1x1 shortcut
// convs: by hand, stem 3*16*9 = 432; stage 1: BN(16) 32 + conv 16*160*9 =
// 23,040 + BN 320 + conv 160*160*9 = 230,400, then 3 x (320 + 230,400 + 320 +
// 230,400) -> 1,638,112; stage 2: 320 + 460,800 + 640 + 921,600, then 3 x
// 1,844,480 -> 6,916,800; stage 3: 640 + 1,843,200 + 1,280 + 3,686,400, then
// 3 x 7,375,360 -> 27,657,600; final BN 1,280; FC 640*C + C (6,410 | 64,100).
// CIFAR-10: 36,220,634 = 36,479,194 - (16*160 + 160*320 + 320*640) shortcut
// weights; CIFAR-100: 36,278,324.
TEST(ParamCounts, WideResNet28x10Official) {
  EXPECT_EQ(count("wrn-28-10-official", cifar10()), 432 + 1638112 + 6916800 + 27657600 + 1280 + 6410);
  EXPECT_EQ(count("wrn-28-10-official", cifar10()), 36220634);
  EXPECT_EQ(count("wrn-28-10-official", cifar100()), 36278324);
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
  // The official variant changes padding and classifier init, no parameters.
  EXPECT_EQ(count("pyramidnet-272-200-bottleneck-shakedrop-official", cifar10()), 26210842);
}

TEST(ParamCounts, ResNet50TorchvisionImageNet) { EXPECT_EQ(count("resnet50", testing::imagenet()), 25557032); }

}  // namespace
}  // namespace nrs::models
