#include "suite/core/cpu_features.h"

#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace nrs {

std::string CpuFeatures::bf16_unit() const {
  if (amx_tile && amx_bf16) return "amx";
  if (avx512_bf16) return "avx512_bf16";
  return "none";
}

CpuFeatures cpu_features() {
  CpuFeatures f;
#if defined(__x86_64__)
  // Intel SDM vol. 2A, CPUID leaf 07H: sub-leaf 0 EBX bit 16 AVX512F, EDX bit
  // 22 AMX-BF16, EDX bit 24 AMX-TILE; sub-leaf 1 EAX bit 5 AVX512_BF16.
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (__get_cpuid_max(0, nullptr) < 7) return f;
  __cpuid_count(7, 0, a, b, c, d);
  const unsigned max_subleaf = a;
  f.avx512f = (b >> 16) & 1u;
  f.amx_bf16 = (d >> 22) & 1u;
  f.amx_tile = (d >> 24) & 1u;
  if (max_subleaf >= 1) {
    __cpuid_count(7, 1, a, b, c, d);
    f.avx512_bf16 = (a >> 5) & 1u;
  }
#endif
  return f;
}

nlohmann::json cpu_features_json() {
  const auto f = cpu_features();
  return {{"avx512f", f.avx512f},
          {"avx512_bf16", f.avx512_bf16},
          {"amx_tile", f.amx_tile},
          {"amx_bf16", f.amx_bf16},
          {"bf16_unit", f.bf16_unit()}};
}

}  // namespace nrs
