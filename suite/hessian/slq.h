// Stochastic Lanczos quadrature (SLQ): the spectral density of a symmetric
// operator from a few random probes (Ubaru, Chen & Saad 2017; PyHessian's
// "ESD", Ghorbani et al. 2019).
#pragma once
#include "suite/hessian/operator.h"

#include <nlohmann/json.hpp>

#include <vector>

namespace nrs::hessian {

struct SlqOptions {
  int64_t probes = 5;  // Rademacher probes
  int64_t steps = 80;  // Lanczos steps per probe (capped at dim())
  uint64_t seed = 0;
  int64_t grid = 512;             // density grid points
  double sigma_relative = 0.01;   // Gaussian broadening, as a fraction of the node range
  double gradient_seconds = 0.0;  // one gradient's wall time, to express cost in gradients (0 = unknown)
};

// One probe's Gauss quadrature rule: for the unit probe v, sum_i w_i f(x_i)
// = v^T f(A) v exactly for polynomials f of degree < 2 * nodes.size().
struct SlqProbe {
  std::vector<double> nodes;    // Ritz values, ascending
  std::vector<double> weights;  // squared first components of the Ritz vectors; sum 1
  double seconds = 0.0;
};

struct SlqResult {
  std::vector<SlqProbe> probes;
  int64_t steps = 0;  // requested steps (a probe may stop earlier: invariant subspace)
  uint64_t seed = 0;
  double sigma = 0.0;  // absolute broadening
  double sigma_relative = 0.0;
  std::vector<double> grid, density;
  int64_t applies = 0;
  double seconds_per_probe = 0.0;
  double gradient_seconds = 0.0;
  nlohmann::json to_json() const;  // the result["hessian"]["density"] block (docs/hessian.md)
};

// Probe i of a seeded run: i.i.d. +-1 entries scaled to unit norm, drawn on
// the CPU so every device sees the same probe.
torch::Tensor slq_probe_vector(int64_t dim, uint64_t seed, int64_t i, const torch::TensorOptions& opts);

// The vectors one probe holds at once (basis of `steps` plus two work
// vectors), in bytes; throws std::invalid_argument naming `flag` when they
// do not fit in `bytes` (0 = unbounded).
int64_t slq_memory_bytes(int64_t dim, int64_t steps, int64_t bytes, const std::string& flag);

// Lanczos with full reorthogonalisation from each probe, the tridiagonal
// matrix's eigendecomposition giving nodes and weights, then the density:
// density(x) = mean over probes of sum_i w_i N(x; node_i, sigma^2), on `grid`
// points spanning [min node - 5 sigma, max node + 5 sigma], sigma =
// sigma_relative * (max node - min node) (1 when all nodes coincide at 0).
SlqResult slq(SymmetricOperator& op, const SlqOptions& opts);

// The density alone (also used by tests): the Gaussian-broadened mixture of
// the probes' rules on an explicit grid.
std::vector<double> slq_density(const std::vector<SlqProbe>& probes, const std::vector<double>& grid, double sigma);

}  // namespace nrs::hessian
