#include "suite/hessian/landscape_fields.h"

namespace nrs::hessian {

const std::vector<LandscapeField>& landscape_fields() {
  using L = LandscapeOptions;
  static const std::vector<LandscapeField> f = {
      {"samples", &L::samples, "landscape: training samples (the Hessian's subset for the same --hessian-seed)",
       "landscape-samples"},
      {"bn", &L::bn, "landscape: BatchNorm eval (stored running stats) | recompute (re-estimated at each point)",
       "landscape-bn"},
      {"points", &L::points, "landscape: points per slice", "landscape-points"},
      {"range", &L::range, "landscape: alphas span [-range, range]", "landscape-range"},
      {"grid2d", &L::grid2d, "landscape: N x N 2-D grid (0 = none; nrsbench landscape --grid2d)", ""},
      {"batch_size", &L::batch_size, "landscape: evaluation batch size", "landscape-batch-size"},
      {"top_eigenvector", &L::top_eigenvector,
       "landscape: also the top-eigenvector slice (nrsbench landscape --no-eigenvector)", ""},
      {"eig_max_iter", &L::eig_max_iter, "landscape: Lanczos steps for that eigenvector", ""},
      {"eig_tol", &L::eig_tol, "landscape: its Lanczos tolerance", ""},
  };
  return f;
}

}  // namespace nrs::hessian
