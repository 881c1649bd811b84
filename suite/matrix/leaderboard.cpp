#include "suite/matrix/leaderboard.h"
#include "suite/build_info.h"
#include "suite/matrix/aggregate.h"
#include "suite/matrix/svg_chart.h"
#include "suite/results.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

namespace nrs::matrix {
using nlohmann::json;

namespace {

json mean_or_null(const Stats& s) { return s.empty() ? json(nullptr) : json(s.mean); }

json mean_sd_ci(const Stats& s) {
  return s.empty() ? json(nullptr) : json{{"mean", s.mean}, {"std", s.std}, {"ci95", s.to_json()["ci95"]}};
}

json method_json(const CellAggregate& c) {
  const auto& m = c.metrics;
  json lambda = mean_sd_ci(m.lambda_max);
  if (!lambda.is_null()) lambda["sampling_sd"] = mean_or_null(m.lambda_max_sampling_sd);
  return {{"label", c.label},
          {"variant", c.variant},
          {"optimizer", c.optimizer},
          {"cell_id", c.cell_id},
          {"runs", c.runs},
          {"ok", c.ok},
          {"diverged", c.diverged},
          {"failed", c.failed},
          {"test_acc", mean_sd_ci(m.test_acc)},
          {"val_acc", mean_or_null(m.val_acc)},
          {"lambda_max", lambda},
          {"lambda_max_over_lambda_5", mean_or_null(m.lambda_max_over_lambda_5)},
          {"trace", mean_or_null(m.trace)},
          {"train_images_per_s", mean_or_null(m.train_images_per_s)},
          {"ms_per_step", mean_or_null(m.ms_per_step)},
          {"cost_ratio_vs_sgd", c.cost_ratio_vs_sgd ? json(*c.cost_ratio_vs_sgd) : json(nullptr)},
          {"step_cost", c.step_cost_block()},
          {"time_to_target", c.time_to_target_block()},
          {"epochs", c.config_field("epochs")},
          {"devices", c.devices},
          {"git_commits", c.git_commits},
          {"curve", c.curve_block()},
          {"density", c.density_block()},
          {"slices", c.slices_block()}};
}

}  // namespace

std::string html_escape(const std::string& s) { return svg::escape(s); }

json make_leaderboard(const Aggregate& agg, const CheckReport* report, const std::string& title,
                      const std::string& results_dir) {
  std::map<std::string, json> boards;
  std::map<std::string, std::string> board_of_cell;  // cell id -> board key
  std::vector<std::string> order;
  for (const auto& c : agg.cells) {
    const std::string key = board_key(c);
    if (!boards.count(key)) {
      order.push_back(key);
      boards[key] = {
          {"board", key},           {"dataset", c.dataset},     {"model", c.model},          {"group", c.group},
          {"protocol", c.protocol}, {"methods", json::array()}, {"reported", json::array()}, {"claims", json::array()}};
    }
    boards[key]["methods"].push_back(method_json(c));
    board_of_cell[c.cell_id] = key;
  }
  size_t unmatched = 0;
  if (report) {
    for (const auto& r : report->rows) {
      if (r.verdict == "missing") {
        ++unmatched;
        continue;
      }
      const auto b = board_of_cell.find(r.cell_id);
      if (b == board_of_cell.end()) continue;
      const auto row = r.to_json();
      boards[b->second]["reported"].push_back({{"id", r.id},
                                               {"kind", r.kind},
                                               {"cell", r.cell},
                                               {"metric", r.metric},
                                               {"reported", r.reference},
                                               {"reported_ci95", r.reference_ci95},
                                               {"measured", row["measured"]},
                                               {"verdict", r.verdict},
                                               {"rule", r.rule},
                                               {"verdict_paper_ci", row.value("verdict_paper_ci", json(nullptr))},
                                               {"selection", row.value("selection", json(nullptr))},
                                               {"citation", r.citation}});
    }
    // A claim goes on every board holding a cell of its NRS cell's name.
    for (const auto& c : report->claims) {
      if (c.verdict == "missing") continue;
      std::set<std::string> keys;
      for (const auto& cell : agg.cells)
        if (cell.name == c.cell) keys.insert(board_of_cell[cell.cell_id]);
      for (const auto& k : keys) boards[k]["claims"].push_back(c.to_json());
    }
  }
  json out = json::array();
  for (const auto& k : order) {
    auto b = boards[k];
    auto& ms = b["methods"];
    std::vector<json> v(ms.begin(), ms.end());
    std::stable_sort(v.begin(), v.end(), [](const json& a, const json& c) {
      const double x = a["test_acc"].is_object() ? a["test_acc"]["mean"].get<double>() : -1.0;
      const double y = c["test_acc"].is_object() ? c["test_acc"]["mean"].get<double>() : -1.0;
      return x > y;
    });
    for (size_t i = 0; i < v.size(); ++i) v[i]["rank"] = i + 1;
    b["methods"] = v;
    out.push_back(b);
  }
  return {{"kind", "nrsbench-leaderboard"},
          {"title", title},
          {"generated", iso8601_now()},
          {"suite_version", suite_version()},
          {"git_commit", git_commit()},
          {"results_dir", results_dir},
          {"boards", out},
          {"check_summary", report ? report->summary_json() : json(nullptr)},
          {"references_without_a_matching_cell", unmatched},
          {"notes",
           {"Accuracy: final-epoch test accuracy, mean +- sample std over seeds (95% CI in the JSON).",
            "lambda: top Hessian eigenvalue of the final model (Lanczos), cost: ms per step / SGD ms per step of the "
            "same setting.",
            "to target: epochs and training seconds until the test accuracy first reached the SGD cell's mean final "
            "test accuracy (mean over the seeds that reached it; reached/runs).",
            "Reported numbers come from the cited sources; measured numbers from the runs in results_dir. They are "
            "never mixed."}}};
}

}  // namespace nrs::matrix
