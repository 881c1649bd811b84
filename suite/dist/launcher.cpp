#include "suite/dist/launcher.h"
#include "suite/core/errors.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

namespace nrs::dist {
namespace {

volatile sig_atomic_t g_forward = 0;
void remember(int sig) { g_forward = sig; }

// Handlers that only record the signal while the ranks run; the previous
// ones come back afterwards (the matrix runner has its own).
struct ForwardSignals {
  static constexpr int kSigs[] = {SIGTERM, SIGUSR1, SIGINT};
  struct sigaction prev[3];
  ForwardSignals() {
    g_forward = 0;
    struct sigaction sa {};
    sa.sa_handler = remember;
    sigemptyset(&sa.sa_mask);
    for (int i = 0; i < 3; ++i) sigaction(kSigs[i], &sa, &prev[i]);
  }
  ~ForwardSignals() {
    for (int i = 0; i < 3; ++i) sigaction(kSigs[i], &prev[i], nullptr);
  }
};

std::string describe_status(int st) {
  if (WIFSIGNALED(st))
    return std::string("was killed by signal ") + std::to_string(WTERMSIG(st)) + " (" + strsignal(WTERMSIG(st)) + ")";
  return "exited with status " + std::to_string(WEXITSTATUS(st));
}

int exit_code(int st) { return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st); }

}  // namespace

int free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("--nproc: cannot open a socket to find a free port");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("--nproc: cannot bind a loopback port");
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

int launch_local_ranks(const LaunchOptions& o) {
  if (o.nproc < 2) throw InputError("--nproc: expected an integer >= 2 to launch ranks");
  const char* fixed = std::getenv("MASTER_PORT");
  const std::string port = fixed != nullptr && *fixed != '\0' ? fixed : std::to_string(free_loopback_port());
  ForwardSignals fwd;
  std::vector<pid_t> pids(o.nproc, -1);
  std::vector<bool> alive(o.nproc, false);
  std::fflush(stdout);
  std::fflush(stderr);
  for (int r = 0; r < o.nproc; ++r) {
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("--nproc: fork failed for rank " + std::to_string(r));
    if (pid == 0) {
      ::setenv("RANK", std::to_string(r).c_str(), 1);
      ::setenv("LOCAL_RANK", std::to_string(r).c_str(), 1);
      ::setenv("WORLD_SIZE", std::to_string(o.nproc).c_str(), 1);
      ::setenv("LOCAL_WORLD_SIZE", std::to_string(o.nproc).c_str(), 1);
      ::setenv("MASTER_ADDR", "127.0.0.1", 1);
      ::setenv("MASTER_PORT", port.c_str(), 1);
      ::setenv("NRSBENCH_LAUNCHER", "1", 1);
      for (const auto& [k, v] : o.env) ::setenv(k.c_str(), v.c_str(), 1);
      std::vector<char*> args;
      static const char kSelf[] = "/proc/self/exe";
      args.push_back(const_cast<char*>(kSelf));
      for (size_t i = 1; i < o.argv.size(); ++i) args.push_back(const_cast<char*>(o.argv[i].c_str()));
      args.push_back(nullptr);
      ::execv(kSelf, args.data());
      std::fprintf(stderr, "%s: rank %d: exec failed: %s\n", o.who.c_str(), r, std::strerror(errno));
      ::_exit(127);
    }
    pids[r] = pid;
    alive[r] = true;
  }

  using Clock = std::chrono::steady_clock;
  int running = o.nproc, result = 0, forwarded = 0;
  bool failed = false;
  Clock::time_point kill_at{};
  auto signal_all = [&](int sig) {
    for (int r = 0; r < o.nproc; ++r)
      if (alive[r]) ::kill(pids[r], sig);
  };
  while (running > 0) {
    if (g_forward != 0 && g_forward != forwarded) {  // preemption: every rank checkpoints and exits 75
      forwarded = g_forward;
      signal_all(forwarded);
    }
    int st = 0;
    const pid_t pid = ::waitpid(-1, &st, WNOHANG);
    if (pid > 0) {
      for (int r = 0; r < o.nproc; ++r) {
        if (pids[r] != pid || !alive[r]) continue;
        alive[r] = false;
        --running;
        const int code = exit_code(st);
        if (!failed && code != 0 && code != 75) {  // 75: stopped at a checkpoint, as agreed by all ranks
          failed = true;
          result = code;
          std::fprintf(stderr, "%s: rank %d of %d %s; stopping the other ranks\n", o.who.c_str(), r, o.nproc,
                       describe_status(st).c_str());
          signal_all(SIGTERM);
          kill_at = Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(o.grace_s * 1000));
        } else if (!failed && code == 75) {
          result = 75;
        }
      }
      continue;
    }
    if (failed && Clock::now() >= kill_at) signal_all(SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return result;
}

}  // namespace nrs::dist
