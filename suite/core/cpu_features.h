// What the CPU offers for bf16 arithmetic, read with CPUID: AVX-512 (F and
// BF16) and AMX (TILE and BF16). oneDNN, in the 2.x LibTorch, runs bf16
// convolutions and matmuls on AMX tiles or AVX512-BF16 dot products where
// they exist and emulates bf16 otherwise, so --precision bf16 on a CPU with
// neither is slower than fp32, not faster. Recorded in every result's
// environment and in `nrsbench version`. CPUID says what the silicon has;
// AMX also needs the kernel's permission (Linux 5.16+), which oneDNN asks for.
#pragma once
#include <nlohmann/json.hpp>

#include <string>

namespace nrs {

struct CpuFeatures {
  bool avx512f = false;
  bool avx512_bf16 = false;
  bool amx_tile = false;
  bool amx_bf16 = false;
  // "amx", "avx512_bf16" or "none": the fastest bf16 unit present.
  std::string bf16_unit() const;
};

CpuFeatures cpu_features();  // all false on a non-x86-64 build
nlohmann::json cpu_features_json();

}  // namespace nrs
