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

// rows[0:p] <- Q^T rows[0:m] for Q [m, p], column block by column block so
// that only a p x block temporary exists beside the basis.
void combine_rows_in_place(torch::Tensor& storage, int64_t m, const torch::Tensor& q) {
  const int64_t n = storage.size(1), p = q.size(1), block = 1 << 16;
  auto qt = q.t().contiguous().to(storage.options());
  for (int64_t i0 = 0; i0 < n; i0 += block) {
    const int64_t len = std::min(block, n - i0);
    auto cols = storage.narrow(0, 0, m).narrow(1, i0, len);
    auto mixed = torch::mm(qt, cols);
    storage.narrow(0, 0, p).narrow(1, i0, len).copy_(mixed);
  }
}

}  // namespace

int64_t basis_cap_for_memory(int64_t bytes, int64_t dim, int64_t k, const std::string& flag) {
  const int64_t vec = dim * static_cast<int64_t>(sizeof(double));
  const int64_t fit = bytes / std::max<int64_t>(vec, 1) - (k + 3);
  if (fit < k + 2)
    throw std::invalid_argument(flag + ": " + std::to_string(bytes >> 20) + " MB holds " +
                                std::to_string(std::max<int64_t>(fit, 0)) + " Lanczos vectors of " +
                                std::to_string(dim) + " parameters; top-" + std::to_string(k) + " needs at least " +
                                std::to_string((vec * (2 * k + 5) >> 20) + 1) + " MB");
  return fit;
}

EigenResult lanczos(SymmetricOperator& op, const EigenOptions& opts) {
  const int64_t n = op.dim();
  const int64_t k = std::min(opts.k, n);
  const int64_t steps_max = std::min(std::max(opts.max_iter, k), n);
  const int64_t cap = opts.max_basis > 0 ? std::min(opts.max_basis, steps_max) : steps_max;
  if (cap < std::min(k + 2, steps_max))
    throw std::invalid_argument("lanczos: a basis of " + std::to_string(cap) + " vectors cannot hold top-" +
                                std::to_string(k) + " plus room to expand (needs k + 2)");
  // Keep enough Ritz vectors across a restart to carry the wanted ones and
  // their neighbours, and leave room to expand.
  const int64_t keep = std::min(std::max(k, cap / 2), cap - 1);
  const auto vopt = op.vector_options();
  const int64_t applies0 = op.applies();

  auto storage = torch::empty({cap, n}, vopt);  // rows 0..m-1 are the basis
  torch::Tensor basis;
  // The projected matrix H = V^T A V and the coupling c of the next vector u:
  // A V = V H + u c^T. Plain Lanczos steps keep H tridiagonal and c = beta e_m;
  // a restart makes H diagonal (Ritz values) and c = S^T c.
  std::vector<double> H;  // cap x cap, row-major
  std::vector<double> c;  // length m
  auto h = [&](int64_t i, int64_t j) -> double& { return H[static_cast<size_t>(i * cap + j)]; };
  H.assign(static_cast<size_t>(cap * cap), 0.0);

  auto u = seeded_randn(n, opts.seed, vopt);
  u = u / u.norm();
  int64_t m = 0;
  std::vector<double> prev(k, std::numeric_limits<double>::quiet_NaN());
  std::vector<double> change(k, std::numeric_limits<double>::infinity());
  torch::Tensor ritz_s;  // eigenvectors of H, [m, m]
  std::vector<double> theta;
  std::vector<int64_t> order;
  double scale = 0.0;  // running estimate of ||A|| to judge a numerically zero coupling
  int64_t deflations = 0, restarts = 0, steps = 0;

  auto ritz = [&]() {
    auto T = torch::empty({m, m}, torch::kFloat64);
    auto t = T.accessor<double, 2>();
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < m; ++j) t[i][j] = h(i, j);
    auto [evals, evecs] = torch::linalg_eigh(T);
    theta.assign(evals.data_ptr<double>(), evals.data_ptr<double>() + m);
    ritz_s = evecs;
    order = ranked(theta, opts.which);
  };

  while (steps < steps_max) {
    if (m == cap) {
      // Thick restart: the best `keep` Ritz vectors become the basis.
      auto idx = torch::tensor(std::vector<int64_t>(order.begin(), order.begin() + keep), torch::kInt64);
      auto q = ritz_s.index_select(1, idx);  // [m, keep]
      combine_rows_in_place(storage, m, q);
      std::vector<double> c2(static_cast<size_t>(keep), 0.0);
      auto qa = q.accessor<double, 2>();
      for (int64_t j = 0; j < keep; ++j)
        for (int64_t i = 0; i < m; ++i) c2[j] += qa[i][j] * c[i];
      std::fill(H.begin(), H.end(), 0.0);
      for (int64_t j = 0; j < keep; ++j) h(j, j) = theta[order[j]];
      c = c2;
      m = keep;
      ++restarts;
    }
    storage[m].copy_(u);
    basis = storage.narrow(0, 0, m + 1);
    auto w = op.apply(u);
    ++steps;
    const double a = torch::dot(w, u).item<double>();
    for (int64_t j = 0; j < m; ++j) h(m, j) = h(j, m) = c[j];
    h(m, m) = a;
    ++m;
    w = orthogonalize(w, basis);
    const double b = w.norm().item<double>();
    scale = std::max({scale, std::abs(a), b});
    ritz();

    // The basis spans an invariant subspace: its Ritz pairs are exact.
    const bool invariant = b <= 1e-12 * std::max(scale, 1e-300);
    bool done = m >= k;
    if (m >= k) {
      auto last_row = ritz_s[m - 1].contiguous();
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
    if (m == n || done) break;
    c.assign(static_cast<size_t>(m), 0.0);
    if (invariant) {
      // Go on in the orthogonal complement with a fresh seeded vector; it is
      // not coupled to the basis (c = 0), which keeps H exact.
      ++deflations;
      w = orthogonalize(seeded_randn(n, opts.seed + 0x9e3779b97f4a7c15ULL * static_cast<uint64_t>(deflations), vopt),
                        basis);
      const double nb = w.norm().item<double>();
      if (nb <= 1e-12) break;
      u = w / nb;
    } else {
      c[static_cast<size_t>(m - 1)] = b;
      u = w / b;
    }
  }

  EigenResult res;
  res.method = "lanczos";
  res.restarts = restarts;
  res.basis_vectors = std::min(cap, steps);
  for (int64_t i = 0; i < std::min(k, m); ++i) {
    EigenPair p;
    p.value = theta[order[i]];
    auto y = torch::mv(basis.t(), ritz_s.index({torch::indexing::Slice(), order[i]}).to(vopt));
    p.vector = y / y.norm();
    auto r = op.apply(p.vector) - p.value * p.vector;
    p.relative_residual = r.norm().item<double>() / std::max(std::abs(p.value), 1e-300);
    p.relative_change = change[i];
    p.iterations = steps;
    p.converged = p.relative_residual < opts.tol && p.relative_change < opts.tol;
    res.pairs.push_back(std::move(p));
  }
  res.applies = op.applies() - applies0;
  return res;
}

}  // namespace nrs::hessian
