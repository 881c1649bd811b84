#include "suite/hessian/power_iteration.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace nrs::hessian {
namespace {

torch::Tensor project_out(torch::Tensor v, const std::vector<EigenPair>& found) {
  for (int pass = 0; pass < 2; ++pass)
    for (const auto& p : found) v = v - torch::dot(p.vector, v) * p.vector;
  return v;
}

// One deflated power run on (A - shift I). Returns the pair in A's terms.
EigenPair run_one(SymmetricOperator& op, const EigenOptions& opts, const std::vector<EigenPair>& found, double shift,
                  uint64_t seed) {
  const auto vopt = op.vector_options();
  auto v = project_out(seeded_randn(op.dim(), seed, vopt), found);
  v = v / v.norm();
  EigenPair p;
  double prev = std::numeric_limits<double>::quiet_NaN();
  for (int64_t it = 1; it <= opts.max_iter; ++it) {
    auto hv = op.apply(v);
    const double lambda = torch::dot(v, hv).item<double>();
    const double denom = std::max(std::abs(lambda), 1e-300);
    p.value = lambda;
    p.vector = v;
    p.iterations = it;
    // Residual of the deflated operator: the undeflated one has a floor of
    // about the earlier pairs' residuals (u_j . H v = r_j . v), which this
    // pair cannot remove; power_iteration() measures the true one at the end.
    p.relative_residual = project_out(hv - lambda * v, found).norm().item<double>() / denom;
    p.relative_change = std::isnan(prev) ? std::numeric_limits<double>::infinity() : std::abs(lambda - prev) / denom;
    prev = lambda;
    p.converged = p.relative_residual < opts.tol && p.relative_change < opts.tol;
    if (p.converged) break;
    auto w = project_out(hv - shift * v, found);
    const double nw = w.norm().item<double>();
    // The deflated operator annihilates v: v lies in the null space of what
    // is left, so it is an eigenvector with eigenvalue 0 (shift) already.
    if (nw <= 1e-300) break;
    v = w / nw;
  }
  return p;
}

// Rayleigh-Ritz on the span of the deflated vectors, then the true residuals.
// An earlier pair's error lies mostly along the next eigenvector (the slowest
// decaying direction), so rotating within the span removes most of it; the
// residuals reported are those of the rotated vectors against the
// undeflated operator. Costs one apply per pair.
void rayleigh_ritz(SymmetricOperator& op, std::vector<EigenPair>& pairs, const EigenOptions& opts) {
  const int64_t k = static_cast<int64_t>(pairs.size());
  if (k == 0) return;
  std::vector<torch::Tensor> cols, hcols;
  for (const auto& p : pairs) {
    cols.push_back(p.vector);
    hcols.push_back(op.apply(p.vector));
  }
  auto u = torch::stack(cols, 1), hu = torch::stack(hcols, 1);  // [n, k]
  auto small = torch::mm(u.t(), hu).cpu();
  small = 0.5 * (small + small.t());
  auto [theta, s] = torch::linalg_eigh(small);
  // Pair the rotated vectors with the originals by largest overlap, keeping
  // each pair's iteration count and last relative change.
  auto su = s.to(u.device());
  auto new_u = torch::mm(u, su), new_hu = torch::mm(hu, su);
  auto overlap = s.abs();  // [old, new]
  std::vector<bool> taken(k, false);
  for (int64_t i = 0; i < k; ++i) {
    int64_t best = -1;
    double best_v = -1.0;
    for (int64_t c = 0; c < k; ++c) {
      const double o = overlap[i][c].item<double>();
      if (!taken[c] && o > best_v) best_v = o, best = c;
    }
    taken[best] = true;
    auto& p = pairs[i];
    p.value = theta[best].item<double>();
    auto y = new_u.select(1, best);
    const double ny = y.norm().item<double>();
    p.vector = y / ny;
    auto r = new_hu.select(1, best) / ny - p.value * p.vector;
    p.relative_residual = r.norm().item<double>() / std::max(std::abs(p.value), 1e-300);
    p.converged = p.relative_residual < opts.tol && p.relative_change < opts.tol;
  }
}

}  // namespace

EigenResult power_iteration(SymmetricOperator& op, const EigenOptions& opts) {
  const int64_t k = std::min(opts.k, op.dim());
  const int64_t applies0 = op.applies();
  EigenResult res;
  res.method = "power";
  double shift = 0.0;
  for (int64_t i = 0; i < k; ++i) {
    const uint64_t seed = opts.seed + static_cast<uint64_t>(i);
    auto p = run_one(op, opts, res.pairs, shift, seed);
    if (opts.which == Which::kLargestAlgebraic && shift == 0.0 && p.value < 0.0) {
      // p is the most negative remaining eigenvalue and dominates in
      // magnitude, so every remaining one is >= p.value: shifting by it
      // makes the remaining spectrum non-negative with lambda_max on top.
      shift = p.value;
      const int64_t spent = p.iterations;
      p = run_one(op, opts, res.pairs, shift, seed);
      p.iterations += spent;
    }
    res.pairs.push_back(std::move(p));
  }
  rayleigh_ritz(op, res.pairs, opts);
  std::stable_sort(res.pairs.begin(), res.pairs.end(), [&](const EigenPair& a, const EigenPair& b) {
    return rank_key(a.value, opts.which) > rank_key(b.value, opts.which);
  });
  res.applies = op.applies() - applies0;
  return res;
}

}  // namespace nrs::hessian
