#include "suite/matrix/aggregate.h"
#include "suite/errors.h"
#include "suite/matrix/curves.h"
#include "suite/matrix/protocol.h"
#include "suite/results.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>

namespace nrs::matrix {
namespace fs = std::filesystem;
using nlohmann::json;

double t_critical_975(size_t dof) {
  static const double t[] = {0,     12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                             2.201, 2.179,  2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080,
                             2.074, 2.069,  2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042};
  if (dof == 0) return std::nan("");
  return dof <= 30 ? t[dof] : 1.96 + 2.4 / static_cast<double>(dof);  // within 1e-3 of the quantile beyond 30
}

Stats summarize(const std::vector<double>& v) {
  Stats s;
  s.values = v;
  s.n = v.size();
  if (v.empty()) return s;
  for (double x : v) s.mean += x;
  s.mean /= static_cast<double>(s.n);
  if (s.n > 1) {
    double ss = 0;
    for (double x : v) ss += (x - s.mean) * (x - s.mean);
    s.std = std::sqrt(ss / static_cast<double>(s.n - 1));
    s.ci95 = t_critical_975(s.n - 1) * s.std / std::sqrt(static_cast<double>(s.n));
  }
  return s;
}

json Stats::to_json() const {
  if (n == 0) return nullptr;
  return {{"n", n}, {"mean", mean}, {"std", std}, {"ci95", n > 1 ? json(ci95) : json(nullptr)}, {"values", values}};
}

std::string board_key(const json& c) {
  return c["dataset"].get<std::string>() + " / " + c["model"].get<std::string>() +
         (c["group"].get<std::string>().empty() ? "" : " / " + c["group"].get<std::string>()) +
         (c["protocol"].get<std::string>().empty() ? "" : " (" + c["protocol"].get<std::string>() + ")");
}

std::string run_cell_id(const json& result) { return config_id(result.at("config")); }

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
    // Aggregation reads a result's fields by type (status, seed, the
    // configuration's names, history, curves): one of another type or missing
    // would escape from aggregate() as a JSON library error naming no file
    // (exit 1). Each file is aggregated alone as it is read, so that the error
    // names it (exit 2).
    try {
      ResultSet one;
      if (j.is_object() && j.contains("kind") && j["kind"] == "nrsbench-protocol-manifest") {
        one.manifests.push_back(j);
        aggregate(one);
        rs.manifests.push_back(std::move(j));
        continue;
      }
      if (!j.is_object() || !j.contains("config") || !j.contains("status") || !j.contains("seed"))
        throw std::invalid_argument(f.string() +
                                    ": not an nrsbench result (needs schema_version, config, seed, status)");
      try {
        j = upgrade_result(std::move(j));
      } catch (const std::invalid_argument& e) {
        throw std::invalid_argument(f.string() + ": " + e.what());
      }
      j["_file"] = fs::relative(f, dir).string();
      one.runs.push_back(j);
      aggregate(one);
      rs.runs.push_back(std::move(j));
    } catch (const json::exception& e) {
      throw InputError(f.string() + ": a field of an nrsbench result is missing or of another type (" + e.what() + ")");
    }
  }
  return rs;
}

namespace {

double number_at(const json& j, std::initializer_list<const char*> path) {
  const json* p = &j;
  for (const char* k : path) {
    if (!p->is_object() || !p->contains(k)) return std::nan("");
    p = &(*p)[k];
  }
  return p->is_number() ? p->get<double>() : std::nan("");
}

struct Group {
  std::vector<const json*> runs;
};

json time_to_target(const std::vector<const json*>& runs, double target, const std::string& source) {
  std::vector<double> epochs, steps, seconds;
  size_t ok = 0;
  for (const json* r : runs) {
    if (r->value("status", "") != "ok" || !r->contains("history")) continue;
    ++ok;
    const auto& h = (*r)["history"];
    const double n_epochs = static_cast<double>(h.size());
    const double steps_per_epoch = n_epochs > 0 ? number_at(*r, {"throughput", "steps"}) / n_epochs : std::nan("");
    double t = 0.0;
    // number_at, not operator[]: on a const json a missing key is undefined
    // behaviour, and a run of another cell is not checked by the load.
    for (const auto& e : h) {
      const double dt = number_at(e, {"epoch_time_s"}), acc = number_at(e, {"test_acc"});
      if (std::isfinite(dt)) t += dt;
      const double ep = number_at(e, {"epoch"});
      if (acc >= target && std::isfinite(ep)) {
        epochs.push_back(ep);
        steps.push_back(ep * steps_per_epoch);
        seconds.push_back(t);
        break;
      }
    }
  }
  return {{"target_test_acc", target},
          {"target", source},
          {"runs", ok},
          {"reached", epochs.size()},
          {"epochs", summarize(epochs).to_json()},
          {"steps", summarize(steps).to_json()},
          {"train_seconds", summarize(seconds).to_json()}};
}

}  // namespace

