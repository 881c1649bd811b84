// The Hessian report as a typed record: what hessian_report (spectrum.h)
// measures and what `nrsbench run` and `nrsbench hessian` write, through
// to_json, as a result's "hessian" block (docs/hessian.md explains every
// field). JSON is written only at this edge.
#pragma once
#include "suite/hessian/hutchinson.h"
#include "suite/hessian/slq.h"

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace nrs::hessian {

// One computed eigenpair, without its vector.
struct EigenpairRecord {
  double value = 0, relative_residual = 0;
  double relative_change = 0;  // NaN (written null) when only one iteration ran
  int64_t iterations = 0;
  bool converged = false;
};

// A figure over the R disjoint sample subsets: values[0] is the report's own.
struct SubsetSpread {
  std::vector<double> values;
  nlohmann::json to_json() const;  // {"values", "mean", "sd" (null for one value)}
};

struct HessianReport {
  std::vector<EigenpairRecord> eigenpairs;  // best first
  std::optional<TraceEstimate> trace;       // when trace probes were asked for
  std::optional<SlqResult> density;         // when the density was asked for
  double loss = 0;                          // the mean loss whose Hessian this is
  int64_t parameters = 0, samples_used = 0;
  int64_t micro_batch_size = 0, micro_batches = 0, cached_batches = 0, hvp_count = 0;
  // The dtype the Hessian-vector products ran in: the parameters' (float32
  // in every run; float64 in the tests), never an autocast one, whatever the
  // training precision.
  std::string compute_dtype;
  struct Memory {
    int64_t budget_mb = 0, graph_cache_limit_mb = 0, basis_vectors_cap = 0, basis_vectors = 0, restarts = 0;
    double basis_mb = 0;
  } memory;
  struct Repeats {
    int64_t subsets = 0, samples_each = 0, hvp_count = 0;
    SubsetSpread lambda_max;
    std::optional<SubsetSpread> trace;
    double wall_time_s = 0;  // subsets 1..R-1
  };
  std::optional<Repeats> repeats;  // with R > 1 subsets
  nlohmann::json settings;         // HessianOptions::to_json, as requested
  double wall_time_s = 0;

  bool all_converged() const;
  // eigenpairs[0].value; NaN without eigenpairs.
  double lambda_max() const;
  nlohmann::json to_json() const;
};

}  // namespace nrs::hessian
