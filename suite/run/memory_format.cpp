#include "suite/run/memory_format.h"

namespace nrs {

torch::Tensor to_channels_last(const torch::Tensor& t) {
  return t.to(t.options(), /*non_blocking=*/false, /*copy=*/false, torch::MemoryFormat::ChannelsLast);
}

}  // namespace nrs
