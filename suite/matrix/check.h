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
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace nrs::matrix {

struct CheckOptions {
  double k_sigma = 3.0;  // paper entries: |delta| <= k * sqrt(se_ref^2 + se_measured^2)
};

// Reads a baseline file; throws std::invalid_argument naming the file when it
// holds neither "entries" nor "claims" or an entry lacks its citation.
nlohmann::json load_baseline_file(const std::string& path);

// `aggregate` as returned by aggregate(); `baselines` as load_baseline_file.
// Returns {"rows": [...], "claims": [...], "summary": {pass, fail, missing}}.
nlohmann::json check(const nlohmann::json& aggregate, const std::vector<nlohmann::json>& baselines,
                     const CheckOptions& opts);

// The measured value of `metric` for a cell ("test_acc", "test_error_pct",
// "lambda_max", ...): {mean, ci95, n} or null.
nlohmann::json measured_metric(const nlohmann::json& cell, const std::string& metric);

}  // namespace nrs::matrix
