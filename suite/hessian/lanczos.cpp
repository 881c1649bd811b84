#include "suite/hessian/lanczos.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace nrs::hessian {
namespace {

// Classical Gram-Schmidt against the basis, applied twice: one pass leaves
// O(eps * cond) components that accumulate over many steps.
torch::Tensor orthogonalize(torch::Tensor w, const torch::Tensor& basis) {
  if (!basis.defined() || basis.size(0) == 0) return w;
  for (int pass = 0; pass < 2; ++pass) w = w - torch::mv(basis.t(), torch::mv(basis, w));
  return w;
}

// Indices of the Ritz values ranked best first by `which`.
std::vector<int64_t> ranked(const std::vector<double>& theta, Which which) {
  std::vector<int64_t> idx(theta.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(),
                   [&](int64_t a, int64_t b) { return rank_key(theta[a], which) > rank_key(theta[b], which); });
  return idx;
}

}  // namespace

EigenResult lanczos(SymmetricOperator& op, const EigenOptions& opts) {
  const int64_t n = op.dim();
  const int64_t k = std::min(opts.k, n);
  const int64_t m_max = std::min(std::max(opts.max_iter, k), n);
  const auto vopt = op.vector_options();
  const int64_t applies0 = op.applies();

  std::vector<double> alpha, beta;  // beta[j] couples v_j and v_{j+1}
  // Preallocated so the basis is never copied as it grows.
  auto storage = torch::empty({m_max, n}, vopt);
  torch::Tensor basis;  // first m rows of storage

  auto v = seeded_randn(n, opts.seed, vopt);
  v = v / v.norm();
  std::vector<double> prev(k, std::numeric_limits<double>::quiet_NaN());
  std::vector<double> change(k, std::numeric_limits<double>::infinity());
  torch::Tensor ritz_s;  // eigenvectors of T, [m, m]
  std::vector<double> theta;
  std::vector<int64_t> order;
  double scale = 0.0;  // running estimate of ||A|| to judge a numerically zero beta
  int64_t restarts = 0;

  for (int64_t j = 0; j < m_max; ++j) {
    storage[j].copy_(v);
    basis = storage.narrow(0, 0, j + 1);
    auto w = op.apply(v);
    const double a = torch::dot(w, v).item<double>();
    alpha.push_back(a);
    w = orthogonalize(w, basis);
    const double b = w.norm().item<double>();
    scale = std::max({scale, std::abs(a), b});

    const int64_t m = j + 1;
    auto T = torch::zeros({m, m}, torch::kFloat64);
    auto t = T.accessor<double, 2>();
    for (int64_t i = 0; i < m; ++i) {
      t[i][i] = alpha[i];
      if (i + 1 < m) t[i][i + 1] = t[i + 1][i] = beta[i];
    }
    auto [evals, evecs] = torch::linalg_eigh(T);
    theta.assign(evals.data_ptr<double>(), evals.data_ptr<double>() + m);
    ritz_s = evecs;
    order = ranked(theta, opts.which);

    // The basis spans an invariant subspace: its Ritz pairs are exact.
    const bool invariant = b <= 1e-12 * std::max(scale, 1e-300);
    bool done = m >= k;
    if (m >= k) {
      auto last_row = evecs[m - 1].contiguous();
    const double* s_last = last_row.data_ptr<double>();
      for (int64_t i = 0; i < k; ++i) {
        const double th = theta[order[i]];
        const double est = invariant ? 0.0 : std::abs(b * s_last[order[i]]) / std::max(std::abs(th), 1e-300);
        change[i] = std::isnan(prev[i]) ? std::numeric_limits<double>::infinity()
                                        : std::abs(th - prev[i]) / std::max(std::abs(th), 1e-300);
        // A full basis is exact whatever the previous step said.
        if (m == n) change[i] = 0.0;
        if (!(est < opts.tol && change[i] < opts.tol)) done = false;
      }
      for (int64_t i = 0; i < k; ++i) prev[i] = theta[order[i]];
    }
    if (m == n) break;
    if (done) break;
    if (invariant) {
      // Restart in the orthogonal complement with a fresh seeded vector; the
      // tridiagonal matrix decouples (beta = 0), which keeps it exact.
      ++restarts;
      w = orthogonalize(seeded_randn(n, opts.seed + 0x9e3779b97f4a7c15ULL * static_cast<uint64_t>(restarts), vopt), basis);
      const double nb = w.norm().item<double>();
      if (nb <= 1e-12) break;
      beta.push_back(0.0);
      v = w / nb;
    } else {
      beta.push_back(b);
      v = w / b;
    }
  }

  EigenResult res;
  res.method = "lanczos";
  const int64_t m = static_cast<int64_t>(theta.size());
  const int64_t iters = m;
  for (int64_t i = 0; i < std::min(k, m); ++i) {
    EigenPair p;
    p.value = theta[order[i]];
    auto y = torch::mv(basis.t(), ritz_s.index({torch::indexing::Slice(), order[i]}).to(vopt));
    p.vector = y / y.norm();
    auto r = op.apply(p.vector) - p.value * p.vector;
    p.relative_residual = r.norm().item<double>() / std::max(std::abs(p.value), 1e-300);
    p.relative_change = change[i];
    p.iterations = iters;
    p.converged = p.relative_residual < opts.tol && p.relative_change < opts.tol;
    res.pairs.push_back(std::move(p));
  }
  res.applies = op.applies() - applies0;
  return res;
}

}  // namespace nrs::hessian
