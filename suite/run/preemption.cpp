#include "suite/run/preemption.h"

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <cstring>

namespace nrs {
namespace {

std::atomic<int> g_signal{0};
constexpr int kSignals[] = {SIGTERM, SIGUSR1, SIGINT};
struct sigaction g_previous[3];
int g_depth = 0;

extern "C" void on_signal(int sig) { g_signal.store(sig); }

struct TestHook {
  int64_t step = -1;
  int sig = 0;
  TestHook() {
    const char* v = std::getenv("NRSBENCH_TEST_SIGNAL_AT_STEP");
    if (!v) return;
    // NRSBENCH_TEST_SIGNAL_RANK=R: only rank R of a data-parallel job.
    const char* only = std::getenv("NRSBENCH_TEST_SIGNAL_RANK");
    const char* rank = std::getenv("RANK");
    if (only != nullptr && std::atoi(only) != (rank != nullptr ? std::atoi(rank) : 0)) return;
    const char* colon = std::strchr(v, ':');
    step = std::atoll(v);
    const std::string name = colon ? colon + 1 : "TERM";
    sig = name == "KILL" ? SIGKILL : name == "USR1" ? SIGUSR1 : name == "INT" ? SIGINT : SIGTERM;
  }
};

}  // namespace

PreemptionHandlers::PreemptionHandlers() {
  if (g_depth++ > 0) return;  // nested (matrix runner around runs): one set
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  for (int i = 0; i < 3; ++i) sigaction(kSignals[i], &sa, &g_previous[i]);
}

PreemptionHandlers::~PreemptionHandlers() {
  if (--g_depth > 0) return;
  for (int i = 0; i < 3; ++i) sigaction(kSignals[i], &g_previous[i], nullptr);
}

int preemption_signal() { return g_signal.load(); }
void clear_preemption() { g_signal.store(0); }

std::string signal_name(int sig) {
  switch (sig) {
    case SIGTERM:
      return "SIGTERM";
    case SIGUSR1:
      return "SIGUSR1";
    case SIGINT:
      return "SIGINT";
    default:
      return "signal " + std::to_string(sig);
  }
}

void maybe_raise_test_signal(int64_t global_step) {
  static const TestHook hook;
  if (hook.step == global_step) std::raise(hook.sig);
}

}  // namespace nrs
