// `nrsbench list`: the registries, with each entry's parameters.
#include "datasets/registry.h"
#include "models/registry.h"
#include "suite/cli/cli_common.h"
#include "suite/io/run_result.h"
#include "suite/optim/step_strategy.h"
#include "suite/run/run_fields.h"

#include <iostream>

namespace nrs::cli {

int cmd_list(const std::vector<std::string>& args) {
  std::string what = "all";
  po::options_description d("list options");
  d.add_options()(
      "what", po::value(&what)->default_value("all"),
      "all | models | datasets | optimizers | flags (every run flag as docs/run-flags.md) | result-keys (every "
      "key of a result file, the table of docs/results-schema.md)");
  po::positional_options_description pos;
  pos.add("what", 1);
  po::variables_map vm;
  if (!parse_or_help("list", "[models|datasets|optimizers|flags|result-keys]", d, args, vm, &pos)) return 0;
  if (what != "all" && what != "models" && what != "datasets" && what != "optimizers" && what != "flags" &&
      what != "result-keys")
    throw UsageError("'" + what + "': expected all, models, datasets, optimizers, flags or result-keys");
  if (what == "flags") {
    std::cout << run_flags_markdown();
    return 0;
  }
  if (what == "result-keys") {
    std::cout << result_keys_markdown();
    return 0;
  }
  if (what == "all" || what == "models") {
    std::cout << "models:\n";
    for (const auto& e : models::model_registry())
      std::printf("  %-28s %s\n", e.pattern.c_str(), e.description.c_str());
  }
  if (what == "all" || what == "datasets") {
    std::cout << "datasets:\n";
    for (const auto& e : data::dataset_registry())
      std::printf("  %-28s %s\n", e.pattern.c_str(), e.description.c_str());
  }
  if (what == "all" || what == "optimizers") {
    std::cout << "optimizers:\n";
    for (const auto& e : optim::strategy_registry()) {
      std::printf("  %-28s %s\n", e.name.c_str(), e.description.c_str());
      for (const auto& [flag, meaning] : e.params)
        std::printf("  %-28s   %-16s %s\n", "", flag.c_str(), meaning.c_str());
    }
    std::cout
        << "  (all run on the base SGD: --lr --momentum --nesterov --weight-decay --wd-mode --grad-clip --schedule)\n";
  }
  return 0;
}

}  // namespace nrs::cli
