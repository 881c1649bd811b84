#include "datasets/image_folder.h"
#include "datasets/image_header.h"
#include "datasets/jpeg_decoder.h"
#include "datasets/locate.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <regex>

#ifdef NRSBENCH_HAVE_OPENCV
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#endif

namespace fs = std::filesystem;

namespace nrs::data {
namespace {

const char* kNoDecoder =
    "this nrsbench was built without OpenCV imgcodecs, so it cannot decode JPEG/PNG; install "
    "libopencv-imgcodecs-dev and libopencv-imgproc-dev (scripts/setup) and rebuild";

bool is_image_file(const fs::path& p) {
  auto ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png";
}

// Per-sample seed: the draw for a sample must not depend on which thread or
// in which order it is decoded.
uint64_t mix(uint64_t a, uint64_t b) {
  uint64_t z = a * 0x9e3779b97f4a7c15ULL + b + 0x632be59bd9b4e019ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

bool have_image_decoder() {
#ifdef NRSBENCH_HAVE_OPENCV
  return true;
#else
  return false;
#endif
}

ImageFolderIndex scan_image_folder(const std::string& dir, const std::vector<std::string>& classes) {
  if (!fs::is_directory(dir)) throw DataError(dir + ": not a directory (expected <class>/<image> subfolders)");
  ImageFolderIndex idx;
  std::vector<std::string> found;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_directory()) found.push_back(e.path().filename().string());
  std::sort(found.begin(), found.end());
  idx.classes = classes.empty() ? found : classes;
  if (idx.classes.empty()) throw DataError(dir + ": no class subdirectories");
  for (const auto& c : found) {
    auto it = std::find(idx.classes.begin(), idx.classes.end(), c);
    if (it == idx.classes.end()) throw DataError(dir + "/" + c + ": class not present in the training tree");
    const int64_t label = it - idx.classes.begin();
    std::vector<std::string> files;
    for (const auto& f : fs::directory_iterator(fs::path(dir) / c))
      if (f.is_regular_file() && is_image_file(f.path())) files.push_back(f.path().string());
    std::sort(files.begin(), files.end());
    for (auto& f : files) idx.samples.emplace_back(std::move(f), label);
  }
  // Class-major order is already deterministic; keep it.
  std::stable_sort(idx.samples.begin(), idx.samples.end(),
                   [](const auto& a, const auto& b) { return a.second < b.second; });
  return idx;
}

#ifdef NRSBENCH_HAVE_OPENCV
namespace {

// torchvision's RandomResizedCrop on a W x H image: 10 tries at a random
// area and aspect ratio, then the largest centred square as a fallback.
cv::Rect random_resized_crop(int W, int H, const ImageTransform& t, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> U(0.0, 1.0);
  for (int i = 0; i < 10; ++i) {
    const double area = W * H * (t.scale_min + (t.scale_max - t.scale_min) * U(rng));
    const double ar = std::exp(std::log(3.0 / 4.0) + (std::log(4.0 / 3.0) - std::log(3.0 / 4.0)) * U(rng));
    const int w = static_cast<int>(std::lround(std::sqrt(area * ar)));
    const int h = static_cast<int>(std::lround(std::sqrt(area / ar)));
    if (w > 0 && h > 0 && w <= W && h <= H) {
      const int x = static_cast<int>(U(rng) * (W - w + 1)), y = static_cast<int>(U(rng) * (H - h + 1));
      return cv::Rect(std::min(x, W - w), std::min(y, H - h), w, h);
    }
  }
  const int s = std::min(W, H);
  return cv::Rect((W - s) / 2, (H - s) / 2, s, s);
}

// The training transform of a JPEG decoded at the smallest DCT scale that
// keeps the crop drawn on the full size at least S pixels a side; nullopt
// when TurboJPEG cannot decode it (the caller falls back to OpenCV).
std::optional<cv::Mat> dct_scaled_train_crop(const std::vector<uchar>& bytes, ImageSize full, const ImageTransform& t,
                                             std::mt19937_64& rng, const std::string& path) {
  const int W = static_cast<int>(full.width), H = static_cast<int>(full.height), S = static_cast<int>(t.size);
  const cv::Rect roi = random_resized_crop(W, H, t, rng);
  const int d = jpeg_scale_denominator(roi.width, roi.height, S);
  RgbImage jpeg;
  try {
    jpeg = decode_jpeg_scaled(bytes.data(), bytes.size(), path.c_str(), d);
  } catch (const DataError&) {
    return std::nullopt;
  }
  const cv::Mat img(jpeg.height, jpeg.width, CV_8UC3, jpeg.pixels.data());
  const int x = std::min(roi.x / d, img.cols - 1), y = std::min(roi.y / d, img.rows - 1);
  const cv::Rect scaled(x, y, std::max(1, std::min(roi.width / d, img.cols - x)),
                        std::max(1, std::min(roi.height / d, img.rows - y)));
  cv::Mat out;
  cv::resize(img(scaled), out, cv::Size(S, S), 0, 0, cv::INTER_LINEAR);
  if (t.flip && std::uniform_real_distribution<double>(0.0, 1.0)(rng) < 0.5) cv::flip(out, out, 1);
  return out;
}

}  // namespace
#endif

std::optional<torch::Tensor> load_image(const std::string& path, const ImageTransform& t, uint64_t rng_seed) {
#ifdef NRSBENCH_HAVE_OPENCV
  try {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::vector<uchar> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // Not JPEG/PNG, or a header claiming more pixels than any photograph:
    // skipped before OpenCV allocates the decoded image (image_header.h).
    const auto dims = jpeg_or_png_size(bytes.data(), bytes.size());
    if (!dims || !within_pixel_limit(*dims)) return std::nullopt;
    // JPEGs through TurboJPEG (jpeg_decoder.h: the same pixels as OpenCV's
    // decoder, tested, in RGB order and faster); PNGs, and JPEGs TurboJPEG
    // cannot turn into RGB (CMYK ones), through OpenCV, in BGR order.
    const bool is_jpeg = bytes.size() > 2 && bytes[0] == 0xFF && bytes[1] == 0xD8;
    const int S = static_cast<int>(t.size);
    std::mt19937_64 rng(rng_seed);
    if (is_jpeg && t.train && t.dct_scaled) {
      std::mt19937_64 draw = rng;  // a fallback to OpenCV draws the same crop anew
      if (auto out = dct_scaled_train_crop(bytes, *dims, t, draw, path)) {
        if (!out->isContinuous()) *out = out->clone();
        return torch::from_blob(out->data, {S, S, 3}, torch::kUInt8).permute({2, 0, 1}).contiguous();
      }
    }
    RgbImage jpeg;
    cv::Mat img;
    bool rgb = false;
    if (is_jpeg) {
      try {
        jpeg = decode_jpeg(bytes.data(), bytes.size(), path.c_str());
        img = cv::Mat(jpeg.height, jpeg.width, CV_8UC3, jpeg.pixels.data());
        rgb = true;
      } catch (const DataError&) {
      }
    }
    if (!rgb) img = cv::imdecode(bytes, cv::IMREAD_COLOR);
    if (img.empty() || img.cols <= 0 || img.rows <= 0) return std::nullopt;
    std::uniform_real_distribution<double> U(0.0, 1.0);
    cv::Mat out;
    if (t.train) {
      const cv::Rect roi = random_resized_crop(img.cols, img.rows, t, rng);
      cv::resize(img(roi), out, cv::Size(S, S), 0, 0, cv::INTER_LINEAR);
      if (t.flip && U(rng) < 0.5) cv::flip(out, out, 1);
    } else {
      const int R = static_cast<int>(t.resize);
      const int W = img.cols, H = img.rows;
      cv::Mat resized = img;
      if (std::min(W, H) != R) {
        const double s = static_cast<double>(R) / std::min(W, H);
        const int nw = std::max(R, static_cast<int>(std::lround(W * s)));
        const int nh = std::max(R, static_cast<int>(std::lround(H * s)));
        cv::resize(img, resized, cv::Size(nw, nh), 0, 0, s < 1.0 ? cv::INTER_AREA : cv::INTER_LINEAR);
      }
      out = resized(cv::Rect((resized.cols - S) / 2, (resized.rows - S) / 2, S, S)).clone();
    }
    if (!rgb) cv::cvtColor(out, out, cv::COLOR_BGR2RGB);
    if (!out.isContinuous()) out = out.clone();
    return torch::from_blob(out.data, {S, S, 3}, torch::kUInt8).permute({2, 0, 1}).contiguous();
  } catch (...) {
    // Decoder or allocation failure on one file must not end a run.
    return std::nullopt;
  }
#else
  (void)path;
  (void)t;
  (void)rng_seed;
  throw DataError(kNoDecoder);
#endif
}

ImageFolderLoader::ImageFolderLoader(ImageFolderIndex index, ImageTransform t, int threads, int64_t prefetch,
                                     uint64_t seed, int64_t max_queued_bytes)
    : index_(std::move(index)),
      t_(t),
      threads_(std::max(1, threads)),
      window_(std::max<int64_t>(1, prefetch)),
      seed_(seed) {
  if (!have_image_decoder()) throw DataError(kNoDecoder);
  if (t_.size <= 0 || (!t_.train && t_.resize < t_.size))
    throw DataError("imagefolder: need size > 0 and resize >= size (got size " + std::to_string(t_.size) + ", resize " +
                    std::to_string(t_.resize) + ")");
  if (max_queued_bytes > 0) {
    if (max_queued_bytes < sample_bytes())
      throw DataError("imagefolder prefetch cap: " + std::to_string(max_queued_bytes) +
                      " bytes is smaller than one decoded image (3x" + std::to_string(t_.size) + "x" +
                      std::to_string(t_.size) + " = " + std::to_string(sample_bytes()) + " bytes)");
    window_ = std::min(window_, max_queued_bytes / sample_bytes());
  }
}

ImageFolderLoader::~ImageFolderLoader() { stop(); }

void ImageFolderLoader::stop() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& w : workers_) w.join();
  workers_.clear();
}

