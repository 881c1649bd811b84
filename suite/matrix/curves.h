// Per-cell curves over the seeds of a cell, for the leaderboard charts: test
// accuracy per epoch with a 95% band, the Hessian spectral density and the
// 1-D loss slices, each averaged over the ok runs that carry it.
#pragma once
#include "suite/matrix/run_record.h"
#include "suite/matrix/stats.h"

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace nrs::matrix {

// Mean over seeds per x with the 95% t-interval of that mean:
// mean +- t_{0.975, n-1} * sd / sqrt(n), sd the sample std (n - 1). Where
// fewer than two runs reach an x, lo = hi = mean (no interval).
struct Band {
  std::vector<double> x, mean, lo, hi;
  std::vector<size_t> n;           // runs at each x
  nlohmann::json to_json() const;  // {"epoch", "mean", "lo", "hi", "n"}
};

// One (x, value) list per run; the x values need not be the same in all runs.
Band band_over_runs(const std::vector<std::vector<std::pair<double, double>>>& runs);

// Test accuracy per epoch (history) of the ok runs; none when no run has one.
std::optional<Band> test_acc_curve(const std::vector<const RunRecord*>& runs);

// A curve averaged point by point over the runs whose x grid is identical to
// the first run's (others are left out and counted).
struct MeanCurve {
  std::vector<double> x, y;
  size_t runs = 0, skipped = 0;
};
MeanCurve mean_on_shared_grid(const std::vector<GridCurve>& curves);

// The mean spectral density (hessian.density) of the ok runs; none if absent.
std::optional<MeanCurve> density_curve(const std::vector<const RunRecord*>& runs);
nlohmann::json density_json(const MeanCurve& m);  // {"grid", "density", "runs", "skipped"}

// Per slice kind of landscape.slices (the first slice of each kind per ok
// run), in order of first appearance.
struct SliceCurve {
  std::string kind;
  MeanCurve curve;                 // alphas -> train_loss
  nlohmann::json to_json() const;  // {"kind", "alphas", "train_loss", "runs", "skipped"}
};
std::vector<SliceCurve> slice_curves(const std::vector<const RunRecord*>& runs);
// The slices' published form: a list of SliceCurve::to_json, null when there is none.
nlohmann::json slices_json(const std::vector<SliceCurve>& slices);

}  // namespace nrs::matrix
