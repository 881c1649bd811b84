// Aggregation of a results directory: runs grouped into cells by their
// resolved configuration (seed excluded), with mean, std, 95% CI and n per
// metric, throughput, the step-cost ratio to the matching SGD cell and the
// time to reach SGD's accuracy. Typed records from file to page: the JSON
// forms (to_json) are outputs only.
#pragma once
#include "suite/matrix/curves.h"
#include "suite/matrix/run_record.h"
#include "suite/matrix/step_cost_report.h"

#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace nrs::matrix {

struct ResultSet {
  std::vector<RunRecord> runs;
  std::vector<ProtocolManifest> manifests;  // protocol-*.json
  std::vector<StepCostReport> step_costs;   // step-cost reports beside the runs
};

// Reads every *.json under `dir`. Outputs of nrsbench itself (leaderboard.json,
// check.json, protocol-*.json manifests, step-cost reports) are recognised; any other file that
// is not a result of a schema this version reads throws (InputError or
// std::invalid_argument) naming the file.
ResultSet load_results(const std::string& dir);
// Several directories read as one study (a study and its control cells): each
// run's file is named relative to the parent of its directory.
ResultSet load_results(const std::vector<std::string>& dirs);

// The metrics aggregated per cell, each over the cell's ok runs.
struct CellMetrics {
  Stats test_acc, test_loss, val_acc, train_loss, train_eval_acc;
  Stats lambda_max, lambda_max_first_subset, lambda_max_sampling_sd, lambda_max_over_lambda_5, trace;
  Stats train_images_per_s, ms_per_step, wall_time_s;
  // By the name baselines and the JSON use ("test_acc", "lambda_max", ...);
  // nullptr for a name that is not a metric.
  const Stats* find(const std::string& name) const;
  nlohmann::json to_json() const;
};

// Per run, the first epoch whose test accuracy reached the target, with the
// steps and training seconds spent until then; a run that never reached it is
// censored (null), never dropped. The medians are over all runs, censored ones
// counting as later than every reached one: none ("not reached") when the
// median run did not reach the target.
struct TimeToTarget {
  double target_test_acc = 0;
  std::string target;  // where the target comes from
  size_t runs = 0, reached = 0;
  std::vector<std::optional<double>> epochs, steps, train_seconds;  // per run, in file order
  std::optional<double> median_epochs, median_steps, median_train_seconds;
  nlohmann::json to_json() const;
};
// The median of values where nullopt (censored) sorts above every value; nullopt
// when the median falls on a censored value.
std::optional<double> censored_median(const std::vector<std::optional<double>>& v);

// lambda_max's spread over seeds split into its parts, when each run's value
// is the mean over R Hessian sample subsets: sampling = sqrt(mean(sd_i^2) / R),
// the sampling sd of one run's mean; seed = sqrt(max(0, total^2 - sampling^2)).
struct LambdaSpread {
  double subsets = 0, total_sd = 0, sampling_sd = 0, seed_sd = 0;
  nlohmann::json to_json() const;
};

struct CellAggregate {
  std::string cell_id, name, label, group, protocol, dataset, model, optimizer, variant;
  nlohmann::json config;  // the runs' configuration without the seed
  size_t runs = 0, ok = 0, diverged = 0, failed = 0;
  std::vector<uint64_t> seeds;
  std::vector<std::string> files;
  CellMetrics metrics;
  std::optional<Band> curve;         // test accuracy per epoch
  std::optional<MeanCurve> density;  // Hessian spectral density
  std::vector<SliceCurve> slices;    // 1-D loss slices, one per kind
  std::set<std::string> git_commits, devices;
  std::optional<std::string> sgd_cell;      // id of the SGD cell of the same setting
  std::optional<double> cost_ratio_vs_sgd;  // the runs' own ms per step over the SGD cell's
  // The cost a step-cost report beside the runs gives this cell (one process,
  // variants interleaved); what verdicts on cost should quote when present.
  std::optional<CellStepCost> step_cost;
  std::optional<TimeToTarget> time_to_target;
  std::optional<LambdaSpread> lambda_spread;

  // A configuration field, null when the runs did not record it.
  const nlohmann::json& config_field(const char* key) const;
  // The published form of each optional block (null when absent): each
  // block's own to_json, which the leaderboard's MethodEntry writes too, so
  // the two cannot drift.
  nlohmann::json curve_block() const;
  nlohmann::json density_block() const;
  nlohmann::json slices_block() const;
  nlohmann::json time_to_target_block() const;
  nlohmann::json step_cost_block() const;
  nlohmann::json to_json() const;
};

// A cell-seed a protocol manifest lists but the directory lacks.
struct MissingRun {
  std::string protocol, cell, cell_id;
  uint64_t seed = 0;
};

struct Aggregate {
  std::vector<CellAggregate> cells;
  std::vector<MissingRun> missing;
  const CellAggregate* find(const std::string& cell_id) const;
  nlohmann::json to_json() const;  // {"cells": [...], "missing": [...]}, README "Aggregation"
};

Aggregate aggregate(const ResultSet& rs);

// The board a cell belongs to ("dataset / model[ / group][ (protocol)]"):
// cells with the same key are compared in one table or leaderboard board.
std::string board_key(const CellAggregate& cell);

}  // namespace nrs::matrix
