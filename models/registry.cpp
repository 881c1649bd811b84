#include "models/registry.h"
#include <regex>
#include "models/init.h"
#include "models/layers.h"
#include "models/pyramidnet.h"
#include "models/resnet.h"
#include "models/resnet_imagenet.h"
#include "models/small.h"
#include "models/vgg.h"
#include "models/wide_resnet.h"

namespace nrs::models {
namespace {

std::function<bool(const std::string&)> exactly(std::string n) {
  return [n](const std::string& s) { return s == n; };
}
std::function<bool(const std::string&)> matching(std::string re) {
  return [r = std::regex(re)](const std::string& s) { return std::regex_match(s, r); };
}
// The match refers into `name`, which the caller keeps alive.
std::smatch parse(const std::string& name, const std::string& re) {
  std::smatch m;
  if (!std::regex_match(name, m, std::regex(re))) throw std::invalid_argument("malformed name");
  return m;
}
bool is_mini(const std::string& name) {
  static const std::string suffix = "-mini";
  return name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Minis (docs/models.md): every channel count / 8 and one block per stage, so that
// each family's code path runs in milliseconds on a CPU.
CifarResNetConfig cifar_resnet(std::vector<int64_t> blocks, bool mini) {
  if (mini) {
    for (auto& b : blocks) b = std::min<int64_t>(b, 1);
    return {blocks, mini_width(64)};
  }
  return {blocks, 64};
}

const std::string kWrn = R"(wrn-([0-9]+)-([0-9]+)(-d([0-9]*\.?[0-9]+))?(-official)?(-mini)?)";
NetPtr make_wrn(const std::string& name, const ModelSpec& s) {
  auto m = parse(name, kWrn);
  auto cfg = wide_resnet_config(std::stol(m[1]), std::stol(m[2]), m[4].matched ? std::stod(m[4]) : 0.0);
  cfg.official = m[5].matched;
  if (m[6].matched) {
    cfg.blocks_per_stage = 1;
    cfg.stem = mini_width(cfg.stem);
    for (auto& w : cfg.widths) w = mini_width(w);
  }
  return make_wide_resnet(s, cfg);
}

const std::string kVgg = R"(vgg(11|13|16|19)-bn(-mini)?)";
NetPtr make_vgg(const std::string& name, const ModelSpec& s) {
  auto m = parse(name, kVgg);
  auto layers = vgg_layers(std::stoi(m[1]));
  if (m[2].matched)
    for (auto& c : layers)
      if (c != kMaxPool) c = mini_width(c);
  return make_vgg_bn(s, layers);
}

const std::string kPyramid =
    R"(pyramidnet-([0-9]+)-([0-9]+(\.[0-9]+)?)(-bottleneck)?(-shakedrop)?(-official)?(-mini)?)";
NetPtr make_pyramid(const std::string& name, const ModelSpec& s) {
  auto m = parse(name, kPyramid);
  auto cfg = pyramidnet_config(std::stol(m[1]), std::stod(m[2]), m[4].matched, m[5].matched);
  cfg.official = m[6].matched;
  if (m[7].matched) {
    cfg.blocks_per_stage = 1;
    cfg.stem = mini_width(cfg.stem);
    cfg.alpha /= kMiniWidthDivisor;
  }
  return make_pyramidnet(s, cfg);
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
      {"resnet18[-mini]",
       "CIFAR ResNet-18: 3x3 stem 64, no max-pool, [2,2,2,2] BasicBlocks, 1x1 conv+BN shortcuts; mini: width 8, "
       "[1,1,1,1]",
       matching("resnet18(-mini)?"),
       [](const std::string& n, const ModelSpec& s) {
         return make_cifar_resnet(s, cifar_resnet({2, 2, 2, 2}, is_mini(n)));
       }},
      {"resnet34[-mini]", "CIFAR ResNet-34: as resnet18 with [3,4,6,3]; mini: width 8, [1,1,1,1]",
       matching("resnet34(-mini)?"),
       [](const std::string& n, const ModelSpec& s) {
         return make_cifar_resnet(s, cifar_resnet({3, 4, 6, 3}, is_mini(n)));
       }},
      {"resnet{20,32,44,56,110}[-mini]",
       "He et al. 2016's CIFAR ResNet, depth 6n+2: 3x3 stem 16, [n,n,n] BasicBlocks at 16, 32, 64 channels, option-A "
       "shortcuts (stride-2 subsample + zero channels, no parameters); mini: width 2, [1,1,1]",
       matching("resnet(20|32|44|56|110)(-mini)?"),
       [](const std::string& n, const ModelSpec& s) {
         const int64_t depth = std::stoll(parse(n, "resnet(\\d+)(-mini)?")[1]);
         const int64_t per_stage = is_mini(n) ? 1 : (depth - 2) / 6;
         CifarResNetConfig c{{per_stage, per_stage, per_stage}, is_mini(n) ? mini_width(16) : 16, Shortcut::kZeroPad};
         return make_cifar_resnet(s, c);
       }},
      {"preact-resnet18[-mini]",
       "pre-activation ResNet-18: 1x1 conv shortcuts without BN, no final BN; mini: width 8, [1,1,1,1]",
       matching("preact-resnet18(-mini)?"),
       [](const std::string& n, const ModelSpec& s) {
         return make_preact_resnet(s, cifar_resnet({2, 2, 2, 2}, is_mini(n)));
       }},
      {"wrn-D-K[-dP][-official][-mini]",
       "pre-activation WideResNet, depth D=6n+4, widen K, dropout P (e.g. wrn-28-10-d0.3); official: "
       "google-research/sam's "
       "(avg-pool + zero-pad shortcuts, TF-SAME stride-2 padding, U(+-1/sqrt(C)) classifier); mini: widths/8, 1 "
       "block/stage",
       matching(kWrn), make_wrn},
      {"vgg{11,13,16,19}-bn[-mini]",
       "VGG-BN for CIFAR: conv3x3+bias, BN, ReLU; global avg pool; one Linear(512, C); mini: widths/8", matching(kVgg),
       make_vgg},
      {"pyramidnet-D-A[-bottleneck][-shakedrop][-official][-mini]",
       "PyramidNet depth D, widening alpha A; basic (D=6n+2) or bottleneck (D=9n+2); zero-padded avg-pool shortcuts; "
       "ShakeDrop with p linear to 0.5; official: google-research/sam's (TF-SAME stride-2 padding, U(+-1/sqrt(C)) "
       "classifier); mini: alpha/8, stem 2, 1 block/stage",
       matching(kPyramid), make_pyramid},
      {"resnet50[-mini]",
       "torchvision ImageNet ResNet-50 (7x7/2 stem, max-pool, bottlenecks [3,4,6,3]); mini: width 8, [1,1,1,1]",
       matching("resnet50(-mini)?"),
       [](const std::string& n, const ModelSpec& s) {
         ImageNetResNetConfig c;
         if (is_mini(n)) c = {{1, 1, 1, 1}, mini_width(64)};
         return make_imagenet_resnet(s, c);
       }},
  };
  return entries;
}

bool has_model(const std::string& name) {
  for (const auto& e : model_registry())
    if (e.matches(name)) return true;
  return false;
}

NetPtr make_model(const std::string& name, const ModelSpec& spec, const InitOptions& init) {
  for (const auto& e : model_registry()) {
    if (e.matches(name)) {
      NetPtr net;
      try {
        net = e.make(name, spec);
      } catch (const std::invalid_argument& err) {
        throw std::invalid_argument("--model '" + name + "': " + err.what());
      }
      init_weights(*net, init);
      return net;
    }
  }
  std::string names;
  for (const auto& e : model_registry()) names += (names.empty() ? "" : ", ") + e.pattern;
  throw std::invalid_argument("--model '" + name + "': unknown model (expected one of: " + names + ")");
}

}  // namespace nrs::models
