// Starts ranks of a loopback job as copies of the running test executable
// (environment built before fork, so the child only calls execve), and
// waits for them with a deadline.
#pragma once
#include "suite/dist/launcher.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace nrs::test {

struct RankExit {
  bool exited = false;  // false: still running at the deadline (killed then)
  int status = -1;      // exit status, or 128 + signal
};

// Runs `argv` (argv[0] = the program) as ranks 0..n-1 with torchrun's
// variables plus `extra`; per-rank variables via `per_rank(rank, env)`.
template <class PerRank>
std::vector<RankExit> run_ranks(int n, const std::vector<std::string>& argv,
                                const std::map<std::string, std::string>& extra, PerRank per_rank,
                                double deadline_s = 180.0) {
  const int port = dist::free_loopback_port();
  std::vector<pid_t> pids;
  for (int r = 0; r < n; ++r) {
    std::map<std::string, std::string> env;
    for (char** e = environ; *e != nullptr; ++e) {
      std::string kv = *e;
      const auto eq = kv.find('=');
      if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    env["RANK"] = std::to_string(r);
    env["WORLD_SIZE"] = std::to_string(n);
    env["MASTER_ADDR"] = "127.0.0.1";
    env["MASTER_PORT"] = std::to_string(port);
    for (const auto& [k, v] : extra) env[k] = v;
    per_rank(r, env);
    std::vector<std::string> strs;
    for (const auto& [k, v] : env) strs.push_back(k + "=" + v);
    std::vector<char*> envp, args;
    for (auto& s : strs) envp.push_back(s.data());
    envp.push_back(nullptr);
    std::vector<std::string> a = argv;
    for (auto& s : a) args.push_back(s.data());
    args.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::execve(args[0], args.data(), envp.data());
      ::_exit(127);
    }
    pids.push_back(pid);
  }
  std::vector<RankExit> out(n);
  const auto end =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(static_cast<int64_t>(deadline_s * 1000));
  int left = n;
  while (left > 0) {
    for (int r = 0; r < n; ++r) {
      if (out[r].exited || pids[r] < 0) continue;
      int st = 0;
      if (::waitpid(pids[r], &st, WNOHANG) == pids[r]) {
        out[r] = {true, WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st)};
        --left;
      }
    }
    if (left > 0 && std::chrono::steady_clock::now() > end) {
      for (int r = 0; r < n; ++r)
        if (!out[r].exited) {
          ::kill(pids[r], SIGKILL);
          ::waitpid(pids[r], nullptr, 0);
          pids[r] = -1;
        }
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return out;
}

}  // namespace nrs::test
