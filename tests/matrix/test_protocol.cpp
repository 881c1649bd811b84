// Protocol expansion: cell counts, stable ids, merging order, sharding and
// the errors a mistyped protocol gets.
#include "suite/matrix/protocol.h"
#include "suite/run/run_options.h"

#include <gtest/gtest.h>

#include <set>

using nlohmann::json;
using nrs::matrix::parse_protocol;

namespace {

json base_protocol() {
  return json::parse(R"({
    "name": "t", "seeds": [0, 1, 2],
    "defaults": {"epochs": 2, "lr": 0.05, "train-subset": 256},
    "datasets": ["synthetic-1x8x8-3", {"dataset": "synthetic-1x8x8-4", "lr": 0.1}],
    "models": ["mlp-mini", {"model": "small-cnn-mini", "batch-size": 32}],
    "optimizers": ["sgd", {"optimizer": "sam", "grid": {"rho": [0.02, 0.05]}},
                   {"label": "nrs-g", "optimizer": "nrs", "nrs-neighbor": "gradient", "nrs-radius": 0.1}],
    "overrides": [{"when": {"model": "mlp-mini", "label": "nrs-g"}, "set": {"nrs-alpha": 2}}]
  })");
}

std::string error_of(const json& j) {
  try {
    parse_protocol(j, "p.json");
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Protocol, ExpansionCountsAndMergeOrder) {
  auto p = parse_protocol(base_protocol(), "p.json");
  // 2 datasets x 2 models x (1 + 2 grid + 1) optimizers
  ASSERT_EQ(p.cells.size(), 16u);
  EXPECT_EQ(nrs::matrix::work_items(p).size(), 48u);
  std::set<std::string> names, ids;
  for (const auto& c : p.cells) {
    names.insert(c.name);
    ids.insert(c.id);
    EXPECT_EQ(c.config.epochs, 2);
    // dataset entry overrides defaults; model entry adds its own flags
    EXPECT_DOUBLE_EQ(c.config.schedule.base_lr, c.config.dataset == "synthetic-1x8x8-4" ? 0.1 : 0.05) << c.name;
    EXPECT_EQ(c.config.batch_size, c.config.model == "small-cnn-mini" ? 32 : 128) << c.name;
    if (c.label == "nrs-g") {
      EXPECT_DOUBLE_EQ(c.config.strategy.nrs_alpha, c.config.model == "mlp-mini" ? 2.0 : 1.0);
    }
  }
  EXPECT_EQ(names.size(), 16u);
  EXPECT_EQ(ids.size(), 16u);
  EXPECT_TRUE(names.count("synthetic-1x8x8-3/mlp-mini/sam-rho0.02"));
  EXPECT_TRUE(names.count("synthetic-1x8x8-4/small-cnn-mini/sam-rho0.05"));
}

TEST(Protocol, IdsAreStableAndIgnoreSeedsAndThreads) {
  auto a = parse_protocol(base_protocol(), "p.json");
  // The same cells spelled differently: key order, flags moved between
  // levels, other seeds, a thread count.
  auto j = json::parse(R"({
    "seeds": [7],
    "name": "other-name",
    "models": [{"batch-size": 128, "model": "mlp-mini", "threads": 1}],
    "optimizers": [{"rho": 0.05, "optimizer": "sam"}],
    "defaults": {"lr": 0.05, "train-subset": 256, "dataset": "synthetic-1x8x8-3", "epochs": 2}
  })");
  auto b = parse_protocol(j, "q.json");
  ASSERT_EQ(b.cells.size(), 1u);
  std::string want;
  for (const auto& c : a.cells)
    if (c.name == "synthetic-1x8x8-3/mlp-mini/sam-rho0.05") want = c.id;
  EXPECT_EQ(b.cells[0].id, want);
  EXPECT_EQ(b.cells[0].id.size(), 12u);
  // A change of substance changes the id.
  j["defaults"]["lr"] = 0.051;
  EXPECT_NE(parse_protocol(j, "q.json").cells[0].id, want);
}

TEST(Protocol, GroupsInheritAndLabelCells) {
  auto j = json::parse(R"({
    "name": "g", "seeds": [0], "defaults": {"dataset": "synthetic", "epochs": 3},
    "optimizers": ["sgd", {"label": "sgd-2x", "optimizer": "sgd"}],
    "groups": [
      {"label": "short", "models": ["mlp-mini"], "overrides": [{"when": {"label": "sgd-2x"}, "set": {"epochs": 6}}]},
      {"label": "long", "defaults": {"epochs": 10}, "models": ["mlp-mini"], "optimizers": ["sgd"]}
    ]})");
  auto p = parse_protocol(j, "g.json");
  ASSERT_EQ(p.cells.size(), 3u);
  EXPECT_EQ(p.cells[0].name, "synthetic/mlp-mini/short/sgd");
  EXPECT_EQ(p.cells[0].config.epochs, 3);
  EXPECT_EQ(p.cells[1].config.epochs, 6);
  EXPECT_EQ(p.cells[2].name, "synthetic/mlp-mini/long/sgd");
  EXPECT_EQ(p.cells[2].config.epochs, 10);
}

