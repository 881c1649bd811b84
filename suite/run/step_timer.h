// Times the training steps only (evaluation and warm-up outside the timed
// spans). On CUDA it uses CUDA events on the current stream, so host-side
// queueing does not count and no sync sits inside the step loop; on CPU (or a
// LibTorch without CUDA headers) the host clock.
#pragma once
#include <torch/torch.h>

#include <chrono>
#include <memory>
#include <string>

namespace nrs {

class StepTimer {
 public:
  explicit StepTimer(torch::Device device);
  ~StepTimer();
  void start();                // begin a timed span
  void stop();                 // end it
  double seconds();            // total of all spans (waits for the device)
  std::string method() const;  // recorded in results: how the time was taken

 private:
  struct CudaSpans;
  torch::Device device_;
  std::unique_ptr<CudaSpans> cuda_;
  std::chrono::steady_clock::time_point t0_;
  double host_seconds_ = 0.0;
};

}  // namespace nrs
