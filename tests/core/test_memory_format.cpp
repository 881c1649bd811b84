// --channels-last: every 4-D weight and the batch in PyTorch's channels_last
// strides, judged by PyTorch's own suggest_memory_format (what its
// convolutions consult to pick a layout), and the network computing the
// same function as in NCHW.
#include "suite/run/memory_format.h"
#include "suite/run/setup.h"

#include <gtest/gtest.h>

namespace {

nrs::models::NetPtr model(const std::string& name, const nrs::models::ModelSpec& spec, bool channels_last) {
  torch::manual_seed(0);
  nrs::ModelSelection sel;
  sel.model = name;
  sel.channels_last = channels_last;
  return nrs::make_run_model(sel, spec, torch::kCPU);
}

void expect_every_kernel_channels_last(const nrs::models::NetPtr& net) {
  int kernels = 0;
  for (const auto& kv : net->named_parameters())
    if (kv.value().dim() == 4) {
      ++kernels;
      EXPECT_EQ(kv.value().suggest_memory_format(), torch::MemoryFormat::ChannelsLast)
          << kv.key() << " strides " << kv.value().strides();
    }
  EXPECT_GT(kernels, 0);
}

}  // namespace

TEST(MemoryFormat, AOneChannelInputAndItsFirstKernelAreRestrided) {
  // [N,1,H,W] and [C,1,3,3]: contiguous(ChannelsLast) leaves both as they
  // are, and both still suggest NCHW.
  const auto x = torch::randn({4, 1, 6, 6});
  ASSERT_EQ(x.contiguous(torch::MemoryFormat::ChannelsLast).suggest_memory_format(), torch::MemoryFormat::Contiguous);
  const auto y = nrs::to_channels_last(x);
  EXPECT_EQ(y.suggest_memory_format(), torch::MemoryFormat::ChannelsLast);
  EXPECT_EQ(y.strides(), (std::vector<int64_t>{36, 1, 6, 1}));
  EXPECT_TRUE(torch::equal(x, y));
  // A tensor already channels_last is returned as it is, not copied.
  EXPECT_TRUE(nrs::to_channels_last(y).is_same(y));
}

TEST(MemoryFormat, AOneChannelModelRunsChannelsLastFromItsFirstConvolution) {
  const nrs::models::ModelSpec spec{1, 28, 28, 10};
  const auto net = model("small-cnn-mini", spec, true);
  expect_every_kernel_channels_last(net);
  // The first convolution's output, which every later layer inherits.
  auto modules = net->named_children();
  const auto conv1 = std::dynamic_pointer_cast<torch::nn::Conv2dImpl>(modules["conv1"]);
  ASSERT_NE(conv1, nullptr);
  const auto x = torch::randn({8, 1, 28, 28});
  EXPECT_EQ(conv1->forward(nrs::to_channels_last(x)).suggest_memory_format(), torch::MemoryFormat::ChannelsLast);

  // Same function: logits and gradients as the NCHW model's (same seed).
  const auto ref = model("small-cnn-mini", spec, false);
  const auto a = net->forward(nrs::to_channels_last(x));
  const auto b = ref->forward(x);
  EXPECT_TRUE(torch::allclose(a, b, 1e-4, 1e-5)) << (a - b).abs().max().item<float>();
  a.sum().backward();
  b.sum().backward();
  auto pr = ref->named_parameters();
  for (const auto& kv : net->named_parameters())
    EXPECT_TRUE(torch::allclose(kv.value().grad(), pr[kv.key()].grad(), 1e-4, 1e-5)) << kv.key();
}

TEST(MemoryFormat, OneByOneShortcutKernelsAreChannelsLastToo) {
  expect_every_kernel_channels_last(model("resnet18-mini", {3, 32, 32, 10}, true));
}
