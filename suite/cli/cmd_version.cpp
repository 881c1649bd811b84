// `nrsbench version`: what this binary is and what it can use.
#include "suite/cli/cli_common.h"
#include "suite/core/build_info.h"

#include <iostream>

namespace nrs::cli {

int cmd_version(const std::vector<std::string>& args) {
  bool json = false;
  po::options_description d("version options");
  d.add_options()("json", po::bool_switch(&json), "print JSON");
  po::variables_map vm;
  if (!parse_or_help("version", "[--json]", d, args, vm)) return 0;
  const auto v = version_json();
  if (json) {
    std::cout << v.dump(2) << "\n";
    return 0;
  }
  for (const auto& [k, val] : v.items())
    std::cout << k << ": " << (val.is_string() ? val.get<std::string>() : val.dump()) << "\n";
  return 0;
}

}  // namespace nrs::cli
