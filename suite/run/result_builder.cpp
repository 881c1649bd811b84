#include "suite/run/result_builder.h"
#include "models/registry.h"
#include "suite/core/build_info.h"
#include "suite/io/results.h"
#include "suite/optim/step_strategy.h"
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

ResultCheckpoints CheckpointLog::record() const {
  return {written, last_bytes, written ? total_write_s / static_cast<double>(written) : 0.0, max_write_s};
}

namespace {

ResultDataset dataset_record(const RunData& d) {
  ResultDataset r;
  r.name = d.info.name;
  r.source = d.info.source;
  r.streamed = d.streamed();
  r.train_size = d.train_size();
  r.val_size = d.val_size();
  r.test_size = d.test_size();
  r.num_classes = d.info.num_classes;
  r.shape = {d.info.channels, d.info.height, d.info.width};
  r.train_sha256 = d.train_fingerprint();
  return r;
}

// Peak resident memory of this process so far (getrusage; Linux reports KiB).
double peak_rss_mb() {
  struct rusage ru {};
  ::getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;
}

// The last epoch's numbers, as its history row recorded them (null, a NaN,
// stays NaN).
ResultFinal last_epoch(const json& history) {
  ResultFinal f;
  if (history.empty()) return f;
  const auto& last = history.back();
  for (const auto& m : final_metrics())
    if (last.contains(m.key)) f.*m.member = last[m.key].is_null() ? std::nan("") : last[m.key].get<double>();
  f.epochs_completed = last["epoch"].get<int64_t>();
  return f;
}

ResultThroughput throughput_record(const Timings& t, int64_t steps) {
  ResultThroughput r;
  r.train_images_per_s = t.train_images / std::max(t.train_time, 1e-9);
  r.ms_per_step = 1000.0 * t.train_time / static_cast<double>(std::max<int64_t>(steps, 1));
  r.steady_images_per_s = t.steady_images / std::max(t.steady_time, 1e-9);
  r.steady_ms_per_step = 1000.0 * t.steady_time / static_cast<double>(std::max<int64_t>(t.steady_steps, 1));
  r.warmup_steps = steps - t.steady_steps;
  r.steps = steps;
  r.train_time_s = t.train_time;
  r.timing = t.method;
  return r;
}

std::optional<std::string> text_or_null(const json& j, const char* k) {
  if (!j.is_object() || !j.contains(k) || !j[k].is_string()) return std::nullopt;
  return j[k].get<std::string>();
}

std::optional<int64_t> integer_or_null(const json& j, const char* k) {
  if (!j.is_object() || !j.contains(k) || !j[k].is_number_integer()) return std::nullopt;
  return j[k].get<int64_t>();
}

}  // namespace

RunResult result_header(const RunConfig& cfg, const std::string& command_line) {
  RunResult r;
  r.schema_version = kResultsSchemaVersion;
  r.suite_version = suite_version();
  r.git_commit = git_commit();
  r.command_line = command_line;
  r.config = cfg.to_json();
  r.seed = cfg.seed;
  r.variant = optim::variant_name(cfg.strategy);
  r.environment = environment_info(cfg.device);
  return r;
}

RunResult build_result(const TrainState& s, const json& hessian, const CheckpointLog& ckpt, const RunClock& clock,
                       const std::string& command_line) {
  const auto& cfg = s.cfg;
  const auto& P = s.progress;
  RunResult r = result_header(cfg, command_line);
  r.config["threads"] = s.threads;
  r.optimizer = s.strategy->describe();
  r.variant = (*r.optimizer)["variant"].get<std::string>();
  if (auto summary = s.strategy->summary(); !summary.is_null()) r.optimizer_summary = std::move(summary);
  if (s.scaler) r.loss_scale = s.scaler->summary();
  r.model = ResultModel{cfg.model, models::count_trainable_parameters(*s.model)};
  r.dataset = dataset_record(s.data);
  r.device = s.device.is_cuda() ? gpu_name(s.device.has_index() ? s.device.index() : 0) : "cpu: " + cpu_model();
  r.threads = s.threads;
  r.start_time = P.start_time;
  r.history = P.history.get<std::vector<json>>();
  r.final = last_epoch(P.history);
  r.throughput = throughput_record(P.timings, P.global_step);
  if (!hessian.is_null()) {
    r.hessian = hessian;
    if (!P.hessian_curve.empty()) {
      json curve = P.hessian_curve;
      curve.push_back(hessian);
      r.hessian_curve = curve;
    }
  }
  r.checkpoints = ckpt.record();
  r.peak_rss_mb = peak_rss_mb();
  r.resumes = P.resumes.get<std::vector<json>>();
  r.binary_sha256 = binary_sha256();
  // Every process that trained this run, in order: the first one, then each
  // resume, with the commit and binary hash it ran (null where a checkpoint
  // predates the record).
  r.segments.emplace();
  r.segments->push_back({0, text_or_null(P.origin, "git_commit"), text_or_null(P.origin, "binary_sha256")});
  for (const auto& res : P.resumes)
    r.segments->push_back({integer_or_null(res, "from_global_step"), text_or_null(res, "git_commit"),
                           text_or_null(res, "binary_sha256")});
  r.status = parse_run_status(P.status);
  if (!P.reason.empty()) r.reason = P.reason;
  r.end_time = iso8601_now();
  r.wall_time_s = clock.seconds();                                    // this process
  r.wall_time_total_s = P.timings.previous_wall_s + clock.seconds();  // with earlier processes
  return r;
}

}  // namespace nrs
