// `nrsbench leaderboard`: leaderboard.json and a self-contained
// leaderboard.html from a results directory (and, optionally, baselines).
#include "suite/cli/cli_common.h"
#include "suite/io/results.h"
#include "suite/matrix/aggregate.h"
#include "suite/matrix/check.h"
#include "suite/matrix/leaderboard.h"

#include <cstdio>
#include <filesystem>
#include <optional>

namespace nrs::cli {

void print_table(const matrix::Aggregate& agg);

int cmd_leaderboard(const std::vector<std::string>& args) {
  std::string out, title = "nrsbench leaderboard", rank_by = "test_acc";
  std::vector<std::string> dirs, files;
  po::options_description d("leaderboard options");
  // clang-format off
  d.add_options()
    ("results", po::value(&dirs)->multitoken()->required(),
     "results directories; several form one study (its claims are one family)")
    ("baselines", po::value(&files)->multitoken(), "baseline files: their numbers appear as reported vs measured")
    ("out", po::value(&out), "output directory (default: the results directory)")
    ("title", po::value(&title)->default_value(title), "page title")
    ("rank-by", po::value(&rank_by)->default_value(rank_by),
     "the metric boards rank by: test_acc, or a sweep's selection metric (val_acc)");
  // clang-format on
  po::variables_map vm;
  if (!parse_or_help("leaderboard", "--results DIR... [--baselines FILE...] [--out DIR]", d, args, vm)) return 0;
  const std::string dir = dirs.front();
  const std::string family = study_name(dirs);
  const auto agg = matrix::aggregate(matrix::load_results(dirs));
  if (agg.cells.empty()) throw UsageError("--results '" + dir + "': no results found");
  std::optional<matrix::CheckReport> report;
  if (!files.empty()) {
    std::vector<nlohmann::json> baselines;
    for (const auto& f : files) baselines.push_back(matrix::load_baseline_file(f));
    matrix::CheckOptions co;
    co.family = family;
    report = matrix::check(agg, baselines, co);
  }
  auto lb = matrix::make_leaderboard(agg, report ? &*report : nullptr, title, family, rank_by);
  lb.baselines = files;
  lb.results_dirs = dirs;  // with baselines, title and rank_by: the command that remakes this page
  if (out.empty()) out = dir;
  std::filesystem::create_directories(out);
  const auto json_path = (std::filesystem::path(out) / "leaderboard.json").string();
  const auto html_path = (std::filesystem::path(out) / "leaderboard.html").string();
  write_json_atomic(json_path, lb.to_json());
  write_text_atomic(html_path, matrix::render_html(lb));
  print_table(agg);
  std::printf("\nleaderboard: %s\n             %s\n", json_path.c_str(), html_path.c_str());
  return 0;
}

}  // namespace nrs::cli
