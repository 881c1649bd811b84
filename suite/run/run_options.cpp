#include "suite/run/run_options.h"
#include "suite/hessian/hessian_fields.h"
#include "suite/hessian/landscape_fields.h"
#include "suite/optim/strategy_fields.h"
#include "suite/run/run_fields.h"

#include <algorithm>
#include <sstream>

namespace nrs {
namespace po = boost::program_options;
namespace {

std::vector<double> parse_list(const std::string& flag, const std::string& s) {
  std::vector<double> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    try {
      size_t used = 0;
      out.push_back(std::stod(item, &used));
      if (used != item.size()) throw std::invalid_argument(item);
    } catch (const std::exception&) {
      throw std::invalid_argument(flag + " '" + s + "': expected comma-separated numbers");
    }
  }
  return out;
}

// One flag bound to `target`: a switch for a bool, else a value whose default
// prints as a person writes it (0.05, not 0.050000000000000003).
template <typename T>
void add_field_flag(po::options_description& d, const std::string& flag, T* target, const std::string& help) {
  if constexpr (std::is_same_v<T, bool>) {
    d.add_options()(flag.c_str(), po::bool_switch(target), help.c_str());
  } else {
    std::ostringstream text;
    text << *target;
    d.add_options()(flag.c_str(), po::value(target)->default_value(*target, text.str()), help.c_str());
  }
}

// The flags of one block of the strategy field table (optim/strategy_fields).
void add_strategy_flags(po::options_description& d, optim::StrategyOptions& o, optim::StrategyField::Block block) {
  for (const auto& f : optim::strategy_fields())
    if (f.block == block) std::visit([&](auto m) { add_field_flag(d, f.flag, &(o.*m), f.help); }, f.member);
}

}  // namespace

void add_strategy_override_flags(po::options_description& d, optim::StrategyOptions& o) {
  for (const auto& f : optim::strategy_fields()) {
    if (f.block == optim::StrategyField::Block::kSelector) continue;
    const std::string help = f.help + " (default: each variant's own)";
    std::visit(
        [&](auto m) {
          using T = std::decay_t<decltype(o.*m)>;
          if constexpr (std::is_same_v<T, bool>)
            d.add_options()(f.flag.c_str(), po::bool_switch(&(o.*m)), help.c_str());
          else
            d.add_options()(f.flag.c_str(), po::value<T>(&(o.*m)), help.c_str());
        },
        f.member);
  }
}

std::vector<std::string> given_strategy_flags(const po::variables_map& vm) {
  std::vector<std::string> given;
  for (const auto& f : optim::strategy_fields())
    if (f.block != optim::StrategyField::Block::kSelector && vm.count(f.flag) && !vm[f.flag].defaulted())
      given.push_back(f.flag);
  return given;
}

void add_hessian_flags(po::options_description& d, hessian::HessianOptions& h, const std::string& prefix,
                       const std::vector<std::string>& only) {
  for (const auto& f : hessian::hessian_fields())
    if (only.empty() || std::find(only.begin(), only.end(), f.name) != only.end())
      std::visit([&](auto m) { add_field_flag(d, prefix + f.name, &(h.*m), hessian::hessian_field_help(f, prefix)); },
                 f.member);
}

void add_landscape_flags(po::options_description& d, hessian::LandscapeOptions& o) {
  for (const auto& f : hessian::landscape_fields())
    if (!f.flag.empty()) std::visit([&](auto m) { add_field_flag(d, f.flag, &(o.*m), f.help); }, f.member);
}

