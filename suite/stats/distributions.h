// The distributions the verdicts need, in closed form or by quadrature:
// Student t (real degrees of freedom, for Welch), the standard normal and the
// noncentral t (for power and minimum detectable effects). No other library:
// tests/stats compares every function with published tables and SciPy.
#pragma once

namespace nrs::stats {

double normal_cdf(double z);
// Regularised incomplete beta I_x(a, b), a, b > 0, 0 <= x <= 1 (continued
// fraction, Lentz's method).
double incomplete_beta(double a, double b, double x);
// Student t with `df` > 0 degrees of freedom (not necessarily an integer).
double t_cdf(double t, double df);
double t_quantile(double p, double df);  // 0 < p < 1
// Noncentral t with df >= 1 and noncentrality ncp: P(T' <= t), by Simpson's
// rule over the chi distribution of the denominator (absolute error below
// 1e-8 against SciPy up to df 150, 1e-5 at df 1e9, where the log density cancels).
double noncentral_t_cdf(double t, double df, double ncp);

}  // namespace nrs::stats
