// The verdict statistics against truth from outside the code: Student t table
// values, SciPy 1.17.1 (scipy.stats.t, scipy.stats.nct, scipy.special.betainc,
// scipy.stats.ttest_ind(equal_var=False)), the worked Welch example of the
// Wikipedia article "Welch's t-test" (t = -2.46, df = 24.99, p = 0.021), a
// Holm adjustment by hand, and Monte-Carlo simulations of the rule itself.
#include "suite/stats/claim_test.h"
#include "suite/stats/distributions.h"
#include "suite/stats/holm.h"
#include "suite/stats/welch.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

using namespace nrs::stats;

namespace {

Sample sample_of(const std::vector<double>& x) {
  double m = 0;
  for (double v : x) m += v;
  m /= static_cast<double>(x.size());
  double ss = 0;
  for (double v : x) ss += (v - m) * (v - m);
  return {m, std::sqrt(ss / static_cast<double>(x.size() - 1)), x.size()};
}

}  // namespace

TEST(Stats, StudentTQuantilesMatchPublishedTables) {
  // Two-sided 95% critical values of any t table (df 1, 2, 4, 10, 30), 90% at df 5.
  EXPECT_NEAR(t_quantile(0.975, 1), 12.706, 5e-4);
  EXPECT_NEAR(t_quantile(0.975, 2), 4.303, 5e-4);
  EXPECT_NEAR(t_quantile(0.975, 4), 2.776, 5e-4);
  EXPECT_NEAR(t_quantile(0.975, 10), 2.228, 5e-4);
  EXPECT_NEAR(t_quantile(0.975, 30), 2.042, 5e-4);
  EXPECT_NEAR(t_quantile(0.95, 5), 2.015, 5e-4);
  EXPECT_NEAR(t_quantile(0.975, 1e7), 1.960, 5e-4);  // the normal limit
  // SciPy, to 1e-9, including a real df (Welch) and a far tail.
  EXPECT_NEAR(t_quantile(0.975, 7.3), 2.345066736547703, 1e-9);
  EXPECT_NEAR(t_quantile(0.8, 8), 0.8888895177670202, 1e-9);
  EXPECT_NEAR(t_quantile(0.9995, 3), 12.923978636687961, 1e-7);
  EXPECT_NEAR(t_quantile(0.025, 4), -2.7764451051977934, 1e-9);
}

TEST(Stats, DistributionFunctionsMatchScipy) {
  EXPECT_NEAR(t_cdf(2.0, 3), 0.9303370157205785, 1e-12);
  EXPECT_NEAR(t_cdf(-1.5, 7.3), 0.08778154640154305, 1e-12);
  EXPECT_NEAR(t_cdf(0.3, 1), 0.5927735790777423, 1e-12);
  EXPECT_NEAR(t_cdf(4.0, 24.9), 0.9997507890647328, 1e-12);
  EXPECT_NEAR(incomplete_beta(2.5, 0.5, 0.3), 0.018927124071945658, 1e-13);
  EXPECT_NEAR(incomplete_beta(3, 4, 0.9), 0.99873, 1e-12);
  EXPECT_NEAR(noncentral_t_cdf(2.0, 8, 1.5), 0.651853872894671, 1e-8);
  EXPECT_NEAR(noncentral_t_cdf(2.306, 8, 3.0), 0.2519832664347459, 1e-8);
  EXPECT_NEAR(noncentral_t_cdf(1.0, 1, 0.5), 0.5927477364400293, 1e-8);
  EXPECT_NEAR(noncentral_t_cdf(-0.5, 4.5, 1.0), 0.07288757778964595, 1e-8);
  EXPECT_NEAR(noncentral_t_cdf(2.8, 3.7, 4.0), 0.16322391715518403, 1e-8);
  EXPECT_NEAR(noncentral_t_cdf(1.3, 6, 0.0), t_cdf(1.3, 6), 1e-9);         // ncp 0 is the central t
  EXPECT_NEAR(noncentral_t_cdf(1.3, 150, 0.4), 0.8146920482628738, 1e-8);  // SciPy
  // Huge df (a reference whose n is not stated): the normal limit Phi(t - ncp).
  EXPECT_NEAR(noncentral_t_cdf(1.5, 1e9, 0.5), normal_cdf(1.0), 1e-5);
  EXPECT_NEAR(minimum_detectable_effect(1.0, 1e9, 0.025, 0.8), 1.959964 + 0.841621, 1e-4);  // z_0.975 + z_0.8
}

