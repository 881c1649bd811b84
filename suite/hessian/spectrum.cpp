// TEMPORARY placeholder until the Hessian module lands (issue 5).
#include "suite/hessian/spectrum.h"

namespace nrs::hessian {

nlohmann::json HessianOptions::to_json() const {
  return {{"samples", samples}, {"top_k", top_k},         {"method", method},         {"which", which},
          {"tol", tol},         {"max_iter", max_iter},   {"seed", seed},             {"bn_mode", bn_mode},
          {"batch_size", batch_size}, {"trace_probes", trace_probes}};
}
void HessianOptions::validate() const {}
nlohmann::json hessian_report(models::Net&, const data::Split&, const data::DatasetInfo&, const HessianOptions&,
                              torch::Device) {
  throw std::runtime_error("hessian: not implemented yet");
}

}  // namespace nrs::hessian
