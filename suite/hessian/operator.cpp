#include "suite/hessian/operator.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <stdexcept>

namespace nrs::hessian {

MatrixOperator::MatrixOperator(torch::Tensor a) : a_(a.to(torch::kFloat64).contiguous()) {
  if (a_.dim() != 2 || a_.size(0) != a_.size(1))
    throw std::invalid_argument("MatrixOperator: expected a square matrix");
}

torch::Tensor MatrixOperator::apply(const torch::Tensor& v) {
  ++applies_;
  return torch::mv(a_, v);
}

Which parse_which(const std::string& s) {
  if (s == "largest_algebraic") return Which::kLargestAlgebraic;
  if (s == "largest_magnitude") return Which::kLargestMagnitude;
  throw std::invalid_argument("--which '" + s + "': expected largest_algebraic or largest_magnitude");
}

std::string to_string(Which w) { return w == Which::kLargestAlgebraic ? "largest_algebraic" : "largest_magnitude"; }

double rank_key(double value, Which which) { return which == Which::kLargestAlgebraic ? value : std::abs(value); }

torch::Tensor seeded_randn(int64_t n, uint64_t seed, const torch::TensorOptions& opts) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  return torch::randn({n}, gen, torch::TensorOptions().dtype(torch::kFloat64)).to(opts);
}

}  // namespace nrs::hessian
