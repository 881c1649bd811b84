#include "suite/run/step_hooks.h"
#include "suite/core/fault_points.h"
#include "suite/run/preemption.h"
#include "suite/run/replica_sync.h"
#include "suite/run/train_state.h"

#include <chrono>
#include <cmath>
#include <cstdio>

namespace nrs {
namespace {

// The loss is read back from the device every this many steps of an epoch.
constexpr int64_t kSyncEvery = 50;

class DivergenceCheck final : public StepHook {
 public:
  void after_step(const TrainState& s, const optim::StepStats& st, StepDecision& d) override {
    if (s.progress.sums.steps % kSyncEvery == 0) d.nonfinite = !std::isfinite(st.loss.item<double>());
  }
};

class ProgressLine final : public StepHook {
 public:
  void after_step(const TrainState& s, const optim::StepStats&, StepDecision& d) override {
    const auto& S = s.progress.sums;
    if (S.steps % kSyncEvery != 0 || d.nonfinite) return;
    std::fprintf(stderr, "\r[epoch %lld/%lld] step %lld/%lld  loss %.4f  lr %.4g   ",
                 static_cast<long long>(s.progress.epoch + 1), static_cast<long long>(s.cfg.epochs),
                 static_cast<long long>(S.steps), static_cast<long long>(s.pipe->batches_per_epoch()),
                 S.loss.item<double>() / static_cast<double>(S.seen), S.lr);
    std::fflush(stderr);
  }
};

class FaultPoint final : public StepHook {
 public:
  void after_step(const TrainState& s, const optim::StepStats&, StepDecision&) override {
    faults::after_step(s.progress.global_step);  // nothing outside nrsbench-faults
  }
};

class PreemptionSignal final : public StepHook {
 public:
  void after_step(const TrainState&, const optim::StepStats&, StepDecision& d) override {
    d.stop_signal = preemption_signal();
  }
};

class CheckpointClock final : public StepHook {
 public:
  explicit CheckpointClock(double every_s) : every_s_(every_s) {}
  void after_step(const TrainState&, const optim::StepStats&, StepDecision& d) override {
    d.checkpoint_due = std::chrono::duration<double>(Clock::now() - last_).count() >= every_s_;
  }
  void after_checkpoint() override { last_ = Clock::now(); }

 private:
  using Clock = std::chrono::steady_clock;
  double every_s_;
  Clock::time_point last_ = Clock::now();
};

class ReplicaAgreement final : public StepHook {
 public:
  explicit ReplicaAgreement(dist::Communicator& comm) : comm_(comm) {}
  void after_step(const TrainState&, const optim::StepStats&, StepDecision& d) override {
    const auto a = agree(comm_, d.stop_signal, d.checkpoint_due, d.nonfinite);
    d = StepDecision{a.stop_signal, a.checkpoint_due, a.nonfinite};
  }

 private:
  dist::Communicator& comm_;
};

}  // namespace

StepHooks standard_step_hooks(const StepHookOptions& o) {
  StepHooks h;
  h.push_back(std::make_unique<DivergenceCheck>());
  if (o.progress_line) h.push_back(std::make_unique<ProgressLine>());
  h.push_back(std::make_unique<FaultPoint>());
  h.push_back(std::make_unique<PreemptionSignal>());
  if (o.checkpoint_every_seconds > 0) h.push_back(std::make_unique<CheckpointClock>(o.checkpoint_every_seconds));
  if (o.comm != nullptr) h.push_back(std::make_unique<ReplicaAgreement>(*o.comm));
  return h;
}

}  // namespace nrs
