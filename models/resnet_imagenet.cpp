#include "models/resnet_imagenet.h"
#include "models/init.h"
#include "models/layers.h"

namespace nrs::models {
namespace {

using torch::nn::BatchNorm2d;

class Bottleneck : public torch::nn::Module, public ResidualBranchEnd {
 public:
  static constexpr int64_t kExpansion = 4;
  Bottleneck(int64_t in, int64_t planes, int64_t stride)
      : conv1(register_module("conv1", conv1x1(in, planes))),
        bn1(register_module("bn1", BatchNorm2d(planes))),
        conv2(register_module("conv2", conv3x3(planes, planes, stride))),
        bn2(register_module("bn2", BatchNorm2d(planes))),
        conv3(register_module("conv3", conv1x1(planes, planes * kExpansion))),
        bn3(register_module("bn3", BatchNorm2d(planes * kExpansion))) {
    if (stride != 1 || in != planes * kExpansion)
      downsample = register_module("downsample", torch::nn::Sequential(conv1x1(in, planes * kExpansion, stride),
                                                                       BatchNorm2d(planes * kExpansion)));
  }
  torch::Tensor forward(torch::Tensor x) {
    auto y = torch::relu(bn1(conv1(x)));
    y = torch::relu(bn2(conv2(y)));
    y = bn3(conv3(y));
    return torch::relu(y + (downsample.is_empty() ? x : downsample->forward(x)));
  }
  BatchNorm2d& branch_end_bn() override { return bn3; }
  torch::nn::Conv2d conv1;
  BatchNorm2d bn1;
  torch::nn::Conv2d conv2;
  BatchNorm2d bn2;
  torch::nn::Conv2d conv3;
  BatchNorm2d bn3;
  torch::nn::Sequential downsample{nullptr};
};

class ImageNetResNet : public Net {
 public:
  ImageNetResNet(const ModelSpec& s, const ImageNetResNetConfig& cfg)
      : conv1(register_module(
            "conv1",
            torch::nn::Conv2d(torch::nn::Conv2dOptions(s.channels, cfg.width, 7).stride(2).padding(3).bias(false)))),
        bn1(register_module("bn1", BatchNorm2d(cfg.width))) {
    int64_t in = cfg.width;
    for (size_t stage = 0; stage < cfg.blocks.size(); ++stage) {
      const int64_t planes = cfg.width << stage;
      torch::nn::Sequential layer;
      for (int64_t b = 0; b < cfg.blocks[stage]; ++b) {
        layer->push_back(std::make_shared<Bottleneck>(in, planes, (stage > 0 && b == 0) ? 2 : 1));
        in = planes * Bottleneck::kExpansion;
      }
      layers.push_back(register_module("layer" + std::to_string(stage + 1), layer));
    }
    fc = register_module("fc", torch::nn::Linear(in, s.num_classes));
  }
  torch::Tensor forward(torch::Tensor x) override {
    x = torch::max_pool2d(torch::relu(bn1(conv1(x))), 3, 2, 1);
    for (auto& l : layers) x = l->forward(x);
    return fc(global_avg_pool(x));
  }
  torch::nn::Conv2d conv1;
  BatchNorm2d bn1;
  std::vector<torch::nn::Sequential> layers;
  torch::nn::Linear fc{nullptr};
};

}  // namespace

NetPtr make_imagenet_resnet(const ModelSpec& spec, const ImageNetResNetConfig& cfg) {
  return std::make_shared<ImageNetResNet>(spec, cfg);
}

}  // namespace nrs::models
