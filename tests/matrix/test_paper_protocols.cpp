// The shipped paper protocols: the official code's semantics by default
// (group "official"), today's common-PyTorch semantics in a labelled group,
// the SGD 2x budgets, the CIFAR-100 WRN rho grid, and the non-paper models
// kept apart (docs/fidelity.md).
#include "suite/matrix/protocol.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

using nrs::matrix::Cell;
using nrs::matrix::load_protocol;

namespace {

nrs::matrix::Protocol shipped(const std::string& name) {
  return load_protocol(std::string(NRSBENCH_SOURCE_DIR) + "/suite/protocols/" + name + ".json");
}

std::string top_group(const Cell& c) { return c.group.substr(0, c.group.find('/')); }
bool ends_with(const std::string& s, const std::string& t) {
  return s.size() >= t.size() && s.compare(s.size() - t.size(), t.size(), t) == 0;
}

void expect_official(const Cell& c) {
  const auto& k = c.config;
  EXPECT_EQ(k.sgd.wd_mode, "loss") << c.name;
  EXPECT_EQ(k.sgd.grad_clip, 5.0) << c.name;
  EXPECT_TRUE(k.drop_last) << c.name;
  EXPECT_TRUE(k.strategy.shared_gates) << c.name;
}

void expect_common(const Cell& c) {
  const auto& k = c.config;
  EXPECT_EQ(k.sgd.wd_mode, "optimizer") << c.name;
  EXPECT_EQ(k.sgd.grad_clip, 0.0) << c.name;
  EXPECT_FALSE(k.drop_last) << c.name;
  EXPECT_FALSE(k.strategy.shared_gates) << c.name;
  EXPECT_EQ(k.strategy.sam_m, 0) << c.name;
  EXPECT_EQ(k.strategy.bn_group_effective(), 0) << c.name;
}

}  // namespace

TEST(PaperProtocols, CifarOfficialByDefaultPytorchCommonLabelled) {
  auto p = shipped("paper-cifar");
  std::map<std::string, int> per_group;
  std::set<std::string> twins;  // dataset | setup | label of official cells
  for (const auto& c : p.cells) {
    const auto g = top_group(c);
    ++per_group[g];
    const auto& k = c.config;
    if (g == "official") {
      expect_official(c);
      EXPECT_TRUE(ends_with(k.model, "-official")) << c.name;
      EXPECT_EQ(k.strategy.bn_group_effective(), 32) << c.name;
      EXPECT_EQ(k.strategy.sam_m, k.strategy.name == "sgd" ? 0 : 32) << c.name;
      EXPECT_EQ(k.augment.pad_mode, "reflect") << c.name;
      EXPECT_EQ(k.augment.cutout_mode, "batch") << c.name;
      twins.insert(k.dataset + "|" + c.group.substr(g.size()) + "|" + c.label + "|" + k.model);
    } else if (g == "pytorch-common") {
      expect_common(c);
      EXPECT_FALSE(ends_with(k.model, "-official")) << c.name;
      EXPECT_EQ(k.augment.pad_mode, "zero") << c.name;
      EXPECT_EQ(k.augment.cutout_mode, "image") << c.name;
      EXPECT_TRUE(twins.count(k.dataset + "|" + c.group.substr(g.size()) + "|" + c.label + "|" + k.model + "-official"))
          << c.name << " has no official twin";
    } else {
      EXPECT_EQ(g, "not-in-paper") << c.name;
      EXPECT_TRUE(k.model == "resnet18" || k.model == "vgg16-bn") << c.name;
      expect_common(c);
    }
    // ResNet-18 and VGG-16-BN are not paper setups: only in their own group.
    if (k.model == "resnet18" || k.model == "vgg16-bn") {
      EXPECT_EQ(g, "not-in-paper") << c.name;
    }
    EXPECT_EQ(k.batch_size, 256) << c.name;
    EXPECT_TRUE(k.sgd.nesterov) << c.name;
    EXPECT_EQ(k.schedule.kind, "cosine") << c.name;
    EXPECT_EQ(k.schedule.warmup_epochs, 0) << c.name;
  }
  EXPECT_EQ(per_group["official"], per_group["pytorch-common"]);
  EXPECT_EQ(per_group["not-in-paper"], 16);

  // SGD at twice the epochs beside every SGD cell; the CIFAR-100 WRN rho grid.
  std::map<std::string, const Cell*> by_name;
  for (const auto& c : p.cells) by_name[c.name] = &c;
  int grids = 0;
  for (const auto& c : p.cells) {
    const auto dir = c.name.substr(0, c.name.rfind('/') + 1);
    if (c.label == "sgd") {
      ASSERT_TRUE(by_name.count(dir + "sgd-2x")) << c.name;
      EXPECT_EQ(by_name[dir + "sgd-2x"]->config.epochs, 2 * c.config.epochs) << c.name;
    }
    if (c.config.dataset == "cifar100" && c.config.model.rfind("wrn-28-10", 0) == 0 &&
        c.config.strategy.name == "sam") {
      ++grids;
      EXPECT_TRUE(c.label == "sam-rho0.05" || c.label == "sam-rho0.1") << c.name;
      EXPECT_DOUBLE_EQ(c.config.strategy.rho, c.label == "sam-rho0.05" ? 0.05 : 0.1) << c.name;
    }
  }
  EXPECT_EQ(grids, 2 * 3 * 2);  // {0.05, 0.1} x 3 WRN setups x 2 semantics
}

