// Lanczos with full reorthogonalisation for the top-k eigenpairs of a
// symmetric operator, thick-restarted when the basis reaches its cap.
#pragma once
#include "suite/hessian/operator.h"

namespace nrs::hessian {

// Builds the Krylov basis from a seeded start vector, one operator apply per
// step, re-orthogonalising every new vector against the whole basis (twice,
// "twice is enough") so Ritz values do not duplicate. After each step the
// Ritz pairs of the projected matrix are ranked by `which`; it stops when,
// for every one of the top k, the relative change of the Ritz value since the
// previous step and the residual estimate |c^T s| / |theta| are both below
// tol, or after max_iter applies (or when the basis spans the space).
// Reported residuals are then measured with one extra apply per pair, and
// `converged` uses the measured residual, not the estimate.
//
// Memory: at most max_basis (default max_iter) float64 vectors of length
// dim(), plus k Ritz vectors and three work vectors. When the basis is full
// it is thick-restarted (Wu & Simon 2000; the Krylov-Schur form of Stewart
// 2001): the best max(k, cap/2) Ritz vectors become the new basis, in place,
// the projected matrix becomes their Ritz values, and the expansion goes on
// from the same residual vector. With max_basis >= max_iter no restart
// happens and the numbers are those of plain Lanczos.
EigenResult lanczos(SymmetricOperator& op, const EigenOptions& opts);

// The basis cap that fits `bytes` for an operator of dimension `dim` and k
// eigenpairs (k Ritz vectors and three work vectors are set aside); throws
// std::invalid_argument naming `flag` when not even k + 2 basis vectors fit.
int64_t basis_cap_for_memory(int64_t bytes, int64_t dim, int64_t k, const std::string& flag);

}  // namespace nrs::hessian
