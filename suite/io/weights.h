// Weights interchange with PyTorch: a name -> tensor dict saved with
// torch::pickle_save, which Python reads with torch.load. Names are those of
// named_parameters() and named_buffers() (e.g. "bn1.running_mean").
#pragma once
#include <torch/torch.h>
#include <string>

namespace nrs {

// Atomic (temporary file + rename). Tensors are saved from CPU copies.
void save_weights(const torch::nn::Module& m, const std::string& path);
// Loads into the module in place. Throws std::runtime_error naming the file
// and the first missing/unexpected key or shape/dtype mismatch.
void load_weights(torch::nn::Module& m, const std::string& path);

}  // namespace nrs
