// A matrix-free symmetric operator v -> A v and the eigen/trace result types
// the algorithms (lanczos.h, power_iteration.h, hutchinson.h) share. The
// algorithms see only this interface, so they are tested on explicit
// matrices with known spectra and then run unchanged on a model's Hessian.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

namespace nrs::hessian {

// Vectors are 1-D float64 tensors of length dim() on device(): the Krylov
// bookkeeping runs in float64 whatever precision the operator computes in.
class SymmetricOperator {
 public:
  virtual ~SymmetricOperator() = default;
  virtual int64_t dim() const = 0;
  virtual torch::Device device() const { return torch::kCPU; }
  // Must be linear and symmetric; non-const because implementations may
  // count calls or cache work between them.
  virtual torch::Tensor apply(const torch::Tensor& v) = 0;
  int64_t applies() const { return applies_; }

  torch::TensorOptions vector_options() const { return torch::TensorOptions().dtype(torch::kFloat64).device(device()); }

 protected:
  int64_t applies_ = 0;
};

// An explicit symmetric matrix (tests, and small problems).
class MatrixOperator : public SymmetricOperator {
 public:
  explicit MatrixOperator(torch::Tensor a);
  int64_t dim() const override { return a_.size(0); }
  torch::Device device() const override { return a_.device(); }
  torch::Tensor apply(const torch::Tensor& v) override;
  const torch::Tensor& matrix() const { return a_; }

 private:
  torch::Tensor a_;
};

// Which end of the spectrum "top-k" means. Largest algebraic is the default
// because sharpness is about the most positive curvature; a large negative
// eigenvalue (saddle direction) must not be reported as lambda_max.
enum class Which { kLargestAlgebraic, kLargestMagnitude };
Which parse_which(const std::string& s);  // throws std::invalid_argument naming --which
std::string to_string(Which w);

struct EigenOptions {
  int64_t k = 5;
  Which which = Which::kLargestAlgebraic;
  double tol = 1e-3;       // relative change AND relative residual must both be below
  int64_t max_iter = 100;  // Lanczos: operator applies (Krylov steps); power: iterations per eigenvalue
  uint64_t seed = 0;       // start vectors
  // Lanczos: most basis vectors held at once (0 = max_iter, never restart).
  // Below max_iter the basis is thick-restarted, keeping the best Ritz
  // vectors, so memory stays max_basis x dim whatever max_iter is.
  int64_t max_basis = 0;
};

struct EigenPair {
  double value = 0.0;
  torch::Tensor vector;            // unit norm, float64
  double relative_residual = 0.0;  // ||A v - value v|| / |value|, measured with one extra apply
  double relative_change = 0.0;    // |value - previous estimate| / |value| at the last iteration
  int64_t iterations = 0;
  bool converged = false;  // both relative_change and relative_residual < tol
};

struct EigenResult {
  std::vector<EigenPair> pairs;  // sorted by `which`, best first
  int64_t applies = 0;           // operator applications spent
  std::string method;
  int64_t restarts = 0;       // Lanczos thick restarts (basis full)
  int64_t basis_vectors = 0;  // Lanczos: largest basis held
};

// Sort key for `which`: larger is "more top".
double rank_key(double value, Which which);
// A seeded standard normal vector, drawn on the CPU so that the same seed
// gives the same start on every device.
torch::Tensor seeded_randn(int64_t n, uint64_t seed, const torch::TensorOptions& opts);

}  // namespace nrs::hessian
