#include "suite/matrix/aggregate.h"
#include "suite/errors.h"
#include "suite/matrix/protocol.h"
#include "suite/results.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>

namespace nrs::matrix {
namespace fs = std::filesystem;
using nlohmann::json;

std::string board_key(const CellAggregate& c) {
  return c.dataset + " / " + c.model + (c.group.empty() ? "" : " / " + c.group) +
         (c.protocol.empty() ? "" : " (" + c.protocol + ")");
}

ResultSet load_results(const std::string& dir) {
  if (!fs::is_directory(dir)) throw std::invalid_argument("--results '" + dir + "': not a directory");
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file() && e.path().extension() == ".json") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  ResultSet rs;
  for (const auto& f : files) {
    const auto name = f.filename().string();
    if (name == "leaderboard.json" || name == "check.json") continue;
    json j;
    try {
      j = read_json_file(f.string());
    } catch (const std::exception& e) {
      throw std::invalid_argument(std::string(e.what()) +
                                  " (every *.json in a results directory must be an nrsbench result)");
    }
    if (j.is_object() && j.contains("kind") && j["kind"] == "nrsbench-protocol-manifest") {
      rs.manifests.push_back(read_manifest(j, f.string()));
      continue;
    }
    // A step-cost report kept beside a study (the per-step costs of its
    // verdict, measured in one process) is not a run.
    if (j.is_object() && j.contains("kind") && j["kind"] == "nrsbench-step-cost") {
      rs.step_costs.push_back(read_step_cost_report(j, fs::relative(f, dir).string()));
      continue;
    }
    if (!j.is_object() || !j.contains("config") || !j.contains("status") || !j.contains("seed"))
      throw std::invalid_argument(f.string() + ": not an nrsbench result (needs schema_version, config, seed, status)");
    try {
      j = upgrade_result(std::move(j));
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(f.string() + ": " + e.what());
    } catch (const json::exception& e) {
      throw InputError(f.string() + ": cannot be brought to the current schema (" + e.what() + ")");
    }
    auto rec = read_run_record(j, f.string());
    rec.file = fs::relative(f, dir).string();
    rs.runs.push_back(std::move(rec));
  }
  return rs;
}

const Stats* CellMetrics::find(const std::string& name) const {
  const std::pair<const char*, const Stats*> all[] = {{"test_acc", &test_acc},
                                                      {"test_loss", &test_loss},
                                                      {"val_acc", &val_acc},
                                                      {"train_loss", &train_loss},
                                                      {"lambda_max", &lambda_max},
                                                      {"lambda_max_sampling_sd", &lambda_max_sampling_sd},
                                                      {"lambda_max_over_lambda_5", &lambda_max_over_lambda_5},
                                                      {"trace", &trace},
                                                      {"train_images_per_s", &train_images_per_s},
                                                      {"ms_per_step", &ms_per_step},
                                                      {"wall_time_s", &wall_time_s}};
  for (const auto& [k, v] : all)
    if (name == k) return v;
  return nullptr;
}

json CellMetrics::to_json() const {
  json m = json::object();
  for (const char* k : {"test_acc", "test_loss", "val_acc", "train_loss", "lambda_max", "lambda_max_sampling_sd",
                        "lambda_max_over_lambda_5", "trace", "train_images_per_s", "ms_per_step", "wall_time_s"})
    m[k] = find(k)->to_json();
  return m;
}

json TimeToTarget::to_json() const {
  return {{"target_test_acc", target_test_acc},
          {"target", target},
          {"runs", runs},
          {"reached", reached},
          {"epochs", epochs.to_json()},
          {"steps", steps.to_json()},
          {"train_seconds", train_seconds.to_json()}};
}

const json& CellAggregate::config_field(const char* key) const {
  static const json null;
  return config.is_object() && config.contains(key) ? config[key] : null;
}

json CellAggregate::curve_block() const { return curve ? curve->to_json() : json(nullptr); }

json CellAggregate::density_block() const { return density ? density_json(*density) : json(nullptr); }

json CellAggregate::slices_block() const {
  if (slices.empty()) return nullptr;
  json sl = json::array();
  for (const auto& s : slices) sl.push_back(s.to_json());
  return sl;
}

json CellAggregate::time_to_target_block() const { return time_to_target ? time_to_target->to_json() : json(nullptr); }

