// The run field table (suite/run/run_fields.h) against truth from outside it:
// the configurations the hand-written RunConfig::to_json of commit 1e5827d
// recorded (tests/core/golden/run-config.json), the cell-id exclusions that
// scheme 2 promised, the flags boost actually registers, and the committed
// docs/run-flags.md.
#include "suite/hessian/hessian_fields.h"
#include "suite/hessian/landscape_fields.h"
#include "suite/optim/strategy_fields.h"
#include "suite/run/cell_id.h"
#include "suite/run/run_fields.h"
#include "suite/run/run_options.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

using nlohmann::json;
using nrs::RunField;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

json config_of(const json& flags) { return nrs::config_from_flags(flags, "test").to_json(); }

// A value for the flag that is not its default, as a protocol cell writes it.
json probe(const RunField& f) {
  return std::visit(
      [](auto ref) -> json {
        using R = decltype(ref);
        if constexpr (std::is_same_v<R, std::monostate>) {
          return nullptr;
        } else {
          using T = std::decay_t<decltype(ref(std::declval<nrs::RunConfig&>()))>;
          if constexpr (std::is_same_v<T, bool>) return true;
          if constexpr (std::is_same_v<T, double>) return 0.375;
          if constexpr (std::is_same_v<T, std::string>) return "probe";
          if constexpr (std::is_same_v<T, std::vector<double>>) return json::array({1.5, 2.5});
          if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) return 7;
        }
      },
      f.ref);
}

// Every leaf path at which two JSON objects differ.
void differing_paths(const json& a, const json& b, const std::string& at, std::set<std::string>& out) {
  if (a.is_object() && b.is_object()) {
    std::set<std::string> keys;
    for (const auto& [k, v] : a.items()) keys.insert(k);
    for (const auto& [k, v] : b.items()) keys.insert(k);
    for (const auto& k : keys)
      differing_paths(a.contains(k) ? a[k] : json(), b.contains(k) ? b[k] : json(), at.empty() ? k : at + "." + k, out);
  } else if (a != b) {
    out.insert(at);
  }
}

// `c` cut down to the keys that `shape` has (recursively), and the paths of
// the leaves it has beyond them.
json common_part(const json& c, const json& shape, const std::string& at, std::vector<std::string>& extra) {
  if (!c.is_object() || !shape.is_object()) return c;
  json out = json::object();
  for (const auto& [k, v] : c.items()) {
    const std::string path = at + "/" + k;
    if (shape.contains(k))
      out[k] = common_part(v, shape[k], path, extra);
    else
      extra.push_back(path);
  }
  return out;
}

}  // namespace

TEST(RunFields, ConfigIsByteForByteWhatTheHandWrittenWriterRecorded) {
  // Each case: flags, and the config that commit 1e5827d's hand-written
  // RunConfig::to_json made of them (every flag, aliases, fp16, deterministic).
  // What it recorded must come out byte for byte; a field added since may
  // only add keys, and a case that does not set it records its default.
  const json golden = json::parse(read_file(std::string(NRSBENCH_SOURCE_DIR) + "/tests/core/golden/run-config.json"));
  const json defaults = nrs::RunConfig{}.to_json();
  ASSERT_GE(golden.size(), 6u);
  for (const auto& c : golden) {
    std::vector<std::string> added;
    const json now = config_of(c["flags"]);
    EXPECT_EQ(common_part(now, c["config"], "", added).dump(), c["config"].dump()) << c["flags"].dump();
    for (const auto& path : added)
      EXPECT_EQ(now[json::json_pointer(path)], defaults[json::json_pointer(path)]) << "new field " << path;
  }
}

TEST(RunFields, EachFlagSetsExactlyTheKeyTheTableNames) {
  const json fp16 = {{"precision", "fp16"}};  // loss_scale is recorded in fp16 runs only
  const json base = config_of(fp16);
  for (const auto& f : nrs::run_fields()) {
    if (f.block != RunField::Block::kLeaf || f.flag.empty()) continue;
    json flags = fp16;
    flags[f.flag] = probe(f);
    std::set<std::string> moved;
    differing_paths(config_of(flags), base, "", moved);
    if (f.flag == "precision") moved.erase("loss_scale");  // a non-fp16 run records no loss scale
    EXPECT_EQ(moved, std::set<std::string>{f.key}) << "--" << f.flag;
  }
}

