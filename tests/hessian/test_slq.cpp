// Stochastic Lanczos quadrature and Hessian repeats against truth computed
// another way: the spectrum of an explicit matrix built from chosen
// eigenvalues, and eigvalsh (float64) of a tiny model's Hessian assembled by
// double backprop; repeats against independent single computations on
// subsets the test draws itself.
// CTest label: cli
#include "datasets/pipeline.h"
#include "datasets/registry.h"
#include "models/registry.h"
#include "suite/hessian/hutchinson.h"
#include "suite/hessian/hvp.h"
#include "suite/hessian/lanczos.h"
#include "suite/hessian/slq.h"
#include "suite/hessian/spectrum.h"
#include "suite/io/results.h"
#include "suite/io/weights.h"

#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <sys/wait.h>
#include <unistd.h>

using namespace nrs;
using namespace nrs::hessian;

namespace {

// Kolmogorov distance between the probe-averaged SLQ distribution and the
// uniform distribution on `eigs`: both CDFs are step functions, so the sup is
// attained at a jump, on its left or right side.
double kolmogorov(const SlqResult& r, const std::vector<double>& eigs) {
  std::vector<std::pair<double, double>> slq;  // (node, mass)
  for (const auto& p : r.probes)
    for (size_t i = 0; i < p.nodes.size(); ++i)
      slq.emplace_back(p.nodes[i], p.weights[i] / static_cast<double>(r.probes.size()));
  std::vector<double> xs = eigs;
  for (const auto& [x, w] : slq) xs.push_back(x);
  double d = 0.0;
  for (double x : xs)
    for (bool inclusive : {false, true}) {
      double fs = 0.0, ft = 0.0;
      for (const auto& [v, w] : slq)
        if (inclusive ? v <= x : v < x) fs += w;
      for (double e : eigs)
        if (inclusive ? e <= x : e < x) ft += 1.0 / static_cast<double>(eigs.size());
      d = std::max(d, std::abs(fs - ft));
    }
  return d;
}

// sum_i w_i x_i^k averaged over probes.
double slq_moment(const SlqResult& r, int k) {
  double m = 0.0;
  for (const auto& p : r.probes)
    for (size_t i = 0; i < p.nodes.size(); ++i) m += p.weights[i] * std::pow(p.nodes[i], k);
  return m / static_cast<double>(r.probes.size());
}

// Compares SLQ with the true spectrum of `a`: (1) each probe's rule is a
// Gauss rule, exact for v^T A^k v (k <= 3 < 2 * steps); (2) the averaged
// moments estimate tr(A^k)/n with Rademacher error of standard deviation
// sqrt(2 sum_{i != j} (A^k)_ij^2 / P) / n, so 5 of those is the tolerance;
// (3) the Kolmogorov distance to the eigenvalue distribution is below
// ks_tol; (4) the density integrates to 1 (trapezoid) on its grid.
void check_against_spectrum(const SlqResult& r, const torch::Tensor& a, double ks_tol, const SlqOptions& o) {
  const int64_t n = a.size(0);
  auto eigs_t = torch::linalg_eigvalsh(a);
  std::vector<double> eigs(eigs_t.data_ptr<double>(), eigs_t.data_ptr<double>() + n);
  ASSERT_EQ(static_cast<int64_t>(r.probes.size()), o.probes);
  double scale = 0.0;
  for (double e : eigs) scale = std::max(scale, std::abs(e));

  auto ak = torch::eye(n, torch::kFloat64);
  for (int k = 0; k <= 3; ++k) {
    for (int64_t i = 0; i < o.probes; ++i) {
      auto v = slq_probe_vector(n, o.seed, i, torch::kFloat64);
      const double want = torch::dot(v, torch::mv(ak, v)).item<double>();
      double got = 0.0;
      const auto& p = r.probes[static_cast<size_t>(i)];
      for (size_t q = 0; q < p.nodes.size(); ++q) got += p.weights[q] * std::pow(p.nodes[q], k);
      EXPECT_NEAR(got, want, 1e-9 * std::pow(scale, k) + 1e-12) << "probe " << i << " k " << k;
    }
    const double truth = torch::trace(ak).item<double>() / static_cast<double>(n);
    const double off = (ak.pow(2).sum() - ak.diagonal().pow(2).sum()).item<double>();
    const double sd = std::sqrt(2.0 * off / static_cast<double>(o.probes)) / static_cast<double>(n);
    EXPECT_NEAR(slq_moment(r, k), truth, 5.0 * sd + 1e-9 * std::pow(scale, k)) << "moment " << k;
    ak = torch::mm(ak, a);
  }
  const double ks = kolmogorov(r, eigs);
  EXPECT_LT(ks, ks_tol);
  std::printf("[slq] n %lld, %lld probes x %lld steps: Kolmogorov distance %.4f (tolerance %.2f)\n",
              static_cast<long long>(n), static_cast<long long>(o.probes), static_cast<long long>(o.steps), ks, ks_tol);

  double mass = 0.0;
  for (size_t g = 1; g < r.grid.size(); ++g)
    mass += 0.5 * (r.density[g] + r.density[g - 1]) * (r.grid[g] - r.grid[g - 1]);
  EXPECT_NEAR(mass, 1.0, 1e-3);
}

struct TinyMlp : models::Net {
  torch::nn::Linear l1{nullptr}, l2{nullptr};
  TinyMlp(int64_t in, int64_t hidden, int64_t out) {
    l1 = register_module("l1", torch::nn::Linear(in, hidden));
    l2 = register_module("l2", torch::nn::Linear(hidden, out));
  }
  torch::Tensor forward(torch::Tensor x) override { return l2(torch::tanh(l1(x.flatten(1)))); }
};

// The Hessian of the mean cross-entropy, row by row: d(g_j)/dw for every
// component of the gradient g (create_graph), independent of ModelHessian.
torch::Tensor full_hessian(models::Net& net, const torch::Tensor& x, const torch::Tensor& y) {
  auto params = net.parameters();
  auto loss = torch::nn::functional::cross_entropy(net.forward(x), y);
  auto grads = torch::autograd::grad({loss}, params, {}, true, true);
  std::vector<torch::Tensor> flat;
  for (auto& g : grads) flat.push_back(g.reshape({-1}));
  auto g = torch::cat(flat);
  const int64_t n = g.size(0);
  auto h = torch::zeros({n, n}, torch::kFloat64);
  for (int64_t j = 0; j < n; ++j) {
    auto row = torch::autograd::grad({g[j]}, params, {}, /*retain_graph=*/true, false, /*allow_unused=*/true);
    std::vector<torch::Tensor> parts;
    for (size_t i = 0; i < row.size(); ++i)
      parts.push_back(row[i].defined() ? row[i].reshape({-1}) : torch::zeros({params[i].numel()}, torch::kFloat64));
    h[j] = torch::cat(parts);
  }
  return 0.5 * (h + h.t());  // symmetric up to rounding
}

}  // namespace

