// libFuzzer target: the IDX reader (MNIST / Fashion-MNIST, raw or gzip) as
// both label (1-D) and image (3-D) files. A file it accepts must hold exactly
// the bytes its header promises.
#include "datasets/idx_reader.h"
#include "tests/fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = nrs::fuzz::write_input(data, size, "input.idx");
  for (int dims : {1, 3}) {
    torch::Tensor t;
    if (nrs::fuzz::expect_input_error([&] { t = nrs::data::read_idx_ubyte(path, dims); })) {
      if (t.dim() != dims || t.scalar_type() != torch::kUInt8) std::abort();
    }
  }
  return 0;
}