TEST(RunFields, AliasesAndInvertedSwitchesRecordTheCanonicalValue) {
  EXPECT_EQ(config_of({{"wd-mode", "l2"}})["sgd"]["wd_mode"], "loss");
  EXPECT_EQ(config_of({{"keep-denormals", true}})["flush_denormal"], false);
  EXPECT_EQ(config_of(json::object())["flush_denormal"], true);
  EXPECT_EQ(config_of({{"milestones", {3, 6.5}}})["schedule"]["milestones"], json::array({3.0, 6.5}));
  EXPECT_THROW(config_of({{"milestones", "3,x"}}), std::invalid_argument);
  EXPECT_FALSE(config_of(json::object()).contains("loss_scale"));
}

TEST(RunFields, CellIdsLeaveOutWhatSchemeTwoPromised) {
  // The list cell_id.cpp spelled out by hand until the table replaced it.
  const std::set<std::string> promised = {"seed",         "threads",          "data_dir",        "save_weights",
                                          "checkpoint",   "checkpoint_every", "checkpoint_keep", "checkpoint_path",
                                          "data_loading", "dist_timeout_s"};
  const auto& excluded = nrs::matrix::id_excluded_fields();
  EXPECT_EQ(std::set<std::string>(excluded.begin(), excluded.end()), promised);
  EXPECT_EQ(excluded.size(), promised.size());
}

TEST(RunFields, BoostRegistersEveryFlagOfTheTablesAndNoOther) {
  nrs::RunConfig c;
  boost::program_options::options_description d;
  nrs::add_run_options(d, c);
  std::multiset<std::string> registered, declared;
  for (const auto& o : d.options()) registered.insert(o->long_name());
  for (const auto& f : nrs::run_fields()) {
    if (f.block == RunField::Block::kLeaf && !f.flag.empty()) declared.insert(f.flag);
    if (f.block == RunField::Block::kHessian)
      for (const auto& h : nrs::hessian::hessian_fields()) declared.insert("hessian-" + h.name);
    if (f.block == RunField::Block::kLandscape)
      for (const auto& l : nrs::hessian::landscape_fields())
        if (!l.flag.empty()) declared.insert(l.flag);
  }
  for (const auto& s : nrs::optim::strategy_fields()) declared.insert(s.flag);
  EXPECT_EQ(registered, declared);
}

TEST(RunFields, LandscapeRecordAgreesWithTheLandscapeReportsSettings) {
  for (const json& flags : {json::object(), json{{"landscape", true},
                                                 {"landscape-samples", 64},
                                                 {"landscape-bn", "recompute"},
                                                 {"landscape-points", 5},
                                                 {"landscape-range", 0.25}}}) {
    const auto c = nrs::config_from_flags(flags, "test");
    json recorded = c.to_json()["landscape"];
    recorded.erase("enabled");
    EXPECT_EQ(recorded, c.landscape_opts.to_json()) << flags.dump();
  }
}

TEST(RunFields, DocsRunFlagsIsWhatListFlagsPrints) {
  EXPECT_EQ(read_file(std::string(NRSBENCH_SOURCE_DIR) + "/docs/run-flags.md"), nrs::run_flags_markdown())
      << "regenerate: nrsbench list flags > docs/run-flags.md";
}

// Each landscape flag moves its own key of config.landscape and no other, and
// the key is the landscape report's (LandscapeOptions::to_json).
TEST(RunFields, EachLandscapeFlagMovesItsOwnKey) {
  const json base = nrs::config_from_flags(json::object(), "test").to_json();
  int flags = 0;
  for (const auto& f : nrs::hessian::landscape_fields()) {
    EXPECT_TRUE(base["landscape"].contains(f.key)) << f.key;
    if (f.flag.empty()) continue;
    ++flags;
    const json value = std::visit(
        [](auto m) -> json {
          using T = std::decay_t<decltype(nrs::hessian::LandscapeOptions{}.*m)>;
          if constexpr (std::is_same_v<T, std::string>) return "recompute";
          if constexpr (std::is_same_v<T, double>) return 0.375;
          return 7;
        },
        f.member);
    const json moved = nrs::config_from_flags(json{{f.flag, value}}, "test").to_json();
    for (const auto& [k, v] : moved["landscape"].items())
      EXPECT_EQ(v != base["landscape"][k], k == f.key) << "--" << f.flag << " moves landscape." << k;
    json rest = moved, base_rest = base;
    rest.erase("landscape");
    base_rest.erase("landscape");
    EXPECT_EQ(rest, base_rest) << "--" << f.flag;
  }
  EXPECT_EQ(flags, 5);
}