namespace {

// The boost value of each kind of run field.
po::value_semantic* inverted_switch(bool& target) {
  return po::bool_switch()->notifier([&target](bool given) {
    if (given) target = false;
  });
}

po::value_semantic* number_list(std::vector<double>& target, const std::string& flag) {
  return po::value<std::string>()->notifier([&target, flag](const std::string& v) { target = parse_list(flag, v); });
}

po::value_semantic* text(std::string& target, const std::vector<std::pair<std::string, std::string>>& aliases) {
  auto* v = po::value(&target);
  if (!target.empty()) v->default_value(target);  // an empty default (a path) prints nothing
  if (!aliases.empty())
    v->notifier([&target, aliases](const std::string& given) {
      for (const auto& [from, to] : aliases)
        if (given == from) target = to;
    });
  return v;
}

// One leaf of the run field table as a flag bound to its member in `c`.
void add_run_field_flag(po::options_description& d, const RunField& f, RunConfig& c) {
  std::visit(
      [&](auto ref) {
        if constexpr (!std::is_same_v<decltype(ref), std::monostate>) {
          auto& target = ref(c);
          using T = std::decay_t<decltype(target)>;
          const char* flag = f.flag.c_str();
          if constexpr (std::is_same_v<T, bool>)
            d.add_options()(flag, f.inverted ? inverted_switch(target) : po::bool_switch(&target), f.help.c_str());
          else if constexpr (std::is_same_v<T, std::vector<double>>)
            d.add_options()(flag, number_list(target, "--" + f.flag), f.help.c_str());
          else if constexpr (std::is_same_v<T, std::string>)
            d.add_options()(flag, text(target, f.aliases), f.help.c_str());
          else
            add_field_flag(d, f.flag, &target, f.help);
        }
      },
      f.ref);
}

}  // namespace

void add_precision_flags(po::options_description& d, std::string& precision, optim::LossScaleOptions& loss_scale) {
  // step-cost's own targets, under the run table's flags and help.
  add_field_flag(d, "precision", &precision, run_field("precision").help);
  add_field_flag(d, "loss-scale-init", &loss_scale.init, run_field("loss-scale-init").help);
  add_field_flag(d, "loss-scale-growth-interval", &loss_scale.growth_interval,
                 run_field("loss-scale-growth-interval").help);
}

void add_run_flags(po::options_description& d, RunConfig& c, const std::vector<std::string>& flags) {
  for (const auto& flag : flags) add_run_field_flag(d, run_field(flag), c);
}

void add_run_options(po::options_description& d, RunConfig& c) {
  using B = RunField::Block;
  using SB = optim::StrategyField::Block;
  for (const auto& f : run_fields()) {
    switch (f.block) {
      case B::kStrategySelector:
        add_strategy_flags(d, c.strategy, SB::kSelector);
        break;
      case B::kStrategyMethod:
        add_strategy_flags(d, c.strategy, SB::kMethod);
        break;
      case B::kStrategyOfficial:
        add_strategy_flags(d, c.strategy, SB::kOfficial);
        break;
      case B::kHessian:
        add_hessian_flags(d, c.hessian, "hessian-");
        break;
      case B::kLandscape:
        add_landscape_flags(d, c.landscape_opts);
        break;
      case B::kLeaf:
        if (!f.flag.empty()) add_run_field_flag(d, f, c);
        break;
    }
  }
}

std::vector<std::string> flags_to_args(const nlohmann::json& flags, const std::string& where) {
  if (!flags.is_object()) throw std::invalid_argument(where + ": expected an object of run flags");
  std::vector<std::string> args;
  for (const auto& [key, v] : flags.items()) {
    const std::string flag = "--" + key;
    if (v.is_boolean()) {
      if (v.get<bool>()) args.push_back(flag);  // switches: false is the default
    } else if (v.is_string()) {
      args.push_back(flag);
      args.push_back(v.get<std::string>());
    } else if (v.is_number()) {
      args.push_back(flag);
      args.push_back(v.dump());  // shortest round-trip form
    } else if (v.is_array()) {
      std::string joined;
      for (const auto& x : v) {
        if (!x.is_number()) throw std::invalid_argument(where + ": \"" + key + "\": expected a list of numbers");
        if (!joined.empty()) joined += ',';  // not "," + dump: GCC 12 C++20 -Wrestrict false positive
        joined += x.dump();
      }
      args.push_back(flag);
      args.push_back(joined);
    } else {
      throw std::invalid_argument(where + ": \"" + key + "\": expected a string, number, boolean or list of numbers");
    }
  }
  return args;
}

RunConfig config_from_flags(const nlohmann::json& flags, const std::string& where) {
  RunConfig c;
  po::options_description d;
  add_run_options(d, c);
  const auto args = flags_to_args(flags, where);
  try {
    po::variables_map vm;
    po::store(po::command_line_parser(args).options(d).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw std::invalid_argument(where + ": " + e.what());
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(where + ": " + e.what());
  }
  return c;
}

}  // namespace nrs
