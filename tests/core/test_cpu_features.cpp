// CPUID's answer (suite/core/cpu_features.h) against the kernel's flags line
// in /proc/cpuinfo, an independent reading of the same bits.
#include "suite/core/cpu_features.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

namespace {

std::set<std::string> kernel_cpu_flags() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("flags", 0) == 0) {
      std::istringstream words(line.substr(line.find(':') + 1));
      return {std::istream_iterator<std::string>(words), std::istream_iterator<std::string>()};
    }
  return {};
}

}  // namespace

TEST(CpuFeatures, AgreeWithTheKernelsFlags) {
  const auto flags = kernel_cpu_flags();
  if (flags.empty()) GTEST_SKIP() << "no flags line in /proc/cpuinfo";
  const auto f = nrs::cpu_features();
  EXPECT_EQ(f.avx512f, flags.count("avx512f") > 0);
  EXPECT_EQ(f.avx512_bf16, flags.count("avx512_bf16") > 0);
  // The kernel lists AMX only where it enables it; CPUID may say more.
  EXPECT_TRUE(f.amx_tile || flags.count("amx_tile") == 0);
  EXPECT_TRUE(f.amx_bf16 || flags.count("amx_bf16") == 0);
}

TEST(CpuFeatures, Bf16UnitIsTheFastestPresent) {
  nrs::CpuFeatures f;
  EXPECT_EQ(f.bf16_unit(), "none");
  f.avx512_bf16 = true;
  EXPECT_EQ(f.bf16_unit(), "avx512_bf16");
  f.amx_tile = f.amx_bf16 = true;
  EXPECT_EQ(f.bf16_unit(), "amx");
  f.amx_tile = false;  // AMX-BF16 without tiles cannot run
  EXPECT_EQ(f.bf16_unit(), "avx512_bf16");
}
