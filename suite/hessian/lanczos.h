// Lanczos with full reorthogonalisation for the top-k eigenpairs of a
// symmetric operator.
#pragma once
#include "suite/hessian/operator.h"

namespace nrs::hessian {

// Builds the Krylov basis from a seeded start vector, one operator apply per
// step, re-orthogonalising every new vector against the whole basis (twice,
// "twice is enough") so Ritz values do not duplicate. After each step the
// Ritz pairs of the tridiagonal matrix are ranked by `which`; it stops when,
// for every one of the top k, the relative change of the Ritz value since the
// previous step and the Lanczos residual estimate |beta_m s_m| / |theta| are
// both below tol, or at max_iter steps (or when the basis spans the space).
// Reported residuals are then measured with one extra apply per pair, and
// `converged` uses the measured residual, not the estimate.
// Memory: the basis holds up to max_iter float64 vectors of length dim().
EigenResult lanczos(SymmetricOperator& op, const EigenOptions& opts);

}  // namespace nrs::hessian
