#include "suite/matrix/aggregate.h"
#include "suite/core/errors.h"
#include "suite/io/results.h"
#include "suite/matrix/protocol.h"

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
    if (check_digest(j) == DigestCheck::kDiffers)
      throw InputError(f.string() +
                       ": its digest does not match its content (edited after it was written?); a deliberate "
                       "change is re-stamped by nrsbench migrate-ids");
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

ResultSet load_results(const std::vector<std::string>& dirs) {
  if (dirs.size() == 1) return load_results(dirs.front());
  ResultSet all;
  for (const auto& d : dirs) {
    auto rs = load_results(d);
    const std::string prefix = fs::path(d).lexically_normal().filename().string();
    for (auto& r : rs.runs) {
      r.file = prefix + "/" + r.file;
      all.runs.push_back(std::move(r));
    }
    for (auto& m : rs.manifests) all.manifests.push_back(std::move(m));
    for (auto& c : rs.step_costs) {
      c.file = prefix + "/" + c.file;
      all.step_costs.push_back(std::move(c));
    }
  }
  return all;
}

const Stats* CellMetrics::find(const std::string& name) const {
  const std::pair<const char*, const Stats*> all[] = {{"test_acc", &test_acc},
                                                      {"test_loss", &test_loss},
                                                      {"val_acc", &val_acc},
                                                      {"train_loss", &train_loss},
                                                      {"train_eval_acc", &train_eval_acc},
                                                      {"lambda_max", &lambda_max},
                                                      {"lambda_max_first_subset", &lambda_max_first_subset},
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
  for (const char* k : {"test_acc", "test_loss", "val_acc", "train_loss", "train_eval_acc", "lambda_max",
                        "lambda_max_first_subset", "lambda_max_sampling_sd", "lambda_max_over_lambda_5", "trace",
                        "train_images_per_s", "ms_per_step", "wall_time_s"})
    m[k] = find(k)->to_json();
  return m;
}

std::optional<double> censored_median(const std::vector<std::optional<double>>& v) {
  if (v.empty()) return std::nullopt;
  std::vector<double> x;
  for (const auto& e : v) x.push_back(e ? *e : INFINITY);
  std::sort(x.begin(), x.end());
  const size_t n = x.size();
  const double m = n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
  if (!std::isfinite(m)) return std::nullopt;
  return m;
}

json TimeToTarget::to_json() const {
  auto list = [](const std::vector<std::optional<double>>& v) {
    json a = json::array();
    for (const auto& e : v) a.push_back(e ? json(*e) : json(nullptr));
    return a;
  };
  auto med = [](const std::optional<double>& m) { return m ? json(*m) : json("not reached"); };
  return {{"target_test_acc", target_test_acc},
          {"target", target},
          {"runs", runs},
          {"reached", reached},
          {"median_epochs", med(median_epochs)},
          {"median_steps", med(median_steps)},
          {"median_train_seconds", med(median_train_seconds)},
          {"epochs", list(epochs)},
          {"steps", list(steps)},
          {"train_seconds", list(train_seconds)}};
}

json LambdaSpread::to_json() const {
  return {{"subsets", subsets}, {"total_sd", total_sd}, {"sampling_sd", sampling_sd}, {"seed_sd", seed_sd}};
}

const json& CellAggregate::config_field(const char* key) const {
  static const json null;
  return config.is_object() && config.contains(key) ? config[key] : null;
}

json CellAggregate::curve_block() const { return curve ? curve->to_json() : json(nullptr); }

json CellAggregate::density_block() const { return density ? density_json(*density) : json(nullptr); }

json CellAggregate::slices_block() const { return slices_json(slices); }

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
          {"time_to_target", time_to_target_block()},
          {"lambda_max_spread", lambda_spread ? lambda_spread->to_json() : json(nullptr)}};
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
  TimeToTarget tt;
  tt.target_test_acc = target;
  tt.target = source;
  for (const RunRecord* r : runs) {
    if (!r->ok() || !r->has_history) continue;
    ++tt.runs;
    const double n_epochs = static_cast<double>(r->history.size());
    const double steps_per_epoch = n_epochs > 0 ? r->steps / n_epochs : std::nan("");
    double t = 0.0;
    std::optional<double> epoch, steps, seconds;
    for (const auto& e : r->history) {
      if (std::isfinite(e.epoch_time_s)) t += e.epoch_time_s;
      if (e.test_acc >= target && std::isfinite(e.epoch)) {
        epoch = e.epoch;
        steps = e.epoch * steps_per_epoch;
        seconds = t;
        break;
      }
    }
    tt.reached += epoch.has_value();
    tt.epochs.push_back(epoch);
    tt.steps.push_back(steps);
    tt.train_seconds.push_back(seconds);
  }
  tt.median_epochs = censored_median(tt.epochs);
  tt.median_steps = censored_median(tt.steps);
  tt.median_train_seconds = censored_median(tt.train_seconds);
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
      std::vector<double> test_acc, test_loss, val_acc, train_loss, train_eval_acc, lambda_max, lambda_max_first_subset,
          lambda_max_sampling_sd, lambda_max_subsets, lambda_max_over_lambda_5, trace, train_images_per_s, ms_per_step,
          wall_time_s;
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
      add(v.train_eval_acc, r->train_eval_acc);
      add(v.lambda_max, r->lambda_max);
      add(v.lambda_max_first_subset, r->lambda_max_first_subset);
      add(v.lambda_max_subsets, r->lambda_max_subsets);
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
    m.train_eval_acc = summarize(v.train_eval_acc);
    m.lambda_max = summarize(v.lambda_max);
    m.lambda_max_first_subset = summarize(v.lambda_max_first_subset);
    m.lambda_max_sampling_sd = summarize(v.lambda_max_sampling_sd);
    // Seed and sampling parts of lambda_max's spread, when every run is a
    // mean over the same number R > 1 of subsets.
    if (m.lambda_max.n > 1 && v.lambda_max_sampling_sd.size() == m.lambda_max.n &&
        v.lambda_max_subsets.size() == m.lambda_max.n &&
        std::all_of(v.lambda_max_subsets.begin(), v.lambda_max_subsets.end(),
                    [&](double r) { return r == v.lambda_max_subsets.front() && r > 1; })) {
      LambdaSpread ls;
      ls.subsets = v.lambda_max_subsets.front();
      double within = 0;
      for (double sd : v.lambda_max_sampling_sd) within += sd * sd;
      within /= static_cast<double>(v.lambda_max_sampling_sd.size());
      ls.total_sd = m.lambda_max.std;
      ls.sampling_sd = std::sqrt(within / ls.subsets);
      ls.seed_sd = std::sqrt(std::max(0.0, ls.total_sd * ls.total_sd - ls.sampling_sd * ls.sampling_sd));
      c.lambda_spread = ls;
    }
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
