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

void print_table(const nlohmann::json& agg) {
  std::string board;
  auto mean = [](const nlohmann::json& m, const char* k) {
    return m.contains(k) && m[k].is_object() ? m[k]["mean"].get<double>() : std::nan("");
  };
  for (const auto& c : agg["cells"]) {
    const std::string b = matrix::board_key(c);
    if (b != board) {
      board = b;
      std::printf("\n%s\n  %-34s %3s %18s %9s %10s %8s %9s %9s %8s %12s\n", b.c_str(), "method", "n",
                  "test_acc mean±sd", "val_acc", "lambda_max", "lmax/l5", "trace", "img/s", "cost", "ep->target");
    }
    const auto& m = c["metrics"];
    const bool has_acc = m["test_acc"].is_object();
    const double cost = c["cost_ratio_vs_sgd"].is_number() ? c["cost_ratio_vs_sgd"].get<double>() : std::nan("");
    const std::string acc = has_acc ? fmt("%.4f", m["test_acc"]["mean"].get<double>()) + " ± " +
                                          fmt("%.4f", m["test_acc"]["std"].get<double>())
                                    : "-";
    std::string note;
    if (c["diverged"].get<int>() + c["failed"].get<int>() > 0)
      note = "  (" + std::to_string(c["diverged"].get<int>()) + " diverged, " + std::to_string(c["failed"].get<int>()) +
             " failed)";
    // Epochs to reach SGD's mean final test accuracy: mean over the seeds
    // that reached it, and how many did.
    std::string ttt = "-";
    if (c.contains("time_to_target") && c["time_to_target"].is_object()) {
      const auto& t = c["time_to_target"];
      ttt = (t["epochs"].is_object() ? fmt("%.1f", t["epochs"]["mean"].get<double>()) : "never") + " (" +
            std::to_string(t["reached"].get<int>()) + "/" + std::to_string(t["runs"].get<int>()) + ")";
    }
    std::printf("  %-34s %3d %18s %9s %10s %8s %9s %9s %8s %12s%s\n", c["label"].get<std::string>().c_str(),
                c["ok"].get<int>(), acc.c_str(), fmt("%.4f", mean(m, "val_acc")).c_str(),
                fmt("%.4g", mean(m, "lambda_max")).c_str(), fmt("%.3g", mean(m, "lambda_max_over_lambda_5")).c_str(),
                fmt("%.4g", mean(m, "trace")).c_str(), fmt("%.0f", mean(m, "train_images_per_s")).c_str(),
                fmt("%.2f", cost).c_str(), ttt.c_str(), note.c_str());
  }
  if (!agg["missing"].empty())
    std::printf("\n%zu cell-seeds of the protocol(s) have no result yet\n", agg["missing"].size());
  std::printf(
      "\n(final-epoch accuracy; sd over seeds; lambda from the final model; cost = ms per step / SGD's;\n"
      " ep->target = epochs to first reach SGD's mean final test accuracy, mean over the seeds that did "
      "(reached/n))\n");
}

int cmd_table(const std::vector<std::string>& args) {
  std::string dir;
  po::options_description d("table options");
  d.add_options()("results", po::value(&dir)->required(), "directory of results JSON files (searched recursively)");
  po::variables_map vm;
  if (!parse_or_help("table", "--results DIR", d, args, vm)) return 0;
  auto agg = matrix::aggregate(matrix::load_results(dir));
  if (agg["cells"].empty()) throw UsageError("--results '" + dir + "': no results found");
  print_table(agg);
  return 0;
}

}  // namespace nrs::cli