TEST(Stats, WelchWorkedExample) {
  const std::vector<double> a = {27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1,
                                 21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4};
  const std::vector<double> b = {27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0,
                                 24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4};
  const auto d = welch(sample_of(a), sample_of(b));
  EXPECT_NEAR(d.t, -2.455356398286006, 1e-9);                     // SciPy; Wikipedia: -2.46
  EXPECT_NEAR(d.df, 24.988529290231416, 1e-9);                    // Wikipedia: 24.99
  EXPECT_NEAR(2 * t_cdf(d.t, d.df), 0.021378001462866992, 1e-9);  // two-sided p; Wikipedia: 0.021
  const double q = t_quantile(0.975, d.df);
  EXPECT_NEAR(d.ci_low, d.estimate - q * d.se, 1e-12);
  EXPECT_LT(d.ci_high, 0);  // p < 0.05: the 95% CI excludes 0
}

TEST(Stats, HolmByHand) {
  // Sorted: 0.005 x 4 = 0.02, 0.01 x 3 = 0.03, 0.03 x 2 = 0.06, 0.04 x 1 = 0.04 -> 0.06 (monotone).
  const auto adj = holm_adjust({0.01, 0.04, 0.03, 0.005});
  ASSERT_EQ(adj.size(), 4u);
  EXPECT_NEAR(adj[0], 0.03, 1e-15);
  EXPECT_NEAR(adj[1], 0.06, 1e-15);
  EXPECT_NEAR(adj[2], 0.06, 1e-15);
  EXPECT_NEAR(adj[3], 0.02, 1e-15);
  EXPECT_EQ(holm_adjust({0.9, 0.8})[0], 1.0);  // capped at 1
  EXPECT_TRUE(holm_adjust({}).empty());
}

TEST(Stats, MinimumDetectableEffectMatchesScipy) {
  // n = 5 per group, sd 1, df 8, one-sided 2.5%: SciPy's brentq on 1 - nct.cdf gives 2.024440977358832.
  const double se = std::sqrt(2.0 / 5.0);
  EXPECT_NEAR(minimum_detectable_effect(se, 8, 0.025, 0.8), 2.024440977358832, 1e-6);
  EXPECT_NEAR(one_sided_power(2.024440977358832, se, 8, 0.025), 0.8, 1e-6);
}

TEST(Stats, ClaimKindsOnHandComputedCases) {
  // Treatment 10 +- 1 (n 5) vs comparator 8 +- 1 (n 5): d = 2, se = sqrt(0.4), df = 8.
  const Sample hi{10, 1, 5}, lo{8, 1, 5};
  const double t = 2 / std::sqrt(0.4);
  auto sup = test_comparison(ClaimKind::kSuperiority, 0, +1, hi, lo);
  EXPECT_NEAR(sup.raw.df, 8, 1e-12);
  EXPECT_NEAR(sup.p_support, 1 - t_cdf(t, 8), 1e-15);
  EXPECT_NEAR(sup.p_contradict, t_cdf(t, 8), 1e-15);
  EXPECT_EQ(decide(sup.p_support, sup.p_contradict), Verdict::kSupported);
  // Lower is better (curvature): the same numbers contradict "the treatment is flatter".
  auto flat = test_comparison(ClaimKind::kSuperiority, 0, -1, hi, lo);
  EXPECT_EQ(decide(flat.p_support, flat.p_contradict), Verdict::kContradicted);
  // Non-inferiority with margin 3 when the treatment is 2 worse: (-2 + 3) / se = 1.58, not beyond.
  auto ni = test_comparison(ClaimKind::kNonInferiority, 3, +1, lo, hi);
  EXPECT_NEAR(ni.p_support, 1 - t_cdf(1 / std::sqrt(0.4), 8), 1e-15);
  EXPECT_EQ(decide(ni.p_support, ni.p_contradict), Verdict::kInconclusive);
  // ... and with margin 0.1 it is worse than the margin beyond the noise: contradicted.
  auto ni2 = test_comparison(ClaimKind::kNonInferiority, 0.1, +1, lo, hi);
  EXPECT_EQ(decide(ni2.p_support, ni2.p_contradict), Verdict::kContradicted);
  // Equivalence (TOST) of two equal means with a wide margin: supported; a narrow one: inconclusive.
  const Sample a{5, 0.1, 5}, b{5.01, 0.1, 5};
  auto eq = test_comparison(ClaimKind::kEquivalence, 0.5, +1, a, b);
  EXPECT_EQ(decide(eq.p_support, eq.p_contradict), Verdict::kSupported);
  auto eq2 = test_comparison(ClaimKind::kEquivalence, 0.02, +1, a, b);
  EXPECT_EQ(decide(eq2.p_support, eq2.p_contradict), Verdict::kInconclusive);
  EXPECT_THROW(test_comparison(ClaimKind::kEquivalence, 0, +1, a, b), std::invalid_argument);
  EXPECT_THROW(test_comparison(ClaimKind::kSuperiority, 0, +1, Sample{1, 0, 1}, b), std::invalid_argument);
}

