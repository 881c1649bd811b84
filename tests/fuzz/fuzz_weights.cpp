// libFuzzer target: the weights loader (suite/weights.*) into a small module
// with a float parameter, a float buffer and an integer buffer (BatchNorm's
// num_batches_tracked): a file LibTorch's unpickler rejects must come back as
// InputError, never a crash or abort.
//
// NRSBENCH_FUZZ_WRITE_SEED=FILE: save the module's weights with the
// project's save_weights to FILE and exit (tests/fuzz/make_corpus uses it).
#include "suite/io/weights.h"
#include "tests/fuzz/fuzz_common.h"

namespace {

struct Tiny : torch::nn::Module {
  Tiny() {
    fc = register_module("fc", torch::nn::Linear(3, 2));
    bn = register_module("bn", torch::nn::BatchNorm1d(2));
  }
  torch::nn::Linear fc{nullptr};
  torch::nn::BatchNorm1d bn{nullptr};
};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* seed = std::getenv("NRSBENCH_FUZZ_WRITE_SEED")) {
    torch::manual_seed(0);
    nrs::save_weights(Tiny(), seed);
    std::exit(0);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = nrs::fuzz::write_input(data, size, "weights.pt");
  Tiny m;
  nrs::fuzz::expect_input_error([&] { nrs::load_weights(m, path); });
  return 0;
}
