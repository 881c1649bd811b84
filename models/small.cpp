#include "models/small.h"

namespace nrs::models {
namespace {

class Mlp : public Net {
 public:
  Mlp(const ModelSpec& s, int64_t hidden)
      : fc1(register_module("fc1", torch::nn::Linear(s.channels * s.height * s.width, hidden))),
        fc2(register_module("fc2", torch::nn::Linear(hidden, hidden))),
        fc3(register_module("fc3", torch::nn::Linear(hidden, s.num_classes))) {}
  torch::Tensor forward(torch::Tensor x) override {
    x = torch::relu(fc1(x.flatten(1)));
    x = torch::relu(fc2(x));
    return fc3(x);
  }
  torch::nn::Linear fc1, fc2, fc3;
};

class SmallCnn : public Net {
 public:
  SmallCnn(const ModelSpec& s, int64_t c1, int64_t c2)
      : conv1(register_module("conv1",
                              torch::nn::Conv2d(torch::nn::Conv2dOptions(s.channels, c1, 3).padding(1).bias(false)))),
        bn1(register_module("bn1", torch::nn::BatchNorm2d(c1))),
        conv2(register_module("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(c1, c2, 3).padding(1).bias(false)))),
        bn2(register_module("bn2", torch::nn::BatchNorm2d(c2))),
        fc1(register_module("fc1", torch::nn::Linear(c2 * (s.height / 4) * (s.width / 4), 128))),
        fc2(register_module("fc2", torch::nn::Linear(128, s.num_classes))) {}
  torch::Tensor forward(torch::Tensor x) override {
    x = torch::max_pool2d(torch::relu(bn1(conv1(x))), 2);
    x = torch::max_pool2d(torch::relu(bn2(conv2(x))), 2);
    x = torch::relu(fc1(x.flatten(1)));
    return fc2(x);
  }
  torch::nn::Conv2d conv1;
  torch::nn::BatchNorm2d bn1;
  torch::nn::Conv2d conv2;
  torch::nn::BatchNorm2d bn2;
  torch::nn::Linear fc1, fc2;
};

}  // namespace

NetPtr make_mlp(const ModelSpec& spec, int64_t hidden) { return std::make_shared<Mlp>(spec, hidden); }
NetPtr make_small_cnn(const ModelSpec& spec, int64_t c1, int64_t c2) {
  if (spec.height < 4 || spec.width < 4) throw std::invalid_argument("small-cnn: input must be at least 4x4");
  return std::make_shared<SmallCnn>(spec, c1, c2);
}

}  // namespace nrs::models
