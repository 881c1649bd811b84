// Summary statistics over seeds: mean, sample standard deviation and the
// t-based 95% confidence half-width of the mean.
#pragma once
#include <nlohmann/json.hpp>
#include <vector>

namespace nrs::matrix {

struct Stats {
  size_t n = 0;
  double mean = 0, std = 0, ci95 = 0;  // std: sample (n-1); ci95: t-based half-width of the mean (0 when n < 2)
  std::vector<double> values;
  bool empty() const { return n == 0; }
  nlohmann::json to_json() const;  // null when empty; ci95 null when n < 2
};
Stats summarize(const std::vector<double>& v);
double t_critical_975(size_t dof);  // Student t 97.5% quantile

}  // namespace nrs::matrix
