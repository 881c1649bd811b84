// CIFAR-10 / CIFAR-100 in the official binary format: fixed-size records of
// label byte(s) followed by 32x32 R, G, B planes, each row-major.
#pragma once
#include "datasets/dataset.h"

namespace nrs::data {

constexpr int64_t kCifarPixels = 3 * 32 * 32;

// The official CIFAR-10 class names in label order (airplane = 0 ... truck = 9).
const std::vector<std::string>& cifar10_class_names();

// Parses whole records from `bytes` (the content of `path`, named in errors).
// `label_bytes` is 1 (CIFAR-10) or 2 (CIFAR-100: coarse, fine); `label_index`
// picks which of them becomes the label. Throws DataError naming the file and
// the record size when the length is not a multiple of it.
Split parse_cifar_records(const std::string& bytes, const std::string& path, int label_bytes, int label_index);
Split read_cifar_file(const std::string& path, int label_bytes, int label_index);
// Concatenates several record files into one split.
Split read_cifar_files(const std::vector<std::string>& paths, int label_bytes, int label_index);

// The inverse, for writing caches and test fixtures: uint8 [N,3,32,32] images
// and labels -> one 3073-byte record each (CIFAR-10 layout).
std::string encode_cifar10_records(const torch::Tensor& images, const torch::Tensor& labels);

// One class name per non-empty line; {} when the file does not exist.
std::vector<std::string> read_class_names(const std::string& path);

// Loads the CIFAR-10 files found in `dir` (already located) as dataset `name`.
Dataset load_cifar10_dir(const std::string& dir, const std::string& name, const DatasetOptions& opts);

Dataset load_cifar10(const DatasetOptions& opts);
// `labels` is "fine" (100 classes) or "coarse" (20 superclasses).
Dataset load_cifar100(const DatasetOptions& opts, const std::string& labels);

}  // namespace nrs::data
