// `nrsbench run --nproc N` on one machine: starts N copies of the same
// command as ranks 0..N-1 of a loopback job (torchrun's environment
// variables, a free MASTER_PORT), forwards preemption signals to them, and
// stops them all when one fails, naming it.
#pragma once
#include <string>
#include <utility>
#include <vector>

namespace nrs::dist {

struct LaunchOptions {
  int nproc = 2;
  std::vector<std::string> argv;                         // argv[0] is replaced by this executable
  std::vector<std::pair<std::string, std::string>> env;  // extra variables for every rank
  double grace_s = 10.0;             // after a rank fails: SIGTERM to the others, SIGKILL after this long
  std::string who = "nrsbench run";  // prefix of the one-line report
};

// Exit status of the job: 0 when every rank exited 0; 75 (preempted at a
// checkpoint) when every rank did; otherwise that of the first rank to fail
// (128 + signal for a signal), after one line on stderr naming the rank.
int launch_local_ranks(const LaunchOptions& o);

// A TCP port free on 127.0.0.1 now (the kernel's choice).
int free_loopback_port();

}  // namespace nrs::dist
