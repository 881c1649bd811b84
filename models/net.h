// The model interface every architecture implements, and the shape contract
// a dataset hands to a model factory.
#pragma once
#include <torch/torch.h>
#include <memory>
#include <string>

namespace nrs::models {

struct ModelSpec {
  int64_t channels = 3;
  int64_t height = 32;
  int64_t width = 32;
  int64_t num_classes = 10;
};

// A classifier: images [B, C, H, W] -> logits [B, num_classes].
class Net : public torch::nn::Module {
 public:
  virtual torch::Tensor forward(torch::Tensor x) = 0;
};
using NetPtr = std::shared_ptr<Net>;

int64_t count_trainable_parameters(const torch::nn::Module& m);

}  // namespace nrs::models
