// In-run checkpoints: the whole TrainState (weights, BN buffers, momentum,
// strategy generators, the pipeline's position and generator, the global
// generators, running sums, history and timings) in one file, written
// atomically (temporary file, fsync, rename). Restoring it continues the run
// bitwise as if it had never stopped (same machine type, build and threads).
//
// Format 1: a LibTorch archive (torch::serialize) with tensors under
// "model.<name>", "momentum.<i>", "strategy.<i>", "pipeline.<i>",
// "rng.cpu", "rng.cuda", "sums.<field>" and the metadata JSON as bytes under
// "meta" ({"kind": "nrsbench-checkpoint", "format": 1, "cell_id", "seed",
// "progress": {...}}).
#pragma once
#include "suite/run/train_state.h"

#include <string>

namespace nrs {

constexpr int kCheckpointFormat = 1;

struct CheckpointWrite {
  int64_t bytes = 0;
  double seconds = 0.0;
};

CheckpointWrite save_checkpoint(const TrainState& s, const std::string& path);

// The cell id with the world size left out: a checkpoint resumes a run of
// the same cell at any --nproc (meta "resume_id"; "world_size" says which
// wrote it).
std::string resume_id(const RunConfig& c);

// Restores `s` from `path` when it exists and returns true; false when there
// is no file. A file of another configuration, seed or format, or a damaged
// one, throws std::invalid_argument with one line naming the file.
bool load_checkpoint(TrainState& s, const std::string& path);

}  // namespace nrs
