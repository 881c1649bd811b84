// The leaderboard as typed records: what make_leaderboard computes, what the
// page (leaderboard_page.cpp) and its charts (leaderboard_charts.cpp) render,
// and, through to_json, the published leaderboard.json. JSON is written only
// here, at the edge; the key set is the one docs/checking.md documents and
// ci/check-committed compares.
#pragma once
#include "suite/matrix/aggregate.h"
#include "suite/matrix/check.h"
#include "suite/matrix/curves.h"
#include "suite/matrix/step_cost_report.h"

#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace nrs::matrix {

// A metric over seeds: mean, sample sd, and the 95% t half-width of the mean
// (none from a single run).
struct Estimate {
  double mean = 0, std = 0;
  std::optional<double> ci95;
  static std::optional<Estimate> of(const Stats& s);  // none when s holds no value
  nlohmann::json to_json() const;                     // {"mean", "std", "ci95"}
};

// lambda_max over seeds, with the Hessian-sampling noise of one run's value
// (one subset's sd, mean over runs) and, when runs average several subsets,
// the spread split into sampling and seed parts.
struct LambdaEstimate {
  Estimate over_seeds;
  std::optional<double> sampling_sd;
  std::optional<LambdaSpread> spread;
  nlohmann::json to_json() const;  // Estimate's keys, "sampling_sd", and "spread" when present
};

// One method (cell) of a board.
struct MethodEntry {
  std::string label, variant, optimizer, cell_id;
  size_t runs = 0, ok = 0, diverged = 0, failed = 0;
  std::optional<Estimate> test_acc, val_acc;
  std::optional<LambdaEstimate> lambda_max;
  std::optional<double> lambda_max_over_lambda_5, trace, train_images_per_s, ms_per_step, cost_ratio_vs_sgd;
  std::optional<CellStepCost> step_cost;  // a one-process step-cost report's, when one matches
  std::optional<TimeToTarget> time_to_target;
  nlohmann::json epochs;  // the runs' configured epochs as recorded (null when absent)
  std::set<std::string> devices, git_commits;
  std::optional<Band> curve;         // test accuracy per epoch
  std::optional<MeanCurve> density;  // Hessian spectral density
  std::vector<SliceCurve> slices;    // 1-D loss slices, one per kind
  size_t rank = 1;                   // rank_methods
  bool tied = false;

  static MethodEntry of(const CellAggregate& cell);  // rank and tied left at 1, false
  nlohmann::json to_json() const;
};

// A reference row (paper, community or pin) beside the cell it was checked on.
struct ReportedEntry {
  CheckRow row;
  nlohmann::json to_json() const;  // the row's published subset
};

struct Board {
  std::string board, dataset, model, group, protocol;
  std::vector<MethodEntry> methods;  // ranked, best first
  std::vector<ReportedEntry> reported;
  std::vector<ClaimRow> claims;
  nlohmann::json to_json() const;
};

struct Leaderboard {
  std::string title, generated, suite_version, git_commit, results_dir, rank_by, rank_rule;
  std::vector<Board> boards;
  std::optional<CheckSummary> check_summary;  // none without baselines (check.h)
  size_t references_without_a_matching_cell = 0;
  std::vector<std::string> notes;
  // The command that remakes this leaderboard (with title and rank_by).
  std::vector<std::string> results_dirs, baselines;
  nlohmann::json to_json() const;  // kind "nrsbench-leaderboard"
};

}  // namespace nrs::matrix
