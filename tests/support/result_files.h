// Result, step-cost and claim files written by hand for the checker,
// leaderboard and runner tests, and reading results back.
#pragma once
#include "tests/support/temp_dir.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace nrs::test {

inline void write_json(const std::string& path, const nlohmann::json& j) { write_bytes(path, j.dump(2)); }

// What two runs of the same cell must agree on bitwise: per-epoch history
// and final metrics, the Hessian and the dataset fingerprint; timings aside.
inline nlohmann::json result_metrics(const nlohmann::json& r) {
  nlohmann::json h = r["history"];
  for (auto& e : h) {
    e.erase("epoch_time_s");
    e.erase("train_images_per_s");
  }
  nlohmann::json hess = r["hessian"];
  hess.erase("wall_time_s");
  return {{"history", h},
          {"final", r["final"]},
          {"hessian", hess},
          {"status", r["status"]},
          {"steps", r["throughput"]["steps"]},
          {"dataset", r["dataset"]}};
}

inline nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

// A minimal schema-1 result with every key a finished result must carry
// (suite/io/run_result.h), for checker tests.
inline nlohmann::json fake_result(const std::string& dataset, const std::string& model, const std::string& optimizer,
                                  uint64_t seed, double test_acc, double lambda_max, double ms_per_step,
                                  int epochs = 200, const std::string& augment = "basic") {
  nlohmann::json config = {{"dataset", dataset},
                           {"model", model},
                           {"epochs", epochs},
                           {"batch_size", 256},
                           {"device", "cpu"},
                           {"precision", "fp32"},
                           {"channels_last", false},
                           {"optimizer", {{"name", optimizer}}},
                           {"augment", {{"mode", augment}}},
                           {"seed", seed}};
  return {{"schema_version", 1},
          {"suite_version", "test"},
          {"command_line", "test"},
          {"environment", nlohmann::json::object()},
          {"threads", 1},
          {"start_time", "2026-01-01T00:00:00Z"},
          {"end_time", "2026-01-01T00:01:00Z"},
          {"wall_time_s", 60.0},
          {"history", nlohmann::json::array()},
          {"config", config},
          {"seed", seed},
          {"variant", optimizer},
          {"status", "ok"},
          {"git_commit", "test"},
          {"device", "cpu: test"},
          {"final", {{"test_acc", test_acc}}},
          {"hessian", {{"lambda_max", lambda_max}}},
          {"optimizer", {{"name", optimizer}, {"variant", optimizer}}},
          {"model", {{"name", model}, {"trainable_parameters", 1000}}},
          {"dataset",
           {{"name", dataset},
            {"source", "test"},
            {"train_size", 1000},
            {"val_size", 0},
            {"test_size", 1000},
            {"num_classes", 10},
            {"shape", {1, 28, 28}}}},
          {"throughput",
           {{"ms_per_step", ms_per_step},
            {"train_images_per_s", 1000.0 / ms_per_step},
            {"train_time_s", ms_per_step},
            {"steps", 1000},
            {"timing", "test"}}}};
}

// A step-cost report as `nrsbench step-cost --out` writes it (step_cost.cpp):
// `model` at `batch_size`, 1 thread, fp32 on a CPU, one entry per variant
// with its ms per step and the ratio to the "sgd" entry.
inline nlohmann::json step_cost_report(const std::string& model, int64_t batch_size,
                                       const std::vector<std::pair<std::string, double>>& ms_per_step) {
  double sgd = 0;
  for (const auto& [variant, ms] : ms_per_step)
    if (variant == "sgd") sgd = ms;
  nlohmann::json entries = nlohmann::json::array();
  for (const auto& [variant, ms] : ms_per_step)
    entries.push_back({{"label", variant}, {"variant", variant}, {"ms_per_step", ms}, {"ratio_to_sgd", ms / sgd}});
  return {{"kind", "nrsbench-step-cost"},
          {"model", model},
          {"device", "cpu: Test CPU"},
          {"precision", "fp32"},
          {"channels_last", false},
          {"batch_size", batch_size},
          {"threads", 1},
          {"rounds", 10},
          {"git_commit", "abc1234def"},
          {"time", "2026-01-01T00:00:00Z"},
          {"results", entries}};
}

// A claim of `kind` on `metric`: cells of optimizer `treatment` against those
// of optimizer `comparator` (docs/checking.md, "Verdict rules").
inline nlohmann::json claim(const std::string& id, const std::string& metric, const std::string& treatment = "nrs",
                            const std::string& comparator = "sgd", const std::string& kind = "superiority") {
  return {{"id", id},
          {"kind", kind},
          {"metric", metric},
          {"treatment", {{"optimizer", treatment}}},
          {"comparator", {{"optimizer", comparator}}},
          {"citation", "test"}};
}

// A baseline file holding `claims`, as load_baseline_file returns it.
// (A vector, not a json: one braced element would copy that element, not make a list of it.)
inline nlohmann::json claims_file(const std::vector<nlohmann::json>& claims) {
  return {{"claims", claims}, {"_file", "claims.json"}};
}

// Records a thread count of 1 in the configuration of every result in `dir`,
// as every real result has it (step-cost reports match on it).
inline void record_threads(const std::string& dir) {
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    auto r = read_json(e.path().string());
    r["config"]["threads"] = 1;
    write_json(e.path().string(), r);
  }
}

}  // namespace nrs::test