void ImageFolderLoader::start_epoch(int64_t epoch, bool shuffle, int64_t start) {
  stop();
  const int64_t n = size();
  if (start < 0 || start > n)
    throw DataError("imagefolder: start position " + std::to_string(start) + " outside the epoch [0, " +
                    std::to_string(n) + "]");
  epoch_seed_ = mix(seed_, static_cast<uint64_t>(epoch));
  order_.resize(n);
  for (int64_t i = 0; i < n; ++i) order_[i] = i;
  if (shuffle) {
    auto gen = at::make_generator<at::CPUGeneratorImpl>(epoch_seed_);
    auto perm = torch::randperm(n, gen, torch::kInt64);
    std::memcpy(order_.data(), perm.data_ptr<int64_t>(), sizeof(int64_t) * n);
  }
  ready_.clear();
  queued_bytes_ = 0;
  // Seeking costs nothing: each sample's transform seed depends only on
  // (seed, epoch, sample), never on what was decoded before it.
  claimed_ = consumed_ = start;
  stopping_ = false;
  for (int i = 0; i < threads_; ++i) workers_.emplace_back([this] { worker(); });
}

int64_t ImageFolderLoader::position() const {
  std::lock_guard<std::mutex> lk(mu_);
  return consumed_;
}

int64_t ImageFolderLoader::peak_queued_bytes() const {
  std::lock_guard<std::mutex> lk(mu_);
  return peak_queued_bytes_;
}

