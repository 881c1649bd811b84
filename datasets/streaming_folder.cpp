#include "datasets/streaming_folder.h"
#include "datasets/locate.h"

#include <cmath>
#include <filesystem>
#include <regex>

namespace fs = std::filesystem;

namespace nrs::data {
namespace {

torch::Tensor labels_of(const ImageFolderIndex& index) {
  std::vector<int64_t> labels;
  labels.reserve(index.samples.size());
  for (const auto& s : index.samples) labels.push_back(s.second);
  return torch::tensor(labels, torch::kInt64);
}

ImageFolderIndex pick(const ImageFolderIndex& index, const torch::Tensor& positions) {
  ImageFolderIndex out;
  out.classes = index.classes;
  const auto* p = positions.data_ptr<int64_t>();
  for (int64_t i = 0; i < positions.numel(); ++i) out.samples.push_back(index.samples[p[i]]);
  return out;
}

}  // namespace

bool parse_streaming_folder_name(const std::string& name, int64_t* size, bool* dct_scaled) {
  static const std::regex re(R"(imagefolder-stream(?:-(\d+))?(-dct)?)");
  std::smatch m;
  if (!std::regex_match(name, m, re)) return false;
  if (size && m[1].matched) *size = std::stoll(m[1]);
  if (dct_scaled) *dct_scaled = m[2].matched;
  return true;
}

StreamingFolder open_streaming_folder(const std::string& name, const DatasetOptions& opts) {
  int64_t size = opts.image_size;
  bool dct_scaled = false;
  parse_streaming_folder_name(name, &size, &dct_scaled);
  if (size <= 0) throw DataError("--dataset " + name + ": image size must be positive");
  if (opts.stream_prefetch_mb <= 0)
    throw DataError("--stream-prefetch-mb " + std::to_string(opts.stream_prefetch_mb) + ": expected a positive size");
  const auto root = locate_dataset("imagefolder-stream", opts, "imagefolder", {"train"},
                                   "pass --data-dir DIR with DIR/train/<class>/<image> and DIR/val/<class>/<image>");
  std::string eval_dir = (fs::path(root) / "val").string();
  if (!fs::is_directory(eval_dir)) eval_dir = (fs::path(root) / "test").string();
  if (!fs::is_directory(eval_dir)) throw DataError(root + ": no val/ (or test/) directory next to train/");

  StreamingFolder f;
  f.train = scan_image_folder((fs::path(root) / "train").string());
  f.test = scan_image_folder(eval_dir, f.train.classes);
  if (f.train.samples.empty()) throw DataError(root + "/train: no image files (.jpg .jpeg .png)");
  f.info = DatasetInfo{name,
                       3,
                       size,
                       size,
                       static_cast<int64_t>(f.train.classes.size()),
                       {0.485, 0.456, 0.406},
                       {0.229, 0.224, 0.225},
                       f.train.classes,
                       root + " (streamed: decoded per epoch)"};
  f.train_t.train = true;
  f.train_t.size = size;
  f.train_t.dct_scaled = dct_scaled;
  f.eval_t.size = size;
  f.eval_t.resize = std::max<int64_t>(size, std::lround(size * 256.0 / 224.0));
  f.threads = std::max(1, opts.decode_threads);
  f.prefetch_bytes = opts.stream_prefetch_mb << 20;
  if (opts.val_split > 0) {
    // Same seeded, stratified carve as the in-memory datasets, on the index.
    auto [vi, ti] = validation_indices(labels_of(f.train), opts.val_split, opts.seed);
    f.val = pick(f.train, vi);
    f.train = pick(f.train, ti);
  } else {
    f.val.classes = f.train.classes;
  }
  return f;
}

ImageFolderIndex index_subset(const ImageFolderIndex& index, int64_t n) {
  const int64_t total = static_cast<int64_t>(index.samples.size());
  if (n <= 0 || n >= total) return index;
  // Must stay identical to suite/run/run.cpp's subset() for in-memory splits.
  auto gen = at::make_generator<at::CPUGeneratorImpl>(0x5b5e7ULL);
  return pick(index, std::get<0>(torch::randperm(total, gen, torch::kInt64).slice(0, 0, n).sort()));
}

Split load_stream_samples(const StreamingFolder& f, int64_t n, uint64_t seed) {
  const int64_t total = static_cast<int64_t>(f.train.samples.size());
  n = std::min(n, total);
  if (n <= 0) throw DataError("load_stream_samples: need n > 0 and a non-empty training index");
  // Must stay identical to suite/hessian/spectrum.cpp's subset rule, so the
  // streamed and in-memory Hessians measure the same images.
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed ^ 0x4865737369616eULL);
  auto idx = std::get<0>(torch::randperm(total, gen, torch::kInt64).narrow(0, 0, n).sort());
  return decode_image_folder(pick(f.train, idx), f.eval_t, f.threads);
}

}  // namespace nrs::data
