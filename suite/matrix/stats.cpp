#include "suite/matrix/stats.h"

#include <cmath>

namespace nrs::matrix {

double t_critical_975(size_t dof) {
  static const double t[] = {0,     12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                             2.201, 2.179,  2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080,
                             2.074, 2.069,  2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042};
  if (dof == 0) return std::nan("");
  return dof <= 30 ? t[dof] : 1.96 + 2.4 / static_cast<double>(dof);  // within 1e-3 of the quantile beyond 30
}

Stats summarize(const std::vector<double>& v) {
  Stats s;
  s.values = v;
  s.n = v.size();
  if (v.empty()) return s;
  for (double x : v) s.mean += x;
  s.mean /= static_cast<double>(s.n);
  if (s.n > 1) {
    double ss = 0;
    for (double x : v) ss += (x - s.mean) * (x - s.mean);
    s.std = std::sqrt(ss / static_cast<double>(s.n - 1));
    s.ci95 = t_critical_975(s.n - 1) * s.std / std::sqrt(static_cast<double>(s.n));
  }
  return s;
}

nlohmann::json Stats::to_json() const {
  using nlohmann::json;
  if (n == 0) return nullptr;
  return {{"n", n}, {"mean", mean}, {"std", std}, {"ci95", n > 1 ? json(ci95) : json(nullptr)}, {"values", values}};
}

}  // namespace nrs::matrix
