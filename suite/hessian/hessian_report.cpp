#include "suite/hessian/hessian_report.h"

#include <cmath>

namespace nrs::hessian {
using nlohmann::json;

namespace {

json finite_or_null(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

json trace_json(const TraceEstimate& t) {
  return {{"estimate", t.estimate}, {"standard_error", finite_or_null(t.standard_error)}, {"probes", t.probes}};
}

}  // namespace

json SubsetSpread::to_json() const {
  double m = 0.0;
  for (double x : values) m += x;
  m /= static_cast<double>(values.size());
  json sd = nullptr;
  if (values.size() > 1) {
    double ss = 0.0;
    for (double x : values) ss += (x - m) * (x - m);
    sd = std::sqrt(ss / static_cast<double>(values.size() - 1));
  }
  return {{"values", values}, {"mean", m}, {"sd", sd}};
}

bool HessianReport::all_converged() const {
  for (const auto& p : eigenpairs)
    if (!p.converged) return false;
  return true;
}

double HessianReport::lambda_max() const { return eigenpairs.empty() ? std::nan("") : eigenpairs.front().value; }

json HessianReport::to_json() const {
  json j;
  j["eigenvalues"] = json::array();
  j["eigenpairs"] = json::array();
  for (const auto& p : eigenpairs) {
    j["eigenvalues"].push_back(p.value);
    j["eigenpairs"].push_back({{"value", p.value},
                               {"relative_residual", p.relative_residual},
                               {"relative_change", finite_or_null(p.relative_change)},
                               {"iterations", p.iterations},
                               {"converged", p.converged}});
  }
  j["all_converged"] = all_converged();
  if (!eigenpairs.empty()) j["lambda_max"] = lambda_max();
  if (eigenpairs.size() >= 5) j["lambda_max_over_lambda_5"] = eigenpairs[0].value / eigenpairs[4].value;
  if (trace) j["trace"] = trace_json(*trace);
  if (density) j["density"] = density->to_json();
  j["loss"] = loss;
  j["parameters"] = parameters;
  j["samples_used"] = samples_used;
  j["micro_batch_size"] = micro_batch_size;
  j["micro_batches"] = micro_batches;
  j["cached_batches"] = cached_batches;
  j["hvp_count"] = hvp_count;
  j["compute_dtype"] = compute_dtype;
  j["memory"] = {{"budget_mb", memory.budget_mb},
                 {"graph_cache_limit_mb", memory.graph_cache_limit_mb},
                 {"basis_vectors_cap", memory.basis_vectors_cap},
                 {"basis_vectors", memory.basis_vectors},
                 {"basis_mb", memory.basis_mb},
                 {"restarts", memory.restarts}};
  if (repeats) {
    json rep = {{"R", repeats->subsets},
                {"samples_each", repeats->samples_each},
                {"lambda_max", repeats->lambda_max.to_json()},
                {"hvp_count", repeats->hvp_count},
                {"wall_time_s", repeats->wall_time_s}};
    if (repeats->trace) rep["trace"] = repeats->trace->to_json();
    j["repeats"] = rep;
  }
  j["settings"] = settings;
  j["wall_time_s"] = wall_time_s;
  return j;
}

}  // namespace nrs::hessian
