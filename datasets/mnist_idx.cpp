#include "datasets/mnist_idx.h"
#include "datasets/idx_reader.h"
#include "datasets/locate.h"

#include <filesystem>

namespace nrs::data {
namespace {

Split read_split(const std::string& dir, const std::string& prefix) {
  namespace fs = std::filesystem;
  const auto img_path = existing_maybe_gz((fs::path(dir) / (prefix + "-images-idx3-ubyte")).string());
  const auto lbl_path = existing_maybe_gz((fs::path(dir) / (prefix + "-labels-idx1-ubyte")).string());
  auto images = read_idx_ubyte(img_path, 3);
  auto labels = read_idx_ubyte(lbl_path, 1);
  if (images.size(0) != labels.size(0))
    throw DataError(lbl_path + ": " + std::to_string(labels.size(0)) + " labels, expected " +
                    std::to_string(images.size(0)) + " (one per image in " + img_path + ")");
  if (images.size(1) != 28 || images.size(2) != 28)
    throw DataError(img_path + ": images are " + std::to_string(images.size(1)) + "x" + std::to_string(images.size(2)) +
                    ", expected 28x28");
  if (labels.max().item<int64_t>() > 9)
    throw DataError(lbl_path + ": label " + std::to_string(labels.max().item<int64_t>()) + " out of range 0..9");
  return Split{images.unsqueeze(1).contiguous(), labels.to(torch::kInt64)};
}

Dataset load_idx_dataset(const DatasetOptions& opts, const std::string& name, const std::string& subdir,
                         std::vector<std::string> system_dirs, const std::string& how, DatasetInfo info) {
  const auto dir = locate_dataset(
      name, opts, subdir,
      {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"}, how,
      system_dirs, /*allow_gz=*/true);
  Dataset ds;
  ds.info = std::move(info);
  ds.info.source = dir;
  ds.train = read_split(dir, "train");
  ds.test = read_split(dir, "t10k");
  if (opts.val_split > 0) carve_validation(ds, opts.val_split, opts.seed);
  return ds;
}

}  // namespace

Dataset load_fashion_mnist(const DatasetOptions& opts) {
  DatasetInfo info{
      "fashion-mnist",
      1,
      28,
      28,
      10,
      {0.2860},
      {0.3530},
      {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"},
      ""};
  return load_idx_dataset(opts, "fashion-mnist", "fashion-mnist", {"/usr/share/datasets/fashion-mnist"},
                          "install it with `apt-get install dataset-fashion-mnist` (Debian) or download the "
                          "IDX files from https://github.com/zalandoresearch/fashion-mnist",
                          info);
}

Dataset load_mnist(const DatasetOptions& opts) {
  DatasetInfo info{"mnist", 1, 28, 28, 10, {0.1307}, {0.3081}, {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}, ""};
  return load_idx_dataset(opts, "mnist", "mnist", {"/usr/share/datasets/mnist"},
                          "download the four IDX files from http://yann.lecun.com/exdb/mnist/ into --data-dir", info);
}

}  // namespace nrs::data
