// `nrsbench check`: measured aggregates against reference numbers and claims;
// exit 1 when any comparison fails.
#include "suite/cli/cli_common.h"
#include "suite/matrix/aggregate.h"
#include "suite/matrix/check.h"
#include "suite/results.h"

#include <cstdio>

namespace nrs::cli {

int cmd_check(const std::vector<std::string>& args) {
  std::string dir, report_path;
  std::vector<std::string> files;
  bool show_missing = false;
  matrix::CheckOptions co;
  po::options_description d("check options");
  // clang-format off
  d.add_options()
    ("results", po::value(&dir)->required(), "results directory")
    ("baselines", po::value(&files)->multitoken()->required(), "baseline files (baselines/*.json)")
    ("report", po::value(&report_path), "also write the full report as JSON here")
    ("k-sigma", po::value(&co.k_sigma)->default_value(co.k_sigma), "paper entries: allowed |delta| in combined standard errors")
    ("show-missing", po::bool_switch(&show_missing), "list references without a matching cell");
  // clang-format on
  po::variables_map vm;
  if (!parse_or_help("check", "--results DIR --baselines FILE...", d, args, vm)) return 0;
  const auto agg = matrix::aggregate(matrix::load_results(dir));
  std::vector<nlohmann::json> baselines;
  for (const auto& f : files) baselines.push_back(matrix::load_baseline_file(f));
  const auto rep = matrix::check(agg, baselines, co);

  std::printf("%-48s %-44s %-15s %10s %16s %9s  %-7s %s\n", "reference", "cell", "metric", "reference", "measured",
              "band", "verdict", "paper 95% CI");
  for (const auto& r : rep.rows) {
    if (r.verdict == "missing") continue;
    const std::string paper_ci = r.paper_ci_inside ? (*r.paper_ci_inside ? "inside" : "outside") : "n/a";
    const std::string budgets = r.best_of.empty() ? ""
                                                  : " (better of " + std::to_string(r.best_of.size()) +
                                                        " budgets: " + r.chosen_epochs.dump() + " epochs)";
    std::printf("%-48s %-44s %-15s %10.4g %9.4g (n=%zu) %9.3g  %-7s %s%s\n", r.id.c_str(), r.cell.c_str(),
                r.metric.c_str(), r.reference, r.measured->mean, r.measured->n, r.band, r.verdict.c_str(),
                paper_ci.c_str(), budgets.c_str());
  }
  for (const auto& c : rep.claims) {
    if (c.verdict == "missing") continue;
    std::printf("%-48s %-44s %-15s  nrs %.4g vs sgd %.4g (tol %.3g, difference %s)  %s\n", c.id.c_str(), c.cell.c_str(),
                c.metric.c_str(), c.nrs->mean, c.sgd->mean, c.tol,
                !c.significant   ? "untested: 1 run"
                : *c.significant ? "beyond seed noise"
                                 : "within seed noise",
                c.verdict.c_str());
  }
  if (show_missing) {
    for (const auto& r : rep.rows)
      if (r.verdict == "missing") std::printf("%-48s missing: %s\n", r.id.c_str(), r.why.c_str());
    for (const auto& c : rep.claims)
      if (c.verdict == "missing") std::printf("%-48s missing: %s\n", c.id.c_str(), c.why.c_str());
  }
  std::printf("\ncheck: %zu pass, %zu fail, %zu missing (no matching cell%s)\n", rep.pass, rep.fail, rep.missing,
              show_missing ? "" : "; --show-missing lists them");
  if (!report_path.empty()) {
    auto report = rep.to_json();
    report["results_dir"] = dir;
    report["baselines"] = files;
    report["generated"] = iso8601_now();
    write_json_atomic(report_path, report);
  }
  return rep.fail > 0 ? 1 : 0;
}

}  // namespace nrs::cli
