#include "datasets/cifar_binary.h"
#include "datasets/locate.h"

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace nrs::data {

const std::vector<std::string>& cifar10_class_names() {
  static const std::vector<std::string> names = {"airplane", "automobile", "bird",  "cat",  "deer",
                                                 "dog",      "frog",       "horse", "ship", "truck"};
  return names;
}

namespace {

std::string join(const std::string& dir, const std::string& f) { return (fs::path(dir) / f).string(); }

// Falls back to `fallback` when the file is absent; a present file with the
// wrong count is an error because it means the directory holds something else.
std::vector<std::string> class_names_or(const std::string& path, size_t expected, std::vector<std::string> fallback) {
  auto names = read_class_names(path);
  if (names.empty()) return fallback;
  if (names.size() != expected)
    throw DataError(path + ": " + std::to_string(names.size()) + " class names, expected " + std::to_string(expected));
  return names;
}

}  // namespace

Split parse_cifar_records(const std::string& bytes, const std::string& path, int label_bytes, int label_index) {
  const int64_t rec = label_bytes + kCifarPixels;
  const int64_t size = static_cast<int64_t>(bytes.size());
  if (size == 0 || size % rec != 0)
    throw DataError(path + ": " + std::to_string(size) + " bytes is not a positive multiple of the " +
                    std::to_string(rec) + "-byte record (" + std::to_string(label_bytes) + " label byte(s) + " +
                    std::to_string(kCifarPixels) + " pixels); truncated or not a CIFAR binary file");
  const int64_t n = size / rec;
  auto raw = torch::empty({n, rec}, torch::kUInt8);
  std::memcpy(raw.data_ptr<uint8_t>(), bytes.data(), bytes.size());
  auto labels = raw.select(1, label_index).to(torch::kInt64);
  auto images = raw.slice(1, label_bytes).reshape({n, 3, 32, 32}).contiguous();
  return Split{images, labels};
}

Split read_cifar_file(const std::string& path, int label_bytes, int label_index) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError(path + ": cannot open file (missing or unreadable)");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return parse_cifar_records(bytes, path, label_bytes, label_index);
}

Split read_cifar_files(const std::vector<std::string>& paths, int label_bytes, int label_index) {
  std::vector<torch::Tensor> imgs, lbls;
  for (const auto& p : paths) {
    auto s = read_cifar_file(p, label_bytes, label_index);
    imgs.push_back(s.images);
    lbls.push_back(s.labels);
  }
  return Split{torch::cat(imgs), torch::cat(lbls)};
}

std::string encode_cifar10_records(const torch::Tensor& images, const torch::Tensor& labels) {
  const int64_t n = images.size(0);
  auto img = images.to(torch::kUInt8).contiguous().view({n, kCifarPixels});
  auto lab = labels.to(torch::kUInt8).contiguous().view({n, 1});
  auto rec = torch::cat({lab, img}, 1).contiguous();
  return std::string(reinterpret_cast<const char*>(rec.data_ptr<uint8_t>()), static_cast<size_t>(rec.numel()));
}

std::vector<std::string> read_class_names(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    const auto b = line.find_first_not_of(" \t\r");
    if (b == std::string::npos) continue;
    const auto e = line.find_last_not_of(" \t\r");
    out.push_back(line.substr(b, e - b + 1));
  }
  return out;
}

Dataset load_cifar10_dir(const std::string& dir, const std::string& name, const DatasetOptions& opts) {
  Dataset ds;
  ds.info = DatasetInfo{name, 3, 32, 32, 10, {0.4914, 0.4822, 0.4465}, {0.2470, 0.2435, 0.2616}, {}, dir};
  ds.info.class_names = class_names_or(join(dir, "batches.meta.txt"), 10, cifar10_class_names());
  std::vector<std::string> train;
  for (int i = 1; i <= 5; ++i) train.push_back(join(dir, "data_batch_" + std::to_string(i) + ".bin"));
  ds.train = read_cifar_files(train, 1, 0);
  ds.test = read_cifar_file(join(dir, "test_batch.bin"), 1, 0);
  if (ds.train.labels.max().item<int64_t>() > 9 || ds.test.labels.max().item<int64_t>() > 9)
    throw DataError(dir + ": CIFAR-10 label out of range 0..9");
  if (opts.val_split > 0) carve_validation(ds, opts.val_split, opts.seed);
  return ds;
}

Dataset load_cifar10(const DatasetOptions& opts) {
  std::vector<std::string> required = {"test_batch.bin"};
  for (int i = 1; i <= 5; ++i) required.insert(required.begin() + i - 1, "data_batch_" + std::to_string(i) + ".bin");
  const auto dir = locate_dataset("cifar10", opts, "cifar-10-batches-bin", required,
                                  "download and unpack https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz "
                                  "(or use --dataset cifar10-jpeg with ../shared/data)");
  return load_cifar10_dir(dir, "cifar10", opts);
}

Dataset load_cifar100(const DatasetOptions& opts, const std::string& labels) {
  if (labels != "fine" && labels != "coarse")
    throw DataError("--cifar100-labels '" + labels + "': expected fine or coarse");
  const auto dir = locate_dataset("cifar100", opts, "cifar-100-binary", {"train.bin", "test.bin"},
                                  "download and unpack https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz");
  const bool fine = labels == "fine";
  const int idx = fine ? 1 : 0;
  const int64_t k = fine ? 100 : 20;
  Dataset ds;
  // Fine and coarse runs are different tasks, so results must not share a name.
  ds.info = DatasetInfo{
      fine ? "cifar100" : "cifar100-coarse", 3, 32, 32, k, {0.5071, 0.4865, 0.4409}, {0.2673, 0.2564, 0.2762}, {}, dir};
  std::vector<std::string> fallback;
  for (int64_t c = 0; c < k; ++c) fallback.push_back(std::to_string(c));
  ds.info.class_names =
      class_names_or(join(dir, fine ? "fine_label_names.txt" : "coarse_label_names.txt"), k, fallback);
  ds.train = read_cifar_file(join(dir, "train.bin"), 2, idx);
  ds.test = read_cifar_file(join(dir, "test.bin"), 2, idx);
  if (ds.train.labels.max().item<int64_t>() >= k || ds.test.labels.max().item<int64_t>() >= k)
    throw DataError(dir + ": CIFAR-100 " + labels + " label out of range 0.." + std::to_string(k - 1));
  if (opts.val_split > 0) carve_validation(ds, opts.val_split, opts.seed);
  return ds;
}

}  // namespace nrs::data
