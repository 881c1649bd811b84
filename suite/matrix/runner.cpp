#include "suite/matrix/runner.h"
#include "suite/build_info.h"
#include "suite/errors.h"
#include "suite/file_lock.h"
#include "suite/optim/step_strategy.h"
#include "suite/results.h"
#include "suite/run/preemption.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>

namespace nrs::matrix {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// A process killed between writing and renaming leaves PATH.tmp.<pid>;
// only the lock holder of a cell may remove its leftovers.
void remove_stale_temporaries(const std::string& path) {
  const fs::path p(path);
  if (!fs::is_directory(p.parent_path())) return;
  for (const std::string& prefix : {p.filename().string() + ".tmp.", p.filename().string() + ".ckpt.tmp."})
    for (const auto& e : fs::directory_iterator(p.parent_path()))
      if (e.path().filename().string().rfind(prefix, 0) == 0) fs::remove(e.path());
}

json failed_result(const Cell& c, uint64_t seed, const std::string& command_line, const std::string& reason) {
  auto cfg = c.config;
  cfg.seed = seed;
  return {{"schema_version", kResultsSchemaVersion},
          {"suite_version", suite_version()},
          {"git_commit", git_commit()},
          {"command_line", command_line},
          {"config", cfg.to_json()},
          {"seed", seed},
          {"variant", optim::variant_name(cfg.strategy)},
          {"environment", environment_info(cfg.device)},
          {"end_time", iso8601_now()},
          {"status", "failed"},
          {"reason", reason}};
}

// "42 s" under 90 seconds, "7 min" above.
std::string duration_text(double s) {
  char buf[32];
  if (s < 90)
    std::snprintf(buf, sizeof buf, "%.0f s", s);
  else
    std::snprintf(buf, sizeof buf, "%.0f min", s / 60);
  return buf;
}

}  // namespace

json protocol_manifest(const Protocol& p) {
  json cells = json::array();
  for (const auto& c : p.cells)
    cells.push_back({{"name", c.name}, {"id", c.id}, {"label", c.label}, {"group", c.group}, {"flags", c.flags}});
  return {{"kind", "nrsbench-protocol-manifest"},
          {"name", p.name},
          {"description", p.description},
          {"path", p.path},
          {"sha256", p.sha256},
          {"seeds", p.seeds},
          {"cell_id_scheme", kCellIdScheme},
          {"cells", cells}};
}

ItemState item_state(const std::string& path, const Cell& cell, uint64_t seed) {
  if (!fs::exists(path)) return ItemState::kMissing;
  json j;
  try {
    j = read_json_file(path);
  } catch (const std::exception& e) {
    throw std::invalid_argument(std::string(e.what()) + " (expected a result of cell " + cell.name + ")");
  }
  if (!j.is_object() || !j.contains("matrix") || !j["matrix"].is_object() || !j.contains("status"))
    throw std::invalid_argument(
        path + ": not a matrix result (no \"matrix\"/\"status\"); move it out of the results directory");
  // The id is recomputed from the stored configuration (not read from the
  // file), so a result outlives id-scheme changes and a hand edit shows.
  if (!j.contains("config") || !j["config"].is_object())
    throw std::invalid_argument(path + ": result has no \"config\" object (expected a result of cell " + cell.name +
                                ")");
  const auto id = config_id(upgrade_result(j)["config"]);
  if (id != cell.id || j.value("seed", uint64_t(-1)) != seed)
    throw std::invalid_argument(path + ": written for cell id " + id + ", but the protocol's " + cell.name +
                                " now resolves to " + cell.id +
                                " (the protocol or its defaults changed); use another --out or remove the file");
  const auto status = j["status"].get<std::string>();
  return status == "ok" || status == "diverged" ? ItemState::kFinished : ItemState::kFailed;
}