TEST(Slq, ExplicitMatrixMomentsAndDistribution) {
  // A spectrum shaped like a network Hessian's: a bulk near zero (some
  // negative), and a few large outliers.
  const int64_t n = 200;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(17);
  auto bulk = torch::randn({n - 4}, gen, torch::kFloat64) * 0.3;
  auto lambdas = torch::cat({bulk, torch::tensor({5.0, 8.0, 12.0, 30.0}, torch::kFloat64)});
  auto q = std::get<0>(torch::linalg_qr(torch::randn({n, n}, gen, torch::kFloat64)));
  auto a = torch::mm(torch::mm(q, torch::diag(lambdas)), q.t());
  a = 0.5 * (a + a.t());
  MatrixOperator op(a);
  SlqOptions o;
  o.probes = 20;
  o.steps = 40;
  o.seed = 3;
  auto r = slq(op, o);
  EXPECT_EQ(r.applies, o.probes * o.steps);
  for (const auto& p : r.probes) {
    EXPECT_EQ(static_cast<int64_t>(p.nodes.size()), o.steps);
    double s = 0.0;
    for (double w : p.weights) s += w;
    EXPECT_NEAR(s, 1.0, 1e-12);  // a unit probe: the weights are a probability
  }
  // Lanczos finds the isolated top eigenvalue exactly in every probe.
  for (const auto& p : r.probes) EXPECT_NEAR(p.nodes.back(), 30.0, 1e-8);
  check_against_spectrum(r, a, /*ks_tol=*/0.1, o);

  // The density is the Gaussian mixture of the rules: at a grid point,
  // recompute it by hand.
  const size_t g = r.grid.size() / 3;
  double want = 0.0;
  for (const auto& p : r.probes)
    for (size_t i = 0; i < p.nodes.size(); ++i) {
      const double z = (r.grid[g] - p.nodes[i]) / r.sigma;
      want += p.weights[i] * std::exp(-0.5 * z * z) / (r.sigma * std::sqrt(2.0 * 3.14159265358979323846));
    }
  EXPECT_NEAR(r.density[g], want / static_cast<double>(o.probes), 1e-12);
  // sigma is 1% of the node range by default; the grid pads 5 sigma.
  double lo = 1e300, hi = -1e300;
  for (const auto& p : r.probes) {
    lo = std::min(lo, p.nodes.front());
    hi = std::max(hi, p.nodes.back());
  }
  EXPECT_NEAR(r.sigma, 0.01 * (hi - lo), 1e-12 * hi);
  EXPECT_NEAR(r.grid.front(), lo - 5 * r.sigma, 1e-12 * hi);
  EXPECT_NEAR(r.grid.back(), hi + 5 * r.sigma, 1e-12 * hi);

  // The same seed gives the same rules; JSON carries them.
  auto again = slq(op, o);
  EXPECT_EQ(again.probes[2].nodes, r.probes[2].nodes);
  auto j = r.to_json();
  EXPECT_EQ(j["method"], "slq");
  EXPECT_EQ(j["probes"], 20);
  EXPECT_EQ(j["nodes"].size(), 20u);
  EXPECT_EQ(j["grid"].size(), j["density"].size());
  EXPECT_EQ(j["hvps"], 800);
}