void ImageFolderLoader::worker() {
  const int64_t n = size();
  for (;;) {
    int64_t pos;
    {
      std::unique_lock<std::mutex> lk(mu_);
      // Bounded queue: a claim reserves one slot, and never more than window_
      // samples are claimed ahead of the consumer.
      cv_.wait(lk, [&] { return stopping_ || claimed_ >= n || claimed_ - consumed_ < window_; });
      if (stopping_ || claimed_ >= n) return;
      pos = claimed_++;
    }
    const int64_t s = order_[pos];
    ++files_read_;
    auto img = load_image(index_.samples[s].first, t_, mix(epoch_seed_, static_cast<uint64_t>(s)));
    {
      std::lock_guard<std::mutex> lk(mu_);
      if (img) {
        queued_bytes_ += static_cast<int64_t>(img->nbytes());
        peak_queued_bytes_ = std::max(peak_queued_bytes_, queued_bytes_);
      }
      ready_[pos] = std::move(img);
    }
    cv_.notify_all();
  }
}

bool ImageFolderLoader::next(int64_t batch, torch::Tensor& images, torch::Tensor& labels) {
  std::vector<torch::Tensor> imgs;
  std::vector<int64_t> labs;
  const int64_t n = size();
  while (static_cast<int64_t>(imgs.size()) < batch) {
    std::unique_lock<std::mutex> lk(mu_);
    if (consumed_ >= n) break;
    cv_.wait(lk, [&] { return ready_.count(consumed_) > 0; });
    auto node = ready_.extract(consumed_);
    const int64_t s = order_[consumed_++];
    if (node.mapped()) queued_bytes_ -= static_cast<int64_t>(node.mapped()->nbytes());
    lk.unlock();
    cv_.notify_all();
    if (!node.mapped()) {
      const int64_t k = ++skipped_;
      std::cerr << "warning: skipped undecodable image " << index_.samples[s].first << " (" << k
                << " skipped so far)\n";
      continue;
    }
    imgs.push_back(std::move(*node.mapped()));
    labs.push_back(index_.samples[s].second);
  }
  if (imgs.empty()) return false;
  images = torch::stack(imgs);
  labels = torch::tensor(labs, torch::kInt64);
  return true;
}

