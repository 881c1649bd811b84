#include "suite/optim/micro_batch.h"

namespace nrs::optim {

namespace {
std::vector<Span> split(Span s, int64_t size) {
  if (size <= 0 || size >= s.size) return {s};
  std::vector<Span> out;
  for (int64_t i = 0; i < s.size; i += size) out.push_back({s.start + i, std::min(size, s.size - i)});
  return out;
}
}  // namespace

std::vector<MChunk> plan_micro_batches(int64_t batch, int64_t sam_m, int64_t bn_group) {
  std::vector<MChunk> out;
  for (const auto& c : split({0, batch}, sam_m)) out.push_back({c, split(c, bn_group)});
  return out;
}

data::Batch slice(const data::Batch& b, const Span& s) {
  if (s.start == 0 && s.size == b.y.size(0)) return b;
  return {b.x.narrow(0, s.start, s.size), b.y.narrow(0, s.start, s.size)};
}

}  // namespace nrs::optim