TEST(Protocol, ShardsCoverEveryItemExactlyOnce) {
  auto p = parse_protocol(base_protocol(), "p.json");
  const auto all = nrs::matrix::work_items(p);
  for (int n = 1; n <= 7; ++n) {
    std::vector<int> seen(all.size(), 0);
    size_t largest = 0, smallest = all.size();
    for (int i = 0; i < n; ++i) {
      auto s = nrs::matrix::select_shard(all, {i, n});
      largest = std::max(largest, s.size());
      smallest = std::min(smallest, s.size());
      for (const auto& it : s) ++seen[it.index];
    }
    for (size_t k = 0; k < seen.size(); ++k) EXPECT_EQ(seen[k], 1) << "item " << k << " with " << n << " shards";
    EXPECT_LE(largest - smallest, 1u) << n << " shards";
  }
}

TEST(Protocol, ParseShard) {
  auto s = nrs::matrix::parse_shard("2/5");
  EXPECT_EQ(s.index, 2);
  EXPECT_EQ(s.count, 5);
  for (const char* bad : {"5/5", "-1/2", "1", "1/0", "a/b", "1/2x"})
    EXPECT_THROW(nrs::matrix::parse_shard(bad), std::invalid_argument) << bad;
}

TEST(Protocol, ErrorsNameFileEntryAndFlag) {
  auto j = base_protocol();
  j["optimisers"] = json::array();
  EXPECT_NE(error_of(j).find("p.json: unknown key \"optimisers\""), std::string::npos) << error_of(j);

  j = base_protocol();
  j["defaults"]["lr"] = "fast";
  EXPECT_NE(error_of(j).find("p.json: cell sgd: "), std::string::npos) << error_of(j);
  EXPECT_NE(error_of(j).find("lr"), std::string::npos) << error_of(j);

  j = base_protocol();
  j["defaults"]["seed"] = 3;
  EXPECT_NE(error_of(j).find("\"seeds\" list"), std::string::npos) << error_of(j);

  j = base_protocol();
  j["optimizers"].push_back("sgd");
  EXPECT_NE(error_of(j).find("two cells are named"), std::string::npos) << error_of(j);

  j = base_protocol();
  j["models"][0] = "resnet9000";
  EXPECT_NE(error_of(j).find("--model 'resnet9000'"), std::string::npos) << error_of(j);

  j = base_protocol();
  j["defaults"]["no-such-flag"] = 1;
  EXPECT_NE(error_of(j).find("no-such-flag"), std::string::npos) << error_of(j);

  j = base_protocol();
  j["defaults"]["epochs"] = 0;
  EXPECT_NE(error_of(j).find("--epochs"), std::string::npos) << error_of(j);

  j = base_protocol();
  j.erase("seeds");
  EXPECT_NE(error_of(j).find("\"seeds\""), std::string::npos) << error_of(j);
}

// Found while fuzzing protocols (by hand, from the fuzzer's 10 s timeout
// rule): a 500-byte protocol whose grid asks for 10^5 cells kept nrsbench
// resolving them for minutes; and a "description" that is not a string was a
// JSON type error (exit 1). Both are InputErrors naming the file now.
TEST(Protocol, CellCountIsCappedAndDescriptionMustBeAString) {
  json lrs = json::array();
  for (int i = 1; i <= 251; ++i) lrs.push_back(0.001 * i);
  json ten = json::array();
  for (int i = 1; i <= 10; ++i) ten.push_back(0.01 * i);
  auto j = base_protocol();  // 2 datasets x 2 models x the optimizer entries below
  j.erase("overrides");
  j["optimizers"] = {{{"optimizer", "sgd"},
                      {"grid", {{"lr", ten}, {"momentum", ten}, {"weight-decay", ten}, {"label-smoothing", ten}}}}};
  EXPECT_NE(error_of(j).find("p.json: optimizers[0]: expands to more than 1000 cells"), std::string::npos)
      << error_of(j);
  j["optimizers"] = {{{"optimizer", "sgd"}, {"grid", {{"lr", lrs}}}}};  // 4 x 251 = 1004 cells
  EXPECT_NE(error_of(j).find("p.json: expands to more than 1000 cells"), std::string::npos) << error_of(j);
  lrs.erase(lrs.size() - 1);  // 4 x 250 = 1000 cells: the limit itself is accepted
  j["optimizers"] = {{{"optimizer", "sgd"}, {"grid", {{"lr", lrs}}}}};
  EXPECT_EQ(parse_protocol(j, "p.json").cells.size(), 1000u);

  j = base_protocol();
  j["description"] = 5;
  EXPECT_NE(error_of(j).find("p.json: \"description\" must be a string"), std::string::npos) << error_of(j);
}

