#include "suite/stats/welch.h"
#include "suite/stats/distributions.h"

#include <cmath>
#include <stdexcept>

namespace nrs::stats {

double Sample::se() const { return n ? sd / std::sqrt(static_cast<double>(n)) : 0.0; }
double Sample::df() const { return sd_is_prior ? prior_df : static_cast<double>(n) - 1; }

double welch_df(double va, double dfa, double vb, double dfb) {
  const double num = (va + vb) * (va + vb);
  const double den = va * va / dfa + vb * vb / dfb;
  return num / den;
}

Difference welch(const Sample& a, const Sample& b, double confidence) {
  if (a.df() < 1 || b.df() < 1)
    throw std::invalid_argument("welch: each side needs df >= 1 (n >= 2 or a stated sd prior)");
  const double va = a.se() * a.se(), vb = b.se() * b.se();
  if (!(va + vb > 0)) throw std::invalid_argument("welch: both sides have zero spread");
  Difference d;
  d.estimate = a.mean - b.mean;
  d.se = std::sqrt(va + vb);
  d.df = welch_df(va, a.df(), vb, b.df());
  d.t = d.estimate / d.se;
  d.confidence = confidence;
  const double q = t_quantile(0.5 + confidence / 2, d.df);
  d.ci_low = d.estimate - q * d.se;
  d.ci_high = d.estimate + q * d.se;
  return d;
}

double one_sided_power(double effect, double se, double df, double alpha) {
  const double crit = t_quantile(1 - alpha, df);
  return 1 - noncentral_t_cdf(crit, df, effect / se);
}

double minimum_detectable_effect(double se, double df, double alpha, double power) {
  // Power rises monotonically with the effect: bisect on it.
  double lo = 0, hi = se;
  while (one_sided_power(hi, se, df, alpha) < power) {
    lo = hi;
    hi *= 2;
    if (hi > 1e6 * se) return INFINITY;
  }
  for (int i = 0; i < 100 && hi - lo > 1e-10 * hi; ++i) {
    const double mid = 0.5 * (lo + hi);
    (one_sided_power(mid, se, df, alpha) < power ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

}  // namespace nrs::stats
