// SplitMix64's finaliser (Steele, Lea & Flood 2014): one well-mixed 64-bit
// output per input, so that strategies draw from pure functions of
// (seed, stream, step): replicas agree and a resumed run draws the same.
// NRS seeds its neighbour generator with it, RST its Bernoulli trials.
#pragma once
#include <cstdint>

namespace nrs::optim {

constexpr uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace nrs::optim
