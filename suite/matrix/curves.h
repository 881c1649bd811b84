// Per-cell curves over the seeds of a cell, for the leaderboard charts: test
// accuracy per epoch with a 95% band, the Hessian spectral density and the
// 1-D loss slices, each averaged over the runs that carry it.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace nrs::matrix {

// Mean over seeds per x with the 95% t-interval of that mean:
// mean +- t_{0.975, n-1} * sd / sqrt(n), sd the sample std (n - 1). Where
// fewer than two runs reach an x, lo = hi = mean (no interval).
struct Band {
  std::vector<double> x, mean, lo, hi;
  std::vector<size_t> n;  // runs at each x
};

// One (x, value) list per run; the x values need not be the same in all runs.
Band band_over_runs(const std::vector<std::vector<std::pair<double, double>>>& runs);

// {"epoch": [...], "mean": [...], "lo": [...], "hi": [...], "n": [...]} from
// history[].test_acc of the ok runs; null when none has a history.
nlohmann::json test_acc_curve(const std::vector<const nlohmann::json*>& runs);

// A curve averaged point by point over the runs whose x grid is identical to
// the first run's (others are left out and counted).
struct MeanCurve {
  std::vector<double> x, y;
  size_t runs = 0, skipped = 0;
};
MeanCurve mean_on_shared_grid(const std::vector<std::pair<std::vector<double>, std::vector<double>>>& curves);

// {"grid", "density", "runs", "skipped"} from hessian.density; null if absent.
nlohmann::json density_curve(const std::vector<const nlohmann::json*>& runs);

// [{"kind", "alphas", "train_loss", "runs", "skipped"}] per slice kind in
// landscape.slices (the first slice of each kind per run); null if absent.
nlohmann::json slice_curves(const std::vector<const nlohmann::json*>& runs);

}  // namespace nrs::matrix