TEST(Slq, InvariantSubspaceStopsEarlyAndIsExact) {
  // Three distinct eigenvalues: every probe's measure has three atoms, found
  // exactly after three steps.
  auto lambdas = torch::tensor({-1.0, -1.0, 2.0, 2.0, 2.0, 7.0}, torch::kFloat64);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(2);
  auto q = std::get<0>(torch::linalg_qr(torch::randn({6, 6}, gen, torch::kFloat64)));
  MatrixOperator op(torch::mm(torch::mm(q, torch::diag(lambdas)), q.t()));
  SlqOptions o;
  o.probes = 3;
  o.steps = 6;
  auto r = slq(op, o);
  for (const auto& p : r.probes) {
    ASSERT_EQ(p.nodes.size(), 3u);
    EXPECT_NEAR(p.nodes[0], -1.0, 1e-9);
    EXPECT_NEAR(p.nodes[1], 2.0, 1e-9);
    EXPECT_NEAR(p.nodes[2], 7.0, 1e-9);
  }
}

TEST(Slq, TinyModelHessianMatchesEigvalsh) {
  torch::manual_seed(11);
  auto net = std::make_shared<TinyMlp>(5, 5, 3);  // 25 + 5 + 15 + 3 = 48 parameters
  net->to(torch::kFloat64);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(5);
  auto x = torch::randn({40, 5}, gen, torch::kFloat64);
  auto y = torch::randint(0, 3, {40}, gen, torch::kInt64);
  auto h = full_hessian(*net, x, y);
  ASSERT_EQ(h.size(0), 48);

  ModelHessian op(*net, x, y, HvpOptions{});
  SlqOptions o;
  // 30 steps < 48: the rule is not the full spectrum. The bulk near 0 is a
  // cluster of many small eigenvalues, where a quadrature lumps mass into few
  // nodes; the distance is 0.115 here (0.13 with 20 steps), 0.15 leaves
  // room for another BLAS moving a node across an eigenvalue.
  o.probes = 30;
  o.steps = 30;
  o.seed = 1;
  auto r = slq(op, o);
  check_against_spectrum(r, h, /*ks_tol=*/0.15, o);
  // The top Ritz value of a 30-step rule is lambda_max to high accuracy.
  const double lmax = torch::linalg_eigvalsh(h).max().item<double>();
  for (const auto& p : r.probes) EXPECT_NEAR(p.nodes.back(), lmax, 1e-6 * lmax);
}

TEST(Slq, MemoryBoundIsRefusedNamingTheFlag) {
  EXPECT_EQ(slq_memory_bytes(1000, 8, 0, "--x"), 10 * 1000 * 8);
  try {
    slq_memory_bytes(int64_t{1} << 24, 100, int64_t{64} << 20, "--hessian-memory-mb");
    FAIL() << "expected a refusal";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()).rfind("--hessian-memory-mb", 0), 0u) << e.what();
  }
}

namespace {
data::Dataset synthetic(int64_t n) {
  data::DatasetOptions d;
  d.synthetic_train = n;
  d.synthetic_test = 16;
  return data::make_dataset("synthetic-3x8x8-4", d);
}
}  // namespace

