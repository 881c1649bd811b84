// The channels_last memory format (`--channels-last`), made as PyTorch's
// Module.to(memory_format=torch.channels_last) makes it.
#pragma once
#include <torch/torch.h>

namespace nrs {

// T (4-D) restrided to channels_last. `contiguous(ChannelsLast)` returns T
// unchanged wherever a size-1 dimension makes its strides pass the check
// (a one-channel input, a first convolution's [C,1,k,k] weight, a 1x1
// kernel), and a convolution whose input and weight both still suggest NCHW
// runs in NCHW, as does everything after it. Tensor::to with a memory format
// copies whenever T's suggested format is not channels_last, as Module.to does.
torch::Tensor to_channels_last(const torch::Tensor& t);

}  // namespace nrs
