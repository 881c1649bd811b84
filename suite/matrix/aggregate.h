// Aggregation of a results directory: runs grouped into cells by their
// resolved configuration (seed excluded), with mean, std, 95% CI and n per
// metric, throughput, and the step-cost ratio to the matching SGD cell.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace nrs::matrix {

struct Stats {
  size_t n = 0;
  double mean = 0, std = 0, ci95 = 0;  // std: sample (n-1); ci95: t-based half-width of the mean (0 when n < 2)
  std::vector<double> values;
  nlohmann::json to_json() const;
};
Stats summarize(const std::vector<double>& v);
double t_critical_975(size_t dof);  // Student t 97.5% quantile

struct ResultSet {
  std::vector<nlohmann::json> runs;       // each with "_file" added
  std::vector<nlohmann::json> manifests;  // protocol-*.json
};

// Reads every *.json under `dir`. Outputs of nrsbench itself (leaderboard.json,
// check.json, protocol-*.json manifests) are recognised; any other file that
// is not a schema-1 result throws std::invalid_argument naming the file.
ResultSet load_results(const std::string& dir);

// {"cells": [...], "missing": [...]} — see README "Aggregation".
nlohmann::json aggregate(const ResultSet& rs);

// Group key of a run: cell_id of its configuration.
std::string run_cell_id(const nlohmann::json& result);

// The board an aggregated cell belongs to ("dataset / model[ / group][ (protocol)]"):
// cells with the same key are compared in one table or leaderboard board.
std::string board_key(const nlohmann::json& cell);

}  // namespace nrs::matrix
