// Which library our std::filesystem calls bind to. A LibTorch that exports
// std::filesystem functions of its own (PyPI's torch 2.11 libtorch.so: 64 of
// them) must not answer our calls: its remove_all jumped to address 0 in the
// GPU pack (found by scripts/gpu-rehearse). CMakeLists.txt links libstdc++
// first; this checks, through the dynamic linker, that it worked.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <system_error>

namespace {

// The shared object that holds `fn` as this executable resolved it.
std::string library_of(const void* fn) {
  Dl_info info{};
  if (dladdr(fn, &info) == 0 || info.dli_fname == nullptr) return "";
  return info.dli_fname;
}

}  // namespace

TEST(Filesystem, CallsBindToLibstdcxx) {
  using RemoveAll = std::uintmax_t (*)(const std::filesystem::path&, std::error_code&);
  using Status = std::filesystem::file_status (*)(const std::filesystem::path&, std::error_code&);
  const RemoveAll remove_all = &std::filesystem::remove_all;
  const Status status = &std::filesystem::status;
  for (const auto& lib :
       {library_of(reinterpret_cast<const void*>(remove_all)), library_of(reinterpret_cast<const void*>(status))}) {
    EXPECT_EQ(lib.find("libtorch"), std::string::npos) << lib;
    EXPECT_NE(lib.find("libstdc++"), std::string::npos) << lib;
  }
  // And the call works: a tree removed, its count returned.
  const auto dir = std::filesystem::temp_directory_path() / "nrsbench-fs-binding";
  std::filesystem::create_directories(dir / "a" / "b");
  std::error_code ec;
  EXPECT_EQ(std::filesystem::remove_all(dir, ec), 3u);
  EXPECT_FALSE(ec);
}
