// libFuzzer target: the CIFAR binary reader, in both layouts (CIFAR-10: one
// label byte; CIFAR-100: coarse and fine label bytes) read from a file.
#include "datasets/cifar_binary.h"
#include "tests/fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = nrs::fuzz::write_input(data, size, "data_batch.bin");
  for (const auto& layout : {std::pair{1, 0}, std::pair{2, 0}, std::pair{2, 1}}) {
    const int label_bytes = layout.first, label_index = layout.second;  // C++17 lambdas cannot capture bindings
    nrs::data::Split s;
    if (nrs::fuzz::expect_input_error([&] { s = nrs::data::read_cifar_file(path, label_bytes, label_index); })) {
      const int64_t n = static_cast<int64_t>(size) / (label_bytes + nrs::data::kCifarPixels);
      if (s.images.size(0) != n || s.labels.size(0) != n) std::abort();
    }
  }
  return 0;
}
