// ImageFolder trees (root/{train,val}/<class>/<image>): JPEG/PNG decoding
// with OpenCV imgcodecs on worker threads feeding a bounded, ordered prefetch
// queue. Corrupt images are skipped and counted, never fatal.
#pragma once
#include "datasets/dataset.h"

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

namespace nrs::data {

struct ImageFolderIndex {
  std::vector<std::string> classes;                      // sorted directory names
  std::vector<std::pair<std::string, int64_t>> samples;  // (path, class index)
};

// Classes are the sorted subdirectories of `dir`; files with an image
// extension (.jpg .jpeg .png, any case) are samples. `classes` (when not
// empty) fixes the class list so val uses train's indices; a val class
// missing from it is an error. Throws DataError when `dir` is missing.
ImageFolderIndex scan_image_folder(const std::string& dir, const std::vector<std::string>& classes = {});

struct ImageTransform {
  bool train = false;                        // random-resized-crop + flip; else resize + centre crop
  int64_t size = 224;                        // output side
  int64_t resize = 256;                      // eval: shorter side before the centre crop
  double scale_min = 0.08, scale_max = 1.0;  // random-resized-crop area range
  bool flip = true;
  // Training JPEGs: draw the crop from the header's size, then decode in the
  // DCT domain at the smallest scale (1/2, 1/4, 1/8) that keeps the crop at
  // least `size` pixels a side (jpeg_decoder.h). Cheaper; the pixels are not
  // the full decode's, so the dataset name says it (imagefolder-stream-SIZE-dct).
  bool dct_scaled = false;
};

// True when this build can decode images (OpenCV imgcodecs was found).
bool have_image_decoder();

// Decodes one file and applies `t` with randomness from `rng_seed`. Returns
// uint8 [3, size, size] RGB, or nullopt when the file cannot be decoded.
std::optional<torch::Tensor> load_image(const std::string& path, const ImageTransform& t, uint64_t rng_seed);

class ImageFolderLoader {
 public:
  // At most `prefetch` decoded samples wait ahead of the consumer, and, when
  // `max_queued_bytes` > 0, at most that many bytes of them (a slot is
  // reserved when a worker claims a sample, so the bound holds while it
  // decodes): memory stays bounded whatever the dataset size. A cap below one
  // decoded image is a DataError.
  ImageFolderLoader(ImageFolderIndex index, ImageTransform t, int threads, int64_t prefetch, uint64_t seed,
                    int64_t max_queued_bytes = 0);
  ~ImageFolderLoader();
  ImageFolderLoader(const ImageFolderLoader&) = delete;
  ImageFolderLoader& operator=(const ImageFolderLoader&) = delete;

  // Sample order and transform draws are a pure function of (seed, epoch),
  // independent of the thread count. `start` seeks: the epoch begins at that
  // position of its order without decoding the samples before it.
  void start_epoch(int64_t epoch, bool shuffle, int64_t start = 0);
  // Up to `batch` decoded images (uint8 [B,3,S,S]) and labels; false at the
  // end of the epoch. Corrupt files are skipped and counted.
  bool next(int64_t batch, torch::Tensor& images, torch::Tensor& labels);
  int64_t skipped() const { return skipped_.load(); }
  int64_t size() const { return static_cast<int64_t>(index_.samples.size()); }
  // Positions of the epoch's order consumed so far (skipped files included):
  // start_epoch(epoch, shuffle, position()) resumes exactly here.
  int64_t position() const;
  // Bytes of one decoded sample (3 * size * size) and how many may be queued.
  int64_t sample_bytes() const { return 3 * t_.size * t_.size; }
  int64_t window() const { return window_; }
  // Largest number of decoded bytes ever held in the queue (since construction).
  int64_t peak_queued_bytes() const;
  // Files handed to the decoder since construction (a seek skips, never reads).
  int64_t files_read() const { return files_read_.load(); }

 private:
  void stop();
  void worker();

  ImageFolderIndex index_;
  ImageTransform t_;
  int threads_;
  int64_t window_;  // samples that may be claimed ahead of the consumer
  uint64_t seed_;
  uint64_t epoch_seed_ = 0;
  std::vector<int64_t> order_;
  std::vector<std::thread> workers_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<int64_t, std::optional<torch::Tensor>> ready_;  // position -> result
  int64_t claimed_ = 0, consumed_ = 0;
  int64_t queued_bytes_ = 0, peak_queued_bytes_ = 0;
  bool stopping_ = false;
  std::atomic<int64_t> skipped_{0}, files_read_{0};
};

// Decodes a whole index with the eval transform into one uint8 Split.
Split decode_image_folder(const ImageFolderIndex& index, const ImageTransform& t, int threads,
                          int64_t* skipped = nullptr);

// `--dataset imagefolder[-SIZE] --data-dir DIR`: DIR/train and DIR/val (or
// DIR/test) decoded once at SIZExSIZE (default from opts.image_size) so the
// on-device BatchPipeline serves them.
Dataset load_image_folder(const std::string& name, const DatasetOptions& opts);
bool parse_image_folder_name(const std::string& name, int64_t* size);

}  // namespace nrs::data
