// The landscape settings (LandscapeOptions) declared once: each one's key in
// LandscapeOptions::to_json() (a run's config.landscape.KEY, a landscape
// report's settings.KEY), the member it sets (whose initialiser is the
// default), its help, and its flag where `nrsbench run` and `nrsbench
// landscape` both take one (--landscape-NAME; the rest a run records at the
// default). to_json and both commands' flags come from here.
#pragma once
#include "suite/hessian/landscape.h"

#include <string>
#include <variant>
#include <vector>

namespace nrs::hessian {

struct LandscapeField {
  using Member = std::variant<int64_t LandscapeOptions::*, double LandscapeOptions::*, std::string LandscapeOptions::*,
                              bool LandscapeOptions::*>;
  std::string key;  // in LandscapeOptions::to_json()
  Member member;
  std::string help;
  std::string flag;  // without "--"; empty: no flag in `run` (`landscape` may have its own)
};

const std::vector<LandscapeField>& landscape_fields();

}  // namespace nrs::hessian
