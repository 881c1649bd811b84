#include "suite/build_info.h"

#include "nrsbench/build_info.h"

#include <ATen/detail/CUDAHooksInterface.h>
#include <torch/cuda.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <fstream>
#include <thread>

namespace nrs {

std::string suite_version() { return NRSBENCH_VERSION; }
std::string git_commit() { return std::string(NRSBENCH_GIT_COMMIT) + (NRSBENCH_GIT_DIRTY ? "-dirty" : ""); }
std::string build_type() { return NRSBENCH_BUILD_TYPE; }
std::string torch_version() { return TORCH_VERSION; }

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
  // Device properties need the CUDA runtime headers, which a CPU LibTorch
  // does not ship; nvidia-smi names the device without them.
  if (!cuda_available()) return "";
  std::string cmd = "nvidia-smi --query-gpu=name --format=csv,noheader -i " + std::to_string(index) + " 2>/dev/null";
  std::string out;
  if (FILE* f = popen(cmd.c_str(), "r")) {
    char buf[256];
    while (fgets(buf, sizeof buf, f)) out += buf;
    pclose(f);
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out.empty() ? "cuda:" + std::to_string(index) : out;
}

nlohmann::json version_json() {
  nlohmann::json j = {{"suite_version", suite_version()},
                      {"git_commit", git_commit()},
                      {"libtorch_version", torch_version()},
                      {"build_type", build_type()},
                      {"compiler", NRSBENCH_CXX_COMPILER},
                      {"cuda_available", cuda_available()},
                      {"cudnn_available", torch::cuda::cudnn_is_available()},
                      {"cuda_device_count", static_cast<int64_t>(torch::cuda::device_count())},
                      {"cpu_model", cpu_model()},
                      {"hardware_threads", std::thread::hardware_concurrency()},
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
