// Hessian spectrum of a trained model: the settings and the report that
// `nrsbench run --hessian-top-k` and `nrsbench hessian` write into results.
#pragma once
#include "datasets/dataset.h"
#include "models/net.h"
#include "suite/hessian/hessian_report.h"

#include <nlohmann/json.hpp>

namespace nrs::hessian {

struct HessianOptions {
  int64_t samples = 1024;  // fixed, seeded subset of the training split
  int64_t top_k = 5;
  std::string method = "lanczos";           // lanczos | power
  std::string which = "largest_algebraic";  // largest_algebraic | largest_magnitude
  double tol = 1e-3;                        // relative change AND relative residual
  int64_t max_iter = 100;
  uint64_t seed = 0;
  std::string bn_mode = "eval";   // eval | train
  int64_t batch_size = 0;         // HVP micro-batch; 0 = 256 (eval) / all samples (train);
                                  // an explicit size < samples is refused with bn_mode=train
  int64_t trace_probes = 0;       // Hutchinson probes; 0 = no trace
  int64_t graph_cache_mb = 2048;  // keep first-order graphs up to this much memory (hvp.h)
  // Bound on the Lanczos basis plus the graph cache (0 = none). The basis
  // comes first (up to max_iter vectors; thick-restarted when it cannot have
  // them, lanczos.h); the cache gets what is left, up to graph_cache_mb.
  // 8 GB keeps every model up to ResNet-18 (11.2M parameters) unrestarted
  // at 100 steps; WRN-28-10 (36.5M, 292 MB a vector) gets 20 basis vectors.
  int64_t memory_mb = 8192;
  // Spectral density by stochastic Lanczos quadrature (slq.h), off by
  // default: probes x steps HVPs, and `steps` basis vectors that must fit in
  // memory_mb (refused otherwise, naming --hessian-memory-mb).
  bool density = false;
  int64_t density_probes = 5;
  int64_t density_steps = 80;
  int64_t density_grid = 512;
  double density_sigma = 0.01;  // Gaussian broadening relative to the spectrum's range
  // Sampling error: lambda_max (and the trace) on R disjoint subsets of
  // `samples` each (1 = the single subset, no "repeats" block).
  int64_t repeats = 1;
  nlohmann::json to_json() const;
  void validate() const;  // throws std::invalid_argument naming the flag
};

// The report (hessian_report.h; docs/hessian.md explains every field). The Hessian is that of the mean cross-entropy
// (no label smoothing, no weight decay) over `samples` training images drawn without replacement with `seed`,
// normalised but not augmented. Computes the top-k eigenvalues (with residuals, iterations, converged flags),
// lambda_max/lambda_5 when k >= 5, and the trace when asked. The model's
// train/eval mode is restored afterwards. Images are normalised with `info`.
// The subsets: a permutation of the split's indices drawn with
// torch::randperm(size) from a CPU generator seeded seed ^ 0x4865737369616e;
// subset r (0-based) is entries [r n, (r + 1) n) of it, sorted. Subset 0 is
// the single subset every report uses; the landscape uses it too.
torch::Tensor hessian_subset_indices(int64_t split_size, int64_t n, uint64_t seed, int64_t r = 0);
// That subset, normalised as training normalises it and cast to the model's
// parameter dtype, on `device`: (inputs, labels).
std::pair<torch::Tensor, torch::Tensor> hessian_inputs(models::Net& model, const data::Split& train,
                                                       const data::DatasetInfo& info, int64_t n, uint64_t seed,
                                                       int64_t r, torch::Device device);

// With density: the SLQ density (slq.h). With repeats R > 1: lambda_max (and
// the trace when trace_probes > 0) on each of R disjoint subsets, values[0]
// the report's own subset; R x samples must fit in the split.
HessianReport hessian_report(models::Net& model, const data::Split& train, const data::DatasetInfo& info,
                             const HessianOptions& opts, torch::Device device);

}  // namespace nrs::hessian
