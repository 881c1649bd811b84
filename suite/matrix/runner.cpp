#include "suite/matrix/runner.h"
#include "suite/core/errors.h"
#include "suite/dist/communicator.h"
#include "suite/dist/launcher.h"
#include "suite/io/file_lock.h"
#include "suite/io/results.h"
#include "suite/io/run_result.h"
#include "suite/run/preemption.h"
#include "suite/run/result_builder.h"

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
#include <optional>

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

// A run killed after writing its result and before removing its checkpoint
// leaves PATH.ckpt beside a finished result. The result supersedes it, so
// the next pass removes it (unless the cell keeps its checkpoints).
void remove_superseded_checkpoint(const Cell& c, const std::string& path) {
  if (c.config.checkpoint.keep) return;
  std::error_code ec;
  fs::remove(path + ".ckpt", ec);
}

// A run killed after writing its result and before its lock's destructor
// leaves PATH.lock beside a finished result, and no later pass claims the
// item again. A lock nobody holds (flock dies with its process) is taken and
// so removed; one a live process holds is left to it.
void remove_abandoned_lock(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path + ".lock", ec)) return;
  FileLock lock(path + ".lock");  // unlinks the file when held
}

RunResult failed_result(const Cell& c, uint64_t seed, const std::string& command_line, const std::string& reason) {
  auto cfg = c.config;
  cfg.seed = seed;
  RunResult r = result_header(cfg, command_line);
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

namespace {

// One pass of a protocol through its results directory, in four phases:
// plan (this shard's items, and which are finished already), then for each
// item claim (its lock, and a last look at its file), execute (train it here
// or as its nproc ranks) and record (the tally and the progress line). With
// ranks, rank 0 claims and records; every rank executes.
class MatrixPass {
 public:
  MatrixPass(const Protocol& p, const RunnerOptions& opts)
      : p_(p),
        o_(opts),
        rank_mode_(opts.comm != nullptr),
        writer_(!rank_mode_ || opts.comm->rank() == 0),
        report_(writer_ && opts.only_item.empty()) {}

  RunnerSummary run() {
    if (!o_.train) throw std::logic_error("run_matrix: RunnerOptions::train is not set");
    PreemptionHandlers handlers;  // a signal between cells stops before the next one
    const auto items = plan();
    for (size_t i = 0; i < items.size(); ++i) {
      if (finished_[i]) continue;
      const int sig = rank_mode_ ? static_cast<int>(o_.comm->max_value(preemption_signal())) : preemption_signal();
      if (sig != 0) {
        sum_.preempted = true;
        sum_.preempted_reason = "stopped by " + signal_name(sig) + " between cells";
        return sum_;
      }
      const auto& it = items[i];
      const auto path = result_path(o_.out_dir, p_.cells[it.cell], it.seed);
      std::unique_ptr<FileLock> lock;  // held until the item is recorded
      if (!claim(it, path, lock)) continue;
      const auto t0 = std::chrono::steady_clock::now();
      const auto result = execute(it, path);
      if (sum_.preempted) return sum_;
      if (result) record(it, *result, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    return sum_;
  }

 private:
  // Rank 0's yes/no for every rank (a lock taken, an item finished).
  bool decide(bool mine) const { return rank_mode_ ? o_.comm->broadcast_value(mine ? 1.0 : 0.0) > 0 : mine; }

  bool is_finished(const WorkItem& it) const {
    const auto& c = p_.cells[it.cell];
    return decide(writer_ && item_state(result_path(o_.out_dir, c, it.seed), c, it.seed) == ItemState::kFinished);
  }

  // Plan: this shard's items (or the one item a launched cell's ranks run),
  // the manifest, and every existing file checked first, so that a foreign
  // or stale file stops the run before hours are spent, not in the middle.
  std::vector<WorkItem> plan() {
    const auto all = work_items(p_);
    auto items = select_shard(all, o_.shard);
    if (!o_.only_item.empty()) {  // the ranks of one launched cell
      std::vector<WorkItem> one;
      for (const auto& it : items)
        if (p_.cells[it.cell].name + "#" + std::to_string(it.seed) == o_.only_item) one.push_back(it);
      if (one.size() != 1) throw std::invalid_argument("matrix item '" + o_.only_item + "': not in this shard");
      items = one;
    }
    if (rank_mode_)
      for (const auto& it : items)
        if (p_.cells[it.cell].config.nproc != o_.comm->world())
          throw std::invalid_argument("cell " + p_.cells[it.cell].name + ": nproc " +
                                      std::to_string(p_.cells[it.cell].config.nproc) + ", but this job has " +
                                      std::to_string(o_.comm->world()) +
                                      " ranks; run each cell with as many tasks as its nproc");
    sum_.total = items.size();
    if (report_) {
      const auto manifest = (fs::path(o_.out_dir) / ("protocol-" + p_.name + ".json")).string();
      write_json_atomic(manifest, protocol_manifest(p_));
      remove_stale_temporaries(manifest, /*lock_held=*/false);
    }
    finished_.assign(items.size(), false);
    for (size_t i = 0; i < items.size(); ++i)
      if (is_finished(items[i])) {
        finished_[i] = true;
        ++sum_.already_done;
        if (writer_) {
          const auto& c = p_.cells[items[i].cell];
          const auto path = result_path(o_.out_dir, c, items[i].seed);
          remove_superseded_checkpoint(c, path);
          if (report_) remove_abandoned_lock(path);
        }
      }
    remaining_ = items.size() - sum_.already_done;
    done_ = sum_.already_done;
    if (report_)
      std::fprintf(stderr, "[matrix] %s: %zu cells x %zu seeds = %zu runs; shard %d/%d: %zu runs, %zu already done\n",
                   p_.name.c_str(), p_.cells.size(), p_.seeds.size(), all.size(), o_.shard.index, o_.shard.count,
                   items.size(), sum_.already_done);
    items_ = items.size();
    return items;
  }

  // Claim: OUT/<cell>-s<seed>.json.lock, taken by rank 0 (or held by the
  // parent that launched this cell's ranks), and a last look at the file.
  // False when another process runs the item or it finished meanwhile.
  bool claim(const WorkItem& it, const std::string& path, std::unique_ptr<FileLock>& lock) {
    const auto& c = p_.cells[it.cell];
    if (report_) lock = std::make_unique<FileLock>(path + ".lock");
    if (!decide(lock == nullptr || lock->held())) {
      ++sum_.busy;
      --remaining_;
      std::fprintf(stderr, "[matrix] %s s%llu: running in another process, skipped\n", c.name.c_str(),
                   static_cast<unsigned long long>(it.seed));
      return false;
    }
    if (is_finished(it)) {  // finished while we waited
      ++sum_.already_done;
      ++done_;
      --remaining_;
      return false;
    }
    if (writer_) remove_stale_temporaries(path, /*lock_held=*/true);
    if (report_)
      std::fprintf(stderr, "[matrix %zu/%zu] %s s%llu (cell %s)\n", done_ + 1, items_, c.name.c_str(),
                   static_cast<unsigned long long>(it.seed), c.id.c_str());
    return true;
  }

  ResultMatrix matrix_block(const Cell& c) const {
    ResultMatrix m;
    m.protocol = p_.name;
    m.protocol_sha256 = p_.sha256;
    m.protocol_path = p_.path;
    m.cell = c.name;
    m.cell_id = c.id;
    m.cell_id_scheme = kCellIdScheme;
    m.label = c.label;
    m.group = c.group;
    m.flags = c.flags;
    m.shard = std::to_string(o_.shard.index) + "/" + std::to_string(o_.shard.count);
    return m;
  }

  // Execute: the item's result, or none when it stopped at its checkpoint
  // (sum_.preempted) or its ranks left no result (counted as failed and left
  // unfinished, resumable).
  std::optional<RunResult> execute(const WorkItem& it, const std::string& path) {
    const auto& c = p_.cells[it.cell];
    auto cfg = c.config;
    cfg.seed = it.seed;
    if (cfg.checkpoint.path.empty()) cfg.checkpoint.path = path + ".ckpt";
    if (!rank_mode_ && cfg.nproc > 1) return execute_ranks(it, path, cfg);
    try {
      return o_.train(cfg,
                      RunOutput{o_.command_line, Progress{o_.tty && writer_, o_.quiet || !writer_}, writer_ ? path : "",
                                matrix_block(c)},
                      o_.comm);
    } catch (const Preempted& e) {
      // The checkpoint is written; the lock goes with the caller's scope. The
      // next run of the same command resumes this item first.
      sum_.preempted = true;
      sum_.preempted_reason =
          c.name + " s" + std::to_string(it.seed) + " stopped by " + e.what() + "; checkpoint " + e.checkpoint;
      return std::nullopt;
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
      auto failed = failed_result(c, it.seed, o_.command_line, msg);
      failed.matrix = matrix_block(c);
      if (writer_) write_result_atomic(path, failed);
      return failed;
    }
  }

  // A data-parallel cell: its ranks are copies of this command limited to
  // this item; they write the result (rank 0) or stop at a checkpoint.
  std::optional<RunResult> execute_ranks(const WorkItem& it, const std::string& path, const RunConfig& cfg) {
    const auto& c = p_.cells[it.cell];
    dist::LaunchOptions lo;
    lo.nproc = static_cast<int>(cfg.nproc);
    lo.argv = {"nrsbench", "run"};
    lo.argv.insert(lo.argv.end(), o_.relaunch_args.begin(), o_.relaunch_args.end());
    lo.env = {{dist::kParentLockVar, "1"}, {"NRSBENCH_MATRIX_ITEM", c.name + "#" + std::to_string(it.seed)}};
    lo.who = "[matrix] " + c.name + " s" + std::to_string(it.seed);
    const int rc = dist::launch_local_ranks(lo);
    if (rc == kExitPreempted) {
      sum_.preempted = true;
      sum_.preempted_reason =
          c.name + " s" + std::to_string(it.seed) + " stopped at its checkpoint " + cfg.checkpoint.path;
      return std::nullopt;
    }
    if (rc != 0 || item_state(path, c, it.seed) == ItemState::kMissing) {
      // No result: the item stays unfinished (and resumable from its
      // checkpoint); the ranks said why.
      std::fprintf(stderr, "[matrix] %s s%llu: its %lld ranks exited with status %d and no result; left unfinished\n",
                   c.name.c_str(), static_cast<unsigned long long>(it.seed), static_cast<long long>(cfg.nproc), rc);
      ++sum_.ran;
      ++sum_.failed;
      ++done_;
      --remaining_;
      return std::nullopt;
    }
    return read_run_result(read_json_file(path), path);
  }

  // Record: the tally, and the progress line with the time left.
  void record(const WorkItem& it, const RunResult& result, double seconds) {
    const auto& c = p_.cells[it.cell];
    spent_ += seconds;
    ++sum_.ran;
    ++done_;
    --remaining_;
    (result.status == RunStatus::kOk ? sum_.ok : result.status == RunStatus::kDiverged ? sum_.diverged : sum_.failed)++;
    const double acc = result.final && result.final->test_acc ? *result.final->test_acc : std::nan("");
    if (report_)
      std::fprintf(stderr, "[matrix %zu/%zu] %s s%llu: %s, test_acc %.4f, %s; ETA %s\n", done_, items_, c.name.c_str(),
                   static_cast<unsigned long long>(it.seed), to_string(result.status), acc,
                   duration_text(seconds).c_str(),
                   duration_text(spent_ / static_cast<double>(sum_.ran) * static_cast<double>(remaining_)).c_str());
  }

  const Protocol& p_;
  const RunnerOptions& o_;
  const bool rank_mode_, writer_, report_;
  RunnerSummary sum_;
  std::vector<bool> finished_;  // by plan(): finished before this process
  size_t items_ = 0, done_ = 0, remaining_ = 0;
  double spent_ = 0.0;
};

}  // namespace

RunnerSummary run_matrix(const Protocol& p, const RunnerOptions& opts) { return MatrixPass(p, opts).run(); }

}  // namespace nrs::matrix
