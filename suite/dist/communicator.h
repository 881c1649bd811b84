// One rank of a data-parallel job on PyTorch's c10d: a TCPStore rendezvous
// (rank 0 serves it at MASTER_ADDR:MASTER_PORT) and a process group, Gloo
// for CPU tensors, NCCL for CUDA ones where the LibTorch has it. The c10d
// headers stay in communicator.cpp.
//
// Every collective either completes on all ranks or throws DistError on
// each surviving one (a rank that exits closes its sockets; one that hangs
// runs into the timeout), so no rank waits forever and none writes a result
// the others did not reach.
#pragma once
#include "suite/dist/dist_env.h"
#include "suite/optim/replicas.h"

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace nrs::dist {

// A collective or the rendezvous failed: a peer exited, hung past the
// timeout, or could not be reached. One line, naming this rank.
struct DistError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct CommStats {
  int64_t gradient_reductions = 0;  // average_gradients calls
  int64_t gradient_bytes = 0;       // bytes these sent into all-reduce (one rank's buffers)
  double gradient_seconds = 0.0;    // wall time in them (includes waiting for slower ranks)
};

class Communicator : public optim::Replicas {
 public:
  // Connects to the job `env` describes (env.world > 1) for tensors on
  // `device`. A port in use or a bad address throws InputError; a store that
  // does not answer within `timeout`, DistError.
  static std::unique_ptr<Communicator> connect(const DistEnv& env, const std::string& device,
                                               std::chrono::milliseconds timeout);
  ~Communicator() override;

  int rank() const override { return env_.rank; }
  int world() const override { return env_.world; }
  const DistEnv& env() const { return env_; }
  std::string backend() const { return backend_; }
  std::chrono::milliseconds timeout() const { return timeout_; }

  void average_gradients(const std::vector<torch::Tensor>& params, double weight) override;
  // In place on every rank: the sum (or max) over ranks, bucketed so a whole
  // model's tensors go in a few messages.
  void all_reduce_sum(const std::vector<torch::Tensor>& tensors);
  void all_reduce_max(const std::vector<torch::Tensor>& tensors);
  // Rank `root`'s values into every rank's tensors.
  void broadcast(const std::vector<torch::Tensor>& tensors, int root = 0);
  void barrier();
  // Control values: rank `root`'s value on every rank; the largest over ranks.
  double broadcast_value(double v, int root = 0);
  double max_value(double v);
  // Float64 control values on the device this backend's collectives take
  // (CPU for Gloo, the rank's GPU for NCCL), for agreeing on several at once.
  torch::Tensor control_tensor(const std::vector<double>& values) const;
  // Every rank must pass the same `value` for `what` (world size, the run's
  // configuration): otherwise each throws InputError naming the first rank
  // that differs. Goes through the store, so it works before any collective.
  void require_same(const std::string& what, const std::string& value);
  // Every rank's `value` for `what`, by rank, through the store (after
  // require_same("WORLD_SIZE"), so every rank is there to answer).
  std::vector<std::string> exchange(const std::string& what, const std::string& value);

  const CommStats& stats() const { return stats_; }

 private:
  struct Impl;
  Communicator(DistEnv env, std::chrono::milliseconds timeout, std::unique_ptr<Impl> impl, std::string backend,
               torch::Device collective_device);
  void reduce(const std::vector<torch::Tensor>& tensors, bool max);
  DistEnv env_;
  std::chrono::milliseconds timeout_;
  std::unique_ptr<Impl> impl_;
  std::string backend_;
  torch::Device collective_device_;
  CommStats stats_;
  int64_t checks_ = 0;
};

}  // namespace nrs::dist
