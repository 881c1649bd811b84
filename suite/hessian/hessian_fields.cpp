#include "suite/hessian/hessian_fields.h"

namespace nrs::hessian {

const std::vector<HessianField>& hessian_fields() {
  using H = HessianOptions;
  static const std::vector<HessianField> f = {
      {"samples", "samples", &H::samples, "training samples (a fixed, seeded subset; 4096+ recommended on GPU)"},
      {"seed", "seed", &H::seed,
       "the sample subset's seed (the landscape's too); for the spectrum also its start vectors and probes"},
      {"method", "method", &H::method, "lanczos | power"},
      {"which", "which", &H::which, "largest_algebraic | largest_magnitude"},
      {"tol", "tol", &H::tol, "relative tolerance: change AND residual"},
      {"max-iter", "max_iter", &H::max_iter, "Lanczos steps / power iterations per eigenvalue"},
      {"bn", "bn_mode", &H::bn_mode, "BatchNorm: eval (running stats) | train (batch stats, one batch)"},
      {"batch-size", "batch_size", &H::batch_size, "HVP micro-batch (0 = 256 in eval, all samples in train)"},
      {"graph-cache-mb", "graph_cache_mb", &H::graph_cache_mb,
       "memory for reusing first-order graphs across HVPs (0 = off)"},
      {"memory-mb", "memory_mb", &H::memory_mb,
       "bound on Lanczos basis + graph cache; the basis thick-restarts when full (0 = unbounded)"},
      {"trace-probes", "trace_probes", &H::trace_probes, "Hutchinson probes (0 = no trace)"},
      {"density", "density", &H::density, "also the spectral density (stochastic Lanczos quadrature)"},
      {"density-probes", "density_probes", &H::density_probes, "density: Rademacher probes"},
      {"density-steps", "density_steps", &H::density_steps,
       "density: Lanczos steps per probe (that many vectors must fit in {memory-mb})"},
      {"density-grid", "density_grid", &H::density_grid, "density: grid points"},
      {"density-sigma", "density_sigma", &H::density_sigma,
       "density: Gaussian broadening as a fraction of the spectrum's range"},
      {"repeats", "repeats", &H::repeats,
       "lambda_max (and trace) on R disjoint subsets of {samples} each: the sampling error (1 = one subset)"},
  };
  return f;
}

std::string hessian_field_help(const HessianField& f, const std::string& prefix) {
  std::string s = f.help;
  for (size_t open = s.find('{'); open != std::string::npos; open = s.find('{', open)) {
    const size_t close = s.find('}', open);
    if (close == std::string::npos) break;
    const std::string flag = "--" + prefix + s.substr(open + 1, close - open - 1);
    s.replace(open, close - open + 1, flag);
    open += flag.size();
  }
  return s;
}

}  // namespace nrs::hessian
