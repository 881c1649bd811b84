#include "models/pyramidnet.h"
#include <cmath>
#include <stdexcept>
#include "models/init.h"
#include "models/layers.h"
#include "models/shakedrop.h"

namespace nrs::models {
namespace {

using torch::nn::BatchNorm2d;

class PyramidBlock : public torch::nn::Module, public ResidualBranchEnd {
 public:
  PyramidBlock(int64_t in, int64_t planes, int64_t stride, bool bottleneck, double p_drop, bool official)
      : stride_(stride), p_drop_(p_drop), same_pad_(official && stride > 1) {
    bn1 = register_module("bn1", BatchNorm2d(in));
    if (bottleneck) {
      conv1 = register_module("conv1", conv1x1(in, planes));
      bn2 = register_module("bn2", BatchNorm2d(planes));
      conv2 =
          register_module("conv2", same_pad_ ? unpadded3x3(planes, planes, stride) : conv3x3(planes, planes, stride));
      bn3 = register_module("bn3", BatchNorm2d(planes));
      conv3 = register_module("conv3", conv1x1(planes, 4 * planes));
      bn4 = register_module("bn4", BatchNorm2d(4 * planes));
    } else {
      conv1 = register_module("conv1", same_pad_ ? unpadded3x3(in, planes, stride) : conv3x3(in, planes, stride));
      bn2 = register_module("bn2", BatchNorm2d(planes));
      conv2 = register_module("conv2", conv3x3(planes, planes));
      bn3 = register_module("bn3", BatchNorm2d(planes));
    }
  }
  torch::Tensor forward(torch::Tensor x) {
    const bool bottleneck = !conv3.is_empty();
    auto y = bn1(x);
    y = torch::relu(bn2(conv1(same_pad_ && !bottleneck ? pad_same(y, 3, stride_) : y)));
    y = bn3(conv2(same_pad_ && bottleneck ? pad_same(y, 3, stride_) : y));
    if (bottleneck) y = bn4(conv3(torch::relu(y)));
    if (p_drop_ > 0) y = shake_drop(y, p_drop_, is_training());
    auto s = stride_ == 1 ? x : torch::avg_pool2d(x, 2, 2, 0, /*ceil_mode=*/true);
    const int64_t pad = y.size(1) - s.size(1);
    if (pad > 0) s = torch::constant_pad_nd(s, {0, 0, 0, 0, 0, pad});
    return y + s;
  }
  BatchNorm2d& branch_end_bn() override { return conv3.is_empty() ? bn3 : bn4; }
  BatchNorm2d bn1{nullptr}, bn2{nullptr}, bn3{nullptr}, bn4{nullptr};
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
  int64_t stride_;
  double p_drop_;
  bool same_pad_;  // official variant, stride 2: SAME padding in forward

 private:
  static torch::nn::Conv2d unpadded3x3(int64_t in, int64_t out, int64_t stride) {
    return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).stride(stride).padding(0).bias(false));
  }
};

class PyramidNet : public Net {
 public:
  PyramidNet(const ModelSpec& s, const PyramidNetConfig& cfg)
      : conv1(register_module("conv1", conv3x3(s.channels, cfg.stem))),
        bn1(register_module("bn1", BatchNorm2d(cfg.stem))) {
    const int64_t n = cfg.blocks_per_stage, total = 3 * n, ratio = cfg.bottleneck ? 4 : 1;
    const double addrate = cfg.alpha / static_cast<double>(total);
    // Accumulated in double and rounded half-to-even, exactly as the reference's
    // int(round(featuremap_dim)), so widths (and counts) agree to the channel.
    double dim = static_cast<double>(cfg.stem);
    int64_t in = cfg.stem, index = 0;
    for (int stage = 0; stage < 3; ++stage) {
      torch::nn::Sequential layer;
      for (int64_t b = 0; b < n; ++b) {
        dim += addrate;
        const auto planes = static_cast<int64_t>(std::nearbyint(dim));
        const double p = cfg.shakedrop_p_max * static_cast<double>(++index) / static_cast<double>(total);
        layer->push_back(
            std::make_shared<PyramidBlock>(in, planes, (stage > 0 && b == 0) ? 2 : 1, cfg.bottleneck, p, cfg.official));
        in = planes * ratio;
      }
      layers.push_back(register_module("layer" + std::to_string(stage + 1), layer));
    }
    bn_final = register_module("bn_final", BatchNorm2d(in));
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
    x = bn1(conv1(x));
    for (auto& l : layers) x = l->forward(x);
    return fc(global_avg_pool(torch::relu(bn_final(x))));
  }
  torch::nn::Conv2d conv1;
  BatchNorm2d bn1;
  std::vector<torch::nn::Sequential> layers;
  BatchNorm2d bn_final{nullptr};
  torch::nn::Linear fc{nullptr};
};

}  // namespace

PyramidNetConfig pyramidnet_config(int64_t depth, double alpha, bool bottleneck, bool shakedrop) {
  const int64_t per = bottleneck ? 9 : 6;
  if (depth < per + 2 || (depth - 2) % per != 0)
    throw std::invalid_argument("pyramidnet: depth must be " + std::to_string(per) + "n+2 with n>=1 for " +
                                (bottleneck ? "bottleneck" : "basic") + " blocks, got " + std::to_string(depth));
  if (alpha < 0) throw std::invalid_argument("pyramidnet: alpha must be >= 0");
  PyramidNetConfig c;
  c.blocks_per_stage = (depth - 2) / per;
  c.alpha = alpha;
  c.bottleneck = bottleneck;
  c.shakedrop_p_max = shakedrop ? 0.5 : 0.0;
  return c;
}

NetPtr make_pyramidnet(const ModelSpec& spec, const PyramidNetConfig& cfg) {
  return std::make_shared<PyramidNet>(spec, cfg);
}

}  // namespace nrs::models