json CellAggregate::step_cost_block() const { return step_cost ? step_cost->to_json() : json(nullptr); }

json CellAggregate::to_json() const {
  return {{"cell_id", cell_id},
          {"name", name},
          {"label", label},
          {"group", group},
          {"protocol", protocol},
          {"dataset", dataset},
          {"model", model},
          {"optimizer", optimizer},
          {"variant", variant},
          {"config", config},
          {"runs", runs},
          {"ok", ok},
          {"diverged", diverged},
          {"failed", failed},
          {"seeds", seeds},
          {"files", files},
          {"metrics", metrics.to_json()},
          {"curve", curve_block()},
          {"density", density_block()},
          {"slices", slices_block()},
          {"git_commits", git_commits},
          {"devices", devices},
          {"sgd_cell", sgd_cell ? json(*sgd_cell) : json(nullptr)},
          {"cost_ratio_vs_sgd", cost_ratio_vs_sgd ? json(*cost_ratio_vs_sgd) : json(nullptr)},
          {"step_cost", step_cost_block()},
          {"time_to_target", time_to_target_block()}};
}

const CellAggregate* Aggregate::find(const std::string& cell_id) const {
  for (const auto& c : cells)
    if (c.cell_id == cell_id) return &c;
  return nullptr;
}

json Aggregate::to_json() const {
  json cs = json::array(), ms = json::array();
  for (const auto& c : cells) cs.push_back(c.to_json());
  for (const auto& m : missing)
    ms.push_back({{"protocol", m.protocol}, {"cell", m.cell}, {"cell_id", m.cell_id}, {"seed", m.seed}});
  return {{"cells", cs}, {"missing", ms}};
}

namespace {

TimeToTarget time_to_target(const std::vector<const RunRecord*>& runs, double target, const std::string& source) {
  std::vector<double> epochs, steps, seconds;
  size_t ok = 0;
  for (const RunRecord* r : runs) {
    if (!r->ok() || !r->has_history) continue;
    ++ok;
    const double n_epochs = static_cast<double>(r->history.size());
    const double steps_per_epoch = n_epochs > 0 ? r->steps / n_epochs : std::nan("");
    double t = 0.0;
    for (const auto& e : r->history) {
      if (std::isfinite(e.epoch_time_s)) t += e.epoch_time_s;
      if (e.test_acc >= target && std::isfinite(e.epoch)) {
        epochs.push_back(e.epoch);
        steps.push_back(e.epoch * steps_per_epoch);
        seconds.push_back(t);
        break;
      }
    }
  }
  TimeToTarget tt;
  tt.target_test_acc = target;
  tt.target = source;
  tt.runs = ok;
  tt.reached = epochs.size();
  tt.epochs = summarize(epochs);
  tt.steps = summarize(steps);
  tt.train_seconds = summarize(seconds);
  return tt;
}

// Cells that share dataset, model, group, protocol, batch size, device and
// precision: their step costs and accuracies compare.
bool same_setting(const CellAggregate& a, const CellAggregate& b) {
  if (a.dataset != b.dataset || a.model != b.model || a.group != b.group || a.protocol != b.protocol) return false;
  for (const char* k : {"batch_size", "device", "precision", "channels_last"})
    if (a.config_field(k) != b.config_field(k)) return false;
  return true;
}

}  // namespace