Split decode_image_folder(const ImageFolderIndex& index, const ImageTransform& t, int threads, int64_t* skipped) {
  ImageFolderLoader loader(index, t, threads, 256, 0);
  loader.start_epoch(0, /*shuffle=*/false);
  std::vector<torch::Tensor> imgs, labs;
  torch::Tensor x, y;
  while (loader.next(1024, x, y)) {
    imgs.push_back(x);
    labs.push_back(y);
  }
  if (skipped) *skipped = loader.skipped();
  if (imgs.empty()) return Split{torch::empty({0, 3, t.size, t.size}, torch::kUInt8), torch::empty({0}, torch::kInt64)};
  return Split{torch::cat(imgs), torch::cat(labs)};
}

bool parse_image_folder_name(const std::string& name, int64_t* size) {
  static const std::regex re(R"(imagefolder(?:-(\d+))?)");
  std::smatch m;
  if (!std::regex_match(name, m, re)) return false;
  if (size && m[1].matched) *size = std::stoll(m[1]);
  return true;
}

Dataset load_image_folder(const std::string& name, const DatasetOptions& opts) {
  int64_t size = opts.image_size;
  parse_image_folder_name(name, &size);
  if (size <= 0) throw DataError("--dataset " + name + ": image size must be positive");
  const auto root = locate_dataset("imagefolder", opts, "imagefolder", {"train"},
                                   "pass --data-dir DIR with DIR/train/<class>/<image> and DIR/val/<class>/<image>");
  std::string eval_dir = (fs::path(root) / "val").string();
  if (!fs::is_directory(eval_dir)) eval_dir = (fs::path(root) / "test").string();
  if (!fs::is_directory(eval_dir)) throw DataError(root + ": no val/ (or test/) directory next to train/");

  auto train_idx = scan_image_folder((fs::path(root) / "train").string());
  auto eval_idx = scan_image_folder(eval_dir, train_idx.classes);
  const int64_t total = static_cast<int64_t>(train_idx.samples.size() + eval_idx.samples.size());
  // Everything is held decoded in memory (and later on the device).
  const double gib = static_cast<double>(total) * 3 * size * size / (1 << 30);
  if (gib > 16.0)
    throw DataError(root + ": " + std::to_string(total) + " images at " + std::to_string(size) + "x" +
                    std::to_string(size) + " need " + std::to_string(gib) +
                    " GiB decoded; imagefolder holds the whole tree in memory: use --dataset imagefolder-stream-" +
                    std::to_string(size) + " (decoded per epoch), a smaller size or a subset");
  ImageTransform t;
  t.size = size;
  t.resize = std::max<int64_t>(size, std::lround(size * 256.0 / 224.0));
  int64_t skipped_train = 0, skipped_eval = 0;
  Dataset ds;
  ds.train = decode_image_folder(train_idx, t, opts.decode_threads, &skipped_train);
  ds.test = decode_image_folder(eval_idx, t, opts.decode_threads, &skipped_eval);
  if (ds.train.size() == 0) throw DataError(root + "/train: no decodable images");
  ds.info = DatasetInfo{name,
                        3,
                        size,
                        size,
                        static_cast<int64_t>(train_idx.classes.size()),
                        {0.485, 0.456, 0.406},
                        {0.229, 0.224, 0.225},
                        train_idx.classes,
                        root};
  if (skipped_train + skipped_eval > 0)
    ds.info.source += " (" + std::to_string(skipped_train + skipped_eval) + " undecodable images skipped)";
  if (opts.val_split > 0) carve_validation(ds, opts.val_split, opts.seed);
  return ds;
}

}  // namespace nrs::data
