// Compiled with USE_C10D_GLOO (and USE_C10D_NCCL on CUDA builds): the c10d
// headers declare the process groups only under those macros
// (../shared/reference/platform-notes.md). Only this file sees them.
#include "suite/dist/communicator.h"
#include "suite/core/errors.h"

#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef NRSBENCH_WITH_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>

namespace nrs::dist {
namespace {

// DDP's default bucket: large enough that per-message latency does not
// dominate, small enough that the flattened copy stays a small overhead.
constexpr int64_t kBucketBytes = 25 << 20;

std::string first_line(const std::string& s) {
  auto l = s.substr(0, s.find('\n'));
  return l.size() > 300 ? l.substr(0, 300) + "..." : l;
}

bool is_loopback(const std::string& addr) { return addr == "localhost" || addr.rfind("127.", 0) == 0; }

// Where this rank's Gloo device listens, as a peer's error message names it:
// the first IPv4 address of GLOO_SOCKET_IFNAME, 127.0.0.1 for a loopback job,
// else the host name (what createDefaultDevice resolves).
std::string own_address(const DistEnv& env) {
  if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME")) {
    std::string found = ifname;  // the interface's name when it has no IPv4 address
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) == 0) {
      for (auto* a = list; a != nullptr; a = a->ifa_next) {
        if (a->ifa_addr == nullptr || a->ifa_addr->sa_family != AF_INET || std::string(a->ifa_name) != ifname) continue;
        char buf[INET_ADDRSTRLEN] = {};
        ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(a->ifa_addr)->sin_addr, buf, sizeof buf);
        found = buf;
        break;
      }
      ::freeifaddrs(list);
    }
    return found;
  }
  if (is_loopback(env.master_addr)) return "127.0.0.1";
  char host[256] = {};
  return ::gethostname(host, sizeof host - 1) == 0 ? std::string(host) : std::string("?");
}

// Consecutive tensors of one dtype and device, up to kBucketBytes per group.
std::vector<std::vector<torch::Tensor>> buckets(const std::vector<torch::Tensor>& ts) {
  std::vector<std::vector<torch::Tensor>> out;
  int64_t bytes = 0;
  for (const auto& t : ts) {
    const int64_t b = t.numel() * static_cast<int64_t>(t.element_size());
    const bool fits = !out.empty() && out.back().front().scalar_type() == t.scalar_type() &&
                      out.back().front().device() == t.device() && bytes + b <= kBucketBytes;
    if (!fits) {
      out.emplace_back();
      bytes = 0;
    }
    out.back().push_back(t);
    bytes += b;
  }
  return out;
}

torch::Tensor flatten(const std::vector<torch::Tensor>& ts, double scale) {
  std::vector<torch::Tensor> flat;
  flat.reserve(ts.size());
  for (const auto& t : ts) flat.push_back(scale == 1.0 ? t.reshape({-1}) : t.reshape({-1}) * scale);
  return flat.size() == 1 && scale == 1.0 ? flat[0].clone() : torch::cat(flat);
}

void unflatten(const torch::Tensor& flat, const std::vector<torch::Tensor>& ts) {
  int64_t off = 0;
  for (const auto& t : ts) {
    t.copy_(flat.narrow(0, off, t.numel()).view(t.sizes()));
    off += t.numel();
  }
}

}  // namespace

struct Communicator::Impl {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> gloo;
#ifdef NRSBENCH_WITH_NCCL
  c10::intrusive_ptr<c10d::ProcessGroupNCCL> nccl;
#endif
  std::vector<std::string> addresses;  // each rank's, exchanged at connect

  // "rank 1 at 10.0.0.2", or "one of rank 1 at ..., rank 2 at ..." for the
  // peers a failed collective may have lost.
  std::string peers(int rank) const {
    std::string s;
    int n = 0;
    for (int r = 0; r < static_cast<int>(addresses.size()); ++r)
      if (r != rank) s += (n++ ? ", rank " : "rank ") + std::to_string(r) + " at " + addresses[r];
    return n > 1 ? "one of " + s : s;
  }
  // Runs `f` on the process group and waits; c10d's errors become DistError.
  template <class F>
  void run(const char* what, int rank, std::chrono::milliseconds timeout, F f) {
    try {
#ifdef NRSBENCH_WITH_NCCL
      auto work = nccl ? f(*nccl) : f(*gloo);
#else
      auto work = f(*gloo);
#endif
      work->wait(timeout);
    } catch (const std::exception& e) {
      throw DistError("rank " + std::to_string(rank) + ": " + what + " failed: lost " + peers(rank) +
                      " (it exited, or did not answer within " + std::to_string(timeout.count() / 1000) +
                      " s): " + first_line(e.what()));
    }
  }
};

