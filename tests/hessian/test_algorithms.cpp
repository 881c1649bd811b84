// Lanczos, power iteration and Hutchinson on explicit matrices whose spectra
// are chosen up front (A = Q diag(lambda) Q^T with a seeded random
// orthogonal Q), so the truth comes from construction, not from the code.
#include "suite/hessian/hutchinson.h"
#include "suite/hessian/lanczos.h"
#include "suite/hessian/power_iteration.h"

#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

using namespace nrs::hessian;

namespace {

torch::Tensor with_spectrum(const std::vector<double>& lambdas, uint64_t seed) {
  const int64_t n = static_cast<int64_t>(lambdas.size());
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  auto g = torch::randn({n, n}, gen, torch::kFloat64);
  auto q = std::get<0>(torch::linalg_qr(g));
  auto d = torch::tensor(lambdas, torch::kFloat64);
  auto a = torch::mm(q * d.unsqueeze(0), q.t());
  return 0.5 * (a + a.t());
}

// A spread spectrum with a clear gap at the top (power iteration converges
// at rate lambda_{i+1}/lambda_i).
std::vector<double> spread(int64_t n) {
  std::vector<double> l;
  for (int64_t i = 0; i < n; ++i) l.push_back(0.5 * std::pow(0.8, static_cast<double>(i)) * (i % 3 == 2 ? -1.0 : 1.0));
  l[0] = 10.0;
  l[1] = 6.0;
  l[2] = 3.0;
  return l;
}

std::vector<double> top_algebraic(std::vector<double> l, size_t k) {
  std::sort(l.rbegin(), l.rend());
  l.resize(k);
  return l;
}

void expect_pairs(const EigenResult& r, const std::vector<double>& truth, double rel, double tol) {
  ASSERT_EQ(r.pairs.size(), truth.size());
  for (size_t i = 0; i < truth.size(); ++i) {
    EXPECT_NEAR(r.pairs[i].value, truth[i], rel * std::abs(truth[i])) << "pair " << i;
    EXPECT_LT(r.pairs[i].relative_residual, tol) << "pair " << i;
    EXPECT_TRUE(r.pairs[i].converged) << "pair " << i;
    EXPECT_GT(r.pairs[i].iterations, 0);
    EXPECT_NEAR(r.pairs[i].vector.norm().item<double>(), 1.0, 1e-10);
  }
}

}  // namespace

TEST(Lanczos, TopThreeOfKnownSpectrum) {
  auto l = spread(80);
  MatrixOperator op(with_spectrum(l, 1));
  EigenOptions o;
  o.k = 3;
  o.tol = 1e-9;
  o.max_iter = 80;
  auto r = lanczos(op, o);
  expect_pairs(r, top_algebraic(l, 3), 1e-9, o.tol);
  // Stopped on the criterion, before the basis filled the space.
  EXPECT_LT(r.pairs[0].iterations, 80);
}

TEST(Power, TopThreeOfKnownSpectrum) {
  auto l = spread(80);
  MatrixOperator op(with_spectrum(l, 2));
  EigenOptions o;
  o.k = 3;
  o.tol = 1e-9;
  o.max_iter = 2000;
  auto r = power_iteration(op, o);
  expect_pairs(r, top_algebraic(l, 3), 1e-9, o.tol);
}

TEST(Lanczos, RepeatedEigenvaluesAllFound) {
  // A Krylov space holds one direction per distinct eigenvalue; finding all
  // three copies of 3 needs the restart after the basis becomes invariant.
  std::vector<double> l = {3, 3, 3, 1, 1, 0.5, -0.5, -2};
  MatrixOperator op(with_spectrum(l, 3));
  EigenOptions o;
  o.k = 4;
  o.tol = 1e-8;
  o.max_iter = 8;
  auto r = lanczos(op, o);
  expect_pairs(r, {3, 3, 3, 1}, 1e-9, o.tol);
}

