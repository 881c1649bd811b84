// The result phase: the typed result of a finished (or diverged) run, built
// from its TrainState (docs/results-schema.md documents every field).
#pragma once
#include "suite/io/run_result.h"
#include "suite/run/checkpoint.h"
#include "suite/run/train_state.h"

#include <chrono>
#include <string>

namespace nrs {

// Wall time and start time of this process's part of the run.
struct RunClock {
  std::chrono::steady_clock::time_point t0 = std::chrono::steady_clock::now();
  std::string start_time;
  RunClock();
  double seconds() const;
};

// Checkpoints this process wrote: count, last size, write times.
struct CheckpointLog {
  int64_t written = 0, last_bytes = 0;
  double total_write_s = 0.0, max_write_s = 0.0;
  void add(const CheckpointWrite& w);
  ResultCheckpoints record() const;
};

// What every result of `cfg` starts with, finished or failed: the schema,
// this binary's version and commit, the command, the configuration, the seed,
// the variant and the environment.
RunResult result_header(const RunConfig& cfg, const std::string& command_line);

// A finished (or diverged) run's result.
RunResult build_result(const TrainState& s, const nlohmann::json& hessian, const CheckpointLog& ckpt,
                       const RunClock& clock, const std::string& command_line);

}  // namespace nrs
