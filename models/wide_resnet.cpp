#include "models/wide_resnet.h"
#include <cmath>
#include <stdexcept>
#include "models/layers.h"

namespace nrs::models {
namespace {

using torch::nn::BatchNorm2d;

// Official variant's stride-2 3x3 conv: SAME padding applied in forward.
torch::nn::Conv2d conv3x3_unpadded(int64_t in, int64_t out, int64_t stride) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).stride(stride).padding(0).bias(false));
}

class WideBlock : public torch::nn::Module {
 public:
  // first_block: the network's first block (official: its shortcut is the
  // BN-ReLU'd input, activate_before_residual).
  WideBlock(int64_t in, int64_t out, int64_t stride, double dropout, bool official, bool first_block)
      : bn1(register_module("bn1", BatchNorm2d(in))),
        conv1(register_module("conv1",
                              official && stride > 1 ? conv3x3_unpadded(in, out, stride) : conv3x3(in, out, stride))),
        bn2(register_module("bn2", BatchNorm2d(out))),
        conv2(register_module("conv2", conv3x3(out, out))),
        dropout_(dropout),
        stride_(stride),
        official_(official),
        first_block_(first_block) {
    if (!official && (stride != 1 || in != out))
      convShortcut = register_module("convShortcut", conv1x1(in, out, stride));
  }
  torch::Tensor forward(torch::Tensor x) {
    auto a = torch::relu(bn1(x));
    auto y = torch::relu(bn2(conv1(official_ && stride_ > 1 ? pad_same(a, 3, stride_) : a)));
    if (dropout_ > 0) y = torch::dropout(y, dropout_, is_training());
    y = conv2(y);
    if (!official_) return y + (convShortcut.is_empty() ? x : convShortcut(a));
    // _output_add: pool by the stride and append zero channels when the width changes.
    auto s = first_block_ ? a : x;
    if (s.size(1) != y.size(1)) {
      if (stride_ > 1) s = torch::avg_pool2d(s, stride_, stride_, 0, /*ceil_mode=*/true);
      s = torch::constant_pad_nd(s, {0, 0, 0, 0, 0, y.size(1) - s.size(1)});
    }
    return y + s;
  }
  BatchNorm2d bn1;
  torch::nn::Conv2d conv1;
  BatchNorm2d bn2;
  torch::nn::Conv2d conv2;
  torch::nn::Conv2d convShortcut{nullptr};
  double dropout_;
  int64_t stride_;
  bool official_, first_block_;
};

// Exists only so parameter names read block1.layer.0.conv1.weight, as in the reference.
class NetworkBlock : public torch::nn::Module {
 public:
  explicit NetworkBlock(torch::nn::Sequential l) : layer(register_module("layer", l)) {}
  torch::nn::Sequential layer;
};

class WideResNet : public Net {
 public:
  WideResNet(const ModelSpec& s, const WideResNetConfig& cfg)
      : conv1(register_module("conv1", conv3x3(s.channels, cfg.stem))) {
    int64_t in = cfg.stem;
    for (int stage = 0; stage < 3; ++stage) {
      torch::nn::Sequential layer;
      for (int64_t b = 0; b < cfg.blocks_per_stage; ++b) {
        layer->push_back(std::make_shared<WideBlock>(in, cfg.widths[stage], (stage > 0 && b == 0) ? 2 : 1, cfg.dropout,
                                                     cfg.official, stage == 0 && b == 0));
        in = cfg.widths[stage];
      }
      blocks.push_back(register_module("block" + std::to_string(stage + 1), std::make_shared<NetworkBlock>(layer)));
    }
    bn1 = register_module("bn1", BatchNorm2d(in));
    fc = register_module("fc", torch::nn::Linear(in, s.num_classes));
    if (cfg.official) {
      // models/utils.py dense_layer_init_fn: U[-1, 1) / sqrt(num_outputs); flax Dense bias 0.
      torch::NoGradGuard ng;
      const double r = 1.0 / std::sqrt(static_cast<double>(s.num_classes));
      fc->weight.uniform_(-r, r);
      fc->bias.zero_();
    }
  }
  torch::Tensor forward(torch::Tensor x) override {
    x = conv1(x);
    for (auto& b : blocks) x = b->layer->forward(x);
    return fc(global_avg_pool(torch::relu(bn1(x))));
  }
  torch::nn::Conv2d conv1;
  std::vector<std::shared_ptr<NetworkBlock>> blocks;
  BatchNorm2d bn1{nullptr};
  torch::nn::Linear fc{nullptr};
};

}  // namespace

WideResNetConfig wide_resnet_config(int64_t depth, int64_t k, double dropout) {
  if (depth < 10 || (depth - 4) % 6 != 0)
    throw std::invalid_argument("wrn: depth must be 6n+4 with n>=1, got " + std::to_string(depth));
  if (k < 1) throw std::invalid_argument("wrn: widen factor must be >= 1");
  if (dropout < 0 || dropout >= 1) throw std::invalid_argument("wrn: dropout must be in [0, 1)");
  WideResNetConfig c;
  c.blocks_per_stage = (depth - 4) / 6;
  c.widths[0] = 16 * k;
  c.widths[1] = 32 * k;
  c.widths[2] = 64 * k;
  c.dropout = dropout;
  return c;
}

NetPtr make_wide_resnet(const ModelSpec& spec, const WideResNetConfig& cfg) {
  return std::make_shared<WideResNet>(spec, cfg);
}

}  // namespace nrs::models
