// Runs a protocol's cells x seeds into a results directory: one JSON per
// cell-seed, written atomically; finished ones are skipped (resume); a lock
// per cell-seed keeps concurrent processes (shards, Slurm tasks) apart.
#pragma once
#include "suite/matrix/protocol.h"

#include <string>

namespace nrs::matrix {

struct RunnerOptions {
  std::string out_dir;
  Shard shard;
  std::string command_line;
  bool quiet = false;  // no per-epoch lines
  bool tty = false;
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
// for knowing what is missing), then runs this shard's items in order.
RunnerSummary run_matrix(const Protocol& p, const RunnerOptions& opts);

// The manifest run_matrix writes.
nlohmann::json protocol_manifest(const Protocol& p);

}  // namespace nrs::matrix
