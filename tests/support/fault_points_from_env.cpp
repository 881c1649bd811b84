// The fault points of `nrsbench-faults` (suite/core/fault_points.h), set
// from the environment by the reliability tests:
//   NRSBENCH_TEST_SIGNAL_AT_STEP="N:TERM" (or USR1, INT, KILL) raises that
//     signal after global step N; NRSBENCH_TEST_SIGNAL_RANK=R limits it to
//     rank R of a data-parallel job (RANK);
//   NRSBENCH_TEST_KILL_AT_WRITE="N:half" SIGKILLs the process in its N-th
//     atomic write (1-based) with half the bytes written; "N:rename" just
//     before the rename.
#include "suite/core/fault_points.h"

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <string>

namespace nrs::faults {
namespace {

struct SignalAtStep {
  int64_t step = -1;
  int sig = 0;
  SignalAtStep() {
    const char* v = std::getenv("NRSBENCH_TEST_SIGNAL_AT_STEP");
    if (v == nullptr) return;
    const char* only = std::getenv("NRSBENCH_TEST_SIGNAL_RANK");
    const char* rank = std::getenv("RANK");
    if (only != nullptr && std::atoi(only) != (rank != nullptr ? std::atoi(rank) : 0)) return;
    const char* colon = std::strchr(v, ':');
    step = std::atoll(v);
    const std::string name = colon != nullptr ? colon + 1 : "TERM";
    sig = name == "KILL" ? SIGKILL : name == "USR1" ? SIGUSR1 : name == "INT" ? SIGINT : SIGTERM;
  }
};

}  // namespace

void after_step(int64_t global_step) {
  static const SignalAtStep hook;
  if (hook.step == global_step) std::raise(hook.sig);
}

WriteFault at_atomic_write() {
  static const auto spec = []() -> std::pair<long, WriteFault> {
    const char* v = std::getenv("NRSBENCH_TEST_KILL_AT_WRITE");
    if (v == nullptr) return {0, WriteFault::kNone};
    const char* colon = std::strchr(v, ':');
    const bool rename = colon != nullptr && std::strcmp(colon + 1, "rename") == 0;
    return {std::atol(v), rename ? WriteFault::kKillBeforeRename : WriteFault::kKillHalfWritten};
  }();
  static long writes = 0;
  return ++writes == spec.first ? spec.second : WriteFault::kNone;
}

}  // namespace nrs::faults
