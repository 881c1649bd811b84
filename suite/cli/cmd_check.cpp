// `nrsbench check`: measured aggregates against reference numbers, and claims
// between cells as one Holm family (docs/checking.md). Exit 1 when a reference
// row fails; claim verdicts are findings, printed and reported, not errors.
#include "suite/cli/cli_common.h"
#include "suite/io/results.h"
#include "suite/matrix/aggregate.h"
#include "suite/matrix/check.h"

#include <algorithm>
#include <cstdio>

namespace nrs::cli {

namespace {

void print_claims(const matrix::CheckReport& rep) {
  if (rep.claims.empty()) return;
  std::printf("\nclaims (family %s: %zu comparisons, Holm, alpha %.3g two-sided):\n", rep.family.c_str(),
              static_cast<size_t>(std::count_if(rep.claims.begin(), rep.claims.end(),
                                                [](const matrix::ClaimRow& c) { return c.tested; })),
              rep.alpha);
  std::printf("%-34s %-16s %-28s %-28s %10s %22s %9s %9s %8s  %s\n", "claim", "kind", "treatment", "comparator",
              "difference", "95% CI", "p", "Holm p", "MDE80", "verdict");
  for (const auto& c : rep.claims) {
    if (c.verdict == "missing") continue;
    if (!c.tested) {
      std::printf("%-34s %-16s %-28s %-28s  %s: %s\n", c.id.c_str(), c.kind.c_str(), c.cell.c_str(),
                  c.comparator.c_str(), c.verdict.c_str(), c.why.c_str());
      continue;
    }
    const bool towards_support = c.p_support <= c.p_contradict;
    char ci[64];
    std::snprintf(ci, sizeof ci, "[%.4g, %.4g]", c.ci_low, c.ci_high);
    std::printf("%-34s %-16s %-28s %-28s %10.4g %22s %9.2g %9.2g %8.3g  %s\n", c.id.c_str(), c.kind.c_str(),
                c.cell.c_str(), c.comparator.c_str(), c.difference, ci, towards_support ? c.p_support : c.p_contradict,
                towards_support ? c.p_support_holm : c.p_contradict_holm, c.mde, c.verdict.c_str());
  }
}

}  // namespace

int cmd_check(const std::vector<std::string>& args) {
  std::vector<std::string> dirs, files;
  std::string report_path, family;
  bool show_missing = false;
  matrix::CheckOptions co;
  po::options_description d("check options");
  // clang-format off
  d.add_options()
    ("results", po::value(&dirs)->multitoken()->required(),
     "results directories; several form one study (e.g. a study and its control cells)")
    ("baselines", po::value(&files)->multitoken()->required(), "baseline files (baselines/*.json)")
    ("report", po::value(&report_path), "also write the full report as JSON here")
    ("alpha", po::value(&co.alpha)->default_value(co.alpha),
     "family-wise error rate, two-sided: each claim direction is Holm-adjusted at alpha/2")
    ("family", po::value(&family), "the family's name in the report (default: the results directories)")
    ("show-missing", po::bool_switch(&show_missing), "list references without a matching cell");
  // clang-format on
  po::variables_map vm;
  if (!parse_or_help("check", "--results DIR... --baselines FILE...", d, args, vm)) return 0;
  co.family = family.empty() ? study_name(dirs) : family;
  const auto agg = matrix::aggregate(matrix::load_results(dirs));
  std::vector<nlohmann::json> baselines;
  for (const auto& f : files) baselines.push_back(matrix::load_baseline_file(f));
  const auto rep = matrix::check(agg, baselines, co);

  std::printf("%-48s %-44s %-15s %10s %16s %9s %9s  %-7s %s\n", "reference", "cell", "metric", "reference", "measured",
              "band", "detects", "verdict", "paper 95% CI");
  for (const auto& r : rep.rows) {
    if (r.verdict == "missing") continue;
    const std::string paper_ci = r.paper_ci_inside ? (*r.paper_ci_inside ? "inside" : "outside") : "n/a";
    const std::string budgets = r.best_of.empty() ? ""
                                                  : " (better of " + std::to_string(r.best_of.size()) +
                                                        " budgets: " + r.chosen_epochs.dump() + " epochs)";
    std::printf("%-48s %-44s %-15s %10.4g %9.4g (n=%zu) %9.3g %9.3g  %-7s %s%s%s\n", r.id.c_str(), r.cell.c_str(),
                r.metric.c_str(), r.reference, r.measured->mean, r.measured->n, r.band, r.detectable_shift,
                r.verdict.c_str(), paper_ci.c_str(), budgets.c_str(), r.prior.empty() ? "" : " (sd prior)");
  }
  print_claims(rep);
  if (show_missing) {
    for (const auto& r : rep.rows)
      if (r.verdict == "missing") std::printf("%-48s missing: %s\n", r.id.c_str(), r.why.c_str());
    for (const auto& c : rep.claims)
      if (c.verdict == "missing") std::printf("%-48s missing: %s\n", c.id.c_str(), c.why.c_str());
  }
  std::printf("\ncheck: %zu pass, %zu fail, %zu missing (no matching cell%s)\n", rep.summary.pass, rep.summary.fail,
              rep.summary.missing, show_missing ? "" : "; --show-missing lists them");
  std::printf("claims: %zu supported, %zu contradicted, %zu inconclusive, %zu refused, %zu missing\n",
              rep.summary.supported, rep.summary.contradicted, rep.summary.inconclusive, rep.summary.refused,
              rep.summary.claims_missing);
  if (!report_path.empty()) {
    auto report = rep.to_json();
    report["results_dirs"] = dirs;
    report["baselines"] = files;
    report["generated"] = iso8601_now();
    write_json_atomic(report_path, report);
  }
  return rep.summary.fail > 0 ? 1 : 0;
}

}  // namespace nrs::cli
