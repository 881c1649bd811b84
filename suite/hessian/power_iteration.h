// Power iteration with deflation for the top-k eigenpairs.
#pragma once
#include "suite/hessian/operator.h"

namespace nrs::hessian {

// Finds the pairs one at a time. Each iteration applies the operator once to
// a unit vector kept orthogonal to the pairs already found (projection
// deflation: P A P with P = I - U U^T), and stops when the relative change of
// the Rayleigh quotient AND the relative residual ||A v - lambda v|| / |lambda|
// of the deflated operator are both below tol, or after max_iter iterations.
// A final Rayleigh-Ritz step on the span of the k vectors (k more applies)
// gives the reported values and residuals, measured on the undeflated
// operator; `converged` needs that residual and the last change below tol.
// Power iteration converges to the largest |lambda|; for largest_algebraic,
// when that is negative, the operator is shifted by it (A - sigma I is then
// positive semi-definite, its dominant eigenvalue is lambda_max - sigma) and
// the search is repeated, so a large negative eigenvalue is never reported as
// the top one. Start vectors are seeded (seed + index).
EigenResult power_iteration(SymmetricOperator& op, const EigenOptions& opts);

}  // namespace nrs::hessian
