#include "suite/hessian/slq.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>

namespace nrs::hessian {
namespace {

constexpr double kPi = 3.14159265358979323846;

// Classical Gram-Schmidt against the basis, twice ("twice is enough"): the
// quadrature needs an orthonormal basis, or Ritz values repeat and the
// weights of outlying eigenvalues are double-counted.
torch::Tensor orthogonalize(torch::Tensor w, const torch::Tensor& basis) {
  for (int pass = 0; pass < 2; ++pass) w = w - torch::mv(basis.t(), torch::mv(basis, w));
  return w;
}

SlqProbe lanczos_rule(SymmetricOperator& op, const torch::Tensor& v0, int64_t steps) {
  const auto t0 = std::chrono::steady_clock::now();
  const int64_t n = op.dim();
  auto storage = torch::empty({steps, n}, op.vector_options());
  storage[0].copy_(v0);
  std::vector<double> alpha, beta;
  double scale = 0.0;
  for (int64_t j = 0; j < steps; ++j) {
    auto v = storage[j];
    auto w = op.apply(v);
    const double a = torch::dot(w, v).item<double>();
    alpha.push_back(a);
    if (j + 1 == steps) break;
    w = orthogonalize(w, storage.narrow(0, 0, j + 1));
    const double b = w.norm().item<double>();
    scale = std::max({scale, std::abs(a), b});
    // An invariant subspace: the rule with j + 1 nodes is already exact for
    // this probe (its spectral measure has only that many atoms).
    if (b <= 1e-12 * std::max(scale, 1e-300)) break;
    beta.push_back(b);
    storage[j + 1].copy_(w / b);
  }
  const int64_t m = static_cast<int64_t>(alpha.size());
  auto T = torch::zeros({m, m}, torch::kFloat64);
  auto t = T.accessor<double, 2>();
  for (int64_t i = 0; i < m; ++i) {
    t[i][i] = alpha[static_cast<size_t>(i)];
    if (i + 1 < m) t[i][i + 1] = t[i + 1][i] = beta[static_cast<size_t>(i)];
  }
  auto [evals, evecs] = torch::linalg_eigh(T);
  auto first = evecs[0].contiguous();
  SlqProbe p;
  p.nodes.assign(evals.data_ptr<double>(), evals.data_ptr<double>() + m);
  for (int64_t i = 0; i < m; ++i) {
    const double s = first.data_ptr<double>()[i];
    p.weights.push_back(s * s);
  }
  p.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return p;
}

}  // namespace

torch::Tensor slq_probe_vector(int64_t dim, uint64_t seed, int64_t i, const torch::TensorOptions& opts) {
  // Decorrelated from the eigen start vectors (seed, seed + 1, ...) and the
  // trace probes (seed ^ "trace").
  auto gen = at::make_generator<at::CPUGeneratorImpl>((seed ^ 0x736c71ULL) +
                                                      0x9e3779b97f4a7c15ULL * static_cast<uint64_t>(i + 1));
  auto z = torch::randint(0, 2, {dim}, gen, torch::kFloat64) * 2.0 - 1.0;
  return (z / std::sqrt(static_cast<double>(dim))).to(opts);
}

int64_t slq_memory_bytes(int64_t dim, int64_t steps, int64_t bytes, const std::string& flag) {
  const int64_t need = (steps + 2) * dim * static_cast<int64_t>(sizeof(double));
  if (bytes > 0 && need > bytes)
    throw std::invalid_argument(flag + ": " + std::to_string(bytes >> 20) + " MB cannot hold the " +
                                std::to_string(steps) + " Lanczos vectors of " + std::to_string(dim) +
                                " parameters that spectral density needs (" + std::to_string((need >> 20) + 1) +
                                " MB); raise it or lower the density steps");
  return need;
}

std::vector<double> slq_density(const std::vector<SlqProbe>& probes, const std::vector<double>& grid, double sigma) {
  std::vector<double> d(grid.size(), 0.0);
  if (probes.empty()) return d;
  const double norm = 1.0 / (std::sqrt(2.0 * kPi) * sigma * static_cast<double>(probes.size()));
  for (const auto& p : probes)
    for (size_t i = 0; i < p.nodes.size(); ++i)
      for (size_t g = 0; g < grid.size(); ++g) {
        const double z = (grid[g] - p.nodes[i]) / sigma;
        d[g] += p.weights[i] * norm * std::exp(-0.5 * z * z);
      }
  return d;
}

SlqResult slq(SymmetricOperator& op, const SlqOptions& opts) {
  if (opts.probes <= 0) throw std::invalid_argument("--hessian-density-probes: expected a positive integer");
  if (opts.steps <= 0) throw std::invalid_argument("--hessian-density-steps: expected a positive integer");
  if (opts.grid < 2) throw std::invalid_argument("--hessian-density-grid: expected an integer >= 2");
  if (!(opts.sigma_relative > 0.0) || !std::isfinite(opts.sigma_relative))
    throw std::invalid_argument("--hessian-density-sigma: expected a positive number");
  SlqResult r;
  r.steps = opts.steps;
  r.seed = opts.seed;
  r.sigma_relative = opts.sigma_relative;
  r.gradient_seconds = opts.gradient_seconds;
  const int64_t applies0 = op.applies();
  const int64_t steps = std::min(opts.steps, op.dim());
  double total = 0.0;
  for (int64_t i = 0; i < opts.probes; ++i) {
    r.probes.push_back(lanczos_rule(op, slq_probe_vector(op.dim(), opts.seed, i, op.vector_options()), steps));
    total += r.probes.back().seconds;
  }
  r.applies = op.applies() - applies0;
  r.seconds_per_probe = total / static_cast<double>(opts.probes);

  double lo = r.probes.front().nodes.front(), hi = lo;
  for (const auto& p : r.probes) {
    lo = std::min(lo, p.nodes.front());
    hi = std::max(hi, p.nodes.back());
  }
  const double range = hi - lo;
  // A degenerate spectrum (one point) still needs a width: relative to its
  // magnitude, or 1 at zero.
  r.sigma = opts.sigma_relative * (range > 0.0 ? range : std::max(std::abs(hi), 1.0));
  const double a = lo - 5.0 * r.sigma, b = hi + 5.0 * r.sigma;
  for (int64_t g = 0; g < opts.grid; ++g)
    r.grid.push_back(a + (b - a) * static_cast<double>(g) / static_cast<double>(opts.grid - 1));
  r.density = slq_density(r.probes, r.grid, r.sigma);
  return r;
}

nlohmann::json SlqResult::to_json() const {
  nlohmann::json nodes = nlohmann::json::array(), weights = nlohmann::json::array();
  for (const auto& p : probes) {
    nodes.push_back(p.nodes);
    weights.push_back(p.weights);
  }
  nlohmann::json j = {{"method", "slq"},
                      {"probes", static_cast<int64_t>(probes.size())},
                      {"steps", steps},
                      {"seed", seed},
                      {"sigma", sigma},
                      {"sigma_relative", sigma_relative},
                      {"nodes", nodes},
                      {"weights", weights},
                      {"grid", grid},
                      {"density", density},
                      {"seconds_per_probe", seconds_per_probe},
                      {"hvps", applies}};
  if (gradient_seconds > 0.0) {
    j["gradient_seconds"] = gradient_seconds;
    j["gradient_equivalents_per_probe"] = seconds_per_probe / gradient_seconds;
  }
  return j;
}

}  // namespace nrs::hessian
