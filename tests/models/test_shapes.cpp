// Every model maps [B, C, H, W] to [B, classes] for each dataset shape it may meet.
#include <gtest/gtest.h>
#include "models/registry.h"
#include "tests/models/specs.h"

namespace nrs::models {
namespace {

void expect_logits_shape(const std::string& name, const ModelSpec& s, int64_t batch) {
  auto net = make_model(name, s);
  net->eval();
  torch::NoGradGuard ng;
  auto y = net->forward(torch::randn({batch, s.channels, s.height, s.width}));
  ASSERT_EQ(y.sizes(), (std::vector<int64_t>{batch, s.num_classes})) << name;
  EXPECT_TRUE(torch::isfinite(y).all().item<bool>()) << name;
}

class MiniShapes : public ::testing::TestWithParam<std::string> {};

TEST_P(MiniShapes, Cifar10) { expect_logits_shape(GetParam(), testing::cifar10(), 2); }
TEST_P(MiniShapes, Cifar100) { expect_logits_shape(GetParam(), testing::cifar100(), 2); }
TEST_P(MiniShapes, FashionMnist) { expect_logits_shape(GetParam(), testing::fashion_mnist(), 2); }
TEST_P(MiniShapes, ImageNet) { expect_logits_shape(GetParam(), testing::imagenet(), 1); }

INSTANTIATE_TEST_SUITE_P(Zoo, MiniShapes, ::testing::ValuesIn(testing::mini_names()), testing::param_name);

// Full-size models, one image each: the minis share their code but not their depth
// arithmetic (stage widths, block counts), which only the full models exercise.
TEST(FullShapes, CifarModels) {
  for (const char* n : {"resnet18", "preact-resnet18", "vgg16-bn", "wrn-16-8"})
    expect_logits_shape(n, testing::cifar100(), 1);
}
TEST(FullShapes, FashionMnistModels) {
  for (const char* n : {"resnet18", "vgg19-bn", "pyramidnet-110-270"})
    expect_logits_shape(n, testing::fashion_mnist(), 1);
}
TEST(FullShapes, ResNet50ImageNet) { expect_logits_shape("resnet50", testing::imagenet(), 1); }

}  // namespace
}  // namespace nrs::models
