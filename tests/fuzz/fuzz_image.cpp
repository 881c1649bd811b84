// libFuzzer target: one image file through the ImageFolder decode path
// (OpenCV imdecode, then the train and eval transforms). A corrupt image must
// come back as nullopt (skipped and counted), never a crash; a decoded one is
// always uint8 [3, size, size].
#include "datasets/image_folder.h"
#include "tests/fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = nrs::fuzz::write_input(data, size, "input.jpg");
  for (bool train : {false, true}) {
    nrs::data::ImageTransform t;
    t.train = train;
    t.size = 16;  // small outputs keep the resize cheap; the decoder is what is under test
    t.resize = 20;
    std::optional<torch::Tensor> img;
    if (nrs::fuzz::expect_input_error([&] { img = nrs::data::load_image(path, t, /*rng_seed=*/size); }) && img) {
      if (img->sizes() != torch::IntArrayRef({3, 16, 16}) || img->scalar_type() != torch::kUInt8) std::abort();
    }
  }
  return 0;
}
