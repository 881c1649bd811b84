#include "models/vgg.h"
#include <stdexcept>
#include "models/layers.h"

namespace nrs::models {
namespace {

class VggBn : public Net {
 public:
  VggBn(const ModelSpec& s, const std::vector<int64_t>& layers) {
    torch::nn::Sequential f;
    int64_t in = s.channels, h = s.height, w = s.width;
    for (int64_t c : layers) {
      if (c == kMaxPool) {
        // An Identity in place of a skipped pool keeps the features.N indices stable.
        if (h >= 2 && w >= 2) {
          f->push_back(torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(2).stride(2)));
          h /= 2;
          w /= 2;
        } else {
          f->push_back(torch::nn::Identity());
        }
        continue;
      }
      // Conv bias kept despite the BN that follows, as in the reference counts.
      f->push_back(conv3x3(in, c, 1, /*bias=*/true));
      f->push_back(torch::nn::BatchNorm2d(c));
      f->push_back(torch::nn::ReLU());
      in = c;
    }
    features = register_module("features", f);
    classifier = register_module("classifier", torch::nn::Linear(in, s.num_classes));
  }
  torch::Tensor forward(torch::Tensor x) override { return classifier(global_avg_pool(features->forward(x))); }
  torch::nn::Sequential features{nullptr};
  torch::nn::Linear classifier{nullptr};
};

}  // namespace

std::vector<int64_t> vgg_layers(int depth) {
  const int64_t M = kMaxPool;
  switch (depth) {
    case 11:
      return {64, M, 128, M, 256, 256, M, 512, 512, M, 512, 512, M};
    case 13:
      return {64, 64, M, 128, 128, M, 256, 256, M, 512, 512, M, 512, 512, M};
    case 16:
      return {64, 64, M, 128, 128, M, 256, 256, 256, M, 512, 512, 512, M, 512, 512, 512, M};
    case 19:
      return {64, 64, M, 128, 128, M, 256, 256, 256, 256, M, 512, 512, 512, 512, M, 512, 512, 512, 512, M};
  }
  throw std::invalid_argument("vgg: depth must be 11, 13, 16 or 19, got " + std::to_string(depth));
}

NetPtr make_vgg_bn(const ModelSpec& spec, const std::vector<int64_t>& layers) {
  return std::make_shared<VggBn>(spec, layers);
}

}  // namespace nrs::models
