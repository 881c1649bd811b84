// The reference checker: compares aggregated cells with reference numbers
// (paper tables, community reproductions, pins of ours) and tests claims
// between cells. docs/checking.md states every rule; in short:
//
// Reference entries ("entries": [{id, metric, value, ci95? | seed_sd + n,
//   tolerance?, match? | dataset/model/optimizer/epochs/augmentation,
//   best_of_epochs?, caveat?, citation | provenance}]) are reproduction
//   checks: pass when |measured - reference| <= t_{0.975, df} * se_diff, with
//   Welch's se and degrees of freedom (se = sd / sqrt(n) on our side; a
//   paper's "±" 95% CI over n runs read as 1.96 se, the wider reading; a run
//   of one gets the reference's seed sd as a stated prior), and with an
//   absolute "tolerance.abs" where the source gives no spread. Each row
//   states the smallest shift it detects (80% power).
//
// Claims ("claims": [{id, claim, kind, metric, treatment, comparator,
//   margin?, differs_in?, comparator_epochs_factor?, citation}]) compare each
//   treatment cell with the comparator cell that shares its hyperparameters
//   (docs/checking.md lists them; `differs_in` names the ones a claim means
//   to vary). Welch's t gives the difference, its 95% CI and one-sided
//   p-values for support and contradiction; all claims of one check form one
//   family, Holm-adjusted; the verdict is supported, contradicted or
//   inconclusive (suite/stats/claim_test.h). A comparator that differs in a
//   shared field is refused, naming the field.
#pragma once
#include "suite/matrix/aggregate.h"

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace nrs::matrix {

struct CheckOptions {
  double alpha = 0.05;  // two-sided; each direction of a claim at alpha / 2, family-wise (Holm)
  std::string family;   // the family's name in the report (the study)
};

// Reads a baseline file; throws std::invalid_argument naming the file when it
// holds neither "entries" nor "claims", an entry lacks its citation or a claim
// is not of the documented form.
nlohmann::json load_baseline_file(const std::string& path);

// A cell's measured value of a metric, in the metric's units ("test_error_pct"
// is 100 - 100 * test_acc).
struct Measured {
  double mean = 0, std = 0, se = 0;
  std::optional<double> ci95;  // t-based half-width; none with a single run
  size_t n = 0;
  nlohmann::json to_json() const;
};
// "test_acc", "test_error_pct", "val_error_pct", "lambda_max", ...; none when
// the cell has no such metric or no finished run.
std::optional<Measured> measured_metric(const CellAggregate& cell, const std::string& metric);

// Lower is better for errors, losses and curvature (lambda_max, trace), higher otherwise.
bool lower_is_better(const std::string& metric);

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
  double se_reference = 0, se_difference = 0, df = 0;  // 0 where the rule is absolute
  double detectable_shift = 0;                         // 80% power, two-sided 5%; 0 for absolute rules
  std::string prior;                                   // non-empty when a seed sd was assumed, and which
  std::optional<bool> paper_ci_inside;                 // measured mean inside the paper's 95% CI
  double paper_ci_low = 0, paper_ci_high = 0;          // when paper_ci_inside is set
  std::optional<bool> paper_ci_overlap;                // the two intervals overlap (needs our CI)
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

// One claim tested on one treatment cell against its comparator cell.
struct ClaimRow {
  std::string id, file, claim, kind, metric;
  // supported | contradicted | inconclusive (tested, or untestable with a
  // reason) | refused (the comparator differs in a shared field) | missing
  std::string verdict;
  nlohmann::json citation;
  std::string cell, cell_id, comparator, comparator_id;
  std::vector<std::string> declared_differences;  // fields the claim means to vary
  std::string better;                             // "higher" | "lower"
  double margin = 0;
  std::optional<Measured> treatment, reference;
  bool tested = false;  // part of the family
  double difference = 0, ci_low = 0, ci_high = 0, se = 0, df = 0, t = 0;
  double p_support = 1, p_contradict = 1, p_support_holm = 1, p_contradict_holm = 1;
  double mde = 0, mde_holm = 0;  // 80% power at alpha/2 and at Holm's strictest level alpha/(2m)
  std::string why;               // refused, missing and untestable rows
  nlohmann::json to_json() const;
};

// What a check found: reference rows by verdict (and against the paper's own
// CI), claims by verdict.
struct CheckSummary {
  size_t pass = 0, fail = 0, missing = 0, paper_ci_inside = 0, paper_ci_outside = 0;
  size_t supported = 0, contradicted = 0, inconclusive = 0, refused = 0, claims_missing = 0;
  nlohmann::json to_json() const;  // {"pass", "fail", "missing", "paper_ci", "claims"}
};

struct CheckReport {
  std::vector<CheckRow> rows;
  std::vector<ClaimRow> claims;
  CheckSummary summary;
  double alpha = 0.05;
  std::string family;
  nlohmann::json to_json() const;  // {"rows", "claims", "family", "alpha", "summary", "rules"}
};

// `baselines` as load_baseline_file returns them.
CheckReport check(const Aggregate& aggregate, const std::vector<nlohmann::json>& baselines, const CheckOptions& opts);

// The hyperparameters two cells must share to be compared on `metric`, as
// leaf paths of the configuration ("sgd.weight_decay", "schedule.base_lr");
// docs/checking.md. The Hessian's sampling settings join for curvature metrics.
std::vector<std::string> shared_fields(const std::string& metric);
// The shared fields in which two configurations differ, as
// "sgd.weight_decay (0.0005 vs 0.0001)".
std::vector<std::string> differing_fields(const nlohmann::json& a, const nlohmann::json& b, const std::string& metric);

}  // namespace nrs::matrix
