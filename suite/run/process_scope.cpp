#include "suite/run/process_scope.h"

#include <thread>
#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#endif

namespace nrs {
namespace {

// ATen can set flush-to-zero but not report it; on x86 the MXCSR register is
// the state itself, so save and restore that.
unsigned fp_control() {
#if defined(__x86_64__) || defined(__i386__)
  return _mm_getcsr();
#else
  return 0;
#endif
}

void set_fp_control(unsigned v) {
#if defined(__x86_64__) || defined(__i386__)
  _mm_setcsr(v);
#else
  (void)v;
#endif
}

}  // namespace

int resolve_threads(int threads) {
  return threads > 0 ? threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

ProcessScope::ProcessScope(const ProcessSettings& s)
    : threads_(resolve_threads(s.threads)),
      prev_threads_(at::get_num_threads()),
      prev_fp_control_(fp_control()),
      cuda_(s.cuda),
      prev_cudnn_benchmark_(at::globalContext().benchmarkCuDNN()),
      prev_rng_(at::detail::getDefaultCPUGenerator().get_state()) {
  at::set_num_threads(threads_);
  torch::manual_seed(s.seed);
  at::globalContext().setFlushDenormal(s.flush_denormal);
  if (cuda_) at::globalContext().setBenchmarkCuDNN(s.cudnn_benchmark);
}

ProcessScope::~ProcessScope() {
  at::set_num_threads(prev_threads_);
  set_fp_control(prev_fp_control_);
  if (cuda_) at::globalContext().setBenchmarkCuDNN(prev_cudnn_benchmark_);
  auto gen = at::detail::getDefaultCPUGenerator();  // a handle to the default generator
  gen.set_state(prev_rng_);
}

}  // namespace nrs