TEST(Which, NegativeDominantDoesNotBecomeLambdaMax) {
  std::vector<double> l = spread(40);
  l[5] = -25.0;  // most negative, larger in magnitude than the top positive 10
  MatrixOperator op(with_spectrum(l, 4));
  EigenOptions o;
  o.k = 2;
  o.tol = 1e-8;
  o.max_iter = 3000;
  for (auto* method : {&lanczos, &power_iteration}) {
    auto r = (*method)(op, o);
    ASSERT_EQ(r.pairs.size(), 2u) << r.method;
    EXPECT_NEAR(r.pairs[0].value, 10.0, 1e-7) << r.method;
    EXPECT_NEAR(r.pairs[1].value, 6.0, 1e-7) << r.method;
    EXPECT_TRUE(r.pairs[0].converged) << r.method;
    EXPECT_TRUE(r.pairs[1].converged) << r.method;
  }
  o.which = Which::kLargestMagnitude;
  for (auto* method : {&lanczos, &power_iteration}) {
    auto r = (*method)(op, o);
    EXPECT_NEAR(r.pairs[0].value, -25.0, 25e-8) << r.method;
    EXPECT_NEAR(r.pairs[1].value, 10.0, 1e-7) << r.method;
  }
}

TEST(Which, AllNegativeSpectrum) {
  std::vector<double> l;
  for (int i = 0; i < 30; ++i) l.push_back(-1.0 - i * 0.7);
  MatrixOperator op(with_spectrum(l, 5));
  EigenOptions o;
  o.k = 2;
  o.tol = 1e-8;
  o.max_iter = 5000;
  for (auto* method : {&lanczos, &power_iteration}) {
    auto r = (*method)(op, o);
    EXPECT_NEAR(r.pairs[0].value, -1.0, 1e-7) << r.method;
    EXPECT_NEAR(r.pairs[1].value, -1.7, 1e-7) << r.method;
  }
}

TEST(Convergence, FlagIsFalseWhenIterationsRunOut) {
  std::vector<double> l = spread(50);
  l[1] = 9.99;  // gap ratio 0.999: power iteration cannot settle in 5 steps
  MatrixOperator op(with_spectrum(l, 6));
  EigenOptions o;
  o.k = 1;
  o.tol = 1e-8;
  o.max_iter = 5;
  auto p = power_iteration(op, o);
  EXPECT_FALSE(p.pairs[0].converged);
  EXPECT_EQ(p.pairs[0].iterations, 5);
  EXPECT_GT(p.pairs[0].relative_residual, o.tol);
  auto q = lanczos(op, o);
  EXPECT_FALSE(q.pairs[0].converged);
}

TEST(Seeds, SameSeedSameNumbersOtherSeedSameSpectrum) {
  auto l = spread(60);
  MatrixOperator op(with_spectrum(l, 7));
  EigenOptions o;
  o.k = 3;
  o.tol = 1e-6;
  o.max_iter = 1000;
  for (auto* method : {&lanczos, &power_iteration}) {
    auto a = (*method)(op, o), b = (*method)(op, o);
    auto o2 = o;
    o2.seed = 12345;
    auto c = (*method)(op, o2);
    for (size_t i = 0; i < 3; ++i) {
      EXPECT_EQ(a.pairs[i].value, b.pairs[i].value) << a.method;  // bitwise
      EXPECT_EQ(a.pairs[i].iterations, b.pairs[i].iterations);
      EXPECT_TRUE(torch::equal(a.pairs[i].vector, b.pairs[i].vector));
      EXPECT_NEAR(a.pairs[i].value, c.pairs[i].value, 1e-5 * std::abs(a.pairs[i].value));
    }
    // The other seed really starts elsewhere.
    EXPECT_FALSE(a.pairs[0].value == c.pairs[0].value && a.pairs[0].iterations == c.pairs[0].iterations &&
                 torch::equal(a.pairs[0].vector, c.pairs[0].vector));
  }
}

