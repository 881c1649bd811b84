// The Hessian settings that `nrsbench run` (for the final model) and
// `nrsbench hessian` both take as --hessian-NAME, declared once: the flag name
// without its prefix, the HessianOptions member it sets (whose initialiser is
// the default) and its help. run_options binds them to flags
// (add_hessian_flags); `nrsbench landscape` takes --hessian-seed, the sample
// subset it shares with the Hessian. --hessian-top-k (run: default 0, off;
// hessian: default 5) and a run's --hessian-every are each command's own.
#pragma once
#include "suite/hessian/spectrum.h"

#include <string>
#include <variant>
#include <vector>

namespace nrs::hessian {

struct HessianField {
  using Member = std::variant<int64_t HessianOptions::*, uint64_t HessianOptions::*, double HessianOptions::*,
                              std::string HessianOptions::*, bool HessianOptions::*>;
  std::string name;  // the flag without its prefix ("samples": --hessian-samples, --samples)
  std::string key;   // its key in HessianOptions::to_json() (a result's config.hessian)
  Member member;
  std::string help;  // "{NAME}" stands for another field's flag, with the caller's prefix
};

const std::vector<HessianField>& hessian_fields();

// The help of `f` with each "{NAME}" written as "--" + prefix + NAME.
std::string hessian_field_help(const HessianField& f, const std::string& prefix);

}  // namespace nrs::hessian
