// Heap settings for every nrsbench program: the CLI, the tests and the
// benchmarks link this object (CMake target nrs_process), so all three
// measure and run with the same allocator.
//
// glibc serves every large activation buffer with a fresh mmap/munmap and
// trims the heap after each free; the page faults cost 2-3x the compute on
// CPU (measured on this project's 2-core machines: two small-cnn epochs with
// evaluation took 65 s with glibc's defaults and 20 s with these settings,
// identical numbers). Keep all blocks on the heap and never give it back.
#include <malloc.h>

#include <limits>

namespace {

__attribute__((constructor)) void nrsbench_configure_allocator() {
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, std::numeric_limits<int>::max());
}

}  // namespace
