// Dataset shapes and the model names the zoo tests sweep.
#pragma once
#include <gtest/gtest.h>
#include <cctype>
#include <string>
#include <vector>
#include "models/net.h"

namespace nrs::models::testing {

inline ModelSpec cifar10() { return {3, 32, 32, 10}; }
inline ModelSpec cifar100() { return {3, 32, 32, 100}; }
inline ModelSpec fashion_mnist() { return {1, 28, 28, 10}; }
inline ModelSpec imagenet() { return {3, 224, 224, 1000}; }

// One CPU-fast variant per family and per structural option; test_registry checks
// that every registry entry is covered by at least one of these.
inline const std::vector<std::string>& mini_names() {
  static const std::vector<std::string> names = {
      "mlp-mini",
      "small-cnn-mini",
      "resnet18-mini",
      "resnet34-mini",
      "preact-resnet18-mini",
      "resnet20-mini",
      "wrn-16-8-mini",
      "wrn-28-10-d0.3-mini",
      "wrn-28-10-official-mini",
      "vgg11-bn-mini",
      "vgg16-bn-mini",
      "vgg19-bn-mini",
      "pyramidnet-110-270-mini",
      "pyramidnet-272-200-bottleneck-shakedrop-mini",
      "pyramidnet-272-200-bottleneck-shakedrop-official-mini",
      "pyramidnet-110-270-official-mini",
      "resnet50-mini",
  };
  return names;
}

// GoogleTest names allow only [A-Za-z0-9_].
inline std::string param_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string n = info.param;
  for (auto& c : n)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return n;
}

}  // namespace nrs::models::testing