Communicator::Communicator(DistEnv env, std::chrono::milliseconds timeout, std::unique_ptr<Impl> impl,
                           std::string backend, torch::Device collective_device)
    : env_(std::move(env)),
      timeout_(timeout),
      impl_(std::move(impl)),
      backend_(std::move(backend)),
      collective_device_(collective_device) {}

Communicator::~Communicator() = default;

std::unique_ptr<Communicator> Communicator::connect(const DistEnv& env, const std::string& device,
                                                    std::chrono::milliseconds timeout) {
  auto impl = std::make_unique<Impl>();
  const std::string where = env.master_addr + ":" + std::to_string(env.master_port);
  try {
    c10d::TCPStoreOptions so;
    so.port = static_cast<uint16_t>(env.master_port);
    so.isServer = env.rank == 0;
    so.numWorkers = env.world;
    so.waitWorkers = false;  // require_same below names a missing or mismatched rank
    so.timeout = timeout;
    impl->store = c10::make_intrusive<c10d::TCPStore>(env.master_addr, so);
  } catch (const std::exception& e) {
    const std::string m = e.what();
    if (env.rank == 0 && (m.find("in use") != std::string::npos || m.find("EADDRINUSE") != std::string::npos))
      throw InputError("MASTER_PORT=" + std::to_string(env.master_port) +
                       ": the rendezvous port is already in use on " + env.master_addr +
                       " (another job?); choose another MASTER_PORT");
    throw DistError("rank " + std::to_string(env.rank) + ": could not " + (env.rank == 0 ? "serve" : "reach") +
                    " the rendezvous store at " + where + " within " + std::to_string(timeout.count() / 1000) +
                    " s (MASTER_ADDR/MASTER_PORT; is rank 0 running?): " + first_line(m));
  }
  const bool cuda = device.rfind("cuda", 0) == 0;
  std::unique_ptr<Communicator> c(new Communicator(env, timeout, std::move(impl), cuda ? "nccl" : "gloo",
                                                   cuda ? torch::Device(device) : torch::Device(torch::kCPU)));
  // Before the process group: a rank of another job size or configuration
  // gets a named error instead of a rendezvous that never completes.
  c->require_same("WORLD_SIZE", std::to_string(env.world));
  c->impl_->addresses = c->exchange("address", own_address(env));
  try {
    if (cuda) {
#ifdef NRSBENCH_WITH_NCCL
      auto o = c10d::ProcessGroupNCCL::Options::create();
      o->timeout = timeout;
      c->impl_->nccl = c10::make_intrusive<c10d::ProcessGroupNCCL>(c->impl_->store, env.rank, env.world, o);
#else
      throw InputError("--device " + device +
                       " with several ranks: this LibTorch has no NCCL; build against a CUDA LibTorch");
#endif
    } else {
      auto o = c10d::ProcessGroupGloo::Options::create(timeout);
      // Loopback jobs bind loopback; otherwise GLOO_SOCKET_IFNAME, as torch
      // does, or the interface the host name resolves to.
      if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"))
        o->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
      else if (is_loopback(env.master_addr))
        o->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
      else
        o->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
      o->threads = 2;
      c->impl_->gloo = c10::make_intrusive<c10d::ProcessGroupGloo>(c->impl_->store, env.rank, env.world, o);
    }
  } catch (const InputError&) {
    throw;
  } catch (const std::exception& e) {
    throw DistError("rank " + std::to_string(env.rank) + ": joining the " + c->backend_ + " process group at " + where +
                    " failed: " + first_line(e.what()));
  }
  return c;
}

void Communicator::require_same(const std::string& what, const std::string& value) {
  const std::string prefix = "nrsbench/" + std::to_string(checks_++) + "/" + what + "/";
  auto& store = *impl_->store;
  try {
    store.set(prefix + std::to_string(env_.rank), std::vector<uint8_t>(value.begin(), value.end()));
  } catch (const std::exception& e) {
    throw DistError("rank " + std::to_string(env_.rank) + ": rendezvous store: " + first_line(e.what()));
  }
  for (int r = 0; r < env_.world; ++r) {
    if (r == env_.rank) continue;
    std::vector<uint8_t> got;
    const auto t0 = std::chrono::steady_clock::now();
    try {
      got = store.get(prefix + std::to_string(r));
    } catch (const std::exception& e) {
      const bool timed_out = std::chrono::steady_clock::now() - t0 >= timeout_ - std::chrono::seconds(1);
      throw DistError("rank " + std::to_string(env_.rank) + ": " +
                      (timed_out ? "rank " + std::to_string(r) + " of " + std::to_string(env_.world) +
                                       " did not join within " + std::to_string(timeout_.count() / 1000) +
                                       " s (did it start? same WORLD_SIZE and MASTER_PORT?)"
                                 : "lost the rendezvous store while waiting for rank " + std::to_string(r) +
                                       " (rank 0 exited?): " + first_line(e.what())));
    }
    const std::string theirs(got.begin(), got.end());
    if (theirs != value)
      throw InputError(what + ": rank " + std::to_string(r) + " has '" + theirs + "', rank " +
                       std::to_string(env_.rank) + " has '" + value + "'; every rank must run the same job");
  }
}

