#include "suite/run/preemption.h"

#include <atomic>
#include <csignal>

namespace nrs {
namespace {

std::atomic<int> g_signal{0};
constexpr int kSignals[] = {SIGTERM, SIGUSR1, SIGINT};
struct sigaction g_previous[3];
int g_depth = 0;

extern "C" void on_signal(int sig) { g_signal.store(sig); }

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

}  // namespace nrs
