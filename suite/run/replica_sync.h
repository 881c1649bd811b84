// What the training loop does differently with data-parallel replicas
// (suite/dist/communicator.h), in one place: which rows of the global batch
// a replica trains on, the per-step agreement on stopping, the epoch sums
// and BatchNorm statistics brought together, and the state every replica
// starts from. With one process none of this runs.
#pragma once
#include "datasets/batch_source.h"
#include "models/net.h"
#include "suite/dist/communicator.h"
#include "suite/run/train_state.h"

namespace nrs {

// Rows [floor(r*B/W), floor((r+1)*B/W)) of the global batch (views) and their
// share of it. The global batch sequence is the single-process one, so any
// world size trains on the same samples in the same steps.
struct ReplicaRows {
  data::Batch batch;
  double weight = 1.0;
};
ReplicaRows replica_rows(const data::Batch& global, int rank, int world);

// Per-step agreement: every rank learns whether any rank saw a stop signal,
// whether rank 0's checkpoint clock is due, and whether any loss was
// non-finite, so all leave the loop at the same step. One small all-reduce.
struct StepAgreement {
  int stop_signal = 0;  // the largest signal number any rank saw (0 = none)
  bool checkpoint_due = false, nonfinite = false;
};
StepAgreement agree(dist::Communicator& c, int signal, bool checkpoint_due, bool nonfinite);

// The epoch's running sums over all replicas, on every rank (loss, correct
// and seen add up; the per-step norms and KL are averaged over replicas).
void reduce_epoch_sums(dist::Communicator& c, EpochSums& s);
// After a checkpoint of the reduced sums: rank 0 keeps them, the others
// start from zero, so the next reduction counts every sample once.
void keep_sums_on_rank0(const dist::Communicator& c, EpochSums& s, torch::Device device);

// BatchNorm running statistics (floating buffers) averaged over replicas,
// as the official SAM code's cross-replica mean of batch_stats before
// evaluation. Running statistics do not enter training, and their update is
// linear, so averaging earlier or later gives the same values up to rounding.
void average_buffers(dist::Communicator& c, models::Net& model);

// Parameters and buffers from rank 0 (after init or a checkpoint load), so
// every replica starts from the same state.
void broadcast_model(dist::Communicator& c, models::Net& model);

// Eval-mode loss sum, correct count and sample count over the batches of
// `source` with index % world == rank, summed over ranks.
struct EvalSums {
  double loss_sum = 0.0;
  double correct = 0.0;
  double seen = 0.0;
};
EvalSums reduce_eval(dist::Communicator& c, const EvalSums& local);

}  // namespace nrs