RunnerSummary run_matrix(const Protocol& p, const RunnerOptions& opts) {
  const auto all = work_items(p);
  const auto items = select_shard(all, opts.shard);
  RunnerSummary sum;
  sum.total = items.size();
  PreemptionHandlers handlers;  // a signal between cells stops before the next one
  write_json_atomic((fs::path(opts.out_dir) / ("protocol-" + p.name + ".json")).string(), protocol_manifest(p));

  // Check every existing file first: a foreign or stale file stops the run
  // before hours are spent, not in the middle.
  std::vector<bool> todo(items.size(), true);
  for (size_t i = 0; i < items.size(); ++i) {
    const auto& c = p.cells[items[i].cell];
    if (item_state(result_path(opts.out_dir, c, items[i].seed), c, items[i].seed) == ItemState::kFinished) {
      todo[i] = false;
      ++sum.already_done;
    }
  }
  size_t remaining = items.size() - sum.already_done;
  std::fprintf(stderr, "[matrix] %s: %zu cells x %zu seeds = %zu runs; shard %d/%d: %zu runs, %zu already done\n",
               p.name.c_str(), p.cells.size(), p.seeds.size(), all.size(), opts.shard.index, opts.shard.count,
               items.size(), sum.already_done);

  double spent = 0.0;
  size_t done = sum.already_done;
  for (size_t i = 0; i < items.size(); ++i) {
    if (!todo[i]) continue;
    if (const int sig = preemption_signal()) {
      sum.preempted = true;
      sum.preempted_reason = "stopped by " + signal_name(sig) + " between cells";
      return sum;
    }
    const auto& it = items[i];
    const auto& c = p.cells[it.cell];
    const auto path = result_path(opts.out_dir, c, it.seed);
    FileLock lock(path + ".lock");  // OUT/<cell>-s<seed>.json.lock
    if (!lock.held()) {
      ++sum.busy;
      --remaining;
      std::fprintf(stderr, "[matrix] %s s%llu: running in another process, skipped\n", c.name.c_str(),
                   static_cast<unsigned long long>(it.seed));
      continue;
    }
    if (item_state(path, c, it.seed) == ItemState::kFinished) {  // finished while we waited
      ++sum.already_done;
      ++done;
      --remaining;
      continue;
    }
    remove_stale_temporaries(path);
    std::fprintf(stderr, "[matrix %zu/%zu] %s s%llu (cell %s)\n", done + 1, items.size(), c.name.c_str(),
                 static_cast<unsigned long long>(it.seed), c.id.c_str());
    const auto t0 = std::chrono::steady_clock::now();
    auto cfg = c.config;
    cfg.seed = it.seed;
    if (cfg.checkpoint.path.empty()) cfg.checkpoint.path = path + ".ckpt";
    const json matrix_block = {{"protocol", p.name},
                               {"protocol_sha256", p.sha256},
                               {"protocol_path", p.path},
                               {"cell", c.name},
                               {"cell_id", c.id},
                               {"cell_id_scheme", kCellIdScheme},
                               {"label", c.label},
                               {"group", c.group},
                               {"flags", c.flags},
                               {"shard", std::to_string(opts.shard.index) + "/" + std::to_string(opts.shard.count)}};
    json result;
    try {
      result = run_training(
          cfg, RunOutput{opts.command_line, Progress{opts.tty, opts.quiet}, path, {{"matrix", matrix_block}}});
    } catch (const Preempted& e) {
      // The checkpoint is written; the lock goes with this scope. The next
      // run of the same command resumes this item first.
      sum.preempted = true;
      sum.preempted_reason =
          c.name + " s" + std::to_string(it.seed) + " stopped by " + e.what() + "; checkpoint " + e.checkpoint;
      return sum;
    } catch (const OutputError&) {
      // A full disk or a directory that turned unwritable is not this
      // cell's failure: stop, leaving it unfinished (and resumable).
      throw;
    } catch (const std::exception& e) {
      std::string msg = e.what();
      msg = msg.substr(0, msg.find('\n'));
      std::fprintf(stderr, "[matrix] %s s%llu failed: %s\n", c.name.c_str(), static_cast<unsigned long long>(it.seed),
                   msg.c_str());
      result = failed_result(c, it.seed, opts.command_line, msg);
      result["matrix"] = matrix_block;
      write_json_atomic(path, result);
    }
    const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    spent += dt;
    ++sum.ran;
    ++done;
    --remaining;
    const auto status = result["status"].get<std::string>();
    (status == "ok" ? sum.ok : status == "diverged" ? sum.diverged : sum.failed)++;
    const double acc = result.contains("final") ? result["final"].value("test_acc", std::nan("")) : std::nan("");
    std::fprintf(stderr, "[matrix %zu/%zu] %s s%llu: %s, test_acc %.4f, %s; ETA %s\n", done, items.size(),
                 c.name.c_str(), static_cast<unsigned long long>(it.seed), status.c_str(), acc,
                 duration_text(dt).c_str(),
                 duration_text(spent / static_cast<double>(sum.ran) * static_cast<double>(remaining)).c_str());
  }
  return sum;
}

}  // namespace nrs::matrix
