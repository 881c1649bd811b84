// Reader for the IDX format of MNIST / Fashion-MNIST (gzip-compressed or raw).
#pragma once
#include <torch/torch.h>
#include <string>

namespace nrs::data {

// Reads an IDX file of unsigned bytes (magic 0x00000801 labels, 0x00000803
// images). `expected_dims` is 1 for labels, 3 for images. Gzip is detected by
// its magic bytes, so `.gz` and raw files both work. Throws DataError naming
// the file and the byte/record count expected on a missing, truncated or
// mismatched file. Returns uint8 [N] or [N, H, W].
torch::Tensor read_idx_ubyte(const std::string& path, int expected_dims);

// Reads a whole file, decompressing gzip when present. Throws DataError.
std::string read_maybe_gzip(const std::string& path);

}  // namespace nrs::data
