#include "models/registry.h"
#include "models/init.h"
#include "models/small.h"

namespace nrs::models {
namespace {

std::function<bool(const std::string&)> exactly(std::string n) {
  return [n](const std::string& s) { return s == n; };
}

}  // namespace

const std::vector<ModelEntry>& model_registry() {
  static const std::vector<ModelEntry> entries = {
      {"mlp", "3-layer MLP, hidden 256, ReLU", exactly("mlp"),
       [](const std::string&, const ModelSpec& s) { return make_mlp(s); }},
      {"mlp-mini", "3-layer MLP, hidden 32 (tests)", exactly("mlp-mini"),
       [](const std::string&, const ModelSpec& s) { return make_mlp(s, 32); }},
      {"small-cnn", "2x[conv3x3-BN-ReLU-maxpool] (32, 64 ch) + FC 128 + FC classes", exactly("small-cnn"),
       [](const std::string&, const ModelSpec& s) { return make_small_cnn(s); }},
      {"small-cnn-mini", "small-cnn with 8, 16 channels (tests)", exactly("small-cnn-mini"),
       [](const std::string&, const ModelSpec& s) { return make_small_cnn(s, 8, 16); }},
  };
  return entries;
}

bool has_model(const std::string& name) {
  for (const auto& e : model_registry())
    if (e.matches(name)) return true;
  return false;
}

NetPtr make_model(const std::string& name, const ModelSpec& spec) {
  for (const auto& e : model_registry()) {
    if (e.matches(name)) {
      auto net = e.make(name, spec);
      init_weights(*net);
      return net;
    }
  }
  std::string names;
  for (const auto& e : model_registry()) names += (names.empty() ? "" : ", ") + e.pattern;
  throw std::invalid_argument("--model '" + name + "': unknown model (expected one of: " + names + ")");
}

}  // namespace nrs::models
