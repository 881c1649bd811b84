#include "suite/core/build_info.h"
#include "suite/core/cpu_features.h"

#include "datasets/sha256.h"
#include "nrsbench/build_info.h"

#include <ATen/detail/CUDAHooksInterface.h>
#include <torch/cuda.h>
#include <torch/torch.h>
#include <torch/version.h>
#if defined(NRSBENCH_WITH_CUDA)
#include <ATen/cuda/CUDAContext.h>
#endif

#include <fstream>
#include <thread>

namespace nrs {

std::string suite_version() { return NRSBENCH_VERSION; }
std::string git_commit() { return std::string(NRSBENCH_GIT_COMMIT) + (NRSBENCH_GIT_DIRTY ? "-dirty" : ""); }
std::string build_type() { return NRSBENCH_BUILD_TYPE; }
std::string torch_version() { return TORCH_VERSION; }

std::string binary_sha256() {
  static const std::string digest = [] {
    try {
      return data::sha256_file("/proc/self/exe");
    } catch (const std::exception&) {
      return std::string("unknown");
    }
  }();
  return digest;
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      auto pos = line.find(':');
      if (pos != std::string::npos) return line.substr(pos + 2);
    }
  }
  return "unknown";
}

bool cuda_available() { return torch::cuda::is_available(); }

std::string gpu_name(int index) {
  // The CUDA runtime's properties of torch's device `index`, which counts the
  // devices CUDA_VISIBLE_DEVICES leaves visible (nvidia-smi -i would count
  // them all). Only a CUDA LibTorch ships the headers; a CPU one has no GPU.
#if defined(NRSBENCH_WITH_CUDA)
  if (!cuda_available() || index < 0 || index >= static_cast<int>(torch::cuda::device_count())) return "";
  return at::cuda::getDeviceProperties(static_cast<c10::DeviceIndex>(index))->name;
#else
  (void)index;
  return "";
#endif
}

nlohmann::json version_json() {
  nlohmann::json j = {{"suite_version", suite_version()},
                      {"git_commit", git_commit()},
                      {"binary_sha256", binary_sha256()},
                      {"libtorch_version", torch_version()},
                      {"build_type", build_type()},
                      {"compiler", NRSBENCH_CXX_COMPILER},
                      {"cuda_available", cuda_available()},
                      {"cudnn_available", torch::cuda::cudnn_is_available()},
                      {"cuda_device_count", static_cast<int64_t>(torch::cuda::device_count())},
                      {"cpu_model", cpu_model()},
                      {"hardware_threads", std::thread::hardware_concurrency()},
                      {"cpu_features", cpu_features_json()},
                      {"torch_parallel_info", at::get_parallel_info()}};
  if (cuda_available()) j["gpu"] = gpu_name(0);
  if (torch::cuda::cudnn_is_available()) j["cudnn_version"] = at::detail::getCUDAHooks().versionCuDNN();
  const auto cfg = at::show_config();
  j["blas"] = cfg.find("BLAS_INFO=") != std::string::npos
                  ? cfg.substr(cfg.find("BLAS_INFO="), cfg.find(',', cfg.find("BLAS_INFO=")) - cfg.find("BLAS_INFO="))
                  : "unknown";
  return j;
}

}  // namespace nrs
