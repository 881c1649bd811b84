// Welch's t for the difference of two means with unequal variances, its
// Welch-Satterthwaite degrees of freedom, and the power and minimum detectable
// effect of a one-sided test on it.
#pragma once
#include <cstddef>
#include <string>

namespace nrs::stats {

// One group as the test sees it: mean, sample sd and n. `sd_is_prior` marks a
// group whose sd was not measured (n = 1) but assumed, with the degrees of
// freedom of that assumption in `prior_df`.
struct Sample {
  double mean = 0, sd = 0;
  size_t n = 0;
  bool sd_is_prior = false;
  double prior_df = 0;
  double se() const;  // sd / sqrt(n)
  double df() const;  // n - 1, or prior_df
};

struct Difference {
  double estimate = 0;  // a.mean - b.mean
  double se = 0, df = 0, t = 0;
  double ci_low = 0, ci_high = 0;  // two-sided, at `confidence`
  double confidence = 0.95;
};

// a - b. Throws std::invalid_argument when either side has df < 1 or both
// have sd 0 (nothing to test against: the caller says why).
Difference welch(const Sample& a, const Sample& b, double confidence = 0.95);
// Welch-Satterthwaite: (va + vb)^2 / (va^2 / dfa + vb^2 / dfb), v = se^2.
double welch_df(double va, double dfa, double vb, double dfb);

// Power of the one-sided level-`alpha` t test with `df` degrees of freedom to
// detect a true difference `effect` (> 0) whose estimate has standard error
// `se`: P(T' > t_{1-alpha, df}) with noncentrality effect / se.
double one_sided_power(double effect, double se, double df, double alpha);
// The smallest true difference that test detects with probability `power`.
double minimum_detectable_effect(double se, double df, double alpha, double power = 0.8);

}  // namespace nrs::stats
