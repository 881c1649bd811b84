// Hutchinson's trace estimator with Rademacher probes.
#pragma once
#include "suite/hessian/operator.h"

namespace nrs::hessian {

struct TraceEstimate {
  double estimate = 0.0;        // mean of z^T A z
  double standard_error = 0.0;  // sample std of z^T A z / sqrt(probes); NaN with one probe
  int64_t probes = 0;
  std::vector<double> samples;  // z^T A z per probe
};

// z has i.i.d. +-1 entries (seeded CPU draws), so E[z^T A z] = tr(A) and the
// estimator's variance is 2 * sum_{i != j} A_ij^2: off-diagonal mass, not the
// diagonal, sets the error. One apply per probe.
TraceEstimate hutchinson_trace(SymmetricOperator& op, int64_t probes, uint64_t seed);

}  // namespace nrs::hessian
