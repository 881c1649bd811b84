#include "suite/matrix/leaderboard_model.h"

namespace nrs::matrix {
using nlohmann::json;

namespace {

template <typename T>
json or_null(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

template <typename T>
json block_or_null(const std::optional<T>& v) {
  return v ? v->to_json() : json(nullptr);
}

std::optional<double> mean_of(const Stats& s) { return s.empty() ? std::nullopt : std::optional<double>(s.mean); }

}  // namespace

std::optional<Estimate> Estimate::of(const Stats& s) {
  if (s.empty()) return std::nullopt;
  Estimate e;
  e.mean = s.mean;
  e.std = s.std;
  if (s.n > 1) e.ci95 = s.ci95;
  return e;
}

json Estimate::to_json() const { return {{"mean", mean}, {"std", std}, {"ci95", or_null(ci95)}}; }

json LambdaEstimate::to_json() const {
  json j = over_seeds.to_json();
  j["sampling_sd"] = or_null(sampling_sd);
  if (spread) j["spread"] = spread->to_json();
  return j;
}

MethodEntry MethodEntry::of(const CellAggregate& c) {
  const auto& m = c.metrics;
  MethodEntry e;
  e.label = c.label;
  e.variant = c.variant;
  e.optimizer = c.optimizer;
  e.cell_id = c.cell_id;
  e.runs = c.runs;
  e.ok = c.ok;
  e.diverged = c.diverged;
  e.failed = c.failed;
  e.test_acc = Estimate::of(m.test_acc);
  e.val_acc = Estimate::of(m.val_acc);
  if (auto l = Estimate::of(m.lambda_max))
    e.lambda_max = LambdaEstimate{*l, mean_of(m.lambda_max_sampling_sd), c.lambda_spread};
  e.lambda_max_over_lambda_5 = mean_of(m.lambda_max_over_lambda_5);
  e.trace = mean_of(m.trace);
  e.train_images_per_s = mean_of(m.train_images_per_s);
  e.ms_per_step = mean_of(m.ms_per_step);
  e.cost_ratio_vs_sgd = c.cost_ratio_vs_sgd;
  e.step_cost = c.step_cost;
  e.time_to_target = c.time_to_target;
  e.epochs = c.config_field("epochs");
  e.devices = c.devices;
  e.git_commits = c.git_commits;
  e.curve = c.curve;
  e.density = c.density;
  e.slices = c.slices;
  return e;
}

json MethodEntry::to_json() const {
  return {{"label", label},
          {"variant", variant},
          {"optimizer", optimizer},
          {"cell_id", cell_id},
          {"runs", runs},
          {"ok", ok},
          {"diverged", diverged},
          {"failed", failed},
          {"test_acc", block_or_null(test_acc)},
          {"val_acc", val_acc ? json(val_acc->mean) : json(nullptr)},
          {"val_acc_stats", block_or_null(val_acc)},
          {"lambda_max", block_or_null(lambda_max)},
          {"lambda_max_over_lambda_5", or_null(lambda_max_over_lambda_5)},
          {"trace", or_null(trace)},
          {"train_images_per_s", or_null(train_images_per_s)},
          {"ms_per_step", or_null(ms_per_step)},
          {"cost_ratio_vs_sgd", or_null(cost_ratio_vs_sgd)},
          {"step_cost", block_or_null(step_cost)},
          {"time_to_target", block_or_null(time_to_target)},
          {"epochs", epochs},
          {"devices", devices},
          {"git_commits", git_commits},
          {"curve", block_or_null(curve)},
          {"density", density ? density_json(*density) : json(nullptr)},
          {"slices", slices_json(slices)},
          {"rank", rank},
          {"tied", tied}};
}

json ReportedEntry::to_json() const {
  const json full = row.to_json();
  return {{"id", row.id},
          {"kind", row.kind},
          {"cell", row.cell},
          {"metric", row.metric},
          {"reported", row.reference},
          {"reported_ci95", row.reference_ci95},
          {"measured", full["measured"]},
          {"verdict", row.verdict},
          {"rule", row.rule},
          {"verdict_paper_ci", full.value("verdict_paper_ci", json(nullptr))},
          {"selection", full.value("selection", json(nullptr))},
          {"citation", row.citation}};
}

json Board::to_json() const {
  json ms = json::array(), rs = json::array(), cs = json::array();
  for (const auto& m : methods) ms.push_back(m.to_json());
  for (const auto& r : reported) rs.push_back(r.to_json());
  for (const auto& c : claims) cs.push_back(c.to_json());
  return {{"board", board},       {"dataset", dataset}, {"model", model}, {"group", group},
          {"protocol", protocol}, {"methods", ms},      {"reported", rs}, {"claims", cs}};
}

json Leaderboard::to_json() const {
  json bs = json::array();
  for (const auto& b : boards) bs.push_back(b.to_json());
  return {{"kind", "nrsbench-leaderboard"},
          {"title", title},
          {"generated", generated},
          {"suite_version", suite_version},
          {"git_commit", git_commit},
          {"results_dir", results_dir},
          {"results_dirs", results_dirs},
          {"baselines", baselines},
          {"rank_by", rank_by},
          {"rank_rule", rank_rule},
          {"boards", bs},
          {"check_summary", block_or_null(check_summary)},
          {"references_without_a_matching_cell", references_without_a_matching_cell},
          {"notes", notes}};
}

}  // namespace nrs::matrix