Aggregate aggregate(const ResultSet& rs) {
  std::map<std::string, std::vector<const RunRecord*>> groups;
  std::vector<std::string> order;
  for (const auto& r : rs.runs) {
    if (!groups.count(r.cell_id)) order.push_back(r.cell_id);
    groups[r.cell_id].push_back(&r);
  }
  Aggregate agg;
  for (const auto& id : order) {
    const auto& runs = groups[id];
    const RunRecord& first = *runs.front();
    CellAggregate c;
    c.cell_id = id;
    c.name = first.cell_name;
    c.label = first.label;
    c.group = first.group;
    c.protocol = first.protocol;
    c.dataset = first.dataset;
    c.model = first.model;
    c.optimizer = first.optimizer;
    c.variant = first.variant;
    c.config = first.config;
    c.config.erase("seed");
    c.runs = runs.size();
    struct Values {
      std::vector<double> test_acc, test_loss, val_acc, train_loss, lambda_max, lambda_max_sampling_sd,
          lambda_max_over_lambda_5, trace, train_images_per_s, ms_per_step, wall_time_s;
    } v;
    for (const RunRecord* r : runs) {
      for (auto s : c.seeds)
        if (s == r->seed)
          throw std::invalid_argument(r->file + ": a second result for cell " + id + " seed " +
                                      std::to_string(r->seed) + " in the same directory");
      c.seeds.push_back(r->seed);
      c.files.push_back(r->file);
      c.git_commits.insert(r->git_commit);
      c.devices.insert(r->device);
      if (r->status == "diverged") ++c.diverged;
      if (r->status == "failed") ++c.failed;
      if (!r->ok()) continue;
      ++c.ok;
      auto add = [](std::vector<double>& to, double x) {
        if (std::isfinite(x)) to.push_back(x);
      };
      add(v.test_acc, r->test_acc);
      add(v.test_loss, r->test_loss);
      add(v.val_acc, r->val_acc);
      add(v.train_loss, r->train_loss);
      add(v.lambda_max, r->lambda_max);
      add(v.lambda_max_sampling_sd, r->lambda_max_sampling_sd);
      add(v.lambda_max_over_lambda_5, r->lambda_max_over_lambda_5);
      add(v.trace, r->trace);
      add(v.train_images_per_s, r->train_images_per_s);
      add(v.ms_per_step, r->ms_per_step);
      add(v.wall_time_s, r->wall_time_s);
    }
    auto& m = c.metrics;
    m.test_acc = summarize(v.test_acc);
    m.test_loss = summarize(v.test_loss);
    m.val_acc = summarize(v.val_acc);
    m.train_loss = summarize(v.train_loss);
    m.lambda_max = summarize(v.lambda_max);
    m.lambda_max_sampling_sd = summarize(v.lambda_max_sampling_sd);
    m.lambda_max_over_lambda_5 = summarize(v.lambda_max_over_lambda_5);
    m.trace = summarize(v.trace);
    m.train_images_per_s = summarize(v.train_images_per_s);
    m.ms_per_step = summarize(v.ms_per_step);
    m.wall_time_s = summarize(v.wall_time_s);
    c.curve = test_acc_curve(runs);
    c.density = density_curve(runs);
    c.slices = slice_curves(runs);
    agg.cells.push_back(std::move(c));
  }
  // Cost ratio: ms per step over that of the SGD cell with the same setting
  // (the one with most finished runs when several match, e.g. in a sweep).
  for (auto& c : agg.cells) {
    const CellAggregate* best = nullptr;
    for (const auto& s : agg.cells)
      if (s.optimizer == "sgd" && same_setting(c, s) && (!best || s.ok > best->ok)) best = &s;
    if (!best) continue;
    c.sgd_cell = best->cell_id;
    if (!c.metrics.ms_per_step.empty() && !best->metrics.ms_per_step.empty())
      c.cost_ratio_vs_sgd = c.metrics.ms_per_step.mean / best->metrics.ms_per_step.mean;
  }
  for (auto& c : agg.cells) c.step_cost = match_step_cost(rs.step_costs, c.config, c.model, c.variant);
  // Time to target: per run, the first epoch whose test accuracy reaches the
  // SGD cell's mean final test accuracy, with the steps and training seconds
  // spent until then. A method that costs 2x per step but needs half the
  // epochs shows here, not in the cost ratio.
  for (auto& c : agg.cells) {
    const CellAggregate* sgd = c.sgd_cell ? agg.find(*c.sgd_cell) : nullptr;
    if (!sgd || sgd->metrics.test_acc.empty()) continue;
    c.time_to_target =
        time_to_target(groups[c.cell_id], sgd->metrics.test_acc.mean, "mean final test_acc of SGD cell " + sgd->name);
  }
  // Cells and seeds a manifest lists but the directory lacks.
  for (const auto& mf : rs.manifests)
    for (const auto& mc : mf.cells) {
      const CellAggregate* have = agg.find(mc.id);
      for (const auto s : mf.seeds)
        if (!have || std::find(have->seeds.begin(), have->seeds.end(), s) == have->seeds.end())
          agg.missing.push_back({mf.name, mc.name, mc.id, s});
    }
  return agg;
}

}  // namespace nrs::matrix
