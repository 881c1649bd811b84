// The strategy field table is the one declaration of a method's flags and of
// config.optimizer (suite/optim/strategy_fields.h). Checked against results
// that the code before the table wrote, and one flag at a time.
#include "suite/optim/strategy_fields.h"
#include "suite/run/run_options.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <tuple>

using namespace nrs;
using optim::strategy_fields;

namespace {

nlohmann::json read_json(const std::filesystem::path& p) {
  std::ifstream in(p);
  EXPECT_TRUE(in.good()) << p;
  return nlohmann::json::parse(in);
}

// A value of the member's type that no field has as its default.
nlohmann::json probe_value(const optim::StrategyField& f) {
  return std::visit(
      [](auto m) -> nlohmann::json {
        using T = std::decay_t<decltype(optim::StrategyOptions{}.*m)>;
        if constexpr (std::is_same_v<T, bool>) return true;
        if constexpr (std::is_same_v<T, double>) return 0.375;
        if constexpr (std::is_same_v<T, int64_t>) return 7;
        if constexpr (std::is_same_v<T, std::string>) return "probe";
      },
      f.member);
}

}  // namespace

TEST(StrategyFields, EachFlagSetsOnlyTheValueUnderItsOwnKey) {
  const RunConfig base;
  const auto defaults = base.to_json()["optimizer"];
  std::set<std::string> flags, keys;
  for (const auto& f : strategy_fields()) {
    EXPECT_TRUE(flags.insert(f.flag).second) << "flag twice: " << f.flag;
    EXPECT_TRUE(keys.insert(f.key).second) << "key twice: " << f.key;
    const auto v = probe_value(f);
    ASSERT_NE(defaults.at(f.key), v) << f.flag;
    const auto cfg = config_from_flags({{f.flag, v}}, "test").to_json()["optimizer"];
    for (const auto& [k, d] : defaults.items()) {
      // bn_group records the group size a step uses: --sam-m's when --bn-group is 0.
      const bool moved = k == f.key || (f.key == "sam_m" && k == "bn_group");
      EXPECT_EQ(cfg.at(k), moved ? v : d) << "--" << f.flag << ": " << k;
    }
  }
  // config.optimizer holds the table's keys and nothing else.
  std::set<std::string> recorded;
  for (const auto& [k, d] : defaults.items()) recorded.insert(k);
  EXPECT_EQ(recorded, keys);
}

// Results written before the table existed: each recorded key is a table key,
// and its value, given back as its flag, is recorded again unchanged.
TEST(StrategyFields, CommittedResultsRoundTripThroughTheirFlags) {
  const std::filesystem::path root = NRSBENCH_SOURCE_DIR;
  for (const char* rel : {"results/fmnist-cheap/fashion-mnist/small-cnn/rst-s0.json",
                          "results/fmnist-cheap/fashion-mnist/small-cnn/looksam-s0.json",
                          "results/fmnist-interp/fashion-mnist/small-cnn/nrs-random-s0.json"}) {
    const auto recorded = read_json(root / rel).at("config").at("optimizer");
    nlohmann::json flags = nlohmann::json::object();
    for (const auto& [k, v] : recorded.items()) {
      const auto* f = [&]() -> const optim::StrategyField* {
        for (const auto& x : strategy_fields())
          if (x.key == k) return &x;
        return nullptr;
      }();
      ASSERT_NE(f, nullptr) << rel << ": config.optimizer." << k << " is no field of the table";
      flags[f->flag] = v;
    }
    const auto again = config_from_flags(flags, rel).to_json()["optimizer"];
    for (const auto& [k, v] : recorded.items()) EXPECT_EQ(again.at(k), v) << rel << ": " << k;
  }
}

// `nrsbench list` shows each method the flags it reads, from the same table.
TEST(StrategyFields, ListShowsEachMethodTheFlagsItReads) {
  auto flags_of = [](const std::string& name) {
    std::set<std::string> s;
    for (const auto& e : optim::strategy_registry())
      if (e.name == name)
        for (const auto& [flag, text] : e.params) s.insert(flag);
    return s;
  };
  EXPECT_TRUE(flags_of("rst").count("--rst-p"));
  EXPECT_TRUE(flags_of("rst").count("--rho"));
  EXPECT_TRUE(flags_of("gnp").count("--gnp-mix"));
  EXPECT_FALSE(flags_of("sgd").count("--rho"));
  EXPECT_FALSE(flags_of("sam").count("--nrs-radius"));
  EXPECT_FALSE(flags_of("nrs").count("--optimizer"));
  EXPECT_TRUE(flags_of("nrs").count("--nrs-target"));
}

// step-cost's method flags: a given flag lands only where the target's method
// reads it (SGD has no radius; ghost BN groups apply to every method).
TEST(StrategyFields, CopySetsOnlyTheFieldsTheTargetsMethodReads) {
  optim::StrategyOptions from;
  from.rho = 0.3;
  from.looksam_k = 9;
  from.bn_group = 4;
  const std::vector<std::string> flags = {"rho", "looksam-k", "bn-group"};
  auto copied = [&](const std::string& name) {
    optim::StrategyOptions to;
    to.name = name;
    const auto set = optim::copy_strategy_fields(from, flags, to);
    return std::make_tuple(std::set<std::string>(set.begin(), set.end()), to);
  };
  const optim::StrategyOptions defaults;
  {
    auto [set, to] = copied("sgd");
    EXPECT_EQ(set, (std::set<std::string>{"bn-group"}));
    EXPECT_EQ(to.rho, defaults.rho);
    EXPECT_EQ(to.bn_group, 4);
  }
  {
    auto [set, to] = copied("sam");
    EXPECT_EQ(set, (std::set<std::string>{"rho", "bn-group"}));
    EXPECT_EQ(to.rho, 0.3);
    EXPECT_EQ(to.looksam_k, defaults.looksam_k);
  }
  {
    auto [set, to] = copied("looksam");
    EXPECT_EQ(set, (std::set<std::string>{"rho", "looksam-k", "bn-group"}));
    EXPECT_EQ(to.looksam_k, 9);
  }
  {
    auto [set, to] = copied("nrs");  // NRS's radius is --nrs-radius, not --rho
    EXPECT_EQ(set, (std::set<std::string>{"bn-group"}));
    EXPECT_EQ(to.rho, defaults.rho);
  }
}