TEST(PaperProtocols, FashionMnistAndImageNetUseTheOfficialSemanticsByDefault) {
  auto fm = shipped("paper-fmnist");
  int official = 0, common = 0;
  for (const auto& c : fm.cells) {
    if (top_group(c) == "official") {
      ++official;
      expect_official(c);
      EXPECT_EQ(c.config.model, "wrn-28-10-official");
      EXPECT_EQ(c.config.strategy.bn_group_effective(), 32) << c.name;
    } else {
      ++common;
      EXPECT_EQ(top_group(c), "pytorch-common");
      expect_common(c);
    }
    EXPECT_EQ(c.config.epochs, c.label == "sgd-2x" ? 400 : 200) << c.name;
  }
  EXPECT_EQ(official, 4);
  EXPECT_EQ(common, 4);
  auto im = shipped("paper-imagenet");
  for (const auto& c : im.cells) {
    if (top_group(c) == "official") {
      expect_official(c);
      EXPECT_EQ(c.config.schedule.warmup_epochs, 0) << c.name;
      EXPECT_TRUE(c.config.sgd.nesterov) << c.name;
    } else {
      expect_common(c);
      EXPECT_EQ(c.config.schedule.warmup_epochs, 5) << c.name;
    }
  }
  EXPECT_EQ(im.cells.size(), 6u);
}

// GNP's official recipe (zhaoyang-0204/gnp recipes/wideresnet-cifar.sh and
// config/base_config.py, as quoted in the protocol's notes): every cell
// carries it, and the GNP cells the recipe's r, alpha and mix.
TEST(PaperProtocols, GnpCellsCarryTheOfficialRecipe) {
  auto p = shipped("paper-gnp");
  std::set<std::string> seen;
  for (const auto& c : p.cells) {
    const auto& k = c.config;
    seen.insert(k.dataset + "/" + k.strategy.name);
    EXPECT_EQ(k.model, "wrn-28-10-official") << c.name;
    EXPECT_EQ(k.batch_size, 256) << c.name;
    EXPECT_EQ(k.epochs, 200) << c.name;
    EXPECT_DOUBLE_EQ(k.schedule.base_lr, 0.1) << c.name;
    EXPECT_EQ(k.schedule.kind, "cosine") << c.name;
    EXPECT_EQ(k.schedule.warmup_epochs, 0) << c.name;
    EXPECT_DOUBLE_EQ(k.sgd.weight_decay, 1e-3) << c.name;
    EXPECT_EQ(k.sgd.wd_mode, "loss") << c.name;
    EXPECT_EQ(k.sgd.grad_clip, 5.0) << c.name;
    EXPECT_TRUE(k.sgd.nesterov) << c.name;
    EXPECT_DOUBLE_EQ(k.sgd.momentum, 0.9) << c.name;
    EXPECT_EQ(k.label_smoothing, 0.0) << c.name;
    EXPECT_EQ(k.strategy.bn_group_effective(), 32) << c.name;
    if (k.strategy.name == "gnp") {
      EXPECT_DOUBLE_EQ(k.strategy.rho, 0.1) << c.name;
      EXPECT_DOUBLE_EQ(k.strategy.gnp_alpha, 0.8) << c.name;
      EXPECT_EQ(k.strategy.gnp_mix, "normalized") << c.name;
      EXPECT_EQ(k.strategy.sam_m, 32) << c.name;
      EXPECT_EQ(k.strategy.perturbation, "local") << c.name;
    } else {
      EXPECT_EQ(k.strategy.name, "sgd") << c.name;
    }
  }
  EXPECT_EQ(seen, (std::set<std::string>{"cifar10/gnp", "cifar10/sgd", "cifar100/gnp", "cifar100/sgd"}));
  EXPECT_EQ(p.cells.size(), 4u);
  EXPECT_EQ(p.seeds.size(), 5u);
}