std::vector<std::string> Communicator::exchange(const std::string& what, const std::string& value) {
  const std::string prefix = "nrsbench/" + std::to_string(checks_++) + "/" + what + "/";
  auto& store = *impl_->store;
  std::vector<std::string> out(static_cast<size_t>(env_.world));
  try {
    store.set(prefix + std::to_string(env_.rank), std::vector<uint8_t>(value.begin(), value.end()));
    for (int r = 0; r < env_.world; ++r) {
      const auto got =
          r == env_.rank ? std::vector<uint8_t>(value.begin(), value.end()) : store.get(prefix + std::to_string(r));
      out[static_cast<size_t>(r)] = std::string(got.begin(), got.end());
    }
  } catch (const std::exception& e) {
    throw DistError("rank " + std::to_string(env_.rank) + ": rendezvous store (" + what + "): " + first_line(e.what()));
  }
  return out;
}

void Communicator::reduce(const std::vector<torch::Tensor>& tensors, bool max) {
  for (const auto& bucket : buckets(tensors)) {
    auto flat = flatten(bucket, 1.0);
    std::vector<torch::Tensor> v{flat};
    c10d::AllreduceOptions o;
    o.reduceOp = max ? c10d::ReduceOp::MAX : c10d::ReduceOp::SUM;
    impl_->run("all-reduce", env_.rank, timeout_, [&](auto& pg) { return pg.allreduce(v, o); });
    unflatten(flat, bucket);
  }
}

void Communicator::all_reduce_sum(const std::vector<torch::Tensor>& tensors) { reduce(tensors, false); }
void Communicator::all_reduce_max(const std::vector<torch::Tensor>& tensors) { reduce(tensors, true); }

void Communicator::average_gradients(const std::vector<torch::Tensor>& params, double weight) {
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<torch::Tensor> grads;
  grads.reserve(params.size());
  for (const auto& p : params) {
    auto& g = const_cast<torch::Tensor&>(p).mutable_grad();
    if (!g.defined()) g = torch::zeros_like(p);
    grads.push_back(g);
  }
  for (const auto& bucket : buckets(grads)) {
    auto flat = flatten(bucket, weight);  // weight_r * g_r: the SUM is the global mean
    std::vector<torch::Tensor> v{flat};
    impl_->run("gradient all-reduce", env_.rank, timeout_, [&](auto& pg) { return pg.allreduce(v); });
    unflatten(flat, bucket);
    stats_.gradient_bytes += flat.numel() * static_cast<int64_t>(flat.element_size());
  }
  ++stats_.gradient_reductions;
  stats_.gradient_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void Communicator::broadcast(const std::vector<torch::Tensor>& tensors, int root) {
  for (const auto& bucket : buckets(tensors)) {
    auto flat = flatten(bucket, 1.0);
    std::vector<torch::Tensor> v{flat};
    c10d::BroadcastOptions o;
    o.rootRank = root;
    impl_->run("broadcast", env_.rank, timeout_, [&](auto& pg) { return pg.broadcast(v, o); });
    unflatten(flat, bucket);
  }
}

torch::Tensor Communicator::control_tensor(const std::vector<double>& values) const {
  return torch::tensor(values, torch::TensorOptions().dtype(torch::kFloat64)).to(collective_device_);
}

double Communicator::broadcast_value(double v, int root) {
  auto t = control_tensor({v});
  broadcast({t}, root);
  return t.cpu().item<double>();
}

double Communicator::max_value(double v) {
  auto t = control_tensor({v});
  all_reduce_max({t});
  return t.cpu().item<double>();
}

void Communicator::barrier() {
  impl_->run("barrier", env_.rank, timeout_, [&](auto& pg) { return pg.barrier(); });
}

}  // namespace nrs::dist