TEST(RunOptions, FlagsFromJsonEqualTheCommandLine) {
  auto c = nrs::config_from_flags(json::parse(R"({"lr": 0.1, "nesterov": true, "milestones": [3, 6],
      "optimizer": "nrs", "nrs-radius": 0.25, "schedule": "step", "epochs": 8, "keep-denormals": true})"),
                                  "x");
  EXPECT_DOUBLE_EQ(c.schedule.base_lr, 0.1);
  EXPECT_TRUE(c.sgd.nesterov);
  EXPECT_EQ(c.schedule.milestones, (std::vector<double>{3, 6}));
  EXPECT_EQ(c.strategy.name, "nrs");
  EXPECT_DOUBLE_EQ(c.strategy.nrs_radius, 0.25);
  EXPECT_FALSE(c.flush_denormal);
  EXPECT_EQ(nrs::flags_to_args(json::parse(R"({"lr": 0.1, "nesterov": false, "milestones": [3, 6]})"), "x"),
            (std::vector<std::string>{"--lr", "0.1", "--milestones", "3,6"}));
  EXPECT_THROW(nrs::config_from_flags(json::parse(R"({"lr": [1, "a"]})"), "x"), std::invalid_argument);
}

TEST(RunOptions, FidelityFlagsAreRecordedValidatedAndPartOfTheCellId) {
  const auto base = json::parse(R"({"model": "mlp-mini", "dataset": "synthetic", "optimizer": "sam"})");
  auto with = [&](const json& extra) {
    json j = base;
    for (const auto& [k, v] : extra.items()) j[k] = v;
    return nrs::config_from_flags(j, "x");
  };
  const auto plain_id = nrs::matrix::cell_id(with(json::object()));
  const json official = json::parse(R"({"wd-mode": "loss", "grad-clip": 5.0, "sam-m": 32, "bn-group": 32,
      "shared-gates": true, "drop-last": true, "pad-mode": "reflect", "cutout-mode": "batch"})");
  auto c = with(official);
  EXPECT_NO_THROW(c.validate(false));
  auto j = c.to_json();
  EXPECT_EQ(j["sgd"]["wd_mode"], "loss");
  EXPECT_EQ(j["optimizer"]["sam_m"], 32);
  EXPECT_EQ(j["optimizer"]["bn_group"], 32);
  EXPECT_EQ(j["optimizer"]["shared_gates"], true);
  EXPECT_EQ(j["drop_last"], true);
  EXPECT_EQ(j["augment"]["cutout_mode"], "batch");
  // Each setting alone changes the id; spellings of one setting do not.
  std::set<std::string> ids = {plain_id};
  for (const auto& [k, v] : official.items()) ids.insert(nrs::matrix::cell_id(with({{k, v}})));
  EXPECT_EQ(ids.size(), official.size() + 1);
  EXPECT_EQ(nrs::matrix::cell_id(with({{"wd-mode", "l2"}})), nrs::matrix::cell_id(with({{"wd-mode", "loss"}})));
  // --sam-m alone implies BN groups of M (each chunk is its own forward pass).
  EXPECT_EQ(nrs::matrix::cell_id(with({{"sam-m", 32}})), nrs::matrix::cell_id(with({{"sam-m", 32}, {"bn-group", 32}})));

  auto error = [&](const json& extra) -> std::string {
    try {
      with(extra).validate(false);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_NE(error({{"optimizer", "sgd"}, {"sam-m", 32}}).find("--sam-m: applies to sam, asam and nrs"),
            std::string::npos);
  EXPECT_NE(error({{"sam-m", 32}, {"bn-group", 12}}).find("--bn-group: must divide --sam-m"), std::string::npos);
  EXPECT_NE(error({{"batch-size", 100}, {"sam-m", 32}}).find("--sam-m: must divide --batch-size (100)"),
            std::string::npos);
  EXPECT_NE(error({{"batch-size", 100}, {"bn-group", 32}}).find("--bn-group: must divide --batch-size"),
            std::string::npos);
  EXPECT_NE(error({{"sam-m", -1}}).find("--sam-m: expected an integer >= 0"), std::string::npos);
  EXPECT_NE(error({{"bn-group", 16}, {"bn-stats", "both"}}).find("--bn-stats both"), std::string::npos);
  EXPECT_NE(error({{"cutout-mode", "pixel"}}).find("--cutout-mode 'pixel'"), std::string::npos);
  EXPECT_NE(error({{"wd-mode", "adamw"}}).find("--wd-mode 'adamw'"), std::string::npos);
}
