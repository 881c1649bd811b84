#include "suite/matrix/runner.h"
#include "suite/core/build_info.h"
#include "suite/core/errors.h"
#include "suite/dist/communicator.h"
#include "suite/dist/launcher.h"
#include "suite/io/file_lock.h"
#include "suite/io/results.h"
#include "suite/optim/step_strategy.h"
#include "suite/run/preemption.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>

namespace nrs::matrix {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// A process killed between writing and renaming leaves PATH.tmp.<pid>
// (a checkpoint: PATH.ckpt.tmp.<pid>). The lock holder of a cell removes all
// of its leftovers; files no lock covers (the protocol manifest) only those
// of writers that are no longer running.
void remove_stale_temporaries(const std::string& path, bool lock_held) {
  const fs::path p(path);
  std::error_code ec;
  for (const std::string& prefix : {p.filename().string() + ".tmp.", p.filename().string() + ".ckpt.tmp."})
    for (const auto& e : fs::directory_iterator(p.parent_path(), ec)) {
      const std::string name = e.path().filename().string();
      if (name.rfind(prefix, 0) != 0) continue;
      const std::string pid = name.substr(prefix.size());
      const bool dead_writer = !pid.empty() && pid.find_first_not_of("0123456789") == std::string::npos &&
                               ::kill(static_cast<pid_t>(std::stol(pid)), 0) != 0 && errno == ESRCH;
      if (lock_held || dead_writer) fs::remove(e.path(), ec);
    }
}

RunResult failed_result(const Cell& c, uint64_t seed, const std::string& command_line, const std::string& reason) {
  auto cfg = c.config;
  cfg.seed = seed;
  RunResult r;
  r.schema_version = kResultsSchemaVersion;
  r.suite_version = suite_version();
  r.git_commit = git_commit();
  r.command_line = command_line;
  r.config = cfg.to_json();
  r.seed = seed;
  r.variant = optim::variant_name(cfg.strategy);
  r.environment = environment_info(cfg.device);
  r.end_time = iso8601_now();
  r.status = RunStatus::kFailed;
  r.reason = reason;
  return r;
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
  auto items = select_shard(all, opts.shard);
  const bool rank_mode = opts.comm != nullptr;
  const bool writer = !rank_mode || opts.comm->rank() == 0;
  if (!opts.only_item.empty()) {  // the ranks of one launched cell
    std::vector<WorkItem> one;
    for (const auto& it : items)
      if (p.cells[it.cell].name + "#" + std::to_string(it.seed) == opts.only_item) one.push_back(it);
    if (one.size() != 1) throw std::invalid_argument("matrix item '" + opts.only_item + "': not in this shard");
    items = one;
  }
  if (rank_mode)
    for (const auto& it : items)
      if (p.cells[it.cell].config.nproc != opts.comm->world())
        throw std::invalid_argument("cell " + p.cells[it.cell].name + ": nproc " +
                                    std::to_string(p.cells[it.cell].config.nproc) + ", but this job has " +
                                    std::to_string(opts.comm->world()) +
                                    " ranks; run each cell with as many tasks as its nproc");
  RunnerSummary sum;
  sum.total = items.size();
  PreemptionHandlers handlers;  // a signal between cells stops before the next one
  if (writer && opts.only_item.empty()) {
    const auto manifest = (fs::path(opts.out_dir) / ("protocol-" + p.name + ".json")).string();
    write_json_atomic(manifest, protocol_manifest(p));
    remove_stale_temporaries(manifest, /*lock_held=*/false);
  }
  // Rank 0's yes/no for every rank (a lock taken, an item finished).
  auto decide = [&](bool mine) { return rank_mode ? opts.comm->broadcast_value(mine ? 1.0 : 0.0) > 0 : mine; };

  // Check every existing file first: a foreign or stale file stops the run
  // before hours are spent, not in the middle.
  std::vector<bool> todo(items.size(), true);
  for (size_t i = 0; i < items.size(); ++i) {
    const auto& c = p.cells[items[i].cell];
    if (decide(writer &&
               item_state(result_path(opts.out_dir, c, items[i].seed), c, items[i].seed) == ItemState::kFinished)) {
      todo[i] = false;
      ++sum.already_done;
    }
  }
  size_t remaining = items.size() - sum.already_done;
  if (writer && opts.only_item.empty())
    std::fprintf(stderr, "[matrix] %s: %zu cells x %zu seeds = %zu runs; shard %d/%d: %zu runs, %zu already done\n",
                 p.name.c_str(), p.cells.size(), p.seeds.size(), all.size(), opts.shard.index, opts.shard.count,
                 items.size(), sum.already_done);

  double spent = 0.0;
  size_t done = sum.already_done;
  for (size_t i = 0; i < items.size(); ++i) {
    if (!todo[i]) continue;
    const int sig = rank_mode ? static_cast<int>(opts.comm->max_value(preemption_signal())) : preemption_signal();
    if (sig != 0) {
      sum.preempted = true;
      sum.preempted_reason = "stopped by " + signal_name(sig) + " between cells";
      return sum;
    }
    const auto& it = items[i];
    const auto& c = p.cells[it.cell];
    const auto path = result_path(opts.out_dir, c, it.seed);
    // OUT/<cell>-s<seed>.json.lock: taken by rank 0 (or held by the parent
    // that launched this cell's ranks).
    std::unique_ptr<FileLock> lock;
    if (writer && opts.only_item.empty()) lock = std::make_unique<FileLock>(path + ".lock");
    if (!decide(lock == nullptr || lock->held())) {
      ++sum.busy;
      --remaining;
      std::fprintf(stderr, "[matrix] %s s%llu: running in another process, skipped\n", c.name.c_str(),
                   static_cast<unsigned long long>(it.seed));
      continue;
    }
    if (decide(writer && item_state(path, c, it.seed) == ItemState::kFinished)) {  // finished while we waited
      ++sum.already_done;
      ++done;
      --remaining;
      continue;
    }
    if (writer) remove_stale_temporaries(path, /*lock_held=*/true);
    const bool report = writer && opts.only_item.empty();  // a launched cell's parent reports it
    if (report)
      std::fprintf(stderr, "[matrix %zu/%zu] %s s%llu (cell %s)\n", done + 1, items.size(), c.name.c_str(),
                   static_cast<unsigned long long>(it.seed), c.id.c_str());
    const auto t0 = std::chrono::steady_clock::now();
    auto cfg = c.config;
    cfg.seed = it.seed;
    if (cfg.checkpoint.path.empty()) cfg.checkpoint.path = path + ".ckpt";
    ResultMatrix matrix_block;
    matrix_block.protocol = p.name;
    matrix_block.protocol_sha256 = p.sha256;
    matrix_block.protocol_path = p.path;
    matrix_block.cell = c.name;
    matrix_block.cell_id = c.id;
    matrix_block.cell_id_scheme = kCellIdScheme;
    matrix_block.label = c.label;
    matrix_block.group = c.group;
    matrix_block.flags = c.flags;
    matrix_block.shard = std::to_string(opts.shard.index) + "/" + std::to_string(opts.shard.count);
    RunResult result;
    if (!rank_mode && cfg.nproc > 1) {
      // A data-parallel cell: its ranks are copies of this command limited
      // to this item; they write the result (rank 0) or stop at a checkpoint.
      dist::LaunchOptions lo;
      lo.nproc = static_cast<int>(cfg.nproc);
      lo.argv = {"nrsbench", "run"};
      lo.argv.insert(lo.argv.end(), opts.relaunch_args.begin(), opts.relaunch_args.end());
      lo.env = {{dist::kParentLockVar, "1"}, {"NRSBENCH_MATRIX_ITEM", c.name + "#" + std::to_string(it.seed)}};
      lo.who = "[matrix] " + c.name + " s" + std::to_string(it.seed);
      const int rc = dist::launch_local_ranks(lo);
      if (rc == kExitPreempted) {
        sum.preempted = true;
        sum.preempted_reason =
            c.name + " s" + std::to_string(it.seed) + " stopped at its checkpoint " + cfg.checkpoint.path;
        return sum;
      }
      if (rc != 0 || item_state(path, c, it.seed) == ItemState::kMissing) {
        // No result: the item stays unfinished (and resumable from its
        // checkpoint); the ranks said why.
        std::fprintf(stderr, "[matrix] %s s%llu: its %lld ranks exited with status %d and no result; left unfinished\n",
                     c.name.c_str(), static_cast<unsigned long long>(it.seed), static_cast<long long>(cfg.nproc), rc);
        ++sum.ran;
        ++sum.failed;
        ++done;
        --remaining;
        continue;
      }
      result = read_run_result(read_json_file(path), path);
    } else {
      try {
        result = run_training(cfg,
                              RunOutput{opts.command_line, Progress{opts.tty && writer, opts.quiet || !writer},
                                        writer ? path : "", matrix_block},
                              opts.comm);
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
      } catch (const dist::DistError&) {
        throw;  // a peer rank is gone: the job cannot go on
      } catch (const std::exception& e) {
        std::string msg = e.what();
        msg = msg.substr(0, msg.find('\n'));
        std::fprintf(stderr, "[matrix] %s s%llu failed: %s\n", c.name.c_str(), static_cast<unsigned long long>(it.seed),
                     msg.c_str());
        result = failed_result(c, it.seed, opts.command_line, msg);
        result.matrix = matrix_block;
        if (writer) write_result_atomic(path, result);
      }
    }
    const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    spent += dt;
    ++sum.ran;
    ++done;
    --remaining;
    (result.status == RunStatus::kOk ? sum.ok : result.status == RunStatus::kDiverged ? sum.diverged : sum.failed)++;
    const double acc = result.final && result.final->test_acc ? *result.final->test_acc : std::nan("");
    if (report)
      std::fprintf(stderr, "[matrix %zu/%zu] %s s%llu: %s, test_acc %.4f, %s; ETA %s\n", done, items.size(),
                   c.name.c_str(), static_cast<unsigned long long>(it.seed), to_string(result.status), acc,
                   duration_text(dt).c_str(),
                   duration_text(spent / static_cast<double>(sum.ran) * static_cast<double>(remaining)).c_str());
  }
  return sum;
}

}  // namespace nrs::matrix
