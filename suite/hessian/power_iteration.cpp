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
    p.relative_residual = (hv - lambda * v).norm().item<double>() / denom;
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
  std::stable_sort(res.pairs.begin(), res.pairs.end(), [&](const EigenPair& a, const EigenPair& b) {
    return rank_key(a.value, opts.which) > rank_key(b.value, opts.which);
  });
  res.applies = op.applies() - applies0;
  return res;
}

}  // namespace nrs::hessian
