// `nrsbench run --hessian-NAME` and `nrsbench hessian --hessian-NAME` are
// bound from one table (suite/hessian/hessian_fields.h): each flag must set its
// own member and nothing else, in a command's flags and in a run's config.
#include "suite/hessian/hessian_fields.h"
#include "suite/run/run_options.h"

#include <gtest/gtest.h>

#include <functional>
#include <set>

using namespace nrs;
using hessian::HessianOptions;

namespace {

// A value no field has as its default, as a flag word and as the member's type.
struct Probe {
  std::string word;
  std::function<void(HessianOptions&)> set;  // the same value, set by hand
};

Probe probe(const hessian::HessianField& f) {
  return std::visit(
      [](auto m) -> Probe {
        using T = std::decay_t<decltype(HessianOptions{}.*m)>;
        if constexpr (std::is_same_v<T, bool>) return {"", [m](HessianOptions& h) { h.*m = true; }};
        if constexpr (std::is_same_v<T, double>) return {"0.375", [m](HessianOptions& h) { h.*m = 0.375; }};
        if constexpr (std::is_same_v<T, int64_t>) return {"7", [m](HessianOptions& h) { h.*m = 7; }};
        if constexpr (std::is_same_v<T, uint64_t>) return {"7", [m](HessianOptions& h) { h.*m = 7; }};
        if constexpr (std::is_same_v<T, std::string>) return {"probe", [m](HessianOptions& h) { h.*m = "probe"; }};
      },
      f.member);
}

HessianOptions parse_command_flags(const std::vector<std::string>& args) {
  HessianOptions h;
  boost::program_options::options_description d;
  add_hessian_flags(d, h, "hessian-");
  boost::program_options::variables_map vm;
  boost::program_options::store(boost::program_options::command_line_parser(args).options(d).run(), vm);
  boost::program_options::notify(vm);
  return h;
}

}  // namespace

TEST(HessianFields, EachFlagSetsItsOwnMemberInTheCommandAndInARun) {
  const HessianOptions defaults;
  std::set<std::string> names;
  for (const auto& f : hessian::hessian_fields()) {
    EXPECT_TRUE(names.insert(f.name).second) << f.name;
    const auto p = probe(f);
    HessianOptions expected;
    p.set(expected);
    ASSERT_NE(expected.to_json(), defaults.to_json()) << f.name << ": the probe is the default";
    // The key the table gives is the one key of to_json() the member moves.
    const nlohmann::json moved = expected.to_json(), unmoved = defaults.to_json();
    for (const auto& [k, v] : moved.items())
      EXPECT_EQ(v != unmoved[k], k == f.key) << f.name << " moves " << k << ", the table says " << f.key;

    std::vector<std::string> words = {"--hessian-" + f.name};
    if (!p.word.empty()) words.push_back(p.word);
    EXPECT_EQ(parse_command_flags(words).to_json(), expected.to_json()) << "nrsbench hessian --hessian-" << f.name;

    nlohmann::json flags = {{"hessian-" + f.name, p.word.empty() ? nlohmann::json(true) : nlohmann::json(p.word)}};
    if (std::holds_alternative<int64_t HessianOptions::*>(f.member) ||
        std::holds_alternative<uint64_t HessianOptions::*>(f.member))
      flags["hessian-" + f.name] = 7;
    if (std::holds_alternative<double HessianOptions::*>(f.member)) flags["hessian-" + f.name] = 0.375;
    EXPECT_EQ(config_from_flags(flags, "test").hessian.to_json(), expected.to_json()) << "run --hessian-" << f.name;
  }
}

TEST(HessianFields, HelpNamesTheOtherFlagsWithTheCallersPrefix) {
  for (const auto& f : hessian::hessian_fields()) {
    EXPECT_EQ(hessian::hessian_field_help(f, "hessian-").find('{'), std::string::npos) << f.name;
    if (f.name == "density-steps") {
      EXPECT_NE(hessian::hessian_field_help(f, "hessian-").find("--hessian-memory-mb"), std::string::npos);
      EXPECT_NE(hessian::hessian_field_help(f, "").find("--memory-mb"), std::string::npos);
    }
    if (f.name == "repeats") {
      EXPECT_NE(hessian::hessian_field_help(f, "").find("of --samples each"), std::string::npos);
    }
  }
}
