// Facts about this binary and the machine, for `nrsbench version` and results.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

namespace nrs {

std::string suite_version();
std::string git_commit();  // "<sha>" or "<sha>-dirty"; "unknown" outside a checkout
std::string build_type();
std::string torch_version();
// SHA-256 of the running executable (/proc/self/exe), computed once; "unknown"
// when it cannot be read. With git_commit it names the binary a result (or a
// resumed segment of one) came from.
std::string binary_sha256();
std::string cpu_model();          // from /proc/cpuinfo
std::string gpu_name(int index);  // "" when no CUDA device
bool cuda_available();
nlohmann::json version_json();  // everything `nrsbench version` prints

}  // namespace nrs