TEST(Hutchinson, WithinThreeStandardErrorsOfTrace) {
  auto l = spread(50);
  auto a = with_spectrum(l, 8);
  MatrixOperator op(a);
  const double exact = a.trace().item<double>();
  auto t = hutchinson_trace(op, 200, 3);
  EXPECT_EQ(t.probes, 200);
  EXPECT_EQ(op.applies(), 200);
  ASSERT_GT(t.standard_error, 0.0);
  EXPECT_LT(std::abs(t.estimate - exact), 3.0 * t.standard_error);
  // The estimator's standard error should match its known variance
  // 2 * sum_{i != j} a_ij^2 within sampling noise (factor 1.5 either way).
  const double var = 2.0 * (a.pow(2).sum() - a.diagonal().pow(2).sum()).item<double>();
  const double se_theory = std::sqrt(var / 200.0);
  EXPECT_GT(t.standard_error, se_theory / 1.5);
  EXPECT_LT(t.standard_error, se_theory * 1.5);
}

TEST(Hutchinson, DiagonalMatrixIsExact) {
  // Rademacher probes: z_i^2 = 1, so a diagonal matrix gives the trace exactly.
  MatrixOperator op(torch::diag(torch::tensor({1.0, -2.0, 5.0, 0.25}, torch::kFloat64)));
  auto t = hutchinson_trace(op, 5, 0);
  EXPECT_DOUBLE_EQ(t.estimate, 4.25);
  EXPECT_DOUBLE_EQ(t.standard_error, 0.0);
}

// Thick restart: a basis capped far below the steps needed still finds the
// top eigenpairs of a known spectrum (truth by construction; eigvalsh checks
// the construction), at the cost of more applies.
TEST(Lanczos, ThickRestartWithASmallBasisFindsTheTopPairs) {
  // A clustered top (slow convergence) so that restarts really happen.
  std::vector<double> l;
  for (int64_t i = 0; i < 200; ++i)
    l.push_back(1.0 + 0.01 * static_cast<double>(i % 50) + 1e-3 * static_cast<double>(i));
  l[0] = 4.0;
  l[1] = 3.9;
  l[2] = 3.85;
  l[3] = 3.5;
  l[4] = 3.4;
  auto a = with_spectrum(l, 5);
  auto exact = torch::linalg_eigvalsh(a);  // float64, ascending
  EXPECT_NEAR(exact[199].item<double>(), 4.0, 1e-12);
  MatrixOperator op(a);
  EigenOptions o;
  o.k = 5;
  o.tol = 1e-8;
  o.max_iter = 600;
  o.max_basis = 12;  // k + 7
  auto r = lanczos(op, o);
  EXPECT_GT(r.restarts, 0);
  EXPECT_EQ(r.basis_vectors, 12);
  expect_pairs(r, top_algebraic(l, 5), 1e-8, o.tol);
  // The unrestarted run needs fewer applies but a basis of its whole length.
  o.max_basis = 0;
  auto full = lanczos(op, o);
  EXPECT_EQ(full.restarts, 0);
  EXPECT_GT(full.basis_vectors, 12);
  expect_pairs(full, top_algebraic(l, 5), 1e-8, o.tol);
}

// A cap at or above the steps taken is plain Lanczos: the same numbers.
TEST(Lanczos, CapAboveTheStepsChangesNothing) {
  auto l = spread(60);
  MatrixOperator op(with_spectrum(l, 2));
  EigenOptions o;
  o.k = 3;
  o.tol = 1e-9;
  o.max_iter = 60;
  auto plain = lanczos(op, o);
  o.max_basis = 60;
  auto capped = lanczos(op, o);
  ASSERT_EQ(plain.pairs.size(), capped.pairs.size());
  for (size_t i = 0; i < plain.pairs.size(); ++i) EXPECT_EQ(plain.pairs[i].value, capped.pairs[i].value);
  EXPECT_EQ(capped.restarts, 0);
}

TEST(Lanczos, MemoryBudgetTooSmallIsAOneLineError) {
  EXPECT_EQ(basis_cap_for_memory(int64_t(1) << 30, 1000, 5, "--x"), (int64_t(1) << 30) / 8000 - 8);
  try {
    basis_cap_for_memory(int64_t(10) << 20, 1000000, 5, "--hessian-memory-mb");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("--hessian-memory-mb"), std::string::npos) << e.what();
  }
}
