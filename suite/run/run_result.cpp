#include "suite/run/run_result.h"
#include "models/registry.h"
#include "suite/core/build_info.h"
#include "suite/io/results.h"
#include "suite/run/setup.h"

#include <sys/resource.h>

#include <algorithm>

namespace nrs {
using nlohmann::json;

RunClock::RunClock() : start_time(iso8601_now()) {}

double RunClock::seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void CheckpointLog::add(const CheckpointWrite& w) {
  ++written;
  last_bytes = w.bytes;
  total_write_s += w.seconds;
  max_write_s = std::max(max_write_s, w.seconds);
}

json CheckpointLog::to_json() const {
  return {{"written", written},
          {"last_bytes", last_bytes},
          {"mean_write_s", written ? total_write_s / static_cast<double>(written) : 0.0},
          {"max_write_s", max_write_s}};
}

namespace {

json dataset_json(const RunData& d) {
  return {{"name", d.info.name},
          {"source", d.info.source},
          {"streamed", d.streamed()},
          {"train_size", d.train_size()},
          {"val_size", d.val_size()},
          {"test_size", d.test_size()},
          {"num_classes", d.info.num_classes},
          {"shape", {d.info.channels, d.info.height, d.info.width}},
          {"train_sha256", d.train_fingerprint()}};
}

// Peak resident memory of this process so far (getrusage; Linux reports KiB).
double peak_rss_mb() {
  struct rusage ru {};
  ::getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;
}

json final_metrics(const json& history) {
  json fin = json::object();
  if (history.empty()) return fin;
  const auto& last = history.back();
  for (const char* k :
       {"train_loss", "train_acc", "train_eval_loss", "train_eval_acc", "val_loss", "val_acc", "test_loss", "test_acc"})
    if (last.contains(k)) fin[k] = last[k];
  fin["epochs_completed"] = last["epoch"];
  return fin;
}

json throughput_json(const Timings& t, int64_t steps) {
  return {{"train_images_per_s", t.train_images / std::max(t.train_time, 1e-9)},
          {"ms_per_step", 1000.0 * t.train_time / static_cast<double>(std::max<int64_t>(steps, 1))},
          {"steady_images_per_s", t.steady_images / std::max(t.steady_time, 1e-9)},
          {"steady_ms_per_step", 1000.0 * t.steady_time / static_cast<double>(std::max<int64_t>(t.steady_steps, 1))},
          {"warmup_steps", steps - t.steady_steps},
          {"steps", steps},
          {"train_time_s", t.train_time},
          {"timing", t.method}};
}

}  // namespace

json build_result(const TrainState& s, const json& hessian, const CheckpointLog& ckpt, const RunClock& clock,
                  const std::string& command_line) {
  const auto& cfg = s.cfg;
  const auto& P = s.progress;
  json r;
  r["schema_version"] = kResultsSchemaVersion;
  r["suite_version"] = suite_version();
  r["git_commit"] = git_commit();
  r["command_line"] = command_line;
  r["config"] = cfg.to_json();
  r["config"]["threads"] = s.threads;
  r["seed"] = cfg.seed;
  r["optimizer"] = s.strategy->describe();
  r["variant"] = r["optimizer"]["variant"];
  if (auto summary = s.strategy->summary(); !summary.is_null()) r["optimizer_summary"] = std::move(summary);
  if (s.scaler) r["loss_scale"] = s.scaler->summary();
  r["model"] = {{"name", cfg.model}, {"trainable_parameters", models::count_trainable_parameters(*s.model)}};
  r["dataset"] = dataset_json(s.data);
  r["device"] = s.device.is_cuda() ? gpu_name(s.device.has_index() ? s.device.index() : 0) : "cpu: " + cpu_model();
  r["environment"] = environment_info(cfg.device);
  r["threads"] = s.threads;
  r["start_time"] = P.start_time;
  r["history"] = P.history;
  r["final"] = final_metrics(P.history);
  r["throughput"] = throughput_json(P.timings, P.global_step);
  if (!hessian.is_null()) {
    r["hessian"] = hessian;
    if (!P.hessian_curve.empty()) {
      json curve = P.hessian_curve;
      curve.push_back(hessian);
      r["hessian_curve"] = curve;
    }
  }
  r["checkpoints"] = ckpt.to_json();
  r["resources"] = {{"peak_rss_mb", peak_rss_mb()}};
  r["resumes"] = P.resumes;
  r["binary_sha256"] = binary_sha256();
  // Every process that trained this run, in order: the first one, then each
  // resume, with the commit and binary hash it ran (null where a checkpoint
  // predates the record).
  json segments = json::array();
  segments.push_back(
      {{"from_global_step", 0},
       {"git_commit", P.origin.is_object() ? P.origin.value("git_commit", json(nullptr)) : json(nullptr)},
       {"binary_sha256", P.origin.is_object() ? P.origin.value("binary_sha256", json(nullptr)) : json(nullptr)}});
  for (const auto& res : P.resumes)
    segments.push_back({{"from_global_step", res.value("from_global_step", json(nullptr))},
                        {"git_commit", res.value("git_commit", json(nullptr))},
                        {"binary_sha256", res.value("binary_sha256", json(nullptr))}});
  r["segments"] = segments;
  r["status"] = P.status;
  if (!P.reason.empty()) r["reason"] = P.reason;
  r["end_time"] = iso8601_now();
  r["wall_time_s"] = clock.seconds();                                    // this process
  r["wall_time_total_s"] = P.timings.previous_wall_s + clock.seconds();  // with earlier processes
  return r;
}

}  // namespace nrs
