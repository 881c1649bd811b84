// The reference checker: compares aggregated cells with reference numbers
// (paper tables, pinned runs of ours) and qualitative claims, and gives each
// a verdict pass | fail | missing with the rule that decided it.
//
// Baseline files (baselines/*.json) hold either
//   "entries": [{id, metric, value, ci95?, tolerance?, match? | dataset/model/
//                optimizer/epochs/augmentation, best_of_epochs?, caveat?,
//                citation | provenance}]
// A match value may be a list (any of). best_of_epochs [E, 2E] (the SAM
// paper's SGD rows: the better of the 1x and 2x budgets) compares the entry
// with the better of our cells that differ only in epochs, and says which.
// Paper entries with a ci95 also get verdict_paper_ci (measured mean inside
// the paper's 95% CI or not) beside the k-sigma verdict, which alone decides.
// or "claims": [{id, claim, check: "nrs.<metric> <op> sgd.<metric> [- tol]", citation}].
#pragma once
#include "suite/matrix/aggregate.h"

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace nrs::matrix {

struct CheckOptions {
  double k_sigma = 3.0;  // paper entries: |delta| <= k * sqrt(se_ref^2 + se_measured^2)
};

// Reads a baseline file; throws std::invalid_argument naming the file when it
// holds neither "entries" nor "claims" or an entry lacks its citation.
// Baseline files stay documents: an entry's "match" names any configuration
// field, so its keys are data, not code.
nlohmann::json load_baseline_file(const std::string& path);

// A cell's measured value of a metric, in the metric's units ("test_error_pct"
// is 100 - 100 * test_acc).
struct Measured {
  double mean = 0, std = 0;
  std::optional<double> ci95;  // none with a single run
  size_t n = 0;
  nlohmann::json to_json() const;
};
// "test_acc", "test_error_pct", "val_error_pct", "lambda_max", ...; none when
// the cell has no such metric or no finished run.
std::optional<Measured> measured_metric(const CellAggregate& cell, const std::string& metric);

// One reference entry compared with one cell (or with none: verdict "missing").
struct CheckRow {
  std::string id, file, kind, metric, verdict;  // verdict: pass | fail | missing
  double reference = 0;
  nlohmann::json reference_ci95;  // as the baseline wrote it: a number or a string such as "<0.1"
  nlohmann::json citation;        // the entry's citation or provenance, as written
  // Compared rows:
  std::string cell, cell_id, rule;
  std::optional<Measured> measured;
  double delta = 0, band = 0;
  std::optional<bool> paper_ci_inside;         // measured mean inside the paper's 95% CI
  double paper_ci_low = 0, paper_ci_high = 0;  // when paper_ci_inside is set
  std::optional<bool> paper_ci_overlap;        // the two intervals overlap (needs our CI)
  // best_of_epochs entries: the candidates and the one chosen.
  struct Option {
    std::string cell, cell_id;
    nlohmann::json epochs;
    double mean = 0;
    size_t n = 0;
  };
  std::vector<Option> best_of;
  nlohmann::json chosen_epochs;  // null unless best_of is set
  std::string selection;
  nlohmann::json caveat;  // null or as written
  // Missing rows:
  std::string why;
  nlohmann::json to_json() const;
};

// One claim ("nrs.<metric> <op> sgd.<metric> [- tol]") tested on one NRS cell.
struct ClaimRow {
  std::string id, file, claim, check, verdict;  // verdict: pass | fail | missing
  nlohmann::json citation;
  std::string cell, sgd_cell, metric;
  std::optional<Measured> nrs, sgd;
  double tol = 0, difference = 0, difference_se = 0;
  std::optional<bool> significant;  // |difference| > 1.96 se; none when se is 0 (single runs)
  std::string why;                  // missing rows
  nlohmann::json to_json() const;
};

struct CheckReport {
  std::vector<CheckRow> rows;
  std::vector<ClaimRow> claims;
  size_t pass = 0, fail = 0, missing = 0, paper_ci_inside = 0, paper_ci_outside = 0;
  double k_sigma = 3.0;
  // {"rows", "claims", "summary", "rules"}; README "Checking".
  nlohmann::json summary_json() const;
  nlohmann::json to_json() const;
};

// `baselines` as load_baseline_file returns them.
CheckReport check(const Aggregate& aggregate, const std::vector<nlohmann::json>& baselines, const CheckOptions& opts);

}  // namespace nrs::matrix
