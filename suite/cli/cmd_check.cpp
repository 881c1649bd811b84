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
  auto report = matrix::check(agg, baselines, co);
  report["results_dir"] = dir;
  report["baselines"] = files;
  report["generated"] = iso8601_now();

  std::printf("%-48s %-44s %-15s %10s %16s %9s  %-7s %s\n", "reference", "cell", "metric", "reference", "measured",
              "band", "verdict", "paper 95% CI");
  for (const auto& r : report["rows"]) {
    if (r["verdict"] == "missing") continue;
    const auto& m = r["measured"];
    std::printf("%-48s %-44s %-15s %10.4g %9.4g (n=%d) %9.3g  %-7s %s%s\n", r["id"].get<std::string>().c_str(),
                r["cell"].get<std::string>().c_str(), r["metric"].get<std::string>().c_str(),
                r["reference"].get<double>(), m["mean"].get<double>(), m["n"].get<int>(), r["band"].get<double>(),
                r["verdict"].get<std::string>().c_str(), r.value("verdict_paper_ci", "n/a").c_str(),
                r.contains("chosen_epochs") ? (" (better of " + std::to_string(r["best_of"].size()) +
                                               " budgets: " + r["chosen_epochs"].dump() + " epochs)")
                                                  .c_str()
                                            : "");
  }
  for (const auto& c : report["claims"]) {
    if (c["verdict"] == "missing") continue;
    const auto& sig = c["significant"];
    std::printf("%-48s %-44s %-15s  nrs %.4g vs sgd %.4g (tol %.3g, difference %s)  %s\n",
                c["id"].get<std::string>().c_str(), c["cell"].get<std::string>().c_str(),
                c["metric"].get<std::string>().c_str(), c["nrs"]["mean"].get<double>(), c["sgd"]["mean"].get<double>(),
                c["tol"].get<double>(),
                sig.is_null()     ? "untested: 1 run"
                : sig.get<bool>() ? "beyond seed noise"
                                  : "within seed noise",
                c["verdict"].get<std::string>().c_str());
  }
  if (show_missing)
    for (const auto& list : {"rows", "claims"})
      for (const auto& r : report[list])
        if (r["verdict"] == "missing")
          std::printf("%-48s missing: %s\n", r["id"].get<std::string>().c_str(), r["why"].get<std::string>().c_str());
  const auto& s = report["summary"];
  std::printf("\ncheck: %d pass, %d fail, %d missing (no matching cell%s)\n", s["pass"].get<int>(),
              s["fail"].get<int>(), s["missing"].get<int>(), show_missing ? "" : "; --show-missing lists them");
  if (!report_path.empty()) write_json_atomic(report_path, report);
  return s["fail"].get<int>() > 0 ? 1 : 0;
}

}  // namespace nrs::cli
