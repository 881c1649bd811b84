#include "suite/matrix/leaderboard.h"
#include "suite/build_info.h"
#include "suite/matrix/aggregate.h"
#include "suite/matrix/svg_chart.h"
#include "suite/results.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace nrs::matrix {
using nlohmann::json;

namespace {

json mean_or_null(const json& metrics, const char* k) {
  return metrics.contains(k) && metrics[k].is_object() ? metrics[k]["mean"] : json(nullptr);
}

}  // namespace

std::string html_escape(const std::string& s) { return svg::escape(s); }

json make_leaderboard(const json& agg, const json& report, const std::string& title, const std::string& results_dir) {
  std::map<std::string, json> boards;
  std::vector<std::string> order;
  for (const auto& c : agg["cells"]) {
    const std::string key = board_key(c);
    if (!boards.count(key)) {
      order.push_back(key);
      boards[key] = {{"board", key},
                     {"dataset", c["dataset"]},
                     {"model", c["model"]},
                     {"group", c["group"]},
                     {"protocol", c["protocol"]},
                     {"methods", json::array()},
                     {"reported", json::array()},
                     {"claims", json::array()}};
    }
    const auto& m = c["metrics"];
    json acc =
        m["test_acc"].is_object()
            ? json{{"mean", m["test_acc"]["mean"]}, {"std", m["test_acc"]["std"]}, {"ci95", m["test_acc"]["ci95"]}}
            : json(nullptr);
    boards[key]["methods"].push_back(
        {{"label", c["label"]},
         {"variant", c["variant"]},
         {"optimizer", c["optimizer"]},
         {"cell_id", c["cell_id"]},
         {"runs", c["runs"]},
         {"ok", c["ok"]},
         {"diverged", c["diverged"]},
         {"failed", c["failed"]},
         {"test_acc", acc},
         {"val_acc", mean_or_null(m, "val_acc")},
         {"lambda_max", m["lambda_max"].is_object() ? json{{"mean", m["lambda_max"]["mean"]},
                                                           {"std", m["lambda_max"]["std"]},
                                                           {"ci95", m["lambda_max"]["ci95"]},
                                                           {"sampling_sd", mean_or_null(m, "lambda_max_sampling_sd")}}
                                                    : json(nullptr)},
         {"lambda_max_over_lambda_5", mean_or_null(m, "lambda_max_over_lambda_5")},
         {"trace", mean_or_null(m, "trace")},
         {"train_images_per_s", mean_or_null(m, "train_images_per_s")},
         {"ms_per_step", mean_or_null(m, "ms_per_step")},
         {"cost_ratio_vs_sgd", c["cost_ratio_vs_sgd"]},
         {"time_to_target", c.value("time_to_target", json(nullptr))},
         {"epochs", c["config"]["epochs"]},
         {"devices", c["devices"]},
         {"git_commits", c["git_commits"]},
         {"curve", c.value("curve", json(nullptr))},
         {"density", c.value("density", json(nullptr))},
         {"slices", c.value("slices", json(nullptr))}});
  }
  auto board_of_cell = [&](const json& cell_id) -> json* {
    for (auto& [k, b] : boards)
      for (const auto& m : b["methods"])
        if (m["cell_id"] == cell_id) return &b;
    return nullptr;
  };
  json unmatched = {{"missing", 0}};
  if (!report.is_null()) {
    for (const auto& r : report["rows"]) {
      if (r["verdict"] == "missing") {
        unmatched["missing"] = unmatched["missing"].get<int>() + 1;
        continue;
      }
      if (json* b = board_of_cell(r["cell_id"]))
        (*b)["reported"].push_back({{"id", r["id"]},
                                    {"kind", r["kind"]},
                                    {"cell", r["cell"]},
                                    {"metric", r["metric"]},
                                    {"reported", r["reference"]},
                                    {"reported_ci95", r["reference_ci95"]},
                                    {"measured", r["measured"]},
                                    {"verdict", r["verdict"]},
                                    {"rule", r["rule"]},
                                    {"verdict_paper_ci", r.value("verdict_paper_ci", json(nullptr))},
                                    {"selection", r.value("selection", json(nullptr))},
                                    {"citation", r["citation"]}});
    }
    for (const auto& c : report["claims"]) {
      if (c["verdict"] == "missing") continue;
      for (auto& [k, b] : boards) {
        bool here = false;
        for (const auto& cell : agg["cells"])
          if (cell["name"] == c["cell"])
            for (const auto& m : b["methods"]) here = here || m["cell_id"] == cell["cell_id"];
        if (here) b["claims"].push_back(c);
      }
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
          {"check_summary", report.is_null() ? json(nullptr) : report["summary"]},
          {"references_without_a_matching_cell", unmatched["missing"]},
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
