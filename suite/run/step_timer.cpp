#include "suite/run/step_timer.h"

#include <vector>

#if defined(NRSBENCH_WITH_CUDA)
#include <ATen/cuda/CUDAEvent.h>
#endif

namespace nrs {

#if defined(NRSBENCH_WITH_CUDA)
struct StepTimer::CudaSpans {
  std::vector<std::pair<at::cuda::CUDAEvent, at::cuda::CUDAEvent>> spans;
};
#else
struct StepTimer::CudaSpans {};
#endif

StepTimer::StepTimer(torch::Device device) : device_(device) {
#if defined(NRSBENCH_WITH_CUDA)
  if (device_.is_cuda()) cuda_ = std::make_unique<CudaSpans>();
#endif
}

StepTimer::~StepTimer() = default;

void StepTimer::start() {
#if defined(NRSBENCH_WITH_CUDA)
  if (cuda_) {
    // cudaEventDefault: timing enabled (ATen's default disables it).
    cuda_->spans.emplace_back(at::cuda::CUDAEvent(cudaEventDefault), at::cuda::CUDAEvent(cudaEventDefault));
    cuda_->spans.back().first.record();
    return;
  }
#endif
  if (device_.is_cuda()) torch::cuda::synchronize(device_.has_index() ? device_.index() : 0);
  t0_ = std::chrono::steady_clock::now();
}

void StepTimer::stop() {
#if defined(NRSBENCH_WITH_CUDA)
  if (cuda_) {
    cuda_->spans.back().second.record();
    return;
  }
#endif
  if (device_.is_cuda()) torch::cuda::synchronize(device_.has_index() ? device_.index() : 0);
  host_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
}

double StepTimer::seconds() {
#if defined(NRSBENCH_WITH_CUDA)
  if (cuda_) {
    double ms = 0.0;
    for (auto& [a, b] : cuda_->spans) {
      b.synchronize();
      ms += a.elapsed_time(b);
    }
    return ms / 1000.0;
  }
#endif
  return host_seconds_;
}

std::string StepTimer::method() const {
  if (cuda_) return "CUDA events around the training steps (evaluation and warm-up excluded)";
  if (device_.is_cuda())
    return "host clock around the training steps after device syncs (LibTorch without CUDA headers)";
  return "host clock around the training steps (evaluation excluded)";
}

}  // namespace nrs
