#include "models/resnet.h"
#include "models/init.h"
#include "models/layers.h"

namespace nrs::models {
namespace {

using torch::nn::BatchNorm2d;

class BasicBlock : public torch::nn::Module, public ResidualBranchEnd {
 public:
  BasicBlock(int64_t in, int64_t out, int64_t stride, Shortcut kind = Shortcut::kProjection)
      : conv1(register_module("conv1", conv3x3(in, out, stride))),
        bn1(register_module("bn1", BatchNorm2d(out))),
        conv2(register_module("conv2", conv3x3(out, out))),
        bn2(register_module("bn2", BatchNorm2d(out))),
        stride_(stride),
        pad_before_((out - in) / 2),
        pad_after_(out - in - (out - in) / 2) {
    const bool reshape = stride != 1 || in != out;
    if (reshape && kind == Shortcut::kProjection)
      shortcut = register_module("shortcut", torch::nn::Sequential(conv1x1(in, out, stride), BatchNorm2d(out)));
    zero_pad_ = reshape && kind == Shortcut::kZeroPad;
  }
  torch::Tensor forward(torch::Tensor x) {
    auto y = bn2(conv2(torch::relu(bn1(conv1(x)))));
    return torch::relu(y + skip(x));
  }
  torch::Tensor skip(const torch::Tensor& x) {
    if (!shortcut.is_empty()) return shortcut->forward(x);
    if (!zero_pad_) return x;
    using torch::indexing::Slice;
    auto sub =
        x.index({Slice(), Slice(), Slice(0, torch::indexing::None, stride_), Slice(0, torch::indexing::None, stride_)});
    return torch::constant_pad_nd(sub, {0, 0, 0, 0, pad_before_, pad_after_});
  }
  BatchNorm2d& branch_end_bn() override { return bn2; }
  torch::nn::Conv2d conv1;
  BatchNorm2d bn1;
  torch::nn::Conv2d conv2;
  BatchNorm2d bn2;
  torch::nn::Sequential shortcut{nullptr};

 private:
  int64_t stride_, pad_before_, pad_after_;
  bool zero_pad_ = false;
};

class PreActBlock : public torch::nn::Module {
 public:
  PreActBlock(int64_t in, int64_t out, int64_t stride)
      : bn1(register_module("bn1", BatchNorm2d(in))),
        conv1(register_module("conv1", conv3x3(in, out, stride))),
        bn2(register_module("bn2", BatchNorm2d(out))),
        conv2(register_module("conv2", conv3x3(out, out))) {
    if (stride != 1 || in != out)
      shortcut = register_module("shortcut", torch::nn::Sequential(conv1x1(in, out, stride)));
  }
  torch::Tensor forward(torch::Tensor x) {
    auto a = torch::relu(bn1(x));
    // The projection sees the pre-activated input, as in He et al. 2016b.
    auto s = shortcut.is_empty() ? x : shortcut->forward(a);
    return conv2(torch::relu(bn2(conv1(a)))) + s;
  }
  BatchNorm2d bn1;
  torch::nn::Conv2d conv1;
  BatchNorm2d bn2;
  torch::nn::Conv2d conv2;
  torch::nn::Sequential shortcut{nullptr};
};

template <class Block>
class CifarResNet : public Net {
 public:
  CifarResNet(const ModelSpec& s, const CifarResNetConfig& cfg, bool stem_bn)
      : conv1(register_module("conv1", conv3x3(s.channels, cfg.width))) {
    if (stem_bn) bn1 = register_module("bn1", BatchNorm2d(cfg.width));
    int64_t in = cfg.width;
    for (size_t stage = 0; stage < cfg.blocks.size(); ++stage) {
      const int64_t out = cfg.width << stage;
      torch::nn::Sequential layer;
      for (int64_t b = 0; b < cfg.blocks[stage]; ++b) {
        const int64_t stride = (stage > 0 && b == 0) ? 2 : 1;
        if constexpr (std::is_same_v<Block, BasicBlock>)
          layer->push_back(std::make_shared<Block>(in, out, stride, cfg.shortcut));
        else
          layer->push_back(std::make_shared<Block>(in, out, stride));
        in = out;
      }
      layers.push_back(register_module("layer" + std::to_string(stage + 1), layer));
    }
    linear = register_module("linear", torch::nn::Linear(in, s.num_classes));
  }
  torch::Tensor forward(torch::Tensor x) override {
    x = conv1(x);
    if (!bn1.is_empty()) x = torch::relu(bn1(x));
    for (auto& l : layers) x = l->forward(x);
    return linear(global_avg_pool(x));
  }
  torch::nn::Conv2d conv1;
  BatchNorm2d bn1{nullptr};
  std::vector<torch::nn::Sequential> layers;
  torch::nn::Linear linear{nullptr};
};

}  // namespace

NetPtr make_cifar_resnet(const ModelSpec& spec, const CifarResNetConfig& cfg) {
  return std::make_shared<CifarResNet<BasicBlock>>(spec, cfg, /*stem_bn=*/true);
}
NetPtr make_preact_resnet(const ModelSpec& spec, const CifarResNetConfig& cfg) {
  return std::make_shared<CifarResNet<PreActBlock>>(spec, cfg, /*stem_bn=*/false);
}

}  // namespace nrs::models