// The rule itself, simulated: 4000 studies of two equal normal groups at
// n = 5 each. "supported" must come out at most 2.5% of the time (the
// one-sided level) within Monte-Carlo error (3 sd = 0.0074), and not far below
// it (Welch's test is close to exact here). At the effect the closed form
// says gives 80% power, the simulated rate is 0.80 within 0.04 (Monte-Carlo
// sd 0.006; the closed form uses df 8, Welch estimates df from the data).
TEST(Stats, SimulatedFalseSupportRateAndPower) {
  std::mt19937_64 rng(20261201);
  std::normal_distribution<double> z(0.0, 1.0);
  auto draw = [&](double mu) {
    std::vector<double> x(5);
    for (auto& v : x) v = mu + z(rng);
    return sample_of(x);
  };
  const int studies = 4000;
  const double effect = minimum_detectable_effect(std::sqrt(2.0 / 5.0), 8, kAlphaOneSided, 0.8);
  int null_supported = 0, null_contradicted = 0, alt_supported = 0;
  for (int i = 0; i < studies; ++i) {
    const auto n = test_comparison(ClaimKind::kSuperiority, 0, +1, draw(0), draw(0));
    null_supported += decide(n.p_support, n.p_contradict) == Verdict::kSupported;
    null_contradicted += decide(n.p_support, n.p_contradict) == Verdict::kContradicted;
    const auto a = test_comparison(ClaimKind::kSuperiority, 0, +1, draw(effect), draw(0));
    alt_supported += decide(a.p_support, a.p_contradict) == Verdict::kSupported;
  }
  const double rate = static_cast<double>(null_supported) / studies;
  EXPECT_LE(rate, 0.025 + 0.0074) << rate;
  EXPECT_GE(rate, 0.010) << rate;
  EXPECT_LE(static_cast<double>(null_contradicted) / studies, 0.025 + 0.0074);
  EXPECT_NEAR(static_cast<double>(alt_supported) / studies, 0.80, 0.04);
}

// A family of 10 null comparisons: Holm keeps the chance of any false
// "supported" verdict at most 2.5% (Monte-Carlo 3 sd = 0.0105 over 2000
// families); without the adjustment it would be about 1 - 0.975^10 = 22%.
TEST(Stats, HolmKeepsTheFamilyWiseRate) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> z(0.0, 1.0);
  auto draw = [&]() {
    std::vector<double> x(5);
    for (auto& v : x) v = z(rng);
    return sample_of(x);
  };
  int any_adjusted = 0, any_raw = 0;
  const int families = 2000;
  for (int f = 0; f < families; ++f) {
    std::vector<double> ps;
    for (int k = 0; k < 10; ++k)
      ps.push_back(test_comparison(ClaimKind::kSuperiority, 0, +1, draw(), draw()).p_support);
    const auto adj = holm_adjust(ps);
    bool a = false, r = false;
    for (size_t k = 0; k < ps.size(); ++k) {
      a = a || adj[k] < kAlphaOneSided;
      r = r || ps[k] < kAlphaOneSided;
    }
    any_adjusted += a;
    any_raw += r;
  }
  EXPECT_LE(static_cast<double>(any_adjusted) / families, 0.025 + 0.0105);
  EXPECT_GT(static_cast<double>(any_raw) / families, 0.15);
}
