// Loss-landscape slices (Li et al. 2018, "Visualizing the Loss Landscape of
// Neural Nets"): train loss and accuracy along filter-normalised random
// directions, along the top Hessian eigenvector, and between two weight
// files, on the Hessian's fixed sample subset. Used by `nrsbench landscape`
// and `nrsbench run --landscape`; docs/hessian.md states the conventions.
#pragma once
#include "models/net.h"
#include "suite/hessian/hvp.h"
#include "suite/hessian/landscape_report.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace nrs::hessian {

struct LandscapeOptions {
  int64_t samples = 1024;    // subset 0 of the Hessian's draw (spectrum.h) with the Hessian seed
  std::string bn = "eval";   // eval (running statistics as stored) | recompute (re-estimated at each point)
  int64_t points = 21;       // 1-D points on [-range, range] (interpolation: on [0, 1])
  double range = 1.0;        // in units of the direction (filter-normalised: of each filter's norm)
  int64_t grid2d = 0;        // N x N points on [-range, range]^2; 0 = no 2-D grid
  int64_t batch_size = 256;  // evaluation batches (no effect on the numbers in eval mode)
  bool top_eigenvector = true;
  int64_t eig_max_iter = 100;  // Lanczos for the top eigenvector
  double eig_tol = 1e-3;
  nlohmann::json to_json() const;
  void validate() const;  // throws std::invalid_argument naming the flag (--landscape-X)
};

// One tensor per trainable parameter, in model.parameters() order.
using Direction = std::vector<torch::Tensor>;

// A filter-normalised Gaussian direction: for every parameter of 2 or more
// dimensions, each filter (slice along dim 0: a conv output channel, a
// linear layer's output row) is drawn N(0, 1) and rescaled to the norm of
// the same filter of the weights; 1-D parameters (biases, BatchNorm scales
// and shifts) are zero, so the slice does not move them (Li et al.'s
// "ignore biasbn"). Drawn on the CPU in float64 from `seed`, in parameter
// order, then cast: the same seed gives the same direction on every device.
// `count` directions come from one stream; direction 0 is the same for any
// count.
std::vector<Direction> filter_normalized_directions(models::Net& model, uint64_t seed, int64_t count = 1);
double direction_norm(const Direction& d);

struct PointEval {
  double loss = 0.0;
  double accuracy = 0.0;
};

// Evaluates the model at moved weights on fixed samples. While alive it owns
// the parameters' values; the destructor puts back the parameters, every
// buffer and the train/eval mode it found.
class LossSurface {
 public:
  LossSurface(models::Net& model, torch::Tensor x, torch::Tensor y, const LandscapeOptions& opts,
              LossFn loss = mean_cross_entropy);
  ~LossSurface();
  LossSurface(const LossSurface&) = delete;
  LossSurface& operator=(const LossSurface&) = delete;

  // Loss and accuracy at w0 + sum_k coeffs[k] * dirs[k].
  PointEval along(const std::vector<const Direction*>& dirs, const std::vector<double>& coeffs);
  // At (1 - t) w0 + t w1 for parameters and floating-point buffers (w1: the
  // other model's parameters and buffers, same architecture).
  PointEval between(const std::vector<torch::Tensor>& other_params, const std::vector<torch::Tensor>& other_buffers,
                    double t);
  int64_t evaluations() const { return evaluations_; }

 private:
  PointEval evaluate();
  void recompute_batchnorm();
  void restore();

  models::Net& model_;
  torch::Tensor x_, y_;
  LandscapeOptions opts_;
  LossFn loss_;
  std::vector<torch::Tensor> params_, base_params_, buffers_, base_buffers_;
  bool was_training_ = false;
  int64_t evaluations_ = 0;
};

// The slices of `model` on (x, y): "random-filter" (direction 0 of seed),
// "top-eigenvector" (when opts.top_eigenvector; the unit eigenvector of the
// Hessian with BatchNorm in eval mode, rescaled to the random direction's
// norm so alpha means the same distance in both), "interpolation" (when
// `to` is given: t in [0, 1]), and "grid2d" (directions 0 and 1 of seed).
// Also the wall time and that time in gradients (one gradient: forward and
// backward of the mean loss over the same samples, micro-batches of 256,
// BatchNorm in eval mode, timed after a warm-up).
LandscapeReport landscape(models::Net& model, const torch::Tensor& x, const torch::Tensor& y,
                          const LandscapeOptions& opts, uint64_t seed, models::Net* to = nullptr,
                          LossFn loss = mean_cross_entropy);

}  // namespace nrs::hessian
