// The loss-landscape report as a typed record: what landscape (landscape.h)
// measures and what `nrsbench run --landscape` and `nrsbench landscape`
// write, through to_json, as a result's "landscape" block (docs/hessian.md).
// JSON is written only at this edge.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace nrs::hessian {

// The training loss and accuracy along one 1-D slice.
struct LandscapeSlice {
  std::string kind;  // random-filter | top-eigenvector | interpolation
  std::vector<double> alphas, train_loss, train_acc;
  double seconds = 0;
  std::optional<double> direction_norm;  // the directions' slices
  // top-eigenvector: the Lanczos pair the direction comes from.
  struct Eigenpair {
    double eigenvalue = 0, relative_residual = 0;
    bool converged = false;
    int64_t hvps = 0;
  };
  std::optional<Eigenpair> eigenpair;
  nlohmann::json to_json() const;
};

// The 2-D grid: train_loss[i][j] at alphas[i] along direction 0 and
// alphas[j] along direction 1.
struct LandscapeGrid {
  std::vector<double> alphas;
  std::vector<std::vector<double>> train_loss, train_acc;
  double seconds = 0;
  double direction_norms[2] = {0, 0};
  nlohmann::json to_json() const;
};

struct LandscapeReport {
  std::vector<LandscapeSlice> slices;
  std::optional<LandscapeGrid> grid2d;
  int64_t evaluations = 0, samples = 0;
  std::string bn;
  uint64_t seed = 0;  // the directions'
  nlohmann::json settings;
  double gradient_seconds = 0;  // one gradient of the same loss on the same samples
  double seconds = 0;
  nlohmann::json to_json() const;
};

}  // namespace nrs::hessian
