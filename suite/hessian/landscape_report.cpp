#include "suite/hessian/landscape_report.h"

namespace nrs::hessian {
using nlohmann::json;

json LandscapeSlice::to_json() const {
  json j = {
      {"kind", kind}, {"alphas", alphas}, {"train_loss", train_loss}, {"train_acc", train_acc}, {"seconds", seconds}};
  if (direction_norm) j["direction_norm"] = *direction_norm;
  if (eigenpair) {
    j["eigenvalue"] = eigenpair->eigenvalue;
    j["relative_residual"] = eigenpair->relative_residual;
    j["converged"] = eigenpair->converged;
    j["hvps"] = eigenpair->hvps;
  }
  return j;
}

json LandscapeGrid::to_json() const {
  return {{"alphas", alphas},         {"betas", alphas},
          {"train_loss", train_loss}, {"train_acc", train_acc},
          {"seconds", seconds},       {"direction_norms", {direction_norms[0], direction_norms[1]}}};
}

json LandscapeReport::to_json() const {
  json j;
  j["slices"] = json::array();
  for (const auto& s : slices) j["slices"].push_back(s.to_json());
  if (grid2d) j["grid2d"] = grid2d->to_json();
  j["evaluations"] = evaluations;
  j["samples"] = samples;
  j["bn"] = bn;
  j["seed"] = seed;
  j["settings"] = settings;
  j["gradient_seconds"] = gradient_seconds;
  j["seconds"] = seconds;
  j["gradient_equivalents"] = gradient_seconds > 0.0 ? json(seconds / gradient_seconds) : json(nullptr);
  return j;
}

}  // namespace nrs::hessian
