#include "suite/hessian/hutchinson.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <limits>
#include <stdexcept>

namespace nrs::hessian {

TraceEstimate hutchinson_trace(SymmetricOperator& op, int64_t probes, uint64_t seed) {
  if (probes <= 0) throw std::invalid_argument("--trace-probes: expected a positive integer");
  TraceEstimate t;
  t.probes = probes;
  // Decorrelated from the eigen start vectors, which use seed, seed+1, ...
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed ^ 0x7472616365ULL);
  const auto vopt = op.vector_options();
  for (int64_t i = 0; i < probes; ++i) {
    auto z = (torch::randint(0, 2, {op.dim()}, gen, torch::kFloat64) * 2.0 - 1.0).to(vopt);
    t.samples.push_back(torch::dot(z, op.apply(z)).item<double>());
  }
  double mean = 0.0;
  for (double s : t.samples) mean += s;
  mean /= static_cast<double>(probes);
  t.estimate = mean;
  if (probes > 1) {
    double ss = 0.0;
    for (double s : t.samples) ss += (s - mean) * (s - mean);
    t.standard_error = std::sqrt(ss / static_cast<double>(probes - 1) / static_cast<double>(probes));
  } else {
    t.standard_error = std::numeric_limits<double>::quiet_NaN();
  }
  return t;
}

}  // namespace nrs::hessian
