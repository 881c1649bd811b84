// Shared by the libFuzzer targets: the input as a file (the parsers under test
// read paths, as the CLI gives them), and the one rule every target checks.
//
// The rule: hostile input may only end in the errors the CLI reports as bad
// input, exit code 2 (suite/core/errors.h, README "Bad input"): nrs::InputError and
// the other std::invalid_argument, nrs::data::DataError. Any other exception
// would reach main as an internal failure (exit 1) and is reported here as a
// finding (abort), like a crash, a sanitizer report, a hang or a huge
// allocation, which libFuzzer catches itself.
#pragma once
#include "datasets/dataset.h"
#include "suite/core/errors.h"

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <typeinfo>

namespace nrs::fuzz {

// A scratch directory per fuzzing process (libFuzzer's -jobs/-workers run
// several), removed at exit.
inline const std::filesystem::path& scratch_dir() {
  static const std::filesystem::path dir = [] {
    auto d = std::filesystem::temp_directory_path() / ("nrsbench-fuzz-" + std::to_string(getpid()));
    std::filesystem::create_directories(d);
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(scratch_dir(), ec);
    });
    return d;
  }();
  return dir;
}

// Writes the input to `name` in the scratch directory and returns its path.
inline std::string write_input(const uint8_t* data, size_t size, const std::string& name) {
  const auto path = (scratch_dir() / name).string();
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  out.close();
  if (!out) {
    std::fprintf(stderr, "fuzz harness: cannot write %s\n", path.c_str());
    std::abort();
  }
  return path;
}

// NRSBENCH_FUZZ_VERBOSE=1 prints each rejection's message, to read what a
// reproduced input (TARGET FILE) is told.
inline void report_rejection(const std::exception& e) {
  static const bool verbose = std::getenv("NRSBENCH_FUZZ_VERBOSE") != nullptr;
  if (verbose) std::fprintf(stderr, "rejected: %s\n", e.what());
}

// Runs `parse`; returns true when it succeeded, false when it rejected the
// input the way the CLI expects. Aborts on any other exception.
template <class F>
bool expect_input_error(F&& parse) {
  try {
    parse();
    return true;
  } catch (const std::invalid_argument& e) {  // nrs::InputError too
    report_rejection(e);
    return false;
  } catch (const nrs::data::DataError& e) {
    report_rejection(e);
    return false;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz harness: bad input escaped as %s (exit 1, not 2): %s\n", typeid(e).name(), e.what());
    std::abort();
  }
}

}  // namespace nrs::fuzz
