// Runs a protocol's cells x seeds into a results directory: one JSON per
// cell-seed, written atomically; finished ones are skipped (resume); a lock
// per cell-seed keeps concurrent processes (shards, Slurm tasks) apart.
#pragma once
#include "suite/io/run_result.h"
#include "suite/matrix/protocol.h"

#include <functional>
#include <string>
#include <vector>

namespace nrs::dist {
class Communicator;
}

namespace nrs::matrix {

// Trains one cell and returns its result: run_training (suite/run/run.h), or
// what a test puts in its place. The runner decides which cells run, where
// their results go and what they are recorded as; the trainer only trains.
using CellTrainer = std::function<RunResult(const RunConfig&, const RunOutput&, dist::Communicator*)>;

struct RunnerOptions {
  CellTrainer train;
  std::string out_dir;
  Shard shard;
  std::string command_line;
  bool quiet = false;  // no per-epoch lines
  bool tty = false;
  // Data-parallel cells (nproc > 1). A runner that is not a rank starts the
  // cell's ranks itself, as copies of `relaunch_args` (this command's own
  // `run ...` arguments) limited to the one item; it holds the item's lock.
  std::vector<std::string> relaunch_args = {};
  // A rank (torchrun, srun --ntasks N, or a cell started as above): every
  // rank walks the same items in step; rank 0 takes the locks, decides and
  // writes; the others follow its decisions.
  dist::Communicator* comm = nullptr;
  std::string only_item = {};  // "<cell name>#<seed>": the one item a launched cell's ranks run
};

struct RunnerSummary {
  size_t total = 0;         // items in this shard
  size_t already_done = 0;  // finished before this process started them
  size_t ran = 0, ok = 0, diverged = 0, failed = 0;
  size_t busy = 0;         // locked by another process
  bool preempted = false;  // a signal stopped the matrix at a checkpoint
  std::string preempted_reason;
};

// What a result file says about its cell-seed.
enum class ItemState { kMissing, kFinished, kFailed };
// Throws std::invalid_argument naming the file when it is not a result of
// this cell (corrupt, foreign, or written by a different configuration).
ItemState item_state(const std::string& path, const Cell& cell, uint64_t seed);

// Writes OUT/protocol-<name>.json (the expanded cells, for aggregation and
// for knowing what is missing), then runs this shard's items in order: plan,
// then for each item claim (its lock), execute (opts.train, or its ranks) and
// record (runner.cpp, MatrixPass).
RunnerSummary run_matrix(const Protocol& p, const RunnerOptions& opts);

// The manifest run_matrix writes.
nlohmann::json protocol_manifest(const Protocol& p);

}  // namespace nrs::matrix
