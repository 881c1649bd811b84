#include "suite/stats/distributions.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace nrs::stats {

double normal_cdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

namespace {

// Continued fraction of I_x(a, b) (Numerical Recipes' betacf form).
double beta_fraction(double a, double b, double x) {
  constexpr double tiny = 1e-300, eps = 1e-15;
  const double qab = a + b, qap = a + 1, qam = a - 1;
  double c = 1, d = 1 - qab * x / qap;
  if (std::abs(d) < tiny) d = tiny;
  d = 1 / d;
  double h = d;
  for (int m = 1; m <= 10000; ++m) {
    const double m2 = 2.0 * m;
    double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (std::abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (std::abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (std::abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (std::abs(c) < tiny) c = tiny;
    d = 1 / d;
    const double del = d * c;
    h *= del;
    if (std::abs(del - 1) < eps) break;
  }
  return h;
}

}  // namespace

double incomplete_beta(double a, double b, double x) {
  if (!(a > 0) || !(b > 0) || !(x >= 0) || !(x <= 1))
    throw std::invalid_argument("incomplete_beta: a, b > 0, 0 <= x <= 1");
  if (x == 0 || x == 1) return x;
  const double front =
      std::exp(std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) + b * std::log1p(-x));
  // The fraction converges fast for x < (a + 1) / (a + b + 2); use the symmetry otherwise.
  if (x < (a + 1) / (a + b + 2)) return front * beta_fraction(a, b, x) / a;
  return 1 - front * beta_fraction(b, a, 1 - x) / b;
}

double t_cdf(double t, double df) {
  if (!(df > 0)) throw std::invalid_argument("t_cdf: df must be > 0");
  if (std::isinf(t)) return t > 0 ? 1.0 : 0.0;
  const double tail = 0.5 * incomplete_beta(df / 2, 0.5, df / (df + t * t));  // P(T > |t|)
  return t > 0 ? 1 - tail : tail;
}

double t_quantile(double p, double df) {
  if (!(p > 0) || !(p < 1)) throw std::invalid_argument("t_quantile: p must be in (0, 1)");
  if (p == 0.5) return 0;
  if (p < 0.5) return -t_quantile(1 - p, df);
  double lo = 0, hi = 1;
  while (t_cdf(hi, df) < p) {
    lo = hi;
    hi *= 2;
    if (hi > 1e12) return std::numeric_limits<double>::infinity();
  }
  for (int i = 0; i < 200 && hi - lo > 1e-13 * hi; ++i) {
    const double mid = 0.5 * (lo + hi);
    (t_cdf(mid, df) < p ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

double noncentral_t_cdf(double t, double df, double ncp) {
  if (!(df >= 1)) throw std::invalid_argument("noncentral_t_cdf: df must be >= 1");
  // T' = (Z + ncp) / sqrt(V / df), V ~ chi^2_df: P(T' <= t) = E_s[Phi(t s / sqrt(df) - ncp)]
  // over s = sqrt(V), whose density s^(df-1) exp(-s^2/2) / (2^(df/2-1) Gamma(df/2)) is
  // bounded for df >= 1 and, its sd being below 0.71 for every df, negligible
  // outside sqrt(df) -+ 12.
  const double log_norm = (df / 2 - 1) * std::log(2.0) + std::lgamma(df / 2);
  auto density = [&](double s) {
    if (s <= 0) return df == 1 ? std::exp(-log_norm) : 0.0;
    return std::exp((df - 1) * std::log(s) - s * s / 2 - log_norm);
  };
  const double lower = std::max(0.0, std::sqrt(df) - 12.0), upper = std::sqrt(df) + 12.0;
  const int n = 4000;  // even
  const double h = (upper - lower) / n;
  double sum = 0;
  for (int i = 0; i <= n; ++i) {
    const double s = lower + i * h;
    const double w = (i == 0 || i == n) ? 1 : (i % 2 ? 4 : 2);
    sum += w * density(s) * normal_cdf(t * s / std::sqrt(df) - ncp);
  }
  return sum * h / 3;
}

}  // namespace nrs::stats