json aggregate(const ResultSet& rs) {
  std::map<std::string, Group> groups;
  std::vector<std::string> order;
  for (const auto& r : rs.runs) {
    const auto id = run_cell_id(r);
    if (!groups.count(id)) order.push_back(id);
    groups[id].runs.push_back(&r);
  }
  json cells = json::array();
  for (const auto& id : order) {
    const auto& g = groups[id];
    const json& first = *g.runs.front();
    json cfg = first["config"];
    cfg.erase("seed");
    json m = first.value("matrix", json::object());
    std::map<std::string, std::vector<double>> vals;
    std::set<std::string> commits, devices, seeds_seen;
    json seeds = json::array(), files = json::array();
    size_t ok = 0, diverged = 0, failed = 0;
    for (const json* r : g.runs) {
      const auto status = (*r)["status"].get<std::string>();
      const auto seed = std::to_string((*r)["seed"].get<uint64_t>());
      if (!seeds_seen.insert(seed).second)
        throw std::invalid_argument((*r)["_file"].get<std::string>() + ": a second result for cell " + id + " seed " +
                                    seed + " in the same directory");
      seeds.push_back((*r)["seed"]);
      files.push_back((*r)["_file"]);
      commits.insert(r->value("git_commit", ""));
      devices.insert(r->value("device", ""));
      if (status == "diverged") ++diverged;
      if (status == "failed") ++failed;
      if (status != "ok") continue;
      ++ok;
      auto add = [&](const char* name, double v) {
        if (std::isfinite(v)) vals[name].push_back(v);
      };
      add("test_acc", number_at(*r, {"final", "test_acc"}));
      add("test_loss", number_at(*r, {"final", "test_loss"}));
      add("val_acc", number_at(*r, {"final", "val_acc"}));
      add("train_loss", number_at(*r, {"final", "train_loss"}));
      add("lambda_max", number_at(*r, {"hessian", "lambda_max"}));
      // Spread of lambda_max over disjoint Hessian sample subsets of one model
      // (--hessian-repeats): sampling noise, apart from seed noise.
      add("lambda_max_sampling_sd", number_at(*r, {"hessian", "repeats", "lambda_max", "sd"}));
      add("lambda_max_over_lambda_5", number_at(*r, {"hessian", "lambda_max_over_lambda_5"}));
      add("trace", number_at(*r, {"hessian", "trace", "estimate"}));
      add("train_images_per_s", number_at(*r, {"throughput", "train_images_per_s"}));
      add("ms_per_step", number_at(*r, {"throughput", "ms_per_step"}));
      add("wall_time_s", number_at(*r, {"wall_time_s"}));
    }
    json metrics = json::object();
    for (const char* k : {"test_acc", "test_loss", "val_acc", "train_loss", "lambda_max", "lambda_max_sampling_sd",
                          "lambda_max_over_lambda_5", "trace", "train_images_per_s", "ms_per_step", "wall_time_s"})
      metrics[k] = summarize(vals[k]).to_json();
    const std::string label = m.value("label", first.value("variant", cfg["optimizer"]["name"].get<std::string>()));
    json c = {{"cell_id", id},
              {"name", m.value("cell", cfg["dataset"].get<std::string>() + "/" + cfg["model"].get<std::string>() + "/" +
                                           label)},
              {"label", label},
              {"group", m.value("group", "")},
              {"protocol", m.value("protocol", "")},
              {"dataset", cfg["dataset"]},
              {"model", cfg["model"]},
              {"optimizer", cfg["optimizer"]["name"]},
              {"variant", first.value("variant", label)},
              {"config", cfg},
              {"runs", g.runs.size()},
              {"ok", ok},
              {"diverged", diverged},
              {"failed", failed},
              {"seeds", seeds},
              {"files", files},
              {"metrics", metrics},
              {"curve", test_acc_curve(g.runs)},
              {"density", density_curve(g.runs)},
              {"slices", slice_curves(g.runs)},
              {"git_commits", commits},
              {"devices", devices}};
    cells.push_back(c);
  }
  // Cost ratio: ms per step over that of the SGD cell with the same dataset,
  // model, group, protocol, batch size, device and precision (the one with
  // most finished runs when several match, e.g. in a sweep).
  // A result need not carry every configuration key (older schemas, hand-made
  // files): a missing one compares as null. Not a const operator[], which is
  // undefined behaviour for a missing key (found by fuzzing: a heap overflow).
  auto config_value = [](const json& cell, const char* k) {
    const auto& c = cell["config"];
    return c.is_object() && c.contains(k) ? c[k] : json(nullptr);
  };
  auto same_setting = [&](const json& a, const json& b) {
    for (const char* k : {"dataset", "model", "group", "protocol"})
      if (a[k] != b[k]) return false;
    for (const char* k : {"batch_size", "device", "precision", "channels_last"})
      if (config_value(a, k) != config_value(b, k)) return false;
    return true;
  };
  for (auto& c : cells) {
    const json* best = nullptr;
    for (const auto& s : cells)
      if (s["optimizer"] == "sgd" && same_setting(c, s) && (!best || s["ok"] > (*best)["ok"])) best = &s;
    c["sgd_cell"] = best ? (*best)["cell_id"] : json(nullptr);
    c["cost_ratio_vs_sgd"] = nullptr;
    if (best && c["metrics"]["ms_per_step"].is_object() && (*best)["metrics"]["ms_per_step"].is_object())
      c["cost_ratio_vs_sgd"] =
          c["metrics"]["ms_per_step"]["mean"].get<double>() / (*best)["metrics"]["ms_per_step"]["mean"].get<double>();
  }
  // Time to target: per run, the first epoch whose test accuracy reaches the
  // SGD cell's mean final test accuracy, with the steps and training seconds
  // spent until then. A method that costs 2x per step but needs half the
  // epochs shows here, not in the cost ratio.
  for (auto& c : cells) {
    const json* sgd = nullptr;
    for (const auto& s : cells)
      if (s["cell_id"] == c["sgd_cell"]) sgd = &s;
    c["time_to_target"] = nullptr;
    if (!sgd || !(*sgd)["metrics"]["test_acc"].is_object()) continue;
    c["time_to_target"] = time_to_target(groups[c["cell_id"].get<std::string>()].runs,
                                         (*sgd)["metrics"]["test_acc"]["mean"].get<double>(),
                                         "mean final test_acc of SGD cell " + (*sgd)["name"].get<std::string>());
  }
  // Cells and seeds a manifest lists but the directory lacks. at(), not
  // operator[]: a manifest is input, and a missing key read through a const
  // operator[] is undefined behaviour (found by fuzzing: a heap overflow);
  // at() throws, and load_results names the file.
  json missing = json::array();
  for (const auto& mf : rs.manifests)
    for (const auto& mc : mf.at("cells")) {
      const json* have = nullptr;
      for (const auto& c : cells)
        if (c["cell_id"] == mc.at("id")) have = &c;
      for (const auto& s : mf.at("seeds")) {
        bool found = false;
        if (have)
          for (const auto& hs : (*have)["seeds"]) found = found || hs == s;
        if (!found)
          missing.push_back(
              {{"protocol", mf.at("name")}, {"cell", mc.at("name")}, {"cell_id", mc.at("id")}, {"seed", s}});
      }
    }
  return {{"cells", cells}, {"missing", missing}};
}

}  // namespace nrs::matrix