TEST(Repeats, EachValueIsAnIndependentComputationOnItsSubset) {
  auto ds = synthetic(200);
  models::ModelSpec spec{3, 8, 8, 4};
  auto net = models::make_model("small-cnn-mini", spec);
  HessianOptions o;
  o.samples = 48;
  o.top_k = 2;
  o.trace_probes = 3;
  o.seed = 7;
  o.repeats = 2;
  auto j = hessian_report(*net, ds.train, ds.info, o, torch::kCPU).to_json();
  ASSERT_TRUE(j.contains("repeats")) << j.dump();
  EXPECT_EQ(j["repeats"]["R"], 2);
  EXPECT_EQ(j["repeats"]["samples_each"], 48);

  // The subsets, drawn here by the documented rule: one permutation of the
  // split from the Hessian seed, consecutive blocks of 48, each sorted.
  auto g = at::make_generator<at::CPUGeneratorImpl>(o.seed ^ 0x4865737369616eULL);
  auto perm = torch::randperm(ds.train.size(), g, torch::kInt64);
  std::vector<double> lm, tr;
  for (int64_t r = 0; r < 2; ++r) {
    auto idx = std::get<0>(perm.narrow(0, r * 48, 48).sort());
    data::Split sub{ds.train.images.index_select(0, idx), ds.train.labels.index_select(0, idx)};
    data::BatchPipeline pipe(sub, ds.info, 48, torch::kCPU, data::AugmentOptions{}, false, 0);
    ModelHessian op(*net, pipe.normalize(sub.images), sub.labels, HvpOptions{});
    EigenOptions eo;
    eo.k = 2;
    eo.seed = o.seed;
    eo.max_iter = o.max_iter;
    eo.tol = o.tol;
    lm.push_back(lanczos(op, eo).pairs.front().value);
    tr.push_back(hutchinson_trace(op, 3, o.seed).estimate);
  }
  EXPECT_NE(lm[0], lm[1]);  // two different subsets
  for (size_t r = 0; r < 2; ++r) {
    EXPECT_NEAR(j["repeats"]["lambda_max"]["values"][r].get<double>(), lm[r], 1e-9 * std::abs(lm[r])) << r;
    EXPECT_NEAR(j["repeats"]["trace"]["values"][r].get<double>(), tr[r], 1e-9 * std::abs(tr[r]) + 1e-12) << r;
  }
  EXPECT_NEAR(j["repeats"]["lambda_max"]["mean"].get<double>(), 0.5 * (lm[0] + lm[1]), 1e-9 * std::abs(lm[0]));
  EXPECT_NEAR(j["repeats"]["lambda_max"]["sd"].get<double>(), std::abs(lm[0] - lm[1]) / std::sqrt(2.0),
              1e-9 * std::abs(lm[0]));
  // Subset 0 is the report's own.
  EXPECT_EQ(j["lambda_max"], j["repeats"]["lambda_max"]["values"][0]);

  // R x samples beyond the split is refused, naming the flag.
  o.repeats = 5;
  try {
    hessian_report(*net, ds.train, ds.info, o, torch::kCPU);
    FAIL() << "expected a refusal";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()).rfind("--hessian-repeats", 0), 0u) << e.what();
  }
  // R = 1 writes no repeats block.
  o.repeats = 1;
  EXPECT_FALSE(hessian_report(*net, ds.train, ds.info, o, torch::kCPU).to_json().contains("repeats"));
}

TEST(Cli, HessianDensityAndRepeatsFlags) {
  const auto dir = std::filesystem::temp_directory_path() / ("nrs_slq_cli_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  models::ModelSpec spec{3, 32, 32, 10};
  auto net = models::make_model("small-cnn-mini", spec);
  const auto w = (dir / "w.pt").string(), out = (dir / "h.json").string();
  save_weights(*net, w);
  const std::string base = std::string(NRSBENCH_BINARY) +
                           " hessian --model small-cnn-mini --dataset synthetic --weights " + w +
                           " --hessian-samples 32 --hessian-top-k 1 --threads 1";
  ASSERT_EQ(
      std::system(
          (base + " --hessian-density --hessian-density-probes 2 --hessian-density-steps 8 --hessian-repeats 2 --out " +
           out + " > /dev/null")
              .c_str()),
      0);
  auto j = read_json_file(out);
  EXPECT_EQ(j["hessian"]["density"]["probes"], 2);
  EXPECT_EQ(j["hessian"]["density"]["nodes"].size(), 2u);
  EXPECT_GT(j["hessian"]["density"]["seconds_per_probe"].get<double>(), 0.0);
  EXPECT_EQ(j["hessian"]["repeats"]["lambda_max"]["values"].size(), 2u);
  auto exit_code = [](int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : -1; };
  EXPECT_EQ(exit_code(std::system((base + " --hessian-repeats 100000 2>/dev/null").c_str())), 2);
  // small-cnn-mini on 3x32x32: 133,906 parameters, 1.07 MB a vector. 10 MB
  // hold the top-1 Lanczos vectors but not the 42 that 40 SLQ steps need.
  const auto err = (dir / "err.txt").string();
  EXPECT_EQ(exit_code(std::system(
                (base + " --hessian-density --hessian-memory-mb 10 --hessian-density-steps 40 2>" + err).c_str())),
            2);
  std::ifstream ef(err);
  const std::string line((std::istreambuf_iterator<char>(ef)), std::istreambuf_iterator<char>());
  EXPECT_NE(line.find("--hessian-memory-mb"), std::string::npos) << line;
  EXPECT_NE(line.find("density"), std::string::npos) << line;
  EXPECT_EQ(exit_code(std::system((base + " --hessian-density --hessian-density-probes 0 2>/dev/null").c_str())), 2);
  std::filesystem::remove_all(dir);
}
