// `nrsbench table`: the comparison table of a results directory, one block
// per dataset/model (and group), from the same aggregation as the leaderboard.
#include "suite/cli/cli_common.h"
#include "suite/matrix/aggregate.h"

#include <cmath>
#include <cstdio>

namespace nrs::cli {
namespace {

// printf of one number, "-" when there is none.
std::string fmt(const char* f, double v) {
  if (!std::isfinite(v)) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

}  // namespace

void print_table(const matrix::Aggregate& agg) {
  std::string board;
  bool any_step_cost = false;
  auto mean = [](const matrix::Stats& s) { return s.empty() ? std::nan("") : s.mean; };
  for (const auto& c : agg.cells) {
    const std::string b = matrix::board_key(c);
    if (b != board) {
      board = b;
      std::printf("\n%s\n  %-34s %3s %18s %9s %10s %8s %9s %9s %8s %12s\n", b.c_str(), "method", "n",
                  "test_acc mean±sd", "val_acc", "lambda_max", "lmax/l5", "trace", "img/s", "cost", "ep->target");
    }
    const auto& m = c.metrics;
    // The one-process step-cost ratio (marked *) where a report beside the
    // runs gives one: the runs' own timing may come from a loaded machine.
    const double cost = c.step_cost ? c.step_cost->ratio_to_sgd : c.cost_ratio_vs_sgd.value_or(std::nan(""));
    const std::string cost_text = fmt("%.2f", cost) + (c.step_cost ? "*" : "");
    any_step_cost = any_step_cost || c.step_cost.has_value();
    const std::string acc =
        m.test_acc.empty() ? "-" : fmt("%.4f", m.test_acc.mean) + " ± " + fmt("%.4f", m.test_acc.std);
    std::string note;
    if (c.diverged + c.failed > 0)
      note = "  (" + std::to_string(c.diverged) + " diverged, " + std::to_string(c.failed) + " failed)";
    // Epochs to reach SGD's mean final test accuracy: the median over all
    // seeds (one that never did counts as later than all), and how many did.
    std::string ttt = "-";
    if (const auto& t = c.time_to_target)
      ttt = (t->median_epochs ? fmt("%.1f", *t->median_epochs) : std::string("not reached")) + " (" +
            std::to_string(t->reached) + "/" + std::to_string(t->runs) + ")";
    std::printf("  %-34s %3zu %18s %9s %10s %8s %9s %9s %8s %12s%s\n", c.label.c_str(), c.ok, acc.c_str(),
                fmt("%.4f", mean(m.val_acc)).c_str(), fmt("%.4g", mean(m.lambda_max)).c_str(),
                fmt("%.3g", mean(m.lambda_max_over_lambda_5)).c_str(), fmt("%.4g", mean(m.trace)).c_str(),
                fmt("%.0f", mean(m.train_images_per_s)).c_str(), cost_text.c_str(), ttt.c_str(), note.c_str());
  }
  if (!agg.missing.empty()) std::printf("\n%zu cell-seeds of the protocol(s) have no result yet\n", agg.missing.size());
  std::printf(
      "\n(final-epoch accuracy; sd over seeds; lambda from the final model; cost = ms per step / SGD's;\n"
      " ep->target = epochs to first reach SGD's mean final test accuracy, median over all seeds, a seed that\n"
      " never did counting as the latest (reached/n); lambda_max = mean over the run's Hessian sample subsets)\n");
  if (any_step_cost)
    std::printf(
        " * cost from the step-cost report beside the results (one process, variants interleaved), not from\n"
        "   the runs' own timing\n");
}

int cmd_table(const std::vector<std::string>& args) {
  std::string dir;
  po::options_description d("table options");
  d.add_options()("results", po::value(&dir)->required(), "directory of results JSON files (searched recursively)");
  po::variables_map vm;
  if (!parse_or_help("table", "--results DIR", d, args, vm)) return 0;
  auto agg = matrix::aggregate(matrix::load_results(dir));
  if (agg.cells.empty()) throw UsageError("--results '" + dir + "': no results found");
  print_table(agg);
  return 0;
}

}  // namespace nrs::cli
